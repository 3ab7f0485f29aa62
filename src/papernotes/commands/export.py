"""``papernotes export readme [-o README.md]``: the whole collection as one GitHub README."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..importers.readme import GENERATED_MARKER as MARKER
from ..project import Project
from ..console import say, warn


def add_parser(commands) -> None:
    p = commands.add_parser("export", help="write the notes in another shape (a GitHub README reading list)",
                            description="Write the whole collection as one GitHub-flavoured README: "
                                        "legend with counts, categories as headings, one <details> block "
                                        "per note. `papernotes import` reads it back.")
    p.add_argument("format", choices=["readme"], help="what to write")
    p.add_argument("-o", "--output", type=Path, default=Path("README.md"), help="file to write (default: README.md; - for standard output)")
    p.add_argument("--root", type=Path, default=Path("."), help="site root (default: .)")
    p.add_argument("--force", action="store_true", help="replace a file that papernotes did not write")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..exporters.readme import export_readme

    project = Project(args.root, check_output=False)
    project.load_all()
    assert project.config is not None
    notes = [r.note for r in project.records.values() if r.note is not None]
    for item in project.diagnostics().errors:
        warn(f"{item} (left out of the README)")
    target = None if str(args.output) == "-" else args.output.resolve()
    text = export_readme(notes, project.config, output_dir=(target.parent if target else project.root),
                         notes_dir=project.notes_dir)
    text = f"{MARKER}\n{text}" if not text.startswith(MARKER) else text
    if target is None:
        sys.stdout.write(text)
        return 0
    if target.exists() and MARKER not in target.read_text(encoding="utf-8", errors="replace")[:500] and not args.force:
        warn(f"error: {target} exists and was not written by papernotes; use --force to replace it "
              "or -o to write elsewhere (nothing was changed)")
        return 2
    target.write_text(text, encoding="utf-8")
    say(f"wrote {target} ({sum(1 for n in notes if not n.describes_category)} notes)")
    return 0
