"""The links of a rendered note to other notes, each with the sentence around it (as plain text):
what the linked notes show under "Linked from" (backlinks)."""

from __future__ import annotations

import re

from markdown_it.token import Token

from ..model import NoteLink

#: Most characters of context shown around a link (a whole sentence when it is shorter).
CONTEXT_CHARS = 160
#: Ends of sentences: ASCII ones before white space, CJK ones anywhere.
_SENTENCE_END = re.compile(r"[.!?;:](?=\s)|[。！？；]")
_SPACES = re.compile(r"\s+")


def collect_note_links(tokens: list[Token], own_key: str) -> tuple[NoteLink, ...]:
    """Links to other notes, in body order (the post-processing rule marked them with
    ``meta["note"]``, the linked note's key). Links of a note to itself are left out."""
    found: list[NoteLink] = []
    for token in tokens:
        if token.type == "inline" and token.children:
            text, spans = _plain_text(token.children)
            for key, start, end in spans:
                if key != own_key:
                    found.append(NoteLink(key, _context(text, start, end)))
    return tuple(found)


def _plain_text(children: list[Token]) -> tuple[str, list[tuple[str, int, int]]]:
    parts: list[str] = []
    length = 0
    spans: list[tuple[str, int, int]] = []
    open_links: list[tuple[str | None, int]] = []

    def add(piece: str) -> None:
        nonlocal length
        parts.append(piece)
        length += len(piece)

    for child in children:
        kind = child.type
        if kind in ("text", "code_inline"):
            add(child.content)
        elif kind in ("softbreak", "hardbreak"):
            add(" ")
        elif kind == "wikilink":
            start = length
            add(child.meta.get("shown", ""))
            if child.meta.get("note"):
                spans.append((child.meta["note"], start, length))
        elif kind == "html_inline" and child.meta and "tex" in child.meta:
            add(child.meta["tex"])
        elif kind == "link_open":
            open_links.append((child.meta.get("note") if child.meta else None, length))
        elif kind == "link_close" and open_links:
            key, start = open_links.pop()
            if key:
                spans.append((key, start, length))
        elif kind == "image":
            add(child.content)
        if child.children and kind != "image":
            inner, inner_spans = _plain_text(child.children)
            spans.extend((k, s + length, e + length) for k, s, e in inner_spans)
            add(inner)
    return "".join(parts), spans


def _context(text: str, start: int, end: int) -> str:
    """The sentence holding ``text[start:end]``, or up to CONTEXT_CHARS characters around it."""
    begin = 0
    for match in _SENTENCE_END.finditer(text, 0, start):
        begin = match.end()
    match = _SENTENCE_END.search(text, end)
    stop = match.end() if match else len(text)
    if stop - begin > CONTEXT_CHARS:
        room = max(0, CONTEXT_CHARS - (end - start)) // 2
        clipped_begin, clipped_stop = max(begin, start - room), min(stop, end + room)
        sentence = text[clipped_begin:clipped_stop].strip()
        prefix = "…" if clipped_begin > begin else ""
        suffix = "…" if clipped_stop < stop else ""
        return prefix + _SPACES.sub(" ", sentence) + suffix
    return _SPACES.sub(" ", text[begin:stop]).strip()
