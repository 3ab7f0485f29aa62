"""Files copied as they are: the theme's assets (plus the code-highlighting palettes) and the
non-Markdown files that live beside the notes."""

from __future__ import annotations

from typing import Iterable

from ..render.highlight import pygments_css
from . import Output
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
