"""Read the text of a blog's index page, copied out of a browser, into ``ImportedNote``s.

The shape (no Markdown, no links: what a browser puts on the clipboard)::

    # 博客收藏                                            <- optional heading: the category
    Scaling Laws: What Do They Really Predict?           <- a post's title
    Scaling Laws, what do they really predict? 我们把…   <- the title again, running on into the excerpt
    more excerpt …                                        <- perhaps more lines
    Date: June 24, 2022 | Estimated Reading Time: 21 min | Author: Someone     <- metadata
    Next Post Title                                       <- blank lines between posts or not
    Next post title 的摘要 …

Decisions (each case is one small function below):

* Line endings, a BOM and UTF-16 are handled by ``readme.read_text``; line numbers are the file's.
* A post starts where a *title line* is followed (blank lines in between allowed, at most two) by
  a line that starts with the same title — compared without letter case, spaces and punctuation
  (so ``:`` written as ``,``, ``?`` as ``？``, doubled spaces, ``（RAG）`` as ``(RAG)`` all match).
  A title line is at most 200 characters, has a letter, is no heading, list item, quote, table
  row, HTML, Markdown link or metadata line, and does not end like a sentence part (``.``, ``,``,
  ``;``, ``:``, full width too; ``?`` and ``!`` may end a title).
* The title is the title line (spaces collapsed). The body is the excerpt: the second line
  without the repeated title (and the punctuation after it), then every line up to the next
  post, blank lines at the ends trimmed; display math is given blank lines around it.
* A *metadata line* (``Date: March 3, 2021 | Estimated Reading Time: 12 min | Author: …``,
  ``发布于 2021-03-03 · 阅读 12 分钟``, ``2022年5月1日 · 8 min read``, a line that is only a date) is
  kept in the body as written, as its own paragraph. Its date is when the post was *published*,
  not when it was read (``date`` means that), so it goes into the front matter as ``published``
  and ``date`` stays empty. The author of a blog post is not taken as a paper's authors.
* Every post is TRIAGE (copied from an index: not read yet); ``order`` is its position in its
  category (1, 2, …). No links: the copied text has none.
* Category: headings (``#``, ``##`` nests below it, …) are categories, as written; without any
  heading the posts have none (the writer puts them in the notes folder: "Uncategorized").
* Text before the first post (a blog's description, its menu) becomes the introduction of its
  category and is reported. Text after the metadata line of the *last* post (pagination,
  copyright footer) is reported with its lines and not imported.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Status
from .markdown import FenceTracker, machine_local_paths, separate_display_math
from .model import categories_with_intros, ImportedNote, ImportProblem, ParsedSource, SourceCategory
from .readme import find_images, parse_heading, parse_lines

Line = tuple[int, str]  # (1-based line number in the file, text)

MAX_TITLE = 200
MAX_GAP = 2  # blank lines allowed between a title and its repetition

_NOT_TITLE_START = re.compile(r"^\s*(?:#|<|>|\||!\[|\$\$|```|~~~|[-*+]\s|\d{1,3}[.)]\s)")
_SENTENCE_END = ".,;:。，；：、"
_META = re.compile(
    r"^\s*(?:date|published|posted(?:\s+on)?|updated|发布于|发表于|更新于|发布时间|发表时间|日期)\s*[:：]?"
    r"|reading\s+time|\bmin(?:ute)?s?\s+read\b|\bauthor\s*[:：]|作者\s*[:：]|阅读\s*\d+\s*分钟|阅读量|字数\s*[:：]?\s*\d",
    re.IGNORECASE)
_MONTHS = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")], start=1) for name in names}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATES = [
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)"),
    re.compile(rf"\b(?P<mn>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)\b", re.IGNORECASE),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mn>{_MONTH})\.?,?\s+(?P<y>(?:19|20)\d\d)\b", re.IGNORECASE),
]
_TRAILING_PUNCT = re.compile(r"^[\s:：,，;；.。!?！？、\-–—|·)）\]】\"'”’]+")


# --------------------------------------------------------------------------- small text helpers

def comparable(text: str) -> str:
    """Letters and digits only, NFKC-normalised and case-folded: how titles are compared."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def after_title(line: str, title: str) -> str | None:
    """The rest of ``line`` after a repetition of ``title`` at its start (punctuation and spaces
    after it removed), or None when the line does not start with the title."""
    key = comparable(title)
    if not key or not comparable(line).startswith(key):
        return None
    consumed = 0
    for index, char in enumerate(line):
        consumed += len(comparable(char))
        if consumed >= len(key):
            return _TRAILING_PUNCT.sub("", line[index + 1:]).rstrip()
    return ""


def published_date(text: str) -> dt.date | None:
    """The first date written in a metadata line (``2021-03-03``, ``March 3, 2021``,
    ``3 Mar 2021``, ``2021年3月3日``)."""
    for pattern in _DATES:
        match = pattern.search(text)
        if not match:
            continue
        groups = match.groupdict()
        month = _MONTHS[groups["mn"].casefold()] if groups.get("mn") else int(groups["m"])
        try:
            return dt.date(int(groups["y"]), month, int(groups["d"]))
        except ValueError:
            continue
    return None


def is_metadata(text: str) -> bool:
    """A line of post metadata: date, reading time, author — or only a date."""
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_TITLE:
        return False
    if _META.search(stripped):
        return True
    date = next((p.search(stripped) for p in _DATES if p.search(stripped)), None)
    return bool(date) and not re.sub(r"[\W_]", "", stripped.replace(date.group(0), ""))


def is_title_line(text: str) -> bool:
    """Could ``text`` be a post's title (see the module's docstring)?"""
    stripped = text.strip()
    return (0 < len(stripped) <= MAX_TITLE and not _NOT_TITLE_START.match(stripped) and "](" not in stripped
            and stripped[-1] not in _SENTENCE_END and any(ch.isalpha() for ch in stripped)
            and len(comparable(stripped)) >= 2 and not is_metadata(stripped))


# --------------------------------------------------------------------------- finding the posts

@dataclass(frozen=True)
class PostStart:
    title: int  # index of the title line
    repeat: int  # index of the line that repeats it
    excerpt: str  # the repeat line without the title


def find_posts(lines: list[str]) -> list[PostStart]:
    """Every title / title-repetition pair, outside code fences, in order; a repetition line is
    never itself taken as the next title."""
    fences = FenceTracker()
    fenced = [fences.feed(line) for line in lines]
    found: list[PostStart] = []
    index = 0
    while index < len(lines):
        start = _pair_at(lines, fenced, index)
        if start is None:
            index += 1
            continue
        found.append(start)
        index = start.repeat + 1
    return found


def _pair_at(lines: list[str], fenced: list[bool], index: int) -> PostStart | None:
    if fenced[index] or not is_title_line(lines[index]):
        return None
    following = index + 1
    while following < len(lines) and not lines[following].strip() and following - index <= MAX_GAP:
        following += 1
    if following >= len(lines) or fenced[following] or not lines[following].strip():
        return None
    if is_metadata(lines[following]) or parse_heading(lines[following]):
        return None
    rest = after_title(lines[following], lines[index])
    return None if rest is None else PostStart(index, following, rest)


# --------------------------------------------------------------------------- the parser

@dataclass
class _Post:
    start: PostStart
    title: str
    line: int
    category: tuple[str, ...]
    body: list[tuple[int | None, str]] = field(default_factory=list)  # (line, text); None: added
    metadata: int | None = None  # index in ``body`` of the last metadata line

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.body).strip("\n")


class BlogIndexParser:
    """Headings, posts and the text around them."""

    def __init__(self, path: Path, lines: list[Line]) -> None:
        self.file = path.name
        self.base = path.absolute().parent
        self.lines = lines
        self.problems: list[ImportProblem] = []
        self.categories: dict[tuple[str, ...], SourceCategory] = {}
        self.intros: dict[tuple[str, ...], list[str]] = {}
        self.stack: list[tuple[int, str]] = []  # (level, heading)

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.stack)

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(ImportProblem(self.file, line, message))

    def run(self) -> ParsedSource:
        texts = [text for _, text in self.lines]
        starts = {s.title: s for s in find_posts(texts)}
        posts: list[_Post] = []
        before: list[Line] = []  # text before the first post of a category
        index = 0
        while index < len(self.lines):
            no, text = self.lines[index]
            heading = parse_heading(text)
            if index in starts:
                self.flush_before(before)
                start = starts[index]
                excerpt = [(self.lines[start.repeat][0], start.excerpt)] if start.excerpt else []
                posts.append(_Post(start, " ".join(text.split()), no, self.path, excerpt))
                index = start.repeat + 1
                continue
            if heading and heading[1]:
                self.flush_before(before)
                self.open_heading(no, *heading)
            elif posts and posts[-1].category == self.path and not heading:
                self.add_to_post(posts[-1], no, text)
            elif not heading:
                before.append((no, text))
            index += 1
        self.flush_before(before)
        if posts:
            self.cut_footer(posts[-1])
        return self.result(posts)

    def open_heading(self, no: int, level: int, text: str) -> None:
        self.stack = [h for h in self.stack if h[0] < level] + [(level, text)]
        self.categories.setdefault(self.path, SourceCategory(self.path, origin=f"{self.file}:{no}"))

    def add_to_post(self, post: _Post, no: int, text: str) -> None:
        """An excerpt line; a metadata line is kept as written, as its own paragraph."""
        if is_metadata(text):
            if post.body and post.body[-1][1].strip():
                post.body.append((None, ""))
            post.metadata = len(post.body)
        post.body.append((no, text.rstrip()))

    def flush_before(self, before: list[Line]) -> None:
        """Text before the first post of a category: its introduction, reported."""
        kept = [(no, text) for no, text in before if text.strip()]
        if kept:
            first, last = kept[0][0], kept[-1][0]
            span = f"lines {first}–{last}" if last != first else f"line {first}"
            where = " / ".join(self.path) or "the site"
            self.problem(first, f"text before the first post ({span}) is no post; it was kept as the introduction "
                                f"of {where}")
            self.intros.setdefault(self.path, []).append("\n".join(t for _, t in before).strip("\n"))
        before.clear()

    def cut_footer(self, post: _Post) -> None:
        """Lines after the last post's metadata line are the page's footer: reported, not imported."""
        if post.metadata is None:
            return
        footer = [(no, t) for no, t in post.body[post.metadata + 1:] if t.strip()]
        if not footer:
            return
        shown = " / ".join(f"'{t.strip()}'" for _, t in footer[:3]) + (" …" if len(footer) > 3 else "")
        first, last = footer[0][0], footer[-1][0]
        span = f"lines {first}–{last}" if last != first else f"line {first}"
        self.problem(first, f"after the last post ({span}): {shown} — no post, not imported")
        post.body = post.body[: post.metadata + 1]

    def result(self, posts: list[_Post]) -> ParsedSource:
        notes: list[ImportedNote] = []
        counts: dict[tuple[str, ...], int] = {}
        for post in posts:
            counts[post.category] = counts.get(post.category, 0) + 1
            notes.append(self.note_of(post, counts[post.category]))
        categories = categories_with_intros(self.categories, self.intros, self.file)
        self.problems.sort(key=lambda p: p.line or 0)
        return ParsedSource(kind="blog-index", root=self.base, notes=notes, problems=self.problems,
                            categories=categories)

    def note_of(self, post: _Post, order: int) -> ImportedNote:
        body = separate_display_math(post.text)
        extra = {}
        if post.metadata is not None:
            published = published_date(post.body[post.metadata][1])
            if published:
                extra["published"] = published
        return ImportedNote(
            title=post.title, origin=f"{self.file}:{post.line}", status=Status.TRIAGE,
            category=post.category, body=body + "\n" if body else "", order=order, extra=extra,
            images=find_images(body, self.base), local_paths=machine_local_paths(body))


# --------------------------------------------------------------------------- entry points

def looks_like_blog_index(text: str) -> bool:
    """At least two posts: title lines each followed by a line repeating the title."""
    lines = text[:500_000].split("\n")
    return len(find_posts(lines)) >= 2


def parse_blog_index(path: Path) -> ParsedSource:
    """Every post of a copied blog index, with what was not understood."""
    return parse_lines(path, BlogIndexParser)
