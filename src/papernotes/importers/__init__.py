"""``papernotes import``: read papers out of a README reading list, Jekyll/Hexo posts or a BibTeX
file, and write them as notes (``writer.py``)."""

from __future__ import annotations

from pathlib import Path

from .model import ImportedNote, ImportProblem, ParsedSource

FORMATS = ("readme", "posts", "bibtex", "notes")


class SourceError(Exception):
    pass


def detect(path: Path) -> str:
    """Which kind of source ``path`` is; raises SourceError when it is none of them."""
    from .bib import looks_like_bibtex
    from .folder import looks_like_notes_folder
    from .posts import looks_like_posts
    from .readme import looks_like_readme

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
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise SourceError(f"{path}: cannot be read: {exc.strerror or exc}") from None
        if looks_like_readme(text):
            return "readme"
    raise SourceError(f"{path}: not a README reading list, a folder or file of posts, or a .bib file "
                      "(name the kind with --format readme|posts|bibtex)")


def parse(path: Path, kind: str) -> ParsedSource:
    if kind == "readme":
        from .readme import parse_readme

        if path.is_dir():
            raise SourceError(f"{path}: a README source must be a file")
        return parse_readme(path)
    if kind == "posts":
        from .posts import parse_posts

        return parse_posts(path)
    if kind == "notes":
        from .folder import parse_folder

        return parse_folder(path)
    if kind == "bibtex":
        from .bib import parse_bibtex

        if path.is_dir():
            raise SourceError(f"{path}: a BibTeX source must be a .bib file")
        return parse_bibtex(path)
    raise SourceError(f"unknown format '{kind}' (choose one of {', '.join(FORMATS)})")


__all__ = ["FORMATS", "ImportProblem", "ImportedNote", "ParsedSource", "SourceError", "detect", "parse"]
