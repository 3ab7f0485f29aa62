"""``previews/<slug>.json``: what a hover preview of a note shows (title, status, venue, year, how
many of the user's notes it cites and is cited by, and its first paragraph as text), one small file per note beside nothing else, so that a page fetches
only the notes a reader points at and an edit rewrites one file. ``assets/preview.js`` reads them."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Iterable

from ..model import Note
from . import Output, citation_lists
from .context import EmitContext

#: Most characters of the first paragraph a preview shows.
PREVIEW_CHARS = 320


def preview_path(note: Note) -> str:
    return f"previews/{note.slug}.json"


class _Text(HTMLParser):
    """The text of an HTML fragment; a formula's TeX annotation and heading anchors left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "annotation" or (tag == "a" and ("class", "header-anchor") in attrs) or self._skip:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if self._skip and tag in ("annotation", "a"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(fragment: str, limit: int = PREVIEW_CHARS) -> str:
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    text = " ".join("".join(parser.parts).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class PreviewFiles:
    name = "hover previews"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        labels = ctx.site.config.status_labels
        for note in ctx.site.notes:
            def render(note=note) -> bytes:
                rendered = ctx.rendered.get(note.key)
                data = {
                    "title": note.title,
                    "status": note.status.value,
                    "status_label": labels[note.status],
                    "venue": note.venue or "",
                    "year": note.year or "",
                    "text": html_text(rendered.excerpt_html) if rendered is not None else "",
                    # among the user's notes (data/references.json): "Cites 2 · cited by 3 of your notes"
                    "cites": len(ctx.citations.cites_of(note)),
                    "cited_by": len(ctx.citations.cited_by_of(note)),
                }
                return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")

            yield Output(preview_path(note), frozenset({note.key, citation_lists(note.key)}), render)
