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


@dataclass
class ImportProblem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass
class ParsedSource:
    kind: str  # "readme", "posts", "bibtex"
    notes: list[ImportedNote] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)  # lines it could not understand
