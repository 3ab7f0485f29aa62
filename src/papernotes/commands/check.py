"""``papernotes check [--strict]``: lint every note without writing a site."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..diagnostics import Diagnostics
from ..importers.identity import IdentityIndex, identity_of
from ..load.site import build_site
from ..model import Note
from ..output import OutputError
from ..project import Project
from ..console import say, warn


def add_parser(commands) -> None:
    p = commands.add_parser(
        "check", help="lint the notes: front matter, statuses, links, images, duplicates, formulas",
        description="Check every note without writing a site: front-matter errors, unknown statuses, "
                    "invalid URLs, missing images, links to notes that do not exist, duplicate papers "
                    "and formulas that do not convert. One line per problem (file:line), then a "
                    "summary. Exit status 1 when there are errors (with --strict also warnings).")
    p.add_argument("--root", type=Path, default=Path("."), help="site root (default: .)")
    p.add_argument("--strict", action="store_true", help="also fail on warnings")
    p.set_defaults(run=run)


def duplicate_papers(notes: list[Note]) -> Diagnostics:
    """The same paper in two notes (same arXiv id, DOI or title, no conflicting id): a warning on
    the later one."""
    found = Diagnostics()
    index = IdentityIndex()
    for note in sorted(notes, key=lambda n: n.rel_path):
        if note.describes_category:
            continue
        identity = identity_of(note.title, [link.url for link in note.links], note.arxiv, note.doi)
        match = index.find(identity)
        if match is not None:
            other, reason = match
            found.warn(note.rel_path, note.line_of("title"),
                       f"same paper as {other.rel_path} (same {reason}); merge or delete one")
        for other in index.sharing_an_id(identity):
            found.warn(note.rel_path, note.line_of("arxiv") or note.line_of("doi") or note.line_of("links"),
                       f"has the arXiv id or DOI of {other.rel_path}, whose title is unrelated; is one of "
                       "the two ids wrong?")
        index.add(identity, note)
    return found


def run(args: argparse.Namespace) -> int:
    project = Project(args.root, check_output=False)
    try:
        project.load_all()
    except OutputError as exc:  # pragma: no cover - check_output is off
        warn(f"error: {exc}")
        return 2
    diagnostics = project.diagnostics()
    notes = [r.note for r in project.records.values() if r.note is not None]
    diagnostics.extend(duplicate_papers(notes))
    assert project.config is not None
    for note, message in build_site(project.config, notes).notices():
        diagnostics.warn(note.rel_path, None, message)
    for item in diagnostics.items:
        say(item)
    errors, warnings = len(diagnostics.errors), len(diagnostics.warnings)
    say(f"checked {len(project.records)} notes: {errors} errors, {warnings} warnings")
    if errors or (args.strict and warnings):
        return 1
    return 0
