"""Render stage: a note's Markdown body becomes an HTML fragment."""

from .note_renderer import NoteRenderer, RenderContext

__all__ = ["NoteRenderer", "RenderContext"]
