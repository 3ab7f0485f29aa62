"""``papernotes import SOURCE... [--into notes/] [--dry-run] [--force] [--format KIND]``"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..console import say, warn
from ..load.config import load_config
from ..diagnostics import Diagnostics
from ..importers import FORMATS, SourceError, detect, parse
from ..importers.writer import apply, plan


def add_parser(commands) -> None:
    p = commands.add_parser(
        "import", help="bring in notes from a README reading list, posts, a folder of notes, a survey "
                       "or awesome list, a copied blog index or a .bib file",
        description="Write one note per paper found in each SOURCE: a GitHub README reading list "
                    "(<details> blocks with status emoji), a folder or file of Jekyll/Hexo posts, a "
                    "folder of Markdown notes (Typora, Obsidian), a dated survey list, an awesome list "
                    "(link items, tables of papers), a blog's index page copied as text, or a BibTeX "
                    "file. The same paper (same arXiv id, DOI or title) is merged; papers already in "
                    "the notes are skipped; nothing is overwritten without --force, and --force "
                    "replaces only a note holding the same paper.")
    p.add_argument("sources", nargs="+", type=Path, metavar="SOURCE")
    p.add_argument("--root", type=Path, default=Path("."), help="site root (default: .)")
    p.add_argument("--into", type=Path, help="folder for the new notes (default: the site's notes/)")
    p.add_argument("--format", choices=FORMATS, help="the kind of every SOURCE (default: detected)")
    p.add_argument("--dry-run", action="store_true", help="show what would be written; write nothing")
    p.add_argument("--force", action="store_true", help="replace notes that hold the same paper")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root = args.root.resolve()
    config = load_config(root, Diagnostics())
    into = (args.into if args.into is not None else config.notes_path).resolve()
    parsed = []
    for source in args.sources:
        try:
            kind = args.format or detect(source)
            parsed.append(parse(source, kind))
        except SourceError as exc:
            warn(f"error: {exc}")
            return 2
        say(f"{source}: {kind}, {len(parsed[-1].notes)} papers")
    result = plan(parsed, into, root, force=args.force)
    verb = "would write" if args.dry_run else "wrote"
    for planned in result.notes:
        action = ("would replace" if args.dry_run else "replaced") if planned.overwrite else verb
        say(f"{action} {_shown(planned.path)}  ({planned.note.origin})")
    for image in result.images:
        say(f"{'would copy' if args.dry_run else 'copied'} image {_shown(image.source)} -> {_shown(image.target)}")
    for intro in result.intros:
        action = ("would replace" if args.dry_run else "replaced") if intro.overwrite else verb
        shown = " / ".join(intro.category) or "the site"
        say(f"{action} {_shown(intro.path)}  (introduction of {shown}, {intro.origin})")
    if result.config is not None:
        change = result.config
        how = "would create" if args.dry_run else "created"
        if not change.create:
            how = "would add" if args.dry_run else "added"
        say(f"{how} category_order in {_shown(change.path)}: {', '.join(change.order)}")
    for line in result.merged:
        say(f"merged {line}")
    for line in result.skipped:
        say(f"skipped {line}")
    for line in result.notices:
        say(f"note: {line}")
    for line in result.refused:
        warn(f"warning: {line}")
    for line in result.warnings:
        warn(f"warning: {line}")
    for line in result.missing_images:
        warn(f"warning: {line}")
    for problem in result.problems:
        warn(f"warning: {problem}")
    if not args.dry_run:
        apply(result)
    say(f"{'dry run: ' if args.dry_run else ''}{verb} {len(result.notes)} notes, {len(result.merged)} duplicates merged, "
          f"{len(result.skipped)} skipped (already imported), {len(result.refused)} refused, "
          f"{len(result.intros)} category introductions, {len(result.images)} images "
          f"{'to copy' if args.dry_run else 'copied'}, {len(result.missing_images)} missing, "
          f"{len(result.problems)} lines not understood")
    return 0


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
