"""``papernotes export readme [-o README.md]``: the whole collection as one GitHub README."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..importers.readme import GENERATED_MARKER as MARKER
from ..importers.writer import _replace as replace_file
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

    target = None if str(args.output) == "-" else args.output.absolute()  # a link is looked at, not yet followed
    problem = target and unwritable(target)
    if problem:
        warn(f"error: {problem} (nothing was changed)")
        return 2
    project = Project(args.root, check_output=False)
    project.load_all()
    assert project.config is not None
    notes = [r.note for r in project.records.values() if r.note is not None]
    for item in project.diagnostics().errors:
        warn(f"{item} (left out of the README)")
    real = Path(os.path.realpath(target)) if target else None  # a link to a file: that file is written
    text = export_readme(notes, project.config, output_dir=(real.parent if real else project.root),
                         notes_dir=project.notes_dir)
    text = f"{MARKER}\n{text}" if not text.startswith(MARKER) else text
    if real is None:
        sys.stdout.write(text)
        return 0
    if real.exists() and not args.force and not written_by_papernotes(real):
        warn(f"error: {target} exists and was not written by papernotes; use --force to replace it "
             "or -o to write elsewhere (nothing was changed)")
        return 2
    try:
        replace_file(real, text)  # a new file renamed over the old: a failed write leaves the old one
    except OSError as exc:
        warn(f"error: cannot write {target}: {exc.strerror or exc} (nothing was changed)")
        return 2
    say(f"wrote {target} ({sum(1 for n in notes if not n.describes_category)} notes)")
    return 0


def unwritable(target: Path) -> str | None:
    """Why the README cannot be written to ``target`` (an absolute path), or None."""
    if target.is_symlink() and not target.exists():
        # never through a link to nothing: the file would appear wherever the link points
        return (f"{target} is a link to {os.readlink(target)}, which does not exist; papernotes does not "
                "write through such a link: name the file itself with -o")
    real = Path(os.path.realpath(target))  # (not Path.resolve: a link loop would raise RuntimeError)
    if real.is_dir():
        return f"{target} is a folder; name a file, e.g. -o {target / 'README.md'}"
    if real.exists() and not real.is_file():
        return f"{target} is not a regular file (a device or a pipe); name a file"
    if real.parent.exists() and not real.parent.is_dir():
        return f"{target.parent} is a file, not a folder; name a file in an existing folder"
    if not real.parent.exists():
        link = f" (a link to {os.readlink(target.parent)})" if target.parent.is_symlink() else ""
        return (f"the folder {target.parent}{link} does not exist; create it first or name a file in an "
                "existing folder")
    return None


def written_by_papernotes(path: Path) -> bool:
    with open(path, "rb") as handle:  # the start only: never a whole file of unknown size
        return MARKER in handle.read(500).decode("utf-8", errors="replace")
