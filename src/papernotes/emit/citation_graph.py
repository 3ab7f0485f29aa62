"""A note's local citation graph, laid out at build time for an inline SVG (no script).

Three columns, always in the same places: the notes this one cites on the left, the note in the
centre, the notes citing it on the right; each column in site order. Arrows point from the citing
paper to the cited one, so every arrow points left. Long titles are cut to fit their box (the
template gives each node a ``<title>`` with the whole title). This module only computes geometry:
``templates/_note_citations.html`` writes the markup (Jinja escapes every value) and
``assets/citations.css`` colours it from the theme's CSS variables, so dark mode follows.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from ..model import Note

BOX_WIDTH = 200
BOX_HEIGHT = 24
ROW = 32  # vertical distance between two boxes of a column
GAP = 64  # between columns, where the arrows run
PAD = 4
CAPTION = 20  # room above the columns for their captions
FONT = 12  # px, as assets/citations.css sets it
TEXT_INSET = 8
#: Boxes per side at most; the last slot then says "+N more" and leads to the list.
MAX_SIDE = 10


def _n(value: float) -> str:
    return f"{round(value, 2):g}"


@dataclass
class Node:
    note: Note | None  # None: the "+N more" box
    label: str
    x: str
    y: str
    text_x: str
    text_y: str
    kind: str  # "cited", "self", "citing"
    more: int = 0  # for the "+N more" box: how many are not drawn
    anchor: str = ""  # for the "+N more" box: the list it leads to

    @property
    def cut(self) -> bool:
        return self.note is not None and self.label != self.note.title


@dataclass
class Edge:
    path: str  # SVG path data, from the citing box to the cited one
    kind: str  # "cites" (from the note) or "cited-by" (to the note)


@dataclass
class CitationGraph:
    width: str
    height: str
    nodes: list[Node]
    edges: list[Edge]
    captions: list[tuple[str, str, str]]  # (x, y, text)
    box_width: str = str(BOX_WIDTH)
    box_height: str = str(BOX_HEIGHT)


def char_width(char: str, font: float = FONT) -> float:
    """An estimate of a character's width in px: CJK and other wide characters are a full em,
    the rest a little over half of one (a generous average for sans-serif Latin)."""
    if unicodedata.combining(char):
        return 0.0
    return font if unicodedata.east_asian_width(char) in ("W", "F") else font * 0.52


def text_width(text: str, font: float = FONT) -> float:
    if text.isascii():  # most titles: every character is narrow
        return len(text) * font * 0.52
    return sum(char_width(char, font) for char in text)


def fit(text: str, room: float, font: float = FONT) -> str:
    """``text`` cut with an ellipsis so that it fits ``room`` px (one pass over the text)."""
    if text_width(text, font) <= room:
        return text
    room -= char_width("…", font)
    if text.isascii():
        return text[:int(room // (font * 0.52))].rstrip() + "…"
    width = 0.0
    for i, char in enumerate(text):
        width += char_width(char, font)
        if width > room:
            return text[:i].rstrip() + "…"
    return text


def layout(note: Note, cites: list[Note], cited_by: list[Note]) -> CitationGraph | None:
    """The graph of ``note`` (None when it neither cites nor is cited by another note)."""
    if not cites and not cited_by:
        return None
    room = BOX_WIDTH - 2 * TEXT_INSET
    columns: list[str] = (["cited"] if cites else []) + ["self"] + (["citing"] if cited_by else [])
    left = {kind: PAD + i * (BOX_WIDTH + GAP) for i, kind in enumerate(columns)}
    width = PAD * 2 + len(columns) * BOX_WIDTH + (len(columns) - 1) * GAP
    rows = max(min(len(cites), MAX_SIDE), min(len(cited_by), MAX_SIDE), 1)
    height = CAPTION + rows * ROW - (ROW - BOX_HEIGHT) + PAD * 2
    nodes: list[Node] = []
    edges: list[Edge] = []

    def column_top(count: int) -> float:
        """Top of a column's first box: each column is centred on the others."""
        return CAPTION + PAD + (rows - count) * ROW / 2

    def box(kind: str, index: int, count: int, item: Note | None, label: str, **extra) -> Node:
        x = left[kind]
        y = column_top(count) + index * ROW
        node = Node(item, label, _n(x), _n(y), _n(x + TEXT_INSET), _n(y + BOX_HEIGHT / 2 + FONT * 0.35), kind, **extra)
        nodes.append(node)
        return node

    centre_y = column_top(1) + BOX_HEIGHT / 2
    box("self", 0, 1, note, fit(note.title, room))
    for kind, items, anchor in (("cited", cites, "cites"), ("citing", cited_by, "cited-by")):
        if not items:
            continue
        shown = items if len(items) <= MAX_SIDE else items[: MAX_SIDE - 1]
        count = len(shown) + (1 if len(shown) < len(items) else 0)
        for i, item in enumerate(shown):
            box(kind, i, count, item, fit(item.title, room))
            edges.append(_edge(kind, left, column_top(count) + i * ROW + BOX_HEIGHT / 2, centre_y))
        if len(shown) < len(items):
            more = len(items) - len(shown)
            box(kind, len(shown), count, None, f"+{more} more 更多", more=more, anchor=anchor)
    captions = []
    if cites:
        captions.append((_n(left["cited"]), _n(CAPTION - 6), "Cites 引用了"))
    captions.append((_n(left["self"]), _n(CAPTION - 6), "This note 本篇"))
    if cited_by:
        captions.append((_n(left["citing"]), _n(CAPTION - 6), "Cited by 被引用"))
    return CitationGraph(_n(width), _n(height), nodes, edges, captions)


def _edge(kind: str, left: dict[str, float], y: float, centre_y: float) -> Edge:
    """A curve from the citing box's left side to the cited box's right side."""
    if kind == "cited":  # the note cites it: from the centre box to the left column
        x1, y1, x2, y2 = left["self"], centre_y, left["cited"] + BOX_WIDTH, y
        name = "cites"
    else:  # it cites the note: from the right column to the centre box
        x1, y1, x2, y2 = left["citing"], y, left["self"] + BOX_WIDTH, centre_y
        name = "cited-by"
    mid = (x1 + x2) / 2
    end = x2 + 6  # leave room for the arrow head
    return Edge(f"M{_n(x1)} {_n(y1)}C{_n(mid)} {_n(y1)} {_n(mid)} {_n(y2)} {_n(end)} {_n(y2)}", name)
