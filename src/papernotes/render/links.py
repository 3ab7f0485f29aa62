"""Relative links and images in a note: to other notes, to files copied into the site, or missing."""

from __future__ import annotations

import html
import os
import posixpath
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Mapping
from urllib.parse import unquote

from ..model import Note
from ..urls import github_file, href, slugify, url_problem

if TYPE_CHECKING:
    from .wikilinks import WikiIndex

_SCHEME_OR_SPECIAL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*:|//|#|\?)")


@dataclass
class LinkTargets:
    """What relative links in notes can point at; shared by every note of one build."""

    root: Path  # site root, resolved
    notes_dir: Path  # resolved
    notes_by_source: Mapping[Path, Note]  # resolved source path -> note
    asset_files: set[Path] = field(default_factory=set)  # resolved asset paths under notes_dir
    repository: tuple[str, str] | None = None  # the site's own GitHub repository (owner, name)
    #: the wiki index of an earlier LinkTargets of the same notes (same titles and file names)
    known_wiki_index: "WikiIndex | None" = None

    @cached_property
    def wiki_index(self) -> "WikiIndex":
        """The notes by folded file name and by folded title, for wikilinks (made once per build)."""
        if self.known_wiki_index is not None:
            return self.known_wiki_index
        from .wikilinks import WikiIndex

        return WikiIndex.of(self.notes_by_source.values())


@dataclass
class Resolution:
    url: str | None  # site-relative path of the target (no leading slash), or None to keep as written
    asset: Path | None = None
    problem: str | None = None
    looked_at: tuple[Path, ...] = ()  # files whose appearance or removal would change this answer
    note: Note | None = None  # the note linked to, when the link goes to one


def heading_id(text: str) -> str:
    """A heading's id (and so the fragment of a link to it): its text, slugged."""
    return slugify(text, "section")


def asset_url(targets: LinkTargets, path: Path) -> str:
    return "notes/" + path.relative_to(targets.notes_dir).as_posix()


def resolve(targets: LinkTargets, note: Note, url: str) -> Resolution:
    own = _own_repository_file(targets, url)
    if own is not None:
        url = own  # a file of the site's own repository on GitHub: the page made of it
    if not url or _SCHEME_OR_SPECIAL.match(url):
        problem = url_problem(url) if url else None
        return Resolution(None, problem=f"link '{url}' {problem}" if problem else None)
    path_part, sep, fragment = url.partition("#")
    path_part = path_part.split("?", 1)[0]
    if not path_part:
        return Resolution(None)
    raw = unquote(path_part)
    if raw.startswith("/"):
        candidates = [targets.notes_dir / raw.lstrip("/"), targets.root / raw.lstrip("/")]
    else:
        candidates = [note.source.parent / raw]
    looked_at = tuple(Path(os.path.normpath(c)) for c in candidates)
    for target in looked_at:
        if target in targets.notes_by_source:
            linked = targets.notes_by_source[target]
            return Resolution(linked.url + (sep + fragment if sep else ""), looked_at=looked_at, note=linked)
        if target in targets.asset_files:
            return Resolution(asset_url(targets, target) + (sep + fragment if sep else ""), asset=target,
                              looked_at=looked_at)
    target = looked_at[0]
    if target.suffix.lower() in (".md", ".markdown") and target.exists():
        problem = f"links to '{url}', a note that has errors and was left out"
    elif target.exists() and not _inside(target, targets.notes_dir):
        problem = f"links to '{url}', which is outside the notes folder and is not copied"
    else:
        # The case hint depends on the folder's other files: any change in it may change the answer.
        looked_at += (target.parent,)
        problem = f"links to '{url}', which does not exist{_case_hint(target)}"
    return Resolution(None, problem=problem, looked_at=looked_at)


def _own_repository_file(targets: LinkTargets, url: str) -> str | None:
    """``/path`` for a link to a Markdown note of the site's own repository on GitHub, else None."""
    if targets.repository is None or "github" not in url:
        return None
    found = github_file(url)
    if found is None or found[0] != targets.repository:
        return None
    _, path, fragment = found
    if not path.lower().endswith((".md", ".markdown")):
        return None
    candidates = [targets.notes_dir / unquote(path), targets.root / unquote(path)]
    if not any(Path(os.path.normpath(c)) in targets.notes_by_source for c in candidates):
        return None
    return "/" + path + fragment


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
        return True
    except ValueError:
        return False


def _case_hint(target: Path) -> str:
    folder = target.parent
    try:
        names = os.listdir(folder)
    except OSError:
        return ""
    lowered = target.name.lower()
    for name in names:
        if name.lower() == lowered:
            return f" (did you mean '{name}'? letter case differs)"
    return ""


def relative_href(from_page: str, to_path: str) -> str:
    """A link from one site page to another site path, relative so any sub-path works.

    Both are site-relative, normalised paths ("notes/a/b.html"); this is a cheap ``relpath``.
    """
    target, sep, fragment = to_path.partition("#")
    if not target:
        return sep + fragment
    here = from_page.split("/")[:-1]
    there = target.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    rel = "../" * (len(here) - common) + "/".join(there[common:])
    return href(rel) + (sep + fragment if sep else "")


_URL_ATTR = re.compile(r"""(\s(?:href|src)\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def rebase_html(fragment: str, from_page: str, to_page: str) -> str:
    """HTML whose relative links were made for ``from_page``, with those links made for
    ``to_page`` instead (a note's excerpt or a category's description shown on a list page)."""
    here, there = from_page.rpartition("/")[0], to_page.rpartition("/")[0]
    if here == there or ("href" not in fragment and "src" not in fragment):
        return fragment

    def replace(match: re.Match[str]) -> str:
        value = html.unescape(match.group(2) if match.group(2) is not None else match.group(3))
        if not value or _SCHEME_OR_SPECIAL.match(value) or value.startswith("/"):
            return match.group(0)
        path, sep, fragment = value.partition("#")
        site_path = posixpath.normpath(posixpath.join(here, unquote(path)))
        if site_path.startswith("../") or site_path == "..":
            return match.group(0)
        quote_char = '"' if match.group(2) is not None else "'"
        new = relative_href(to_page, site_path + (sep + fragment if sep else ""))
        return f"{match.group(1)}{quote_char}{html.escape(new, quote=True)}{quote_char}"

    return _URL_ATTR.sub(replace, fragment)
