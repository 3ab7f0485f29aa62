"""Files copied as they are: the theme's assets (plus the code-highlighting palettes) and the
non-Markdown files that live beside the notes."""

from __future__ import annotations

from typing import Iterable

from ..render.highlight import pygments_css
from ..render.mathfont import LICENSE_PATH, LICENSE_TEXT, OUTPUT_PATH
from . import MATH_CHARACTERS, Output
from .context import EmitContext


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
