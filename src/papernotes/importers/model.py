"""What an importer reads out of a source: papers as ``ImportedNote``s, and the lines it could
not understand. Writing them as note files is ``writer.py``'s job, shared by every importer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model import Link, Status


@dataclass
class ImageRef:
    """An image the body refers to: ``written`` is the reference as it appears in ``body``;
    ``path`` the file on disk it should come from (may not exist: then it is reported missing)."""

    written: str
    path: Path


@dataclass
class NoteLinkRef:
    """A link in the body to another file of the same source (``written`` as in ``body``, with
    any ``#fragment``); the writer points it at the note that file became."""

    written: str
    target: Path
    fragment: str = ""


@dataclass
class ImportedNote:
    title: str
    origin: str  # where it came from, for messages: "README.md:123"
    status: Status | None = None  # None: not stated (written as unread)
    category: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    venue: str | None = None
    year: int | None = None
    authors: tuple[str, ...] = ()
    date: dt.date | None = None
    summary: str | None = None
    links: list[Link] = field(default_factory=list)
    arxiv: str | None = None
    doi: str | None = None
    body: str = ""
    images: list[ImageRef] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # more front-matter keys (e.g. bibtex)
    order: int | None = None  # position within its category in the source (1, 2, …)
    source_file: Path | None = None  # the file it came from, when the source is a folder of notes
    note_links: list[NoteLinkRef] = field(default_factory=list)
    local_paths: list[str] = field(default_factory=list)  # paths that exist only on the author's machine


@dataclass
class ImportProblem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass
class SourceCategory:
    """A category as the source lays it out: its place in the order, and the prose under its
    heading before the first paper (its introduction; Markdown)."""

    path: tuple[str, ...]
    intro: str = ""
    origin: str = ""  # "README.md:12", for messages


@dataclass
class ParsedSource:
    kind: str  # "readme", "posts", "bibtex", …
    root: Path  # the folder of the source: no file outside it may be read or copied
    notes: list[ImportedNote] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)  # lines it could not understand
    categories: list[SourceCategory] = field(default_factory=list)  # in the source's order


def resources_title(heading: str, source: Path) -> str:
    """The title of the note that keeps a section's links that are no papers: the heading and
    the list it came from, so that two lists' "Tools" are two notes, and importing one list
    again finds its own."""
    name = source.stem if source.stem.lower() not in ("readme", "index") else source.parent.name or source.stem
    return f"Resources · {heading} ({name})"


def intro_home(section: tuple[str, ...], with_papers: set[tuple[str, ...]]) -> tuple[tuple[str, ...], str | None]:
    """Where the prose of ``section`` goes: the section itself when it has papers (its own or
    below it), else the nearest section above it that has (the site's introduction at the top),
    under a heading naming the section (the second item; None when it stays in its own)."""
    home = section
    while home and home not in with_papers:
        home = home[:-1]
    if home == section:
        return home, None
    return home, "#" * min(6, len(section) - len(home) + 1) + " " + section[-1]


def categories_with_intros(categories: dict[tuple[str, ...], SourceCategory],
                           intros: dict[tuple[str, ...], list[str]], origin: str) -> list[SourceCategory]:
    """The source's categories in order, each with its introduction (the texts joined, display
    math given its blank lines); a category known only by its introduction is added (the site's
    own, ``()``, first). ``categories`` gains those too."""
    from .markdown import separate_display_math

    ordered = list(categories.values())
    for path, texts in intros.items():
        category = categories.get(path)
        if category is None:
            category = categories[path] = SourceCategory(path, origin=origin)
            ordered.insert(0, category) if not path else ordered.append(category)
        category.intro = separate_display_math("\n\n".join(texts)).strip() + "\n"
    return ordered
