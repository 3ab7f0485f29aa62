"""A folder of Markdown notes without front matter (kept in Typora, Obsidian or a GitHub
repository) as notes: one note per Markdown file, sub-folders as categories.

The shape::

    paper-notes/                     <- the source folder (perhaps a git checkout)
      README.md                      <- an index listing the notes: not a note
      计算机视觉/                      <- a category, named as written
        ResNet.md                    <- a heading-template note
        images/fig1.png              <- copied next to the imported note
      NLP/
        Transformer.md               <- a plain note: "# Title", then the body

Decisions (each case is one small function below):

* Every Markdown file (``.md``, ``.markdown``, ``.mdown``, ``.mkd``, ``.mkdn``) below the folder is
  one note, in the order of their paths. Hidden files and folders (``.git``, ``.obsidian``,
  ``.trash``), editor leftovers and every other file are skipped; a symbolic link is not followed
  out of the folder (reported).
* The category is the folder path below the source folder, names as written (``计算机视觉`` /
  ``检测``); a note at the top level has no category (the source folder's own name is usually
  "paper-notes" or "notes", not a topic). A folder has no order of its own to keep, so no
  ``category_order`` is written for it (the site sorts its categories by name).
* ``README.md`` / ``index.md`` (any folder) is no note when it links to other notes of the folder
  and has at most three lines of other text, or, at the top, when it is only a heading and at
  most three lines (the repository's description). One that looks like a README reading list
  (``<details>`` with status emoji) is no note either: reported, to be imported with
  ``--format readme``. A papernotes ``_index.md`` is skipped.
* Front matter, when a file has it, is read as papernotes reads a note (``load.fields``): its
  ``title``, ``status``, ``category`` … win over anything the body says. Typora's own keys
  (``typora-root-url``, ``typora-copy-images-to``) are dropped; ``typora-root-url`` is where
  images written ``/x.png`` are looked up. A key whose value papernotes rejects is reported and
  left out; broken YAML is reported and the file is not imported.
* Metadata headings, at any level and anywhere outside code: ``Paper``/``Title``/``论文``/``标题``,
  ``Author(s)``/``作者``, ``Year``/``年份``, ``Venue``/``Conference``/``Journal``/``会议``/``期刊``,
  ``Link``/``URL``/``PDF``/``arXiv``/``链接``, ``Code``/``GitHub``/``代码``, ``Status``/``状态``, each
  with ``:`` or ``：`` and its value on the heading (or on the one line after it), and
  ``Bibtex``/``Citation``/``引用`` followed by a BibTeX entry (fenced as ``bibtex``, ``bib`` or
  without a language, or not fenced). A heading whose value does not fit (``## Code: 实现细节``,
  ``## Year: 2019 results``) is a section heading and stays. An empty template heading
  (``### Code:`` followed by the next heading) is removed. The metadata headings and the BibTeX
  entry are removed from the body; everything else stays byte for byte.
* Who wins: front matter, then the metadata headings, then the first ``# heading`` (title only),
  then the BibTeX entry, then the file name. The headings are what the reader typed for this
  note; the entry is usually pasted from Google Scholar or DBLP. A year that differs between the
  headings and the entry is reported. The entry is kept as written in ``extra["bibtex"]``; one
  that cannot be read is reported and left in the body.
* A plain note (no metadata headings, no front matter): the title is the first ``# heading``
  before any text, else the file name; a venue or year on the first line is read as
  ``load.fields.venue_from_first_line`` reads it.
* Status: a ``Status:`` heading; else a status marker (✅ ❌ ⬜ 🟧 or their GitHub shortcodes) at
  the start or end of the title line, taken off the title; else not stated (written as unread).
* Links to other notes become ``NoteLinkRef`` s, which the writer points at the new note files:
  ``[x](other.md)``, ``[x](../a/b.md#sec)``, ``[x](/a/b.md)`` (from the folder's top),
  ``href="…"``, and absolute URLs of the notes' own repository — ``https://github.com/<owner>/<repo>/
  blob|tree/<branch>/<path>``, ``raw.githubusercontent.com/<owner>/<repo>/<branch>/<path>`` —
  whose path, or a trailing part of it, names a Markdown file of the folder (percent-escapes
  decoded, ``#fragment`` kept). The repository is ``remote "origin"`` in ``<source>/.git/config``
  when that file is there (then only its URLs count; a non-GitHub host's ``/blob/`` URLs too);
  otherwise any github.com repository counts, except for a bare ``README.md``/``index.md``. A
  relative link to a Markdown file that is not in the folder is reported.
* Obsidian wikilinks ``[[Other note]]``, ``[[Other note|label]]``, ``[[folder/Other note#Heading]]``
  that name a note of the folder become Markdown links ``[label](relative/path.md#heading)`` (and
  so ``NoteLinkRef`` s); a wikilink naming no note is left as written and reported. An embedded
  image ``![[x.png]]`` / ``![[x.png|300]]`` becomes ``![](relative/path/x.png)``.
* Images: relative ones through ``readme.find_images`` from the file's folder (``/x.png`` from the
  folder's top); absolute paths that exist only on the author's machine (Typora's
  ``/Users/<name>/Library/Application Support/typora-user-images/…``, ``C:\\Users\\…``,
  ``file:///…``) in ``local_paths``, for the writer's warning. Display math written right after a
  line of text gets the blank lines other renderers need (``separate_display_math``).
* Text: UTF-8 (with or without BOM) or UTF-16 with a BOM; a file that is not UTF-8 but reads as
  GB18030 (saved on a Chinese Windows) is read so and reported; otherwise undecodable bytes become
  � (reported). Files over 20 MB or with NUL bytes are reported and skipped. Nothing raises.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, unquote

from bibtexparser.model import Entry, ParsingFailedBlock

from ..diagnostics import NoteError
from ..load.fields import note_fields, parse_links, parse_status
from ..load.frontmatter import normalize_text, split
from ..load.notes import MAX_NOTE_BYTES, is_category_intro, is_ignored, leads_outside
from ..model import Link, Status
from ..render.note_renderer import heading_id
from ..urls import guess_label, is_machine_local, url_problem
from . import bib
from ..bibtex import parse_quietly
from .markdown import (FenceTracker, display_math_lines, drop_lines, machine_local_paths, mask_code_spans,
                       separate_display_math)
from .model import ImageRef, ImportedNote, ImportProblem, NoteLinkRef, ParsedSource
from .posts import looks_like_posts
from .readme import MARKER, arxiv_id, find_images, is_layout_line, looks_like_readme, parse_heading, status_of

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")
INDEX_STEMS = frozenset({"readme", "index"})
MAX_INDEX_PROSE = 3  # lines of text besides the links an index README may have

# --------------------------------------------------------------------------- the folder


@dataclass(frozen=True)
class Repository:
    """Where the folder lives, from ``remote "origin"`` of ``.git/config``."""

    host: str  # "github.com", lower case
    owner: str
    name: str  # without ".git"

    def same(self, host: str, owner: str, name: str) -> bool:
        return (host.lower().removeprefix("www.") == self.host and owner.casefold() == self.owner.casefold()
                and name.removesuffix(".git").casefold() == self.name.casefold())


@dataclass
class FolderIndex:
    """The files of a source folder, for finding the targets of links and wikilinks."""

    root: Path  # absolute
    notes: list[Path] = field(default_factory=list)  # Markdown files, sorted by relative path
    others: list[Path] = field(default_factory=list)  # every other file (images, attachments)
    repository: Repository | None = None
    problems: list[ImportProblem] = field(default_factory=list)  # links not followed, …
    by_path: dict[str, Path] = field(default_factory=dict)  # key(relative path) -> Markdown file
    by_stem: dict[str, list[Path]] = field(default_factory=dict)  # key(file stem) -> Markdown files
    by_name: dict[str, list[Path]] = field(default_factory=dict)  # key(file name) -> other files
    others_by_path: dict[str, Path] = field(default_factory=dict)  # key(relative path) -> other file

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.name

    def note_at(self, path: Path) -> Path | None:
        """The Markdown file of the folder at ``path`` (letter case and Unicode form ignored)."""
        key = self._key_of(path)
        return self.by_path.get(key) if key is not None else None

    def other_at(self, path: Path) -> Path | None:
        """The other (non-Markdown) file of the folder at ``path``."""
        key = self._key_of(path)
        return self.others_by_path.get(key) if key is not None else None

    def _key_of(self, path: Path) -> str | None:
        try:
            return _key(Path(os.path.normpath(path)).relative_to(self.root).as_posix())
        except ValueError:
            return None


def _key(text: str) -> str:
    """File names compared as macOS and Windows do: letter case and Unicode form ignored."""
    return unicodedata.normalize("NFC", text).casefold()


def is_markdown(name: str) -> bool:
    return name.lower().endswith(MARKDOWN_SUFFIXES) and not is_ignored(name)


def index_folder(root: Path) -> FolderIndex:
    """Every file below ``root`` (hidden ones and editor leftovers skipped), and the repository."""
    index = FolderIndex(root=Path(root).absolute())
    for dirpath, dirnames, filenames in os.walk(index.root):
        base = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            if is_ignored(name):
                continue
            if os.path.islink(base / name):
                index.problems.append(ImportProblem(index.relative(base / name), None,
                                                    "is a symbolic link to a folder; not followed"))
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = base / name
            if is_ignored(name):
                continue
            if os.path.islink(path) and leads_outside(path, index.root):
                if is_markdown(name):
                    index.problems.append(ImportProblem(index.relative(path), None, "is a symbolic link to a "
                                                        "file outside the folder; not imported"))
                continue
            (index.notes if is_markdown(name) else index.others).append(path)
    index.notes.sort(key=lambda p: index.relative(p))
    for path in index.notes:
        index.by_path.setdefault(_key(index.relative(path)), path)
        index.by_stem.setdefault(_key(path.stem), []).append(path)
    for path in index.others:
        index.by_name.setdefault(_key(path.name), []).append(path)
        index.others_by_path.setdefault(_key(index.relative(path)), path)
    index.repository = origin_repository(index.root)
    return index


# --------------------------------------------------------------------------- the repository

_SCP_REMOTE = re.compile(r"^(?:[\w.\-]+@)?([\w.\-]+):(?!//)/?([^/\s]+)/([^/\s]+?)/?$")
_URL_REMOTE = re.compile(r"^(?:https?|ssh|git)://(?:[^@/\s]+@)?([\w.\-]+)(?::\d+)?/([^/\s]+)/([^/\s]+?)/?$",
                         re.IGNORECASE)


def repository_from_remote(url: str) -> Repository | None:
    """``git@github.com:o/r.git``, ``https://github.com/o/r``, ``ssh://git@host/o/r.git`` → the repository."""
    url = url.strip()
    match = _URL_REMOTE.match(url) or _SCP_REMOTE.match(url)
    if not match:
        return None
    host, owner, name = match.groups()
    return Repository(host.lower().removeprefix("www."), owner, name.removesuffix(".git"))


def origin_repository(root: Path) -> Repository | None:
    """The repository of ``remote "origin"`` in ``root/.git/config``; None without one (a ``.git``
    file, as in a worktree or submodule, points elsewhere: not read)."""
    config = root / ".git" / "config"
    try:
        if not config.is_file():
            return None
        text = normalize_text(config.read_bytes().decode("utf-8", errors="replace"))
    except OSError:
        return None
    section = ""
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("["):
            section = re.sub(r"\s+", " ", stripped.lower())
        elif section == '[remote "origin"]':
            match = re.match(r"url\s*=\s*(.+)$", stripped, re.IGNORECASE)
            if match:
                return repository_from_remote(match.group(1).strip().strip('"'))
    return None


_BLOB_URL = re.compile(r"^https?://(?P<host>[^/\s?#]+)/(?P<owner>[^/\s?#]+)/(?P<repo>[^/\s?#]+)/(?:-/)?"
                       r"(?:blob|tree|raw)/(?P<rest>[^?#\s]+)(?:\?[^#\s]*)?(?:#(?P<fragment>\S*))?$", re.IGNORECASE)
_RAW_URL = re.compile(r"^https?://raw\.githubusercontent\.com/(?P<owner>[^/\s?#]+)/(?P<repo>[^/\s?#]+)/"
                      r"(?P<rest>[^?#\s]+)(?:\?[^#\s]*)?(?:#(?P<fragment>\S*))?$", re.IGNORECASE)


def repository_link(url: str, index: FolderIndex) -> tuple[Path, str] | None:
    """(the Markdown file, the fragment) an absolute URL of the folder's own repository names."""
    match = _RAW_URL.match(url)
    host = "github.com"
    if match is None:
        match = _BLOB_URL.match(url)
        if match is None:
            return None
        host = match.group("host").lower().removeprefix("www.")
    owner, repo = match.group("owner"), match.group("repo")
    if index.repository is not None:
        if not index.repository.same(host, owner, repo):
            return None
    elif host != "github.com":
        return None
    parts = [p for p in unquote(match.group("rest")).split("/") if p]
    for start in range(1, len(parts)):  # parts[0] is (the start of) the branch
        tail = parts[start:]
        if index.repository is None and len(tail) == 1 and _key(Path(tail[0]).stem) in INDEX_STEMS:
            continue  # every repository has a README.md: not enough to call it ours
        found = index.by_path.get(_key("/".join(tail)))
        if found is not None:
            return found, match.group("fragment") or ""
    return None


# --------------------------------------------------------------------------- links and wikilinks

#: ``[text](target "title")`` (not an image) and ``href="…"``: where the writer rewrites links.
_LINK = re.compile(r"""(?<!!)\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(?:<([^<>\n]+)>|([^()\n]+?))(?:\s+"[^"]*")?\s*\)"""
                   r"""|\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\](?!\()")  # not "[[1]](url)"
_SCHEME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:|//)")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".avif", ".tif", ".tiff")


@dataclass
class LinkScan:
    """What ``scan_links`` found in a body (whose lines it kept in number)."""

    body: str  # wikilinks that name a note (or an image) turned into Markdown links
    links: list[NoteLinkRef] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (0-based line of the body, message)
    link_lines: set[int] = field(default_factory=set)  # lines holding a link to another note


def relative_link(written: str, file: Path, index: FolderIndex) -> tuple[Path | None, str, bool]:
    """(the Markdown file a relative link names, its fragment, whether it names a Markdown file
    at all — found or not)."""
    if not written or written.startswith("#") or _SCHEME.match(written) or is_machine_local(written):
        return None, "", False
    location, _, fragment = written.partition("#")
    location = unquote(location.split("?", 1)[0])
    if not location or "\0" in location:
        return None, fragment, False
    base = index.root if location.startswith("/") else file.parent
    path = Path(os.path.normpath(base / location.lstrip("/")))
    if not path.name.lower().endswith(MARKDOWN_SUFFIXES):
        with_suffix = index.note_at(path.with_name(path.name + ".md")) if path.suffix == "" else None
        return with_suffix, fragment, with_suffix is not None
    return index.note_at(path), fragment, True


def _quoted(path: str) -> str:
    return quote(path, safe="/-_.~")


def _path_from(file: Path, target: Path) -> str:
    return os.path.relpath(target, file.parent).replace(os.sep, "/")


def _closest(found: list[Path], file: Path, index: FolderIndex) -> Path | None:
    """Of several files with the name a wikilink gives, the one in the note's own folder, else the
    one with the shortest path (as Obsidian chooses)."""
    if not found:
        return None
    same_folder = [p for p in found if p.parent == file.parent]
    return (same_folder or sorted(found, key=lambda p: (len(p.parts), index.relative(p))))[0]


def wikilink_note(name: str, file: Path, index: FolderIndex) -> Path | None:
    """The note ``[[name]]`` names: a path (from the note's folder, else the folder's top) when it
    has a ``/``, else a file name anywhere in the folder; ``.md`` may be left out."""
    name = name.strip().replace("\\", "/")
    if not name:
        return None
    if "/" in name:
        for candidate in (name, name + ".md"):
            for base in (file.parent, index.root):
                found = index.note_at(base / candidate.lstrip("/"))
                if found is not None:
                    return found
        return None
    stem = name[: -len(Path(name).suffix)] if name.lower().endswith(MARKDOWN_SUFFIXES) else name
    return _closest(index.by_stem.get(_key(stem), []), file, index)


def wikilink_image(name: str, file: Path, index: FolderIndex) -> Path | None:
    """The file ``![[name]]`` embeds (Obsidian keeps attachments anywhere in the vault)."""
    name = name.strip().replace("\\", "/")
    if "/" in name:
        for base in (file.parent, index.root):
            found = index.other_at(base / name.lstrip("/"))
            if found is not None:
                return found
        return None
    return _closest(index.by_name.get(_key(name), []), file, index)


def _label(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def convert_wikilink(match: re.Match, file: Path, index: FolderIndex) -> tuple[str, NoteLinkRef | None, str | None]:
    """(replacement, the link to another note, a problem) for one ``[[…]]`` / ``![[…]]``."""
    embed, inside = match.group(1) == "!", match.group(2)
    pieces = re.split(r"\\?\|", inside, maxsplit=1)
    target_part = pieces[0]
    alias = pieces[1].strip() if len(pieces) > 1 else ""
    name, _, heading = target_part.partition("#")
    if embed:
        if not name.lower().endswith(_IMAGE_SUFFIXES):
            return match.group(0), None, None  # an embedded note or PDF: shown as written
        image = wikilink_image(name, file, index)
        if image is None:
            return match.group(0), None, f"'{match.group(0)}' names no image in the folder; left as written"
        alt = "" if alias.isdigit() or re.fullmatch(r"\d+x\d+", alias) else alias
        return f"![{_label(alt)}]({_quoted(_path_from(file, image))})", None, None
    fragment = heading_id(heading.lstrip("^")) if heading.strip() else ""
    label = alias or (name.strip() if name.strip() else heading.strip())
    if not name.strip():  # [[#Heading]]: a heading of this note
        return (f"[{_label(label)}](#{fragment})", None, None) if fragment else (match.group(0), None, None)
    target = wikilink_note(name, file, index)
    if target is None:
        if name.strip().isdigit():  # [[1]]: a numbered reference, not a wikilink
            return match.group(0), None, None
        return match.group(0), None, f"'{match.group(0)}' names no note in the folder; left as written"
    written = _quoted(_path_from(file, target)) + (f"#{fragment}" if fragment else "")
    return f"[{_label(label)}]({written})", NoteLinkRef(written, target, fragment), None


def scan_links(body: str, file: Path, index: FolderIndex) -> LinkScan:
    """Wikilinks converted and links to other notes found, line by line outside code and display
    math; the number of lines stays the same."""
    lines = body.split("\n")
    math = {i for first, last in display_math_lines(lines) for i in range(first, last + 1)}
    fences = FenceTracker()
    scan = LinkScan(body)
    seen: set[str] = set()

    def add(number: int, link: NoteLinkRef) -> None:
        scan.link_lines.add(number)
        if link.written not in seen:
            seen.add(link.written)
            scan.links.append(link)

    for number, line in enumerate(lines):
        if fences.feed(line) or number in math:
            continue
        if "[[" in line:
            line = _replace_wikilinks(line, number, file, index, scan, add)
            lines[number] = line
        masked = mask_code_spans(line)
        for match in _LINK.finditer(masked):
            group = next(g for g in range(1, 5) if match.group(g) is not None)
            written = line[match.start(group):match.end(group)].strip()
            target, fragment, names_markdown = relative_link(written, file, index)
            if target is None:
                found = repository_link(written, index) if re.match(r"^https?://", written, re.IGNORECASE) else None
                if found is not None:
                    target, fragment = found
                elif names_markdown:
                    scan.problems.append((number, f"links to '{written}', which is not a note of the folder; "
                                                  "left as written"))
            if target is not None:  # also to the note itself: its file is renamed too
                add(number, NoteLinkRef(written, target, fragment))
    scan.body = "\n".join(lines)
    return scan


def _replace_wikilinks(line: str, number: int, file: Path, index: FolderIndex, scan: LinkScan, add) -> str:
    masked = mask_code_spans(line)
    out, position = [], 0
    for match in _WIKILINK.finditer(masked):
        original = _WIKILINK.fullmatch(line, match.start(), match.end())
        if original is None:  # it runs through a code span
            continue
        replacement, link, problem = convert_wikilink(original, file, index)
        out += [line[position:match.start()], replacement]
        position = match.end()
        if link is not None:
            add(number, link)
        if problem:
            scan.problems.append((number, problem))
    out.append(line[position:])
    return "".join(out)


# --------------------------------------------------------------------------- metadata headings

_LABELS = MappingProxyType({
    label: name
    for name, labels in {
        "title": ("paper", "title", "paper title", "paper name", "论文", "标题", "题目", "论文标题", "论文题目",
                  "论文名称", "文章标题"),
        "authors": ("author", "authors", "作者"),
        "year": ("year", "年份", "发表年份"),
        "venue": ("venue", "conference", "journal", "published in", "publication", "会议", "期刊", "会议/期刊",
                  "出处"),
        "link": ("link", "links", "paper link", "url", "pdf", "arxiv", "链接", "论文链接", "论文地址", "原文"),
        "code": ("code", "github", "代码", "代码链接", "代码地址", "源码"),
        "status": ("status", "状态", "阅读状态"),
        "bibtex": ("bibtex", "bib", "biblatex", "citation", "cite", "引用"),
    }.items()
    for label in labels
})
_BIB_LANGUAGES = frozenset({"", "bibtex", "bib", "biblatex", "tex", "latex"})
_NOTHING = frozenset({"无", "暂无", "没有", "未开源", "none", "n/a", "na", "null", "-", "—", "todo", "tbd"})
_LABELLED = re.compile(r"^(\*\*|__)?\s*([^:：*_]{1,30}?)\s*(\*\*|__)?\s*[:：]\s*(\*\*|__)?\s*(.*?)\s*$")
_URL = re.compile(r"https?://[^\s<>()\[\]\"']+")
_MD_LINK_ONLY = re.compile(r"^\[([^\[\]]+)\]\(\s*<?([^()\s<>]+)>?\s*\)$")
_YEAR_ONLY = re.compile(r"^(19[5-9]\d|20\d\d)\s*年?$")
_ARXIV_ONLY = re.compile(r"^(?:arxiv:\s*)?(\d{4}\.\d{4,5}(?:v\d+)?)$", re.IGNORECASE)


@dataclass
class HeadingFields:
    """What the metadata headings of a body say, as front-matter keys."""

    body: str  # without the metadata headings and the BibTeX entry
    data: dict[str, Any] = field(default_factory=dict)  # title, authors, year, venue, links, status, bibtex …
    key_lines: dict[str, int] = field(default_factory=dict)  # key -> line in the file
    bib_title: str | None = None  # the BibTeX entry's title: used when nothing else names one
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line in the file, message)

    @property
    def found(self) -> bool:
        return bool(self.data)


def metadata_label(heading: str) -> tuple[str, str] | None:
    """(field, value) of a heading such as ``Paper: Title`` / ``**作者**：A, B`` / ``BibTeX``."""
    bare = heading.strip().strip("*_ ").rstrip(":：").strip("*_ ")
    if _LABELS.get(" ".join(bare.split()).casefold()) == "bibtex":
        return "bibtex", ""
    match = _LABELLED.match(heading)
    if not match:
        return None
    name = _LABELS.get(" ".join(match.group(2).split()).casefold())
    if name is None:
        return None
    value = match.group(5)
    opener = match.group(1) or match.group(4)
    if opener and value.endswith(opener):
        value = value[: -len(opener)].rstrip()
    return name, value


def split_authors(value: str) -> list[str]:
    """``A, B and C`` / ``张三，李四、王五`` / ``A; B & C`` → the names."""
    names = []
    for part in re.split(r"\s*[,，、;；]\s*", value):
        names += re.split(r"\s+(?:and|&)\s+", re.sub(r"^(?:and|&)\s+", "", part.strip()))
    return [" ".join(n.split()) for n in names if n.strip()]


def take_status_marker(title: str) -> tuple[Status | None, str]:
    """A status marker (✅ ❌ ⬜ 🟧, ``:white_check_mark:`` …) at the start or end of a title."""
    match = re.match(rf"^\s*({MARKER.pattern})\s*", title)
    if match and title[match.end():].strip():
        return status_of(match.group(1)), title[match.end():].strip()
    match = re.search(rf"\s*({MARKER.pattern})\s*$", title)
    if match and title[: match.start()].strip():
        return status_of(match.group(1)), title[: match.start()].strip()
    return None, title


def _fences(lines: list[str]) -> tuple[list[bool], dict[int, int]]:
    """Which lines are fenced code, and for each opening fence line the index of its closing line."""
    tracker = FenceTracker()
    fenced, spans = [], {}
    opened = None
    for index, line in enumerate(lines):
        was_inside = tracker.inside
        fenced.append(tracker.feed(line))
        if fenced[-1] and not was_inside:
            opened = index
        if opened is not None and (not tracker.inside or index == len(lines) - 1):
            spans[opened] = index
            opened = None
    return fenced, spans


def _next_filled(lines: list[str], start: int) -> int | None:
    return next((i for i in range(start, len(lines)) if lines[i].strip()), None)


class _HeadingReader:
    """One pass over a body's lines, taking the metadata headings out."""

    def __init__(self, body: str, first_line: int, shown: str, problems: list[ImportProblem]) -> None:
        self.lines = body.split("\n")
        self.first_line = first_line  # line in the file of the body's first line
        self.shown = shown
        self.fenced, self.spans = _fences(self.lines)
        self.result = HeadingFields(body)
        self.drop: set[int] = set()
        self.links: list[dict[str, str]] = []
        self.bib_problems = problems

    def line_no(self, index: int) -> int:
        return self.first_line + index

    def problem(self, index: int, message: str) -> None:
        self.result.problems.append((self.line_no(index), message))

    def run(self) -> HeadingFields:
        for index, line in enumerate(self.lines):
            if self.fenced[index] or index in self.drop:
                continue
            heading = parse_heading(line)
            found = metadata_label(heading[1]) if heading and heading[1] else None
            if found is not None:
                self.heading(index, *found)
        if self.links:
            self.result.data["links"] = self.links
        self.result.body = drop_lines(self.lines, self.drop)
        return self.result

    def heading(self, index: int, name: str, value: str) -> None:
        if name == "bibtex":
            self.bibtex(index, value)
            return
        taken = [index]
        if not value:
            following = _next_filled(self.lines, index + 1)
            if following is None or parse_heading(self.lines[following]):
                self.drop.add(index)  # an empty field of the template
                return
            if self.fenced[following]:
                return  # "## Code:" above a code block: a section
            end = following
            if name in ("link", "code"):
                while end + 1 < len(self.lines) and _URL.search(self.lines[end + 1]) and \
                        not parse_heading(self.lines[end + 1]) and not self.fenced[end + 1]:
                    end += 1
            elif end + 1 < len(self.lines) and self.lines[end + 1].strip() and not parse_heading(self.lines[end + 1]):
                return  # a paragraph, not a value
            value = " ".join(line.strip() for line in self.lines[following:end + 1])
            taken = list(range(index, end + 1))
        if self.value(index, name, value.strip()):
            self.drop.update(taken)

    def value(self, index: int, name: str, value: str) -> bool:
        """Record one heading's value; False when it does not fit (the heading is a section)."""
        data, lines = self.result.data, self.result.key_lines
        if name == "title":
            link = _MD_LINK_ONLY.match(value)
            if link:
                value = link.group(1).strip()
                self.add_link("link", link.group(2))
            status, value = take_status_marker(value)
            if status is not None and "status" not in data:
                data["status"], lines["status"] = status.value, self.line_no(index)
            if not value:
                return True
            if "title" in data:
                if value != data["title"]:
                    self.problem(index, f"a second title '{value}'; the first, '{data['title']}', is kept")
                return True
            data["title"], lines["title"] = " ".join(value.split()), self.line_no(index)
        elif name == "authors":
            authors = split_authors(value)
            if authors:
                data.setdefault("authors", authors)
                lines.setdefault("authors", self.line_no(index))
        elif name == "year":
            match = _YEAR_ONLY.match(value.strip("*_ "))
            if not match:
                return False
            data.setdefault("year", int(match.group(1)))
            lines.setdefault("year", self.line_no(index))
        elif name == "venue":
            data.setdefault("venue", " ".join(value.split()))
            lines.setdefault("venue", self.line_no(index))
        elif name == "status":
            try:
                data["status"] = parse_status(value).value
                lines["status"] = self.line_no(index)
            except NoteError as exc:
                self.problem(index, f"{exc.message}; left out")
        else:
            return self.link_value(index, name, value)
        return True

    def link_value(self, index: int, name: str, value: str) -> bool:
        arxiv = _ARXIV_ONLY.match(value.strip("<>`*_ "))
        if arxiv:
            self.result.data.setdefault("arxiv", arxiv.group(1))
            self.result.key_lines.setdefault("arxiv", self.line_no(index))
            return True
        urls = _URL.findall(value)
        if not urls:
            return value.strip("*_` ").casefold() in _NOTHING  # "### Code: 无": nothing to add
        for url in urls:
            problem = url_problem(url)
            if problem:
                self.problem(index, f"link '{url}' {problem}; left out")
            else:
                self.add_link(name, url)
        self.result.key_lines.setdefault("links", self.line_no(index))
        return True

    def add_link(self, name: str, url: str) -> None:
        url = url.rstrip(".,;:，。；")
        if any(url in item.values() for item in self.links):
            return
        label = "Code" if name == "code" else guess_label(url)
        self.links.append({label: url})
        found = arxiv_id([Link(label, url)])
        if found and "arxiv" not in self.result.data:
            self.result.data["arxiv"] = found

    def bibtex(self, index: int, value: str) -> None:
        following = _next_filled(self.lines, index + 1)
        if value.startswith("@"):
            following, end, text = index, index, value
        elif following is None or (parse_heading(self.lines[following]) and not self.fenced[following]):
            self.drop.add(index)  # an empty "### Bibtex:" of the template
            return
        elif following in self.spans:
            end = self.spans[following]
            info = self.lines[following].strip().lstrip("`~").strip().lower()
            inner = self.lines[following + 1:end] if end > following else []
            if info.split(" ")[0] not in _BIB_LANGUAGES or not "".join(inner).lstrip().startswith("@"):
                return
            text = "\n".join(inner)
        elif self.lines[following].lstrip().startswith("@"):
            end = _entry_end(self.lines, following)
            text = "\n".join(self.lines[following:end + 1])
        else:
            return
        entry = read_bibtex_entry(text, self.line_no(following + 1 if following in self.spans else following),
                                  self.shown, self.bib_problems)
        if entry is None:
            return  # reported; the entry stays in the body
        self.drop.update(range(index, end + 1))
        self.take_entry(entry, text.strip(), index)

    def take_entry(self, entry: ImportedNote, text: str, index: int) -> None:
        """The entry fills what the headings left out (they win); a differing year is reported."""
        data, lines = self.result.data, self.result.key_lines
        if "bibtex" in data:
            self.problem(index, "a second BibTeX entry; the first is kept as the note's own entry")
            return
        data["bibtex"] = text
        self.result.bib_title = entry.title
        if "year" in data and entry.year and entry.year != data["year"]:
            self.problem(index, f"the BibTeX entry's year {entry.year} differs from the Year heading's "
                                f"{data['year']}; {data['year']} is kept")
        for key, value in (("authors", list(entry.authors)), ("year", entry.year), ("venue", entry.venue),
                           ("arxiv", entry.arxiv), ("doi", entry.doi), ("tags", list(entry.tags))):
            if value and key not in data:
                data[key], lines[key] = value, self.line_no(index)
        for link in entry.links:
            self.add_link("link", link.url)


def _entry_end(lines: list[str], start: int) -> int:
    """The last line of an entry written without a fence: where its braces close (``start`` when
    they never do within 200 lines; the entry is then reported as unreadable)."""
    depth, opened = 0, False
    for index in range(start, min(len(lines), start + 200)):
        depth += lines[index].count("{") - lines[index].count("}")
        opened = opened or "{" in lines[index]
        if opened and depth <= 0:
            return index
    return start


def read_bibtex_entry(text: str, line: int, shown: str, problems: list[ImportProblem]) -> ImportedNote | None:
    """One BibTeX entry's fields, read as the BibTeX importer reads them (``bib._note``); None
    (reported) when the text is not exactly one readable entry with a title."""
    try:
        library = parse_quietly(normalize_text(text), parse_stack=[])
    except Exception as exc:  # noqa: BLE001 - a parser bug must not stop the import
        problems.append(ImportProblem(shown, line, f"the BibTeX entry cannot be read: {exc}; left in the body"))
        return None
    entries = [b for b in library.blocks if isinstance(b, Entry)]
    failed = [b for b in library.blocks if isinstance(b, ParsingFailedBlock)]
    if failed or len(entries) != 1:
        what = "cannot be read" if failed or not entries else f"holds {len(entries)} entries"
        problems.append(ImportProblem(shown, line, f"the BibTeX block {what}; left in the body"))
        return None
    strings = {s.key.lower(): s.value for s in library.strings if isinstance(s.value, str)}
    return bib._note(entries[0], line, shown, strings, problems)


def read_metadata_headings(body: str, first_line: int, shown: str, problems: list[ImportProblem]) -> HeadingFields:
    """The metadata headings of a body (see the module docstring) and the body without them;
    ``first_line`` is the file's line number of the body's first line."""
    return _HeadingReader(body, first_line, shown, problems).run()


# --------------------------------------------------------------------------- reading a file


def read_note_text(path: Path, shown: str, problems: list[ImportProblem]) -> str | None:
    """The file as text (see the module docstring); None, reported, when it is no text file."""
    try:
        size = path.stat().st_size
        if size > MAX_NOTE_BYTES:
            problems.append(ImportProblem(shown, None, f"is {size // (1024 * 1024)} MB; larger than "
                                          f"{MAX_NOTE_BYTES // (1024 * 1024)} MB, not imported"))
            return None
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(ImportProblem(shown, None, f"cannot be read: {exc.strerror or exc}"))
        return None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return normalize_text(raw.decode("utf-16", errors="replace"))
    if b"\x00" in raw[:8192]:
        problems.append(ImportProblem(shown, None, "is not a text file (it contains NUL bytes); not imported"))
        return None
    try:
        return normalize_text(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start]
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if re.search(r"[\u4e00-\u9fff]", text):
        problems.append(ImportProblem(shown, line, f"is not UTF-8 (byte 0x{byte:02x}); read as GB18030 "
                                      "(Chinese Windows); check the imported text"))
        return normalize_text(text)
    problems.append(ImportProblem(shown, line, f"is not valid UTF-8 (byte 0x{byte:02x}); undecodable bytes "
                                  "were replaced by �"))
    return normalize_text(raw.decode("utf-8", errors="replace"))


def _dropped_key(exc: NoteError, key_lines: dict[str, int], data: dict[str, Any]) -> str | None:
    """The key a NoteError is about, by its line, if it is still in ``data``."""
    if exc.line is None:
        return None
    return next((key for key, line in key_lines.items() if line == exc.line and key in data), None)


def _fields(data: dict[str, Any], raw: dict[str, str], body: str, body_line: int, fallback: str,
            key_lines: dict[str, int], value_lines: dict[str, int], folder: tuple[str, ...], has_front: bool,
            shown: str, problems: list[ImportProblem]):
    """``note_fields``; a key whose value it rejects is reported and left out, and it is asked again."""
    data = dict(data)
    for _ in range(len(data) + 1):
        try:
            return note_fields(data, raw, body, body_line, fallback_title=fallback, key_lines=key_lines,
                               value_lines=value_lines, folder=folder, has_front_matter=has_front,
                               title_required=False), data
        except NoteError as exc:
            key = _dropped_key(exc, key_lines, data)
            if key is None:
                problems.append(ImportProblem(shown, exc.line, f"{exc.message}; not imported"))
                return None, data
            problems.append(ImportProblem(shown, exc.line, f"{exc.message}; left out"))
            del data[key]
    return None, data


def _is_index(text: str, file: Path, index: FolderIndex) -> bool:
    """A README/index that lists the other notes (or, at the top, only describes the folder)."""
    if file.stem.lower() not in INDEX_STEMS:
        return False
    body = split_front_safely(text)
    scan = scan_links(body, file, index)
    lines = body.split("\n")
    fences = FenceTracker()
    prose = headings = 0
    for number, line in enumerate(lines):
        if fences.feed(line):
            continue
        if parse_heading(line):
            headings += 1
        elif number not in scan.link_lines and not is_layout_line(line) and not line.lstrip().startswith("<!--"):
            prose += 1
    if {link.target for link in scan.links} - {file}:
        return prose <= MAX_INDEX_PROSE
    return file.parent == index.root and headings <= 1 and prose <= MAX_INDEX_PROSE


def split_front_safely(text: str) -> str:
    """The body of a note's text (all of it when the front matter is broken)."""
    try:
        return split(text).body
    except NoteError:
        return text


def _typora_images(images: list[ImageRef], data: dict[str, Any], file: Path, root: Path) -> list[ImageRef]:
    """Images written ``/x.png``: below ``typora-root-url`` when the note names one, else below the
    folder's top (as GitHub shows them), when not found next to the note."""
    base = root
    root_url = data.get("typora-root-url")
    if isinstance(root_url, str) and root_url.strip() and not is_machine_local(root_url):
        base = Path(os.path.normpath(file.parent / root_url.strip()))
    fixed = []
    for ref in images:
        if ref.written.startswith("/") and not ref.path.exists():
            target = unquote(re.split(r"[?#]", ref.written, maxsplit=1)[0]).lstrip("/")
            ref = ImageRef(ref.written, Path(os.path.normpath(base / target)))
        fixed.append(ref)
    return fixed


def _category_of(file: Path, index: FolderIndex) -> tuple[str, ...]:
    try:
        return file.parent.relative_to(index.root).parts
    except ValueError:
        return ()


def parse_note_file(path: Path, root: Path, problems: list[ImportProblem] | None = None,
                    index: FolderIndex | None = None) -> ImportedNote | None:
    """One Markdown file of the folder ``root`` as a note; None when it is no note (an index
    README, unreadable — reported in ``problems``). ``index`` is the folder's, when known."""
    problems = problems if problems is not None else []
    path = Path(path).absolute()
    index = index if index is not None else index_folder(root)
    shown = index.relative(path)
    if is_category_intro(path.name):
        return None
    text = read_note_text(path, shown, problems)
    if text is None:
        return None
    if _is_index(text, path, index):
        return None
    if path.stem.lower() in INDEX_STEMS and looks_like_readme(text):
        problems.append(ImportProblem(shown, None, "is a README reading list, not a note; import it with "
                                      "--format readme"))
        return None
    try:
        parts = split(text)
    except NoteError as exc:
        problems.append(ImportProblem(shown, exc.line, f"{exc.message}; not imported"))
        return None
    front = parts.front
    scan = scan_links(parts.body, path, index)
    problems += [ImportProblem(shown, parts.body_line + n, message) for n, message in scan.problems]
    headings = read_metadata_headings(scan.body, parts.body_line, shown, problems)
    problems += [ImportProblem(shown, n, message) for n, message in headings.problems]
    editor = {k: v for k, v in front.data.items() if k.lower().startswith("typora-")}
    data = {**headings.data, **{k: v for k, v in front.data.items() if k not in editor}}
    key_lines = {**headings.key_lines, **front.key_lines}
    folder = _category_of(path, index)
    stem_status, stem = take_status_marker(path.stem)
    fallback = headings.bib_title or stem
    fields, data = _fields(data, front.raw_scalars, headings.body, parts.body_line, fallback, key_lines,
                           front.value_lines, folder, front.present or headings.found, shown, problems)
    if fields is None:
        return None
    status = fields.status if "status" in data else None
    marker, title = take_status_marker(fields.title)
    if status is None:
        status = marker or (stem_status if title == stem else None)
    body = separate_display_math(fields.body.strip("\n"))
    body = body + "\n" if body.strip() else ""
    links = [link for link in parse_links(data.get("links")) if url_problem(link.url) is None]
    return ImportedNote(
        title=title or stem,
        origin=f"{shown}:1",
        status=status,
        category=fields.category if ("category" in data or "categories" in data) else folder,
        tags=fields.tags,
        venue=fields.venue,
        year=fields.year,
        authors=fields.authors,
        date=fields.date,
        summary=fields.summary,
        links=links,
        arxiv=fields.arxiv,
        doi=fields.doi,
        body=body,
        images=_typora_images(find_images(body, path.parent), editor, path, index.root),
        extra=dict(fields.extra),
        order=fields.order,
        source_file=path,
        note_links=[link for link in scan.links if link.written in body],
        local_paths=machine_local_paths(body),
    )


# --------------------------------------------------------------------------- the folder as a source


def looks_like_notes_folder(path: Path) -> bool:
    """A folder holding Markdown files other than a top-level README/index — and not a Jekyll or
    Hexo blog (``posts.looks_like_posts`` decides those first)."""
    path = Path(path)
    try:
        if not path.is_dir() or looks_like_posts(path):
            return False
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = [d for d in dirnames if not is_ignored(d) and not os.path.islink(Path(dirpath) / d)]
            top = Path(dirpath) == path
            for name in filenames:
                if is_markdown(name) and not (top and Path(name).stem.lower() in INDEX_STEMS) \
                        and not is_category_intro(name):
                    return True
    except OSError:
        return False
    return False


def parse_folder(path: Path) -> ParsedSource:
    """Every Markdown note below ``path`` (one file is read as a folder of one note); problems are
    collected, never raised."""
    path = Path(path).absolute()
    root = path if path.is_dir() else path.parent
    source = ParsedSource(kind="notes", root=root)
    if not path.exists():
        source.problems.append(ImportProblem(str(path), None, "no such file or folder"))
        return source
    try:
        index = index_folder(root)
    except OSError as exc:
        source.problems.append(ImportProblem(str(path), None, f"cannot be read: {exc.strerror or exc}"))
        return source
    source.problems += index.problems
    files = index.notes if path.is_dir() else [path]
    for file in files:
        note = parse_note_file(file, root, source.problems, index)
        if note is not None:
            source.notes.append(note)
    if not source.notes and not source.problems:
        source.problems.append(ImportProblem(str(path), None, "no Markdown notes found"))
    return source
