"""``papernotes import``: read papers out of a README reading list, Jekyll/Hexo posts, a BibTeX
file, a folder of Markdown notes, a dated survey list, an awesome list or a copied blog index, and
write them as notes (``writer.py``)."""

from __future__ import annotations

import importlib
from pathlib import Path

from .model import ImportedNote, ImportProblem, ParsedSource

FORMATS = ("readme", "posts", "bibtex", "notes", "survey", "awesome", "blog-index")


class SourceError(Exception):
    pass


def detect(path: Path) -> str:
    """Which kind of source ``path`` is; raises SourceError when it is none of them. The shapes
    are tried from the most particular (a .bib file, a blog, a README of <details> blocks) to the
    most general (any Markdown file: a note)."""
    from .awesome import looks_like_awesome
    from .bib import looks_like_bibtex
    from .blogindex import looks_like_blog_index
    from .folder import looks_like_notes_folder
    from .posts import looks_like_posts
    from .readme import looks_like_readme, read_text
    from .survey import looks_like_survey

    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    if looks_like_bibtex(path):
        return "bibtex"
    if looks_like_posts(path):
        return "posts"
    if looks_like_notes_folder(path):
        return "notes"
    if path.is_file():
        try:
            text, _ = read_text(path)
        except OSError as exc:
            raise SourceError(f"{path}: cannot be read: {exc.strerror or exc}") from None
        for kind, looks_like in (("readme", looks_like_readme), ("survey", looks_like_survey),
                                 ("awesome", looks_like_awesome), ("blog-index", looks_like_blog_index)):
            if looks_like(text):
                return kind
        if path.suffix.lower() in (".md", ".markdown", ".mdown", ".mkd", ".mkdn"):
            return "notes"  # one note, read as a folder of notes would read it
    raise SourceError(f"{path}: not a README reading list, a survey or awesome list, a copied blog index, "
                      "a folder of notes or posts, or a .bib file (name the kind with --format "
                      f"{'|'.join(FORMATS)})")


_PARSERS = {
    "readme": ("readme", "parse_readme", "file"),
    "posts": ("posts", "parse_posts", None),
    "bibtex": ("bib", "parse_bibtex", "file"),
    "notes": ("folder", "parse_folder", None),
    "survey": ("survey", "parse_survey", "file"),
    "awesome": ("awesome", "parse_awesome", "file"),
    "blog-index": ("blogindex", "parse_blog_index", "file"),
}


def parse(path: Path, kind: str) -> ParsedSource:
    if kind not in _PARSERS:
        raise SourceError(f"unknown format '{kind}' (choose one of {', '.join(FORMATS)})")
    module_name, function, needs = _PARSERS[kind]
    if needs == "file" and path.is_dir():
        raise SourceError(f"{path}: a {kind} source must be a file")
    module = importlib.import_module(f".{module_name}", __name__)
    return getattr(module, function)(path)


__all__ = ["FORMATS", "ImportProblem", "ImportedNote", "ParsedSource", "SourceError", "detect", "parse"]
