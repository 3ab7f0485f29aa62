"""``papernotes check [--strict]``: lint every note without writing a site."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..diagnostics import Diagnostics
from ..importers.identity import identity_keys
from ..model import Note
from ..output import OutputError
from ..project import Project


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
    """The same paper in two notes (same arXiv id, DOI, link or title): a warning on the later one."""
    found = Diagnostics()
    first: dict[str, Note] = {}
    for note in sorted(notes, key=lambda n: n.rel_path):
        reported = False
        for key in sorted(identity_keys(note.title, [l.url for l in note.links], note.arxiv, note.doi)):
            other = first.setdefault(key, note)
            if other is not note and not reported:
                kind = key.split(":", 1)[0]
                found.warn(note.rel_path, note.line_of("title"),
                           f"same paper as {other.rel_path} (same {kind}); merge or delete one")
                reported = True
    return found


def run(args: argparse.Namespace) -> int:
    project = Project(args.root, check_output=False)
    try:
        project.load_all()
    except OutputError as exc:  # pragma: no cover - check_output is off
        print(f"error: {exc}", file=sys.stderr)
        return 2
    diagnostics = project.diagnostics()
    diagnostics.extend(duplicate_papers([r.note for r in project.records.values() if r.note is not None]))
    for item in diagnostics.items:
        print(item)
    errors, warnings = len(diagnostics.errors), len(diagnostics.warnings)
    print(f"checked {len(project.records)} notes: {errors} errors, {warnings} warnings")
    if errors or (args.strict and warnings):
        return 1
    return 0
