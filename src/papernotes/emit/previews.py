"""``previews/<n>.json``: what a hover preview of a note shows (title, status, venue, year, how
many of the user's notes it cites and is cited by, and its first paragraph as text), keyed by the
note's page name (``peft/lora`` for ``notes/peft/lora.html``). The notes are spread over a few
files (``previews/index.json`` says how many) by a hash of their page names, so that a page fetches
about 64 notes' previews when a reader points at a link and an edit rewrites one small file.
``assets/preview.js`` reads them."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Iterable

from ..model import Note
from . import CITATION_LISTS, Output, citation_lists
from .context import EmitContext

#: Most characters of the first paragraph a preview shows.
PREVIEW_CHARS = 320


PREVIEW_DIR = "previews"

#: About this many notes share one preview file (at most twice as many): a file per note made a
#: large site's cold build create thousands of tiny files, each costing more than its bytes.
NOTES_PER_FILE = 64


def file_count(notes: int) -> int:
    """How many preview files a site of ``notes`` notes has: a power of two."""
    files = 1
    while files * NOTES_PER_FILE < notes:
        files *= 2
    return files


def file_number(slug: str, files: int) -> int:
    """Which preview file holds a note: FNV-1a (32 bits) of its page name's UTF-8 bytes, modulo
    the number of files; ``assets/preview.js`` computes the same from the link's path."""
    value = 0x811C9DC5
    for byte in slug.encode("utf-8", "surrogatepass"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value % files


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
        files = file_count(len(ctx.site.notes))
        groups: dict[int, list[Note]] = {}
        for note in ctx.site.notes:
            groups.setdefault(file_number(note.slug, files), []).append(note)

        def data(note: Note) -> dict:
            rendered = ctx.rendered.get(note.key)
            return {
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

        for number, notes in sorted(groups.items()):
            def render(notes=notes) -> bytes:
                return _json({note.slug: data(note) for note in notes})

            def deps(notes=notes) -> frozenset[str]:  # (worked out when asked for: see Output)
                return frozenset(k for note in notes for k in (note.key, citation_lists(note.key)))

            yield Output(f"{PREVIEW_DIR}/{number}.json", deps, render, background=True, pseudo_kinds=(CITATION_LISTS,))
        # The number of files is its only content: it changes only when the number of notes
        # crosses a power of two times NOTES_PER_FILE (every note changes file then).
        yield Output(f"{PREVIEW_DIR}/index.json", frozenset({f"@preview-files:{files}"}),
                     lambda: _json({"files": files}))


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
