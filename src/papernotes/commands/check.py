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
    p.add_argument("--arxiv-versions", action="store_true",
                   help="also ask the arXiv API which notes name an older version of their paper than the newest")
    p.add_argument("--arxiv-api", help="base URL of the arXiv API (default: $PAPERNOTES_ARXIV_API or export.arxiv.org)")
    p.set_defaults(run=run)


def citation_problems(project: Project, notes: list[Note]) -> tuple[Diagnostics, list[str]]:
    """Notes whose arXiv id or DOI the Semantic Scholar API did not know (warnings), and notes
    joined to another by title only (said, not counted: titles can collide)."""
    from ..citations import join

    assert project.config is not None
    web = join(build_site(project.config, notes).notes, project.references)
    found = Diagnostics()
    for note, entry in web.unknown:
        found.warn(note.rel_path, note.line_of("arxiv") or note.line_of("doi") or note.line_of("links"),
                   f"the Semantic Scholar API knows no paper {entry.key} (papernotes refs, {entry.fetched.isoformat()}); "
                   "is the id right?")
    said = [f"{citing.rel_path}: note: cites {cited.rel_path} by its title only (neither has an arXiv id or DOI)"
            for citing, cited in web.title_matches]
    return found, said


def version_problems(notes: list[Note], api: str | None) -> Diagnostics:
    """Notes naming an arXiv version (``arxiv: 2106.09685v1``) older than the paper's newest."""
    import re

    from ..arxiv import FetchError, latest_versions

    found = Diagnostics()
    named = [(n, re.match(r"^(.+)v(\d+)$", n.arxiv)) for n in notes if n.arxiv]
    named = [(n, m.group(1), int(m.group(2))) for n, m in named if m]
    if not named:
        return found
    try:
        versions = latest_versions([ident for _, ident, _ in named], api)
    except FetchError as exc:
        found.warn("arxiv", None, f"arXiv versions not checked: {exc}")
        return found
    for note, ident, version in sorted(named, key=lambda item: item[0].rel_path):
        known = versions.get(ident)
        if known is None:
            found.warn(note.rel_path, note.line_of("arxiv"), f"the arXiv API knows no paper {ident}")
        elif known.latest > version:
            when = f" ({known.first_date})" if version == 1 else ""
            found.warn(note.rel_path, note.line_of("arxiv"),
                       f"names arXiv {ident}v{version}{when}; v{known.latest} is newer ({known.latest_date})")
    return found


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
    unknown, said = citation_problems(project, notes)
    diagnostics.extend(unknown)
    if args.arxiv_versions:
        diagnostics.extend(version_problems(notes, args.arxiv_api))
    for line in said:
        say(line)
    for item in diagnostics.items:
        say(item)
    errors, warnings = len(diagnostics.errors), len(diagnostics.warnings)
    say(f"checked {len(project.records)} notes: {errors} errors, {warnings} warnings")
    if errors or (args.strict and warnings):
        return 1
    return 0
