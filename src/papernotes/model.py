"""The data a build passes between its stages."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .urls import category_url


class Status(enum.Enum):
    READ = "read"
    UNREAD = "unread"
    SKIMMED = "skimmed"
    TRIAGE = "triage"

    @property
    def emoji(self) -> str:
        return STATUS_EMOJI[self]


STATUS_EMOJI = {
    Status.READ: "✅",
    Status.UNREAD: "❌",
    Status.SKIMMED: "⬜",
    Status.TRIAGE: "🟧",
}

#: Default human labels; a site may override them in papernotes.yaml (``status_labels``).
STATUS_LABELS = {
    Status.READ: "Read 已阅读",
    Status.UNREAD: "Unread 未阅读",
    Status.SKIMMED: "Skimmed 已泛读",
    Status.TRIAGE: "Triage 待分类",
}

#: What a note's ``date`` is, by its status: only a read note was read on that day.
DATE_LABELS = {
    Status.READ: "Read on 阅读于",
    Status.UNREAD: "Added 添加于",
    Status.SKIMMED: "Skimmed on 略读于",
    Status.TRIAGE: "Added 添加于",
}

UNCATEGORIZED = "Uncategorized"


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass
class Note:
    """One paper note, validated, with its Markdown body not yet rendered."""

    source: Path  # absolute path of the .md file
    rel_path: str  # path shown in messages, relative to the site root ("notes/peft/lora.md")
    key: str  # path below the notes folder without extension ("peft/lora"); unique per note
    slug: str  # URL-safe form of ``key``; the page is written to ``notes/<slug>.html``
    title: str
    status: Status
    category: tuple[str, ...]  # nested parts, never empty
    tags: tuple[str, ...] = ()
    venue: str | None = None
    year: int | None = None
    authors: tuple[str, ...] = ()
    date: dt.date | None = None
    summary: str | None = None
    links: tuple[Link, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    arxiv: str | None = None
    doi: str | None = None
    body: str = ""
    body_line: int = 1  # 1-based line in the file where ``body`` starts
    mtime: float = 0.0
    base_slug: str = ""  # ``slug`` before two notes with the same page name were told apart
    #: ``category`` as this note spells it; ``category`` is the site's one spelling of it (a
    #: folder ``prompting`` and ``category: Prompting`` are one category)
    written_category: tuple[str, ...] = ()
    field_lines: dict[str, int] = field(default_factory=dict)  # front-matter key -> line in the file
    order: int | None = None  # place within its category (``order:``); notes without come after
    #: An ``_index.md``: not a paper but the description of ``category`` (``()``: of the whole
    #: site), shown on the category's page and atop its section of the home page.
    describes_category: bool = False
    #: (line, message): front-matter values set aside without leaving the note out
    notices: tuple[tuple[int | None, str], ...] = ()

    def line_of(self, key: str) -> int | None:
        return self.field_lines.get(key)

    @property
    def url(self) -> str:
        if self.describes_category:
            return category_url(self.category)
        return f"notes/{self.slug}.html"

    @property
    def category_path(self) -> str:
        return "/".join(self.category)


@dataclass(frozen=True)
class NoteLink:
    """A link in a note's body to another note (a Markdown link to its file, or a wikilink)."""

    target: str  # the linked note's key
    context: str  # the sentence around the link, as plain text


@dataclass
class RenderedNote:
    """A note's body as HTML, with what the renderer learned about it."""

    html: str | None  # None: kept in the build cache, not in memory
    excerpt_html: str  # summary or first section, for the home page
    headings: list[tuple[int, str, str]] = field(default_factory=list)  # (level, id, text)
    assets: list[Path] = field(default_factory=list)  # files under notes/ the body references
    looked_at: frozenset[Path] = frozenset()  # paths its links tried: a change there re-renders it
    math_chars: str = ""  # the characters its formulas draw (the site's math font holds them)
    note_links: tuple[NoteLink, ...] = ()  # links to other notes, in body order (backlinks are made of them)
    #: the folded names its wikilinks looked up (file names, titles): a note that gains or loses
    #: one of these names may change where a wikilink goes, so it re-renders this note
    wiki_names: frozenset[str] = frozenset()
