"""``papernotes new "Title" [--arxiv ID [--fetch]] [--category C] [--status S]``"""

from __future__ import annotations

import argparse
from pathlib import Path

import jinja2
import yaml

from ..arxiv import FetchError, as_markdown_text, fetch
from ..load.config import load_config
from ..diagnostics import Diagnostics, NoteError
from ..load.fields import parse_arxiv, parse_category, parse_status
from ..importers.names import safe_stem, unique_path
from ..model import UNCATEGORIZED
from ..theme import Theme
from ..urls import slugify
from ..console import printable, say, warn

TEMPLATE = "note.md"


def add_parser(commands) -> None:
    p = commands.add_parser("new", help="start a note from a template and print its path",
                            description="Create a new note from the note template (a site may override "
                                        "templates/note.md) and print its path. Never overwrites a file.")
    p.add_argument("title", nargs="?", help="the paper's title (optional with --arxiv --fetch)")
    p.add_argument("--arxiv", help="arXiv id, e.g. 2302.04237 (adds abstract and PDF links)")
    p.add_argument("--fetch", action="store_true", help="fill in title, authors, abstract, year and category from the arXiv API")
    p.add_argument("--arxiv-api", help="base URL of the arXiv API (default: $PAPERNOTES_ARXIV_API or export.arxiv.org)")
    p.add_argument("--category", help="category, '/' nests (e.g. 'Prompting/Reasoning')")
    p.add_argument("--status", default="unread", help="read, unread, skimmed or triage (default: unread)")
    p.add_argument("--tags", help="comma-separated tags")
    p.add_argument("--root", type=Path, default=Path("."), help="site root (default: .)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        status = parse_status(args.status)
        arxiv_id = parse_arxiv(args.arxiv) if args.arxiv else None
    except NoteError as exc:
        warn(f"error: {exc.message}")
        return 2
    if args.fetch and not arxiv_id:
        warn("error: --fetch needs --arxiv ID")
        return 2
    title, authors, abstract, year, primary = args.title, (), "", None, None
    if args.fetch:
        try:
            info = fetch(arxiv_id, args.arxiv_api)
            title = title or info.title
            authors, year, primary = info.authors, info.year, info.primary_category
            abstract = as_markdown_text(info.abstract)  # text, not Markdown or HTML: "<mask>" stays
        except FetchError as exc:
            warn(f"warning: {exc}; the note is created with what is known")
    if not title:
        title = f"arXiv {arxiv_id}" if arxiv_id else None
    if not title:
        warn("error: give a title (or --arxiv ID --fetch)")
        return 2
    root = args.root.resolve()
    config = load_config(root, Diagnostics())
    category = parse_category(args.category) if args.category else ()
    if any(part in (".", "..") for part in category):
        warn(f"error: the category '{printable(args.category)}' has a '.' or '..' part; "
             "categories name folders under notes/ and cannot leave it")
        return 2
    data: dict = {"title": title, "status": status.value}
    if category and category != (UNCATEGORIZED,):
        data["category"] = "/".join(category)
    tags = [t.strip() for t in (args.tags or "").split(",") if t.strip()]
    if primary:
        tags.append(primary)
    if tags:
        data["tags"] = list(dict.fromkeys(tags))
    if year:
        data["year"] = year
    if authors:
        data["authors"] = list(authors)
    if arxiv_id:
        data["arxiv"] = arxiv_id
    front_matter = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
    folder = config.notes_path / slugify(category[0], "notes") if category else config.notes_path
    wanted = folder / f"{safe_stem(title)}.md"
    path = unique_path(folder, safe_stem(title), set())  # as import does: never an existing file
    if path != wanted:
        warn(f"note: {wanted} already exists; writing {path.name} beside it")
    theme = Theme.for_site(root)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(d) for d in theme.template_dirs]),
                             autoescape=False, keep_trailing_newline=True)
    text = env.get_template(TEMPLATE).render(front_matter=front_matter, title=title, abstract=abstract,
                                             data=data, arxiv=arxiv_id)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8") as handle:  # "x": never replaces a file
            handle.write(text)
    except FileExistsError:
        warn(f"error: {path} already exists; nothing was changed")
        return 1
    say(path)
    return 0
