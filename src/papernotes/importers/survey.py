"""Read a *dated survey list* — a Markdown file of papers read week by week — into ``ImportedNote``s.

The shape::

    # 大模型阅读记录 2023                                   <- the file's title (a year in it counts)

    ## survey1 2023 蒸馏                                    <- category (a year in it counts)
    prose before the first item                            <- the category's introduction
    * **Paper title**<TAB>[pdf](https://arxiv.org/pdf/…)  [code](…)   <- a paper
        what I thought of it 10.18                         <- the remark (body); date = month.day

    ### 待考察                                              <- a to-read list (a status, not a category)
    https://arxiv.org/abs/2305.14314                       <- a paper to look at

    ## 资源 Resources                                       <- links that are not papers
    * [some tool](https://github.com/…)  备注

Decisions (each case is one small function below):

* Line endings, a BOM and UTF-16 are handled by ``readme.read_text``; line numbers are the file's.
* ``#`` is the file's title when the file has ``##`` headings; categories are ``##`` headings
  (``###`` nests under them, deeper nests further), their text as written. A file without any
  ``##`` uses its ``#`` headings as categories.
* A heading made only of to-read words (待考察, 待读, 待看, to read, TODO, backlog …) opens a
  *to-read list*: it is a status, not a category, so its entries belong to the category above it.
  A line holding only such words (``**待考察：**``) opens one too, up to the next heading.
* A heading made only of resource words (资源, 工具, 教程, 链接, Resources, Links, Tools,
  Tutorials, Courses, Blogs, Videos …) is a category like any other whose every line is a resource.
* A list item is a *paper* when it has a title — bold text at its start, else the text before its
  first link, else the first link's text when that is not a word such as "pdf" — and either no
  link at all or at least one link to where papers live (arXiv, OpenReview, ACL Anthology, DOI,
  publishers and proceedings, Semantic Scholar, any ``.pdf``). An item whose links all go
  elsewhere (GitHub repositories, blogs, courses, videos) is a *resource*.
* The lines after a paper item that are indented deeper (blank lines inside included), or that
  follow it directly without indentation (Markdown's lazy continuation), are its *remark*: the
  note's body, dedented. Text after the links on the item line comes first in the body. A paper
  with a remark was read (READ); one without is UNREAD.
* The last remark line that ends in a date (``10.18``, ``10/18``, ``2023.10.18``, ``10月18日``,
  bracketed or not, after a space or punctuation) gives ``date``; the year is the one written
  in it, else the first year in the headings above the item (innermost first), else in the
  file's ``#`` title, else in the file name. Only then is the date removed from the text. With no
  year anywhere the date stays in the text, ``date`` stays empty, and that is reported once. A
  month.day that is no day of that year (``2.30``) is reported and kept in the text.
* The one venue with a year named in the remark (``（ICLR 2022）``) becomes ``venue`` and ``year``.
* Entries of a to-read list, and lines of bare URLs anywhere, are TRIAGE notes: a bare arXiv URL
  becomes "arXiv:<id>" with ``arxiv`` set and a link to its abs page (version kept as written);
  another bare URL is titled by the URL without its scheme. Their ``summary`` says where they
  were listed ("Listed under “待考察” (to read) in survey-list.md."). An item with a title in a
  to-read list is a TRIAGE paper (its remark is the body, no date is taken: it was not read yet).
* The resources of one category become ONE note "Resources · <category heading> (<list>)" (at the top
  level: "Resources · <file title> (<list>)"), UNREAD, tagged ``resources``, whose body is the items as
  written (remarks included) — and no ``links``, so a shared repository or an arXiv link among
  them never merges it with a paper.
* ``order`` is the position within the category (1, 2, …; a resources note takes the place of
  its first item). In ``ParsedSource.notes`` the to-read entries come after all other notes, so
  that when the same paper is also listed as read, the read entry (with its real title) is the
  one the writer merges the placeholder into.
* Prose under a heading before its first entry is the category's introduction (under ``#``: the
  site's). Prose after an entry, list items without title or link, and anything else not
  understood are added to the introduction too and reported with their line — nothing is lost.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..load.venues import venue_in_text, year_in
from ..model import Link, Status
from .markdown import FenceTracker, machine_local_paths, separate_display_math
from .model import categories_with_intros, ImportedNote, ImportProblem, ParsedSource, SourceCategory, resources_title
from .readme import arxiv_id, find_images, link_for, parse_heading, plain, parse_lines

Line = tuple[int, str]  # (1-based line number in the file, text)

# --------------------------------------------------------------------------- words and links

_TOREAD = (r"待考察|待读|待看|待阅读|待精读|待细读|稍后读|想读|to[\s\-_]*read|to[\s\-_]*do|todo"
           r"|to[\s\-_]*look(?:[\s\-_]*at)?|backlog|reading[\s\-_]*queue|unread")
_TOREAD_FILLER = r"papers?|论文|文章|列表|清单|list|arxiv|later|的|\d+"
_RESOURCE = (r"相关资源|资源|资料|学习资料|链接|工具箱|工具|教程|课程|博客|视频|代码库|仓库|开源项目|网站"
             r"|resources?|links?|tools?|toolkits?|tutorials?|courses?|blogs?|videos?|repos?|repositories"
             r"|librar(?:y|ies)|websites?")
_RESOURCE_FILLER = r"相关|其他|其它|一些|有用的|好用的|常用|推荐|other|useful|related|and|与|和|及|的|\d+"

_PAPER_URL = re.compile(
    r"^https?://(?:[\w\-]+\.)*(?:arxiv\.org|openreview\.net|aclanthology\.org|aclweb\.org|doi\.org"
    r"|dl\.acm\.org|ieeexplore\.ieee\.org|papers\.nips\.cc|neurips\.cc|proceedings\.[\w.\-]+"
    r"|semanticscholar\.org|biorxiv\.org|medrxiv\.org|link\.springer\.com|sciencedirect\.com"
    r"|jmlr\.org|openaccess\.thecvf\.com|ojs\.aaai\.org|ijcai\.org|nature\.com|science\.org"
    r"|pnas\.org|researchgate\.net)(?:[/:?#]|$)"
    r"|^https?://(?:www\.)?paperswithcode\.com/paper/"
    r"|\.pdf(?:[?#].*)?$", re.IGNORECASE)
#: Link texts that name what a link is, not which paper.
_GENERIC_LINK_TEXT = {"pdf", "paper", "arxiv", "abs", "html", "link", "url", "code", "github", "project",
                      "page", "homepage", "website", "blog", "video", "slides", "repo", "论文", "原文",
                      "代码", "项目", "主页", "网页", "链接", "博客", "视频"}

_LIST_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,3}[.)])(?:[ \t]+(.*))?$")
_BOLD_START = re.compile(r"^(\*\*|__)(.+?)\1")
_MD_LINK = re.compile(r"(?<!!)\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?([^()\s<>]+(?:\([^()\s]*\)[^()\s<>]*)*)>?"
                      r"(?:\s+\"[^\"]*\")?\s*\)")
_AUTOLINK = re.compile(r"<(https?://[^<>\s]+)>", re.IGNORECASE)
_BARE_URL = re.compile(r"https?://[^\s<>\[\]()（）]+", re.IGNORECASE)
_URL_TAIL = ".,;:!?，。；：！？、\"'”’"
_SEPARATORS = " \t|,，/·•:：-–—;；"
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


def _only(words: str, filler: str, text: str) -> bool:
    """``text`` holds at least one of ``words`` and nothing but them, ``filler`` and punctuation."""
    lowered = plain(text).casefold()
    return (bool(re.search(words, lowered))
            and bool(re.fullmatch(rf"(?:[\W_]|{words}|{filler})*", lowered)))


def heading_kind(text: str) -> str:
    """"toread", "resources" or "papers": what the entries under a heading are."""
    if _only(_TOREAD, _TOREAD_FILLER, text):
        return "toread"
    if _only(_RESOURCE, _RESOURCE_FILLER, text):
        return "resources"
    return "papers"


def is_toread_label(text: str) -> bool:
    """A line that only says "to read" (``**待考察：**``, ``TODO:``): a to-read list follows."""
    return not _LIST_ITEM.match(text) and _only(_TOREAD, _TOREAD_FILLER, text)


def is_paper_url(url: str) -> bool:
    """Could the page at ``url`` be a paper (arXiv, OpenReview, DOI, publishers, any PDF)?"""
    return bool(_PAPER_URL.search(url))


def year_of(text: str) -> int | None:
    """The first four-digit year in a heading, title or file name."""
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None


def indent_width(text: str) -> int:
    """Columns of leading white space (a tab advances to the next multiple of 4)."""
    width = 0
    for char in text:
        if char == " ":
            width += 1
        elif char == "\t":
            width += 4 - width % 4
        else:
            break
    return width


def dedent(text: str, width: int) -> str:
    """``text`` without up to ``width`` columns of leading white space."""
    removed = 0
    for index, char in enumerate(text):
        if removed >= width or char not in " \t":
            return text[index:]
        removed += 1 if char == " " else 4 - removed % 4
    return ""


# --------------------------------------------------------------------------- an item's line

@dataclass
class ItemLine:
    """What the first line of a list item says."""

    title: str = ""
    links: list[Link] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)  # every URL, also those left out of ``links``
    rest: str = ""  # text that is neither the title nor a link
    bare: bool = False  # nothing but URLs
    problems: list[str] = field(default_factory=list)

    @property
    def is_resource(self) -> bool:
        """Links (usable ones), but none to where papers live."""
        return bool(self.links) and not any(is_paper_url(link.url) for link in self.links)


def _strip_separators(text: str) -> str:
    return text.strip(_SEPARATORS)


def _bare_urls(text: str) -> list[str]:
    """Bare URLs of ``text``, trailing punctuation left out."""
    return [m.group(0).rstrip(_URL_TAIL) for m in _BARE_URL.finditer(text)]


@dataclass(frozen=True)
class _Found:
    """A URL of an item's line: where (-1: inside the bold title), and the link's text."""

    start: int
    url: str
    text: str = ""


def _find_urls(title_part: str, text: str) -> tuple[list[_Found], str]:
    """Markdown links, ``<…>`` autolinks and bare URLs of an item's line, in order, and the
    line with all of them blanked out (same length, so positions hold)."""
    found = [_Found(-1, m.group(2).strip()) for m in _MD_LINK.finditer(title_part)]
    found += [_Found(m.start(), m.group(2).strip(), m.group(1)) for m in _MD_LINK.finditer(text)]
    masked = _MD_LINK.sub(lambda m: " " * len(m.group(0)), text)
    found += [_Found(m.start(), m.group(1)) for m in _AUTOLINK.finditer(masked)]
    masked = _AUTOLINK.sub(lambda m: " " * len(m.group(0)), masked)
    for match in list(_BARE_URL.finditer(masked)):
        url = match.group(0).rstrip(_URL_TAIL)
        found.append(_Found(match.start(), url))
        masked = masked[: match.start()] + " " * len(url) + masked[match.start() + len(url):]
    return sorted(found, key=lambda f: f.start), masked


def parse_item_line(text: str) -> ItemLine:
    """Title, links and remaining text of an item (the text after its list marker)."""
    item = ItemLine()
    bold = _BOLD_START.match(text)
    title_part = ""
    if bold:
        title_part, text = bold.group(2), text[bold.end():]
    found, masked = _find_urls(title_part, text)
    for each in found:
        item.urls.append(each.url)
        link = link_for(each.url, each.text, item.problems)
        if link and all(link.url != other.url for other in item.links):
            item.links.append(link)
    inline = [f for f in found if f.start >= 0]
    if title_part:
        item.title = plain(_MD_LINK.sub(lambda m: m.group(1), title_part))
        item.rest = _strip_separators(" ".join(masked.split()))
    else:
        item.title, item.rest = _untitled_title(text, masked, inline)
    item.bare = (not title_part and bool(found) and not any(f.text for f in inline)
                 and not item.title and not item.rest)
    return item


def _untitled_title(text: str, masked: str, inline: list[_Found]) -> tuple[str, str]:
    """(title, rest) of an item without bold text: the text before its first link, else the
    first link's text when it names a paper rather than a kind of link."""
    if not inline:
        return "", _strip_separators(text.strip())
    lead = _strip_separators(masked[: inline[0].start].strip())
    after = _strip_separators(" ".join(masked[inline[0].start:].split()))
    if lead:
        return plain(lead), after
    label = plain(inline[0].text)
    if label and label.casefold() not in _GENERIC_LINK_TEXT:
        return label, after
    return "", after


def placeholder_title(url: str) -> tuple[str, str | None]:
    """(title, arXiv id) for a paper known only by its URL."""
    found = arxiv_id([Link("", url)])
    if found:
        return f"arXiv:{found}", found
    return re.sub(r"^https?://(?:www\.)?", "", url, flags=re.IGNORECASE).rstrip("/"), None


# --------------------------------------------------------------------------- dates

_DATE_AT_END = re.compile(
    r"(?:(?P<open>[(（\[【])|^|(?<=[\s,，;；:：。、~～]))"
    r"(?:(?:(?P<y>(?:19|20)\d\d)[./\-])?(?P<m>\d{1,2})[./\-](?P<d>\d{1,2})"
    r"|(?:(?P<yc>(?:19|20)\d\d)年)?(?P<mc>\d{1,2})月(?P<dc>\d{1,2})[日号]?)"
    r"(?P<close>[)）\]】]?)\s*$")


@dataclass(frozen=True)
class TrailingDate:
    """A month.day (perhaps with its year) at the end of a remark line."""

    start: int  # where it starts in the line (spaces before it included)
    year: int | None
    month: int
    day: int
    written: str


def trailing_date(text: str) -> TrailingDate | None:
    """The date a line ends in, when it could be one (month 1–12, day 1–31)."""
    match = _DATE_AT_END.search(text)
    if not match or bool(match.group("open")) != bool(match.group("close")):
        return None
    year = match.group("y") or match.group("yc")
    month, day = int(match.group("m") or match.group("mc")), int(match.group("d") or match.group("dc"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    start = match.start()
    while start and text[start - 1] in " \t":
        start -= 1
    return TrailingDate(start, int(year) if year else None, month, day, match.group(0).strip())


# --------------------------------------------------------------------------- the parser

@dataclass
class _Heading:
    level: int
    text: str
    kind: str  # "papers", "toread", "resources"
    line: int


@dataclass
class _Item:
    """A list item (or a line of bare URLs) and the lines that belong to it."""

    line: int
    indent: int
    text: str  # the item's line as written
    rest: str  # after the list marker
    remark: list[Line] = field(default_factory=list)
    blanks: list[Line] = field(default_factory=list)  # blank lines not yet known to belong to it
    in_fence: bool = False


@dataclass
class _Resources:
    note: ImportedNote
    lines: list[str] = field(default_factory=list)


class SurveyParser:
    """One pass over the lines of a survey list; notes, categories and problems."""

    def __init__(self, path: Path, lines: list[Line]) -> None:
        self.file = path.name
        self.base = path.absolute().parent
        self.lines = lines
        headings = [h for h in (parse_heading(t) for _, t in lines) if h and h[1]]
        self.base_level = 2 if any(level >= 2 for level, _ in headings) else 1
        titles = [text for level, text in headings if level < self.base_level]
        self.title = titles[0] if titles else None
        self.context_year = year_of(self.title or "") or year_of(path.stem)
        self.stack: list[_Heading] = []
        self.toread_label = False
        self.notes: list[ImportedNote] = []
        self.triage: list[ImportedNote] = []
        self.problems: list[ImportProblem] = []
        self.categories: dict[tuple[str, ...], SourceCategory] = {}
        self.intros: dict[tuple[str, ...], list[str]] = {}
        self.counts: dict[tuple[str, ...], int] = {}
        self.resources: dict[tuple[str, ...], _Resources] = {}
        self.item: _Item | None = None
        self.paragraph: list[Line] = []
        self.undated: list[tuple[int, str]] = []  # (line, date as written) kept for want of a year

    # -- where we are
    @property
    def path(self) -> tuple[str, ...]:
        """The category: the headings above, to-read headings left out."""
        return tuple(h.text for h in self.stack if h.kind != "toread")

    @property
    def kind(self) -> str:
        kinds = {h.kind for h in self.stack}
        if "toread" in kinds or self.toread_label:
            return "toread"
        return "resources" if "resources" in kinds else "papers"

    @property
    def toread_heading(self) -> str:
        names = [h.text for h in self.stack if h.kind == "toread"]
        return names[-1] if names else "to read"

    def heading_year(self) -> int | None:
        for heading in reversed(self.stack):
            year = year_of(heading.text)
            if year:
                return year
        return self.context_year

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(ImportProblem(self.file, line, message))

    def next_order(self) -> int:
        self.counts[self.path] = self.counts.get(self.path, 0) + 1
        return self.counts[self.path]

    # -- main loop
    def run(self) -> ParsedSource:
        fences = FenceTracker()
        for no, text in self.lines:
            fenced = fences.feed(text)
            if self.item is not None and self.continues_item(no, text, fenced, fences.inside):
                continue
            self.finish_item()
            if fenced:
                self.paragraph.append((no, text))
                continue
            self.outside_line(no, text)
        self.finish_item()
        self.flush_paragraph()
        self.report_undated()
        return self.result()

    def continues_item(self, no: int, text: str, fenced: bool, inside_fence: bool) -> bool:
        """Add the line to the open item's remark when it belongs there (``fenced``: the line is
        code; ``inside_fence``: a code fence is open after it)."""
        item = self.item
        assert item is not None
        if item.in_fence:  # a code block of the remark runs on, blank or unindented lines too
            item.remark += item.blanks + [(no, text)]
            item.blanks, item.in_fence = [], inside_fence
            return True
        if not text.strip():
            item.blanks.append((no, text))
            return True
        deeper = indent_width(text) > item.indent
        lazy = (not item.blanks and not fenced and not _LIST_ITEM.match(text) and not parse_heading(text)
                and not is_toread_label(text) and not self.is_url_line(text))
        if deeper or lazy:
            item.remark += item.blanks + [(no, text)]
            item.blanks, item.in_fence = [], inside_fence
            return True
        return False

    def outside_line(self, no: int, text: str) -> None:
        """A line outside every item: heading, blank, to-read label, item, URLs or prose."""
        heading = parse_heading(text)
        if heading:
            self.flush_paragraph()
            if heading[1]:
                self.open_heading(no, *heading)
            return
        if not text.strip():
            self.flush_paragraph()
            return
        if is_toread_label(text):
            self.flush_paragraph()
            self.toread_label = True
            return
        item = _LIST_ITEM.match(text)
        if item and item.group(3) and item.group(3).strip():
            self.flush_paragraph()
            self.item = _Item(no, indent_width(item.group(1)), text, item.group(3).strip())
            return
        if self.is_url_line(text) or (self.kind == "resources" and _MD_LINK.search(text)):
            self.flush_paragraph()
            self.item = _Item(no, indent_width(text), text, text.strip())
            return
        if self.kind == "resources" and self.path in self.resources:
            self.resources[self.path].lines.append(text)  # prose among the resources: theirs
            return
        self.paragraph.append((no, text))

    @staticmethod
    def is_url_line(text: str) -> bool:
        """A line of nothing but URLs (bare or ``<…>``), perhaps as a list item."""
        match = _LIST_ITEM.match(text)
        rest = (match.group(3) or "") if match else text
        urls = _bare_urls(rest)
        left = _BARE_URL.sub(" ", rest).replace("<", " ").replace(">", " ")
        return bool(urls) and not _strip_separators(left.strip())

    def open_heading(self, no: int, level: int, text: str) -> None:
        self.toread_label = False
        if level < self.base_level:
            self.stack = []  # the file's own title
            return
        depth = level - self.base_level
        self.stack = [h for h in self.stack if h.level < level][:depth]
        self.stack.append(_Heading(level, text, heading_kind(text), no))
        if self.path not in self.categories and self.stack[-1].kind != "toread":
            self.categories[self.path] = SourceCategory(self.path, origin=f"{self.file}:{no}")

    # -- prose
    def flush_paragraph(self) -> None:
        """Prose becomes part of its category's introduction; after an entry it is reported."""
        if not self.paragraph:
            return
        first, last = self.paragraph[0][0], self.paragraph[-1][0]
        self.intros.setdefault(self.path, []).append("\n".join(t for _, t in self.paragraph))
        if self.counts.get(self.path):
            span = f" (lines {first}–{last})" if last != first else ""
            where = " / ".join(self.path) or "the file's title"
            self.problem(first, f"text between the entries of '{where}'{span} is no paper; it was added to "
                                "the introduction of its category")
        self.paragraph = []

    # -- items
    def finish_item(self) -> None:
        """Turn the open item into a note (paper, to-read entry, resource) or prose."""
        item, self.item = self.item, None
        if item is None:
            return
        parsed = parse_item_line(item.rest)
        for message in parsed.problems:
            self.problem(item.line, message)
        if parsed.bare:
            for url in parsed.urls:
                self.add_bare(item.line, url)
            if item.remark:
                self.problem(item.remark[0][0], "text under a bare link was added to the introduction of its "
                                                "category")
                self.intros.setdefault(self.path, []).append("\n".join(t for _, t in item.remark))
        elif self.kind == "resources" or (parsed.is_resource and self.kind == "papers"):
            self.add_resource(item)
        elif parsed.title:
            self.add_paper(item, parsed)
        elif parsed.urls:
            title, _ = placeholder_title(parsed.urls[0])
            parsed.title = title
            self.add_paper(item, parsed)
        else:
            self.problem(item.line, f"'{item.text.strip()}' has neither a bold title nor a link, so it is no "
                                    "paper; it was added to the introduction of its category")
            self.intros.setdefault(self.path, []).append(
                "\n".join([item.text] + [t for _, t in item.remark]))

    def remark_lines(self, item: _Item, parsed: ItemLine) -> list[Line]:
        """The remark, dedented by its first indented line's indentation; the item line's own
        text (after its links) first."""
        indented = [indent_width(t) for _, t in item.remark if t.strip() and indent_width(t) > item.indent]
        width = indented[0] if indented else 0
        lines = [(no, dedent(t, width) if indent_width(t) > item.indent else t.strip())
                 for no, t in item.remark]
        if parsed.rest:
            lines.insert(0, (item.line, parsed.rest))
        while lines and not lines[-1][1].strip():
            lines.pop()
        return lines

    def take_date(self, lines: list[Line]) -> tuple[dt.date | None, list[Line]]:
        """The reading date at the end of the last dated remark line, removed from the text
        when it was used; see the module's docstring."""
        for index in range(len(lines) - 1, -1, -1):
            no, text = lines[index]
            found = trailing_date(text)
            if found is None:
                continue
            year = found.year or self.heading_year()
            if year is None:
                self.undated.append((no, found.written))
                return None, lines
            try:
                date = dt.date(year, found.month, found.day)
            except ValueError:
                self.problem(no, f"'{found.written}' at the end of the remark is no day of {year}; "
                                 "it was kept in the text and no date was set")
                return None, lines
            kept = text[: found.start].rstrip()
            new = lines[:index] + ([(no, kept)] if kept else []) + lines[index + 1:]
            return date, new
        return None, lines

    def add_paper(self, item: _Item, parsed: ItemLine) -> None:
        lines = self.remark_lines(item, parsed)
        toread = self.kind == "toread"
        date, lines = (None, lines) if toread or not lines else self.take_date(lines)
        body = separate_display_math("\n".join(t for _, t in lines).strip("\n"))
        venue = venue_in_text(body) if body else None
        status = Status.TRIAGE if toread else (Status.READ if lines or date else Status.UNREAD)
        note = ImportedNote(
            title=parsed.title, origin=f"{self.file}:{item.line}", status=status, category=self.path,
            venue=venue, year=year_in(venue) if venue else None, date=date,
            summary=self.toread_summary() if toread else None, links=list(parsed.links),
            arxiv=arxiv_id(parsed.links), body=body + "\n" if body else "", order=self.next_order(),
            images=find_images(body, self.base), local_paths=machine_local_paths(body))
        (self.triage if toread else self.notes).append(note)

    def toread_summary(self) -> str:
        return f"Listed under “{self.toread_heading}” (to read) in {self.file}."

    def add_bare(self, line: int, url: str) -> None:
        """A paper known only by its URL: to look at."""
        problems: list[str] = []
        link = link_for(url, "", problems)
        for message in problems:
            self.problem(line, message)
        if link is None:
            return
        title, arxiv = placeholder_title(url)
        if arxiv:
            link = Link("arXiv", f"https://arxiv.org/abs/{arxiv}")
        if self.kind == "toread":
            summary = self.toread_summary()
        else:
            where = " / ".join(self.path) or self.title or self.file
            summary = f"Listed as a bare link under “{where}” in {self.file}."
        self.triage.append(ImportedNote(
            title=title, origin=f"{self.file}:{line}", status=Status.TRIAGE, category=self.path,
            summary=summary, links=[link], arxiv=arxiv, order=self.next_order()))

    def add_resource(self, item: _Item) -> None:
        """Resources of one category are gathered in one note, as written."""
        found = self.resources.get(self.path)
        if found is None:
            name = self.path[-1] if self.path else (self.title or Path(self.file).stem)
            note = ImportedNote(title=resources_title(name, self.base / self.file), origin=f"{self.file}:{item.line}",
                                status=Status.UNREAD, category=self.path, tags=("resources",),
                                order=self.next_order())
            found = self.resources[self.path] = _Resources(note)
            self.notes.append(note)
        prefix = item.text[: len(item.text) - len(item.text.lstrip(" \t"))]
        for text in [item.text] + [t for _, t in item.remark]:
            found.lines.append(text[len(prefix):] if text.startswith(prefix) else text.lstrip())

    # -- the end
    def report_undated(self) -> None:
        if not self.undated:
            return
        line, written = self.undated[0]
        more = f" and {len(self.undated) - 1} more" if len(self.undated) > 1 else ""
        self.problem(line, f"no year in the headings, the # title or the file name, so reading dates such as "
                           f"'{written}'{more} were kept in the text and no date was set (put the year in a "
                           "heading, e.g. '## 2023', and import again)")

    def result(self) -> ParsedSource:
        for resources in self.resources.values():
            body = separate_display_math("\n".join(resources.lines).strip("\n"))
            resources.note.body = body + "\n"
            resources.note.images = find_images(body, self.base)
            resources.note.local_paths = machine_local_paths(body)
        categories = categories_with_intros(self.categories, self.intros, self.file)
        self.problems.sort(key=lambda p: p.line or 0)
        return ParsedSource(kind="survey", root=self.base, notes=self.notes + self.triage,
                            problems=self.problems, categories=categories)


# --------------------------------------------------------------------------- entry points

_ITEM_WITH_LINK = re.compile(r"^ {0,3}(?:[-*+]|\d{1,3}[.)])[ \t]+(?:\*\*|__)[^*_\n]+?(?:\*\*|__)[ \t]*"
                             r"(?:[|·][ \t]*)?\[[^\]\n]*\]\(\s*https?://", re.MULTILINE)


def looks_like_survey(text: str) -> bool:
    """A survey list: at least two items ``* **Title**  [pdf](https://…)`` and an indented remark
    that ends in a date (without dated remarks, bold items with links are an awesome list)."""
    sample = text[:500_000]
    if len(_ITEM_WITH_LINK.findall(sample)) < 2:
        return False
    return any(trailing_date(line) for line in sample.splitlines() if line[:1] in " \t")


def parse_survey(path: Path) -> ParsedSource:
    """Every paper, to-read entry and resource of a survey list, with what was not understood."""
    return parse_lines(path, SurveyParser)
