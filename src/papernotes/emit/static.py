"""Files copied as they are: the theme's assets (plus the code-highlighting palettes), the
non-Markdown files that live beside the notes, and the site's own ``static/`` folder."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..load.notes import display_path
from ..output import MARKER, STAGING_PREFIX
from ..render.highlight import pygments_css
from ..render.mathfont import LICENSE_PATH, LICENSE_TEXT, OUTPUT_PATH
from ..search import is_index_path
from . import MATH_CHARACTERS, Output
from .context import EmitContext

class StaticFiles:
    """The files of ``static/``, copied to the same place in the site. Listed last: where a file
    has the path of a file papernotes generates, the generated one wins (as in Hugo), and
    ``static_conflicts`` says so."""

    name = "static files"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        for rel, source in ctx.static_files.items():
            yield Output(rel, frozenset(), source=source)


def _reserved(rel: str) -> str | None:
    top = rel.split("/", 1)[0]
    if top == MARKER or top.startswith(STAGING_PREFIX):
        return "papernotes' own marker and staging files"
    if is_index_path(top):
        return "the search index"
    return None


def static_conflicts(outputs: dict[str, Output], static_files: dict[str, Path], root: Path) -> list[tuple[str, str]]:
    """Take out of ``outputs`` the static files that would replace (or sit below, or hold) a file
    papernotes generates; returns a (file, warning) for each, naming both."""
    sources = {source: rel for rel, source in static_files.items()}
    generated = {path: o for path, o in outputs.items() if o.source is None or o.source not in sources}
    folders = {path.rsplit("/", i)[0] for path in generated for i in range(1, path.count("/") + 1)}
    problems: list[tuple[str, str]] = []
    for rel, source in static_files.items():
        shown = display_path(source, root)
        why = _reserved(rel)
        if why is not None:
            message = f"is not copied: '{rel}' in the site is where papernotes writes {why}"
        elif rel in generated:
            message = f"is not copied: papernotes generates '{rel}' itself{_from(generated[rel], root)}, which wins"
        elif rel in folders:
            message = f"is not copied: '{rel}' is a folder of the pages papernotes generates"
        else:
            parents = [rel.rsplit("/", i)[0] for i in range(1, rel.count("/") + 1)]
            clash = next((p for p in parents if p in generated), None)
            if clash is None:
                continue
            message = f"is not copied: papernotes generates the file '{clash}'{_from(generated[clash], root)}, which wins"
        if outputs.get(rel) is not None and outputs[rel].source == source:
            del outputs[rel]
        problems.append((shown, message))
    return problems


def _from(output: Output, root: Path) -> str:
    if output.source is not None:
        return f" (copied from {display_path(output.source, root)})"
    return ""


class ThemeAssets:
    name = "theme assets"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        yield Output("assets/pygments.css", frozenset(), lambda: pygments_css().encode("utf-8"))
        for rel, source in ctx.theme.asset_files().items():
            yield Output(f"assets/{rel}", frozenset(), source=source)


class NoteAssets:
    name = "note assets"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        notes_dir = ctx.site.config.notes_path.resolve()
        for source in ctx.asset_files:
            rel = source.relative_to(notes_dir).as_posix()
            yield Output(f"notes/{rel}", frozenset(), source=source)


class MathFont:
    """The site's math font, subset to the characters its formulas draw (render/mathfont.py),
    and its licence. Written again when that set of characters changes."""

    name = "math font"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        def font() -> bytes:  # the characters when it is written (the rendered notes change in place)
            return ctx.math_font.font(ctx.math_font.characters_of([r.math_chars for r in ctx.rendered.values()]))

        yield Output(OUTPUT_PATH, frozenset({MATH_CHARACTERS}), font)
        yield Output(LICENSE_PATH, frozenset(), lambda: LICENSE_TEXT.encode("utf-8"))
