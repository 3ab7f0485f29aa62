"""Read an "awesome list" README — a curated list of other people's papers under headings — into
``ImportedNote``s.

The shape::

    # Awesome Efficient Transformers [![Awesome](…badge…)](…)   <- the list's title, badges: skipped
    - [综述 Surveys](#综述-surveys)                               <- a table of contents: skipped
    ## 稀疏注意力 Sparse Attention                                  <- category (### a sub-category)
    Text before the first paper                                   <- the category's introduction
    - [Title](url) - Tay et al., NeurIPS 2019. 备注                 <- a paper: link text, remark
      - 一条子项                                                   <- nested lines: the paper's body
    * Title [[paper](url)] [[code](url)]
    - **Title** [paper](url) | [code](url)
    1. Title. A. Author, B. Author. ICLR 2020. [[pdf]](url)
    - **检测 Detection**                                           <- no link, papers nested below:
      - [Title](url)                                                  a sub-category
    ### 2021                                                       <- a year, not a category level
    | 论文 Title | 会议 | 年份 | Links | 备注 |                      <- a table of papers
    ## 相关资源 / Tools / Tutorials                                 <- not papers: one note holding it
    ## Contributing / License / Citation / Star History            <- skipped quietly

Decisions (each case is one small function below):

* The file is read like a README (``readme.read_text``: BOM, UTF-16, CRLF); merge-conflict
  markers are dropped and reported (both sides kept); HTML comments are dropped; headings and
  items inside code fences are not looked at.
* ``#`` is the list's title (a file without any ``##`` uses ``#`` headings as categories).
  ``##`` gives the top category, ``###`` and deeper nest further; the heading's text is kept as
  written (links, emphasis and tags removed). A heading that is only a year (``### 2021``,
  ``2021年``, ``Year 2021``) is no category level: it gives the year of the papers below it, up to
  the next heading of its level or above.
* Sections that are never papers are skipped quietly with everything below them: contents,
  contributing, license, star history, citation, acknowledgements, contributors, contact (English
  or Chinese, emoji ignored). Badges, images, rules, HTML wrappers, table-of-contents and
  "back to top" lines are skipped wherever they stand.
* A section whose heading names only resources — tools, libraries, tutorials, courses, blogs,
  videos, talks, books, other lists, websites (``相关资源``, ``工具``, ``教程`` …; "Tool Learning"
  is a topic, not a resource) — becomes *one* note, "Resources · <heading> (<list>)", whose body is the
  section as written (its sub-sections' headings included, made relative), so nothing is lost.
  It is tagged ``resources`` (as the survey importer's), has no links (so it is never merged with
  a paper) and sits in the category above the section, or in its own category at the top level.
* A list item is a paper when it has an http(s) link, a bold or quoted title, or a venue. Its
  title is the text of its first link when the item starts with one (``**[Title](url)**`` too),
  else the bold or quoted text, else the text before the first link — and then, for
  ``Title. Authors. Venue Year.``, the first sentence (an initial such as ``A.`` does not end it;
  a ``?`` or ``!`` ends it only when authors or a venue follow). Emphasis, code marks, escapes,
  tags and trailing ``.,;:`` are removed from titles; ``?``, ``!``, ``C++`` stay. A leading
  ``[CVPR 2021]`` / ``(ICLR'23)`` tag or a trailing ``(CVPR 2021)`` on a link-less title is the
  venue. Continuation lines of the item (indented or lazy, before a blank line or sub-item) join
  its text; a ``<br>`` ends a sentence.
* Links: every Markdown link, ``<https://…>`` and bare URL of the item, each once. The title's
  link is labelled by ``guess_label``; the others by their bracket text (``[[code](…)]`` → "code")
  or ``guess_label`` when the text has no letters (a badge, ``🔗``). Only absolute http(s)/mailto
  links are kept; others are reported. An arXiv abs/pdf link gives ``arxiv``.
* The remark (the rest of the item, links removed, leading ``-`` ``–`` ``—`` ``:`` ``：`` ``|``
  removed) is split into pieces at ``,`` ``，`` ``、`` ``;`` ``. `` ``。`` and spaced dashes or
  pipes, brackets kept whole. A piece that is a venue (``venue_line``) is the venue when it is the
  only one (a bracket right after it joins it: "ICML 2022 (oral)"); with none, the one venue with
  a year inside the text (``venue_in_text``) counts but stays in the summary; with two, there is no
  venue. Authors are taken only when clearly given: Latin-script names ("Ashish Vaswani",
  "A. Vaswani", "Łukasz Kaiser") followed by the venue, or ending in "et al.", or after "by" /
  "Authors:" / "作者：". The summary is what is left, on one line; the venue and authors taken
  are not repeated in it.
* Indented lines below an item (sub-items, paragraphs, code) are its body, de-indented and kept
  as written. A link-less, venue-less item whose sub-items are papers is a sub-category named by
  its text; its sub-items are the papers.
* A GFM table is a paper table when its header names a title column — Title/标题/题目, else
  Paper/论文, else Name/Method/Model/方法/模型 — or, with none, another known column (venue, year,
  code, links, authors) while its first column serves as the title. Columns: Venue/Conference/
  Journal/Publication/会议/期刊 → venue as written; Year/Date/年份/时间 → year; Authors/作者 →
  authors (split at , ， 、 ; and &, any script); Code/代码, Links/链接/PDF/arXiv and a Paper column
  beside a Title column → links; Note/Remark/Comment/Description/备注/说明/简介 → summary; Tags/
  Keywords/标签/关键词 → tags; ``#``/No./序号 → ignored. Any other column is added to the summary
  as "Header: value" and reported once per table. Links in any cell are kept. Escaped pipes
  ``\\|`` are pipes inside a cell. A row with fewer cells is read with the missing ones empty, a
  row with more has its extra cells added to the summary; both are reported. A row without a
  title is reported and not imported. A table that is no paper table is text (e.g. a legend).
* Year: the venue's year, else the Year column, else the year heading above (a Year column that
  disagrees with the venue is reported). Status: unread — it is a list of other people's papers.
* ``order`` is the position within the category (1, 2, …; year headings do not restart it);
  ``origin`` is ``<file name>:<line>``. Duplicates are not merged here: the shared writer does it.
* Text under a heading before its first paper is the category's introduction; text after a paper
  (prose, link-less items, tables that are no papers) is added to the introduction too and
  reported once per paragraph. A section without papers lends its text, under its heading, to the
  nearest section above with papers (else to the site's introduction, which also gets the text
  under the ``#`` title).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..load.venues import venue_in_text, venue_line, year_in
from ..model import Link, Status
from .markdown import FenceTracker, machine_local_paths, separate_display_math
from .model import ImportedNote, ImportProblem, ParsedSource, SourceCategory, intro_home, resources_title
from .readme import (arxiv_id, drop_conflict_markers, find_images, is_layout_line, link_for, looks_like_readme,
                     parse_heading, plain, read_text)

Line = tuple[int, str]  # (1-based line number in the file, text)

# --------------------------------------------------------------------------- escapes

_PRIVATE = 0xF0000  # an escaped ASCII punctuation character is kept as a private-use character
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_PROTECTED = re.compile("[\U000F0021-\U000F007E]")


def protect(text: str) -> str:
    """Backslash escapes (``\\|``, ``\\*``, ``\\[``) as characters no Markdown pattern matches."""
    return _ESCAPED.sub(lambda m: chr(_PRIVATE + ord(m.group(1))), text)


def restore(text: str) -> str:
    """The escaped characters of ``protect`` as plain characters (the backslash dropped)."""
    return _PROTECTED.sub(lambda m: chr(ord(m.group(0)) - _PRIVATE), text)


# --------------------------------------------------------------------------- inline Markdown

_URL_PART = r"[^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*"
_MD_LINK = re.compile(r"(?<!!)\[((?:[^\[\]]|\[(?:[^\[\]]|\[[^\[\]]*\])*\])*)\]\(\s*(<[^<>\n]*>|" + _URL_PART
                      + r")(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
_IMAGE = re.compile(r"!\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(?:<[^<>\n]*>|" + _URL_PART + r")(?:\s+\"[^\"]*\")?\s*\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]+)>", re.IGNORECASE)
_BARE_URL = re.compile(r"(?<![\w/(\[<\"'=])https?://[^\s<>()\[\]]+(?:\([^\s()]*\)[^\s<>()\[\]]*)*", re.IGNORECASE)
_HTML_ANCHOR = re.compile(r"""<a\b[^<>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')[^<>]*>(.*?)</a\s*>""",
                          re.IGNORECASE | re.DOTALL)
# The text of an emphasis never runs across another of its markers, so a line full of markers
# is read in linear time.
_EMPHASIS = (
    re.compile(r"(\*\*)(?=\S)((?:[^*]|\*(?!\*))+?)(?<=\S)\*\*"),
    re.compile(r"(__)(?=\S)((?:[^_]|_(?!_))+?)(?<=\S)__"),
    re.compile(r"(?<![\w*])(\*)(?=[^\s*])([^*]+?)(?<=\S)\*(?![\w*])"),
    re.compile(r"(?<![\w])(_)(?=[^\s_])([^_]+?)(?<=\S)_(?!\w)"),
    re.compile(r"(~~)(?=\S)((?:[^~]|~(?!~))+?)(?<=\S)~~"),
    re.compile(r"(`+)([^`]+?)\1(?!`)"),
)


def strip_emphasis(text: str) -> str:
    """``**bold**``, ``*it*``, ``_it_``, ``~~struck~~`` and ``code`` marks removed, text kept."""
    for pattern in _EMPHASIS:
        previous = None
        while previous != text:
            previous, text = text, pattern.sub(lambda m: m.group(2), text)
    return text


def html_anchors_to_markdown(text: str) -> str:
    """``<a href="url">text</a>`` written as ``[text](url)``, so one link pattern reads both."""
    def markdown(match: re.Match[str]) -> str:
        url = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        return f"[{match.group(3)}]({url.replace(' ', '%20')})"
    return _HTML_ANCHOR.sub(markdown, text)


def clean_text(fragment: str) -> str:
    """Readable text of a Markdown fragment: images dropped, links as their text, emphasis,
    tags and escapes removed, entities decoded, spaces collapsed."""
    text = _IMAGE.sub(" ", fragment)
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = _AUTOLINK.sub(lambda m: m.group(1), text)
    return restore(plain(strip_emphasis(text)))


_TITLE_EDGE_LEFT = re.compile(r"^[\s\-–—|:：·•,，]+")
_TITLE_EDGE_RIGHT = re.compile(r"[\s\-–—|:：·•,，.。;；、]+$")
_QUOTES = re.compile(r"^[\"“「《'‘](.+)[\"”」》'’]$")


def clean_title(fragment: str) -> str:
    """A title: clean text without wrapping quotes and trailing punctuation (``?``/``!`` stay)."""
    title = clean_text(fragment)
    title = _TITLE_EDGE_RIGHT.sub("", _TITLE_EDGE_LEFT.sub("", title))
    quoted = _QUOTES.match(title)
    return quoted.group(1).strip() if quoted else title


# --------------------------------------------------------------------------- links


@dataclass(frozen=True)
class LinkMatch:
    start: int
    end: int
    text: str  # the bracket text ("" for an autolink or bare URL)
    url: str


def find_links(text: str) -> list[LinkMatch]:
    """Markdown links, autolinks and bare URLs of a (protected) fragment, in order."""
    found = [LinkMatch(m.start(), m.end(), m.group(1), m.group(2).strip().strip("<>").strip())
             for m in _MD_LINK.finditer(text)]
    for pattern in (_AUTOLINK, _BARE_URL):
        for m in pattern.finditer(text):
            if any(f.start <= m.start() < f.end for f in found):
                continue  # inside a Markdown link
            if pattern is _AUTOLINK:
                found.append(LinkMatch(m.start(), m.end(), "", m.group(1)))
            else:  # a full stop or comma after a bare URL ends the sentence, not the URL
                url = m.group(0).rstrip(".,;:!?，。；：")
                found.append(LinkMatch(m.start(), m.start() + len(url), "", url))
    return sorted(found, key=lambda f: f.start)


def is_http(url: str) -> bool:
    """An absolute http(s) or mailto address (the only links kept)."""
    return bool(re.match(r"^(?:https?:|mailto:)", url, re.IGNORECASE))


def link_label(text: str) -> str:
    """The label a link's bracket text gives (``[[code](…)]`` → "code"); "" when it has no
    letters (a badge, an emoji), so that ``guess_label`` names it."""
    label = clean_text(text).strip()
    if label.startswith("[") and label.endswith("]"):
        label = label[1:-1].strip()
    return label if re.search(r"[^\W\d_]", label) else ""


def make_links(matches: list[LinkMatch], title_link: LinkMatch | None, problems: list[str]) -> list[Link]:
    """Links for the item's link matches, each URL once; anchors (``#x``) are no links."""
    links: list[Link] = []
    for match in matches:
        url = restore(match.url)
        if not url or url.startswith("#"):
            continue
        label = "" if match is title_link else link_label(match.text)
        link = link_for(url, label, problems)
        if link and all(link.url != other.url for other in links):
            links.append(link)
    return links


_PLACEHOLDER = "\ufffc"
_KEPT_OPEN, _KEPT_CLOSE = "\ufff9", "\ufffb"  # around the text of a link that is not kept as a link
_WRAPPED_KEPT = re.compile(rf"[\[【(（]\s*{_KEPT_OPEN}(.*?){_KEPT_CLOSE}\s*[\]】)）]")
_WRAPPED_PLACEHOLDER = re.compile(rf"[\[【(（]\s*{_PLACEHOLDER}\s*[\]】)）]")
_PLACEHOLDER_RUN = re.compile(rf"{_PLACEHOLDER}(?:\s*[|{chr(_PRIVATE + ord('|'))}/,，、·•]?\s*{_PLACEHOLDER})*")


def without_links(text: str, matches: list[LinkMatch], offset: int = 0) -> str:
    """``text`` (which starts at ``offset`` of the item) with the links removed, together with
    the brackets and separators around them: ``A [[paper](u)] | [code](v) B`` → ``A B``."""
    out = []
    position = 0
    for match in matches:
        start, end = match.start - offset, match.end - offset
        if end <= 0 or start >= len(text):
            continue
        out.append(text[position:max(start, 0)])
        if is_http(restore(match.url)) or not match.text:
            out.append(_PLACEHOLDER)
        else:  # a relative or refused link: its text stays, without the brackets around the link
            out.append(_KEPT_OPEN + match.text + _KEPT_CLOSE)
        position = end
    out.append(text[position:])
    joined = _WRAPPED_PLACEHOLDER.sub(_PLACEHOLDER, "".join(out))
    joined = _WRAPPED_KEPT.sub(lambda m: m.group(1), joined).replace(_KEPT_OPEN, "").replace(_KEPT_CLOSE, "")
    return _PLACEHOLDER_RUN.sub(" ", joined)


# --------------------------------------------------------------------------- remarks


@dataclass(frozen=True)
class Piece:
    start: int
    end: int
    text: str
    after: str  # the separator that follows it ("" at the end or before a bracket)


_OPENERS, _CLOSERS = "(（[【", ")）]】"
_BREAK = re.compile(r"\s+[-–—|/·•~]\s+|\s*[,，、;；|｜]\s*|[.!?](?=\s|$)\s*|[。！？]\s*")


def _ends_initial(text: str, index: int) -> bool:
    """The ``.`` at ``index`` ends an initial ("A. Vaswani", "U.S."), not a sentence."""
    return (text[index] == "." and index >= 1 and text[index - 1].isupper()
            and (index == 1 or not text[index - 2].isalpha()))


def pieces(text: str) -> list[Piece]:
    """The remark cut at separators outside brackets; a bracketed group is a piece of its own."""
    found: list[Piece] = []

    def add(start: int, end: int, after: str) -> None:
        part = text[start:end]
        if part.strip():
            lead = len(part) - len(part.lstrip())
            found.append(Piece(start + lead, start + len(part.rstrip()), part.strip(), after))

    start = i = depth = 0
    while i < len(text):
        char = text[i]
        if char in _OPENERS:
            if depth == 0:
                add(start, i, "")
                start = i
            depth += 1
        elif char in _CLOSERS and depth:
            depth -= 1
            if depth == 0:
                add(start, i + 1, "")
                start = i + 1
        elif depth == 0:
            match = _BREAK.match(text, i)
            if match and not _ends_initial(text, i):
                add(start, i, match.group(0))
                start = i = match.end()
                continue
        i += 1
    add(start, len(text), "")
    return found


def whole_venue(text: str) -> str | None:
    """The venue when ``text`` is nothing but one ("NeurIPS 2019", "(ICLR'23)", "arXiv")."""
    found = venue_line(text)
    return found.venue if found is not None and not found.rest else None


_PARTICLES = frozenset({"de", "van", "von", "der", "den", "di", "da", "del", "della", "le", "la", "du", "dos",
                        "bin", "al", "el", "ter", "y"})
_NOT_NAMES = frozenset("""a an the of for with and in on via to from by is are best paper papers oral spotlight
poster award workshop code official project page survey review note notes highly recommended new open source
github pytorch tensorflow jax implementation demo video slides blog dataset datasets benchmark model models
learning network networks deep neural transformer transformers language vision image images text large small
efficient fast simple classification detection segmentation generation recognition retrieval tracking
estimation translation reasoning attention training inference analysis understanding google deepmind openai
meta microsoft research university lab labs team group part chapter section extended version accepted
arxiv preprint must read""".split())
_ET_AL = re.compile(r"(?:\s*,)?\s*(?:et\s*al\.?|etc\.?|等人?)\s*$", re.IGNORECASE)
_AUTHOR_LABEL = re.compile(r"^(?:by\s+|authors?\s*[:：]\s*|作者\s*[:：]?\s*)", re.IGNORECASE)


def is_person_name(text: str, alone: bool = False) -> bool:
    """A Latin-script personal name: "Ashish Vaswani", "A. Vaswani", "Iz Beltagy", "Łukasz
    Kaiser" (a surname alone only when ``alone``: "Tay" in "Tay et al.")."""
    tokens = text.split()
    if not tokens or len(tokens) > 5 or (len(tokens) == 1 and not alone):
        return False
    for n, token in enumerate(tokens):
        if token.casefold() in _NOT_NAMES:
            return False
        if token in _PARTICLES and 0 < n < len(tokens) - 1:
            continue
        if re.fullmatch(r"[A-Z]\.(?:-?[A-Z]\.)*", token) and n < len(tokens) - 1:
            continue
        if not (token[0].isupper() and len(token) > 1 and not token.isupper()
                and all(c.isalpha() or c in "-'’" for c in token)):
            return False
    return True


@dataclass(frozen=True)
class NamePiece:
    names: tuple[str, ...]
    labelled: bool  # "by …", "Authors: …"
    et_al: bool


def name_piece(text: str) -> NamePiece | None:
    """The names of one remark piece ("A and B", "Tay et al.", "by Kaiming He"), or None."""
    labelled = bool(_AUTHOR_LABEL.match(text))
    rest = _AUTHOR_LABEL.sub("", text).strip().rstrip(".")
    et_al = bool(_ET_AL.search(rest))
    rest = _ET_AL.sub("", rest).strip()
    parts = [p for p in re.split(r"\s*(?:\band\b|&)\s*", rest) if p]
    if not parts or not all(is_person_name(p, alone=et_al and len(parts) == 1) for p in parts):
        return None
    return NamePiece(tuple(parts) + (("et al.",) if et_al else ()), labelled, et_al)


@dataclass
class Remark:
    summary: str | None = None
    venue: str | None = None
    authors: tuple[str, ...] = ()


def _venue_pieces(found: list[Piece]) -> list[tuple[int, int, str]]:
    """(first, last piece index, venue) of each piece that is a venue; a bracket right after a
    venue joins it when the two are one venue ("ICML 2022 (oral)")."""
    venues = []
    i = 0
    while i < len(found):
        venue = whole_venue(found[i].text)
        if venue is not None:
            last = i
            if i + 1 < len(found) and found[i + 1].text[0] in _OPENERS and not found[i].after:
                joined = whole_venue(f"{found[i].text} {found[i + 1].text}")
                if joined is not None:
                    venue, last = joined, i + 1
            venues.append((i, last, venue))
            i = last + 1
            continue
        i += 1
    return venues


def _author_run(found: list[Piece], venue_at: int | None) -> tuple[list[int], tuple[str, ...]]:
    """The pieces that clearly give the authors, and the names: a run of name pieces that ends
    in "et al.", starts with "by"/"Authors:", or is followed directly by the venue."""
    i = 0
    while i < len(found):
        run: list[tuple[int, NamePiece]] = []
        j = i
        while j < len(found) and (piece := name_piece(found[j].text)) is not None:
            run.append((j, piece))
            if piece.et_al or found[j].after.strip() not in (",", "，", "、", ";", "；", "and"):
                j += 1
                break
            j += 1
        if run:
            clear = (run[0][1].labelled or run[-1][1].et_al or (venue_at is not None and j == venue_at))
            if clear:
                return [k for k, _ in run], tuple(name for _, p in run for name in p.names)
            i = j
            continue
        i += 1
    return [], ()


def _rebuild(text: str, found: list[Piece], dropped: set[int]) -> str:
    """The remark without the dropped pieces; kept pieces joined by the separator after each."""
    kept = [p for k, p in enumerate(found) if k not in dropped]
    out = []
    for n, piece in enumerate(kept):
        if n:
            joiner = kept[n - 1].after
            out.append(joiner if joiner.strip() else " ")
        out.append(piece.text)
    return "".join(out)


def one_line(text: str) -> str | None:
    text = _TITLE_EDGE_RIGHT.sub("", _TITLE_EDGE_LEFT.sub("", " ".join(text.split())))
    return text or None


def analyse_remark(text: str, *, find_venue: bool = True, find_authors: bool = True,
                   extra_venues: tuple[str, ...] = ()) -> Remark:
    """Venue, authors and summary of a remark (plain text), as described in the module's docstring.
    ``extra_venues`` are venues found outside the remark (a ``[CVPR 2021]`` tag)."""
    found = pieces(text)
    venues = _venue_pieces(found) if find_venue else []
    named = {" ".join(v.split()).casefold() for v in extra_venues} | {" ".join(v.split()).casefold()
                                                                     for _, _, v in venues}
    result = Remark()
    dropped: set[int] = set()
    venue_at = None
    if len(named) == 1 and venues:  # another venue with a year in the text: two venues, none taken
        others = " ".join(p.text for k, p in enumerate(found)
                          if not any(first <= k <= last for first, last, _ in venues))
        if venue_in_text(others) is not None:
            named.add("")
    if find_venue and len(named) == 1:
        result.venue = extra_venues[0] if extra_venues else venues[0][2]
        for first, last, _ in venues:
            dropped.update(range(first, last + 1))
            venue_at = first if venue_at is None else venue_at
    elif find_venue and not named:
        result.venue = venue_in_text(text)
    if find_authors:
        run, names = _author_run(found, venue_at)
        if run:
            dropped.update(run)
            result.authors = names
    summary = _rebuild(text, found, dropped) if dropped else text
    if find_venue and len(named) > 1 and extra_venues:
        summary = " ".join(extra_venues) + " " + summary
    result.summary = one_line(summary)
    return result


# --------------------------------------------------------------------------- one list item


@dataclass
class ItemParts:
    """What one item's text says, before the remark is read."""

    title: str
    links: list[Link]
    remark: str  # plain text
    venues: tuple[str, ...] = ()  # from a [CVPR 2021] tag or a trailing (CVPR 2021)
    emphasised: bool = False  # the title was bold or quoted
    problems: list[str] = field(default_factory=list)


_CHECKBOX = re.compile(r"^\s*\[[ xX]\]\s+")
_LEAD_TAG = re.compile(r"^\s*[\[【(（]([^\[\]【】()（）]{2,60})[\]】)）](?!\()\s*")
_TRAILING_TAG = re.compile(r"^(.*\S)\s*[(（\[【]([^()（）\[\]【】]{2,60})[)）\]】]\s*$")
_BOLD_START = re.compile(r"^\s*(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_QUOTED_START = re.compile(r"^\s*([\"“「《])(.+?)([\"”」》])")
_EMPHASIS_OPEN = re.compile(r"^\s*(\*\*|__|\*|_)?\s*")
_SENTENCE_END = re.compile(r"[.?!。？！](?=\s|$)")
_REMARK_LEAD = re.compile(r"^[\s\-–—:：|,，.。·•~]+")


def _names_or_venue(sentence: str) -> bool:
    sentence = sentence.strip().rstrip(".。")
    return whole_venue(sentence) is not None or (
        bool(sentence) and all(name_piece(p) is not None for p in re.split(r"\s*[,，、]\s*", sentence) if p))


def split_title_sentence(head: str) -> tuple[str, str]:
    """``Title. Authors. Venue Year.`` → (``Title``, ``Authors. Venue Year.``)."""
    for match in _SENTENCE_END.finditer(head):
        i = match.start()
        if _ends_initial(head, i) or re.search(r"\b(?:et al|vs|e\.g|i\.e|etc|No|Vol)$", head[:i], re.IGNORECASE):
            continue
        tail = head[match.end():].strip()
        if not tail:
            break
        if head[i] in ".。":
            return head[:i].strip(), tail
        next_sentence = re.split(r"(?<=[.。])\s", tail, maxsplit=1)[0]
        if _names_or_venue(next_sentence):
            return head[: i + 1].strip(), tail
    return head.strip(), ""


def _title_from_link(text: str, links: list[LinkMatch]) -> tuple[str, LinkMatch, int] | None:
    """(title, its link, where the rest starts) when the item starts with a link (maybe bold)."""
    if not links:
        return None
    opening = _EMPHASIS_OPEN.match(text)
    first = links[0]
    if first.start != opening.end() or not first.url or first.url.startswith("#"):
        return None
    rest = first.end
    marks = opening.group(1)
    if marks and text[rest:].lstrip().startswith(marks):
        rest = text.index(marks, rest) + len(marks)
    return clean_title(first.text), first, rest


_LINE_BREAK = re.compile(r"([.?!。？！]?)\s*<br\s*/?>\s*", re.IGNORECASE)


def break_lines(text: str) -> str:
    """``<br>`` ends a sentence: "Title<br>Authors<br>ICLR 2022" reads as "Title. Authors. ICLR 2022"."""
    return _LINE_BREAK.sub(lambda m: (m.group(1) or ".") + " ", text).strip()


def parse_item_text(text: str) -> ItemParts:
    """Title, links and remark of one item's text (see the module's docstring)."""
    text = protect(break_lines(html_anchors_to_markdown(text)))
    text = _CHECKBOX.sub("", text, count=1)
    venues: tuple[str, ...] = ()
    lead = _LEAD_TAG.match(text)
    if lead and whole_venue(restore(lead.group(1))):
        venues = (restore(lead.group(1)).strip(),)
        text = text[lead.end():]
    links = find_links(text)
    problems: list[str] = []
    by_link = _title_from_link(text, links)
    emphasised = False
    tail = ""
    if by_link:
        title, title_link, rest_at = by_link
    else:
        title_link = None
        bold = _BOLD_START.match(text) or _QUOTED_START.match(text)
        if bold:
            title, rest_at, emphasised = clean_title(bold.group(2)), bold.end(), True
        else:
            rest_at = links[0].start if links else len(text)
            while rest_at and text[rest_at - 1] in "[【(（ \t":  # "Title [[paper](u)]": the bracket goes too
                rest_at -= 1
            head = clean_text(text[:rest_at])
            if not re.search(r"[^\W_]", head) and links:  # "[[pdf](u)] Title": the text around the links
                head, rest_at = clean_text(without_links(text, links)), len(text)
            title, tail = split_title_sentence(head)
            trailing = _TRAILING_TAG.match(title)
            if trailing and whole_venue(trailing.group(2)) and not venues:
                title, venues = trailing.group(1), (trailing.group(2).strip(),)
            title = clean_title(title)
    rest = clean_text(without_links(text[rest_at:], links, rest_at))
    remark = _REMARK_LEAD.sub("", " ".join(part for part in (tail, rest) if part.strip()))
    return ItemParts(title, make_links(links, title_link, problems), remark.strip(), venues, emphasised, problems)


# --------------------------------------------------------------------------- blocks of a section


@dataclass
class ListItem:
    line: int
    indent: int
    text: str  # its own text: the marker's line and its continuation lines, joined by spaces
    body: list[Line]  # the lines nested below it, de-indented
    raw: list[Line]  # as written


@dataclass
class Table:
    line: int
    header: list[str]  # cells, protected (escapes kept as private-use characters)
    rows: list[tuple[int, list[str]]]
    raw: list[Line]


@dataclass
class Paragraph:
    raw: list[Line]


Block = ListItem | Table | Paragraph

_ITEM = re.compile(r"^([ \t]*)([-*+•]|\d{1,9}[.)])(?:[ \t]+(.*?))?[ \t]*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_FOLD_TAG = re.compile(r"^\s*</?details(?:\s[^<>]*)?>\s*$", re.IGNORECASE)  # a folded section's wrapper
_ANCHOR_ONLY = re.compile(r"\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(#[^()\s]*\)")


def indent_of(text: str) -> int:
    """The width of a line's indentation, a tab counting as four spaces."""
    return len(text[: len(text) - len(text.lstrip(" \t"))].expandtabs(4))


def dedent(lines: list[Line]) -> list[Line]:
    """Lines without the indentation they all share (tabs count as four spaces)."""
    expanded = [(no, _expand_indent(text)) for no, text in lines]
    widths = [len(t) - len(t.lstrip(" ")) for _, t in expanded if t.strip()]
    cut = min(widths, default=0)
    return [(no, t[cut:] if t.strip() else "") for no, t in expanded]


def _expand_indent(text: str) -> str:
    stripped = text.lstrip(" \t")
    return text[: len(text) - len(stripped)].expandtabs(4) + stripped


def is_skippable(text: str) -> bool:
    """Layout that carries nothing: blank, rules, wrappers, badges, table-of-contents and
    "back to top" lines (links to ``#anchors`` and nothing else)."""
    if is_layout_line(text) or _FOLD_TAG.match(text):
        return True
    item = _ITEM.match(text)
    inner = item.group(3) or "" if item else text
    if item and (not inner.strip() or is_layout_line(inner)):
        return True
    rest = _ANCHOR_ONLY.sub("", inner)
    return inner != rest and not re.sub(r"[\s*_|·•/,，↑⬆️🔝^()（）\[\]-]+", "", rest)


def is_table_start(lines: list[Line], i: int) -> bool:
    return ("|" in protect(lines[i][1]) and i + 1 < len(lines) and "|" in lines[i + 1][1]
            and bool(_TABLE_SEP.match(lines[i + 1][1])) and "-" in lines[i + 1][1])


def split_row(text: str) -> list[str]:
    """The cells of a table row (protected: an escaped ``\\|`` is no cell border)."""
    row = protect(text).strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|"):
        row = row[:-1]
    return [cell.strip() for cell in row.split("|")]


def fence_flags(lines: list[Line]) -> tuple[list[bool], list[bool]]:
    """For each line: inside a code fence? opens one?"""
    fences = FenceTracker()
    fenced, opens = [], []
    for _, text in lines:
        was_inside = fences.inside
        fenced.append(fences.feed(text))
        opens.append(fenced[-1] and not was_inside)
    return fenced, opens


def _starts_block(text: str) -> bool:
    """A line that cannot continue a paragraph lazily."""
    stripped = text.lstrip()
    return (not stripped or bool(_ITEM.match(text)) or stripped.startswith(("|", ">", "<", "```", "~~~", "#"))
            or is_skippable(text))


class BlockReader:
    """The blocks of a run of lines: list items (with their nested lines), tables, paragraphs."""

    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines
        self.fenced, self.opens = fence_flags(lines)

    def blocks(self) -> list[Block]:
        found: list[Block] = []
        i = 0
        while i < len(self.lines):
            text = self.lines[i][1]
            if self.fenced[i]:
                j = i + 1
                while j < len(self.lines) and self.fenced[j] and not self.opens[j]:
                    j += 1
                found.append(Paragraph(self.lines[i:j]))
                i = j
            elif is_skippable(text):
                i += 1
            elif is_table_start(self.lines, i):
                table, i = self.table(i)
                found.append(table)
            elif _ITEM.match(text):
                item, i = self.item(i)
                found.append(item)
            else:
                paragraph, i = self.paragraph(i)
                found.append(paragraph)
        return found

    def paragraph(self, i: int) -> tuple[Paragraph, int]:
        j = i + 1
        while j < len(self.lines) and not self.fenced[j] and not _starts_block(self.lines[j][1]) \
                and not is_table_start(self.lines, j):
            j += 1
        return Paragraph(self.lines[i:j]), j

    def table(self, i: int) -> tuple[Table, int]:
        j = i + 2
        while (j < len(self.lines) and self.lines[j][1].strip() and "|" in self.lines[j][1]
               and not self.fenced[j]):
            j += 1
        rows = [(no, split_row(text)) for no, text in self.lines[i + 2:j]]
        return Table(self.lines[i][0], split_row(self.lines[i][1]), rows, self.lines[i:j]), j

    def item(self, i: int) -> tuple[ListItem, int]:
        """An item and everything indented below it; its continuation lines join its text."""
        no, text = self.lines[i]
        match = _ITEM.match(text)
        indent = indent_of(match.group(1))
        own = [match.group(3) or ""]
        body: list[Line] = []
        blank = False
        last = i  # the last line that belongs to the item
        j = i + 1
        while j < len(self.lines):
            line = self.lines[j][1]
            if self.fenced[j] and not self.opens[j]:
                body.append(self.lines[j])
            elif not line.strip():
                blank = True
                body.append(self.lines[j])
                j += 1
                continue
            elif indent_of(line) > indent:
                if not blank and not body and not _ITEM.match(line) and not self.opens[j] \
                        and not is_table_start(self.lines, j):
                    own.append(line.strip())
                else:
                    body.append(self.lines[j])
            elif not blank and not body and not _starts_block(line) and not self.opens[j]:
                own.append(line.strip())  # a lazy continuation line
            else:
                break
            last = j
            j += 1
        body = [entry for entry in body if entry[0] <= self.lines[last][0]]
        return ListItem(no, indent, " ".join(own), dedent(body), self.lines[i:last + 1]), last + 1


# --------------------------------------------------------------------------- tables of papers

_COLUMN_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("title", frozenset({"title", "标题", "题目", "论文标题", "论文题目", "论文名称", "论文名", "paper title",
                         "paper name"})),
    ("paper", frozenset({"paper", "papers", "论文", "文章"})),
    ("name", frozenset({"name", "名称", "method", "methods", "model", "models", "方法", "模型", "算法",
                        "algorithm"})),
    ("venue", frozenset({"venue", "venues", "conference", "conf", "journal", "publication", "published",
                         "published in", "booktitle", "会议", "期刊", "会议期刊", "发表", "出处", "来源", "收录"})),
    ("year", frozenset({"year", "年份", "年", "date", "日期", "时间", "发表时间", "published date"})),
    ("code", frozenset({"code", "代码", "github", "repo", "repository", "implementation", "源码", "开源", "代码链接"})),
    ("links", frozenset({"link", "links", "链接", "url", "pdf", "arxiv", "project", "project page", "paper link",
                         "论文链接", "resources", "资源"})),
    ("authors", frozenset({"author", "authors", "作者", "first author", "一作"})),
    ("note", frozenset({"note", "notes", "remark", "remarks", "comment", "comments", "备注", "说明", "笔记", "简介",
                        "summary", "description", "tl dr", "tldr", "highlights", "contribution", "contributions",
                        "评价", "摘要", "abstract", "key idea", "核心思想", "要点", "感想"})),
    ("tags", frozenset({"tags", "tag", "keywords", "keyword", "标签", "关键词", "topic", "topics", "方向"})),
    ("index", frozenset({"#", "no", "序号", "编号", "index", "id"})),
)
_PLACEHOLDER_CELLS = frozenset({"", "-", "--", "—", "–", "n/a", "na", "none", "无", "暂无", "×", "✗", "✘", "x", "/",
                                "tbd", "todo", "待定", "?", "？"})
_GENERIC_TITLES = frozenset({"paper", "pdf", "code", "arxiv", "project", "project page", "page", "website",
                             "homepage", "github", "link", "links", "blog", "video", "slides", "poster", "demo",
                             "dataset", "data", "openreview", "supp", "bibtex", "论文", "代码", "链接", "项目",
                             "主页", "项目主页", "视频", "博客", "数据集"})


def column_role(header: str) -> str | None:
    """What a header cell names: the whole cell, else its last word that names something
    ("Paper Title" → title, "Paper Link" → links, "Code 代码" → code)."""
    key = " ".join(re.split(r"[\s/|,，、()（）&+:：.\-]+", clean_text(header).casefold())).strip()
    key = "#" if key == "" and "#" in header else key
    for role, words in _COLUMN_WORDS:
        if key in words:
            return role
    found = None
    for word in key.split():
        for role, words in _COLUMN_WORDS:
            if word in words:
                found = role
    return found


@dataclass
class Columns:
    """The columns of a paper table: index → role, and which column gives the title."""

    roles: list[str | None]
    names: list[str]  # header texts, for "Header: value" summaries
    title: int
    name: int | None  # a Name/Method column beside the title column (used when the title is "paper")


def table_columns(header: list[str]) -> Columns | None:
    """How to read a table whose header is ``header``, or None when it is no paper table."""
    roles = [column_role(cell) for cell in header]
    names = [clean_text(cell) for cell in header]
    for wanted in ("title", "paper", "name"):
        if wanted in roles:
            title = roles.index(wanted)
            break
    else:
        if not {"venue", "year", "code", "links", "authors"} & set(roles):
            return None
        title = next((k for k, role in enumerate(roles) if role is None), None)
        if title is None:
            return None
    name = next((k for k, role in enumerate(roles) if role == "name" and k != title), None)
    for k, role in enumerate(roles):
        if k == title:
            roles[k] = "title"
        elif role in ("title", "paper"):
            roles[k] = "links"
        elif role == "name":
            roles[k] = "extra"
    return Columns(roles, names, title, name)


def split_names(text: str) -> tuple[str, ...]:
    """An Authors cell: names split at , ， 、 ; ； and &; "et al." / "等" kept as "et al."."""
    et_al = bool(_ET_AL.search(text))
    text = _ET_AL.sub("", text)
    names = [n.strip() for n in re.split(r"\s*(?:[,，、;；&]|\band\b)\s*", text) if n.strip()]
    return tuple(names) + (("et al.",) if et_al and names else ())


def is_placeholder(text: str) -> bool:
    return text.strip().casefold() in _PLACEHOLDER_CELLS


# --------------------------------------------------------------------------- headings and sections

_YEAR_HEADING = re.compile(r"^(?:year\s*)?((?:19|20)\d\d)\s*年?\s*(?:[(（][^()（）]*[)）])?$", re.IGNORECASE)
_SKIP_PHRASES = ("table of contents", "contents", "toc", "目录", "contributing guidelines", "how to contribute",
                 "contributing", "contribute", "contributions", "contribution", "contributors", "贡献指南",
                 "如何贡献", "参与贡献", "贡献者", "贡献", "license", "licence", "开源协议", "许可证", "许可", "协议",
                 "star history", "stargazers", "stars", "star", "how to cite", "citation", "citations", "citing",
                 "cite", "引用", "acknowledgements", "acknowledgments", "acknowledgement", "acknowledgment", "致谢",
                 "contact us", "contact", "联系方式", "联系我们", "联系", "sponsors", "赞助", "this", "us", "me",
                 "and", "&", "与", "和", "及")
_RESOURCE_PHRASES = ("resources", "resource", "tools", "tool", "toolkits", "toolkit", "toolboxes", "toolbox",
                     "tutorials", "tutorial", "courses", "course", "lectures", "lecture", "blogs", "blog posts",
                     "blog", "videos", "video", "talks", "talk", "books", "book", "libraries", "library",
                     "frameworks", "framework", "codebases", "software", "lists", "links", "websites", "sites",
                     "podcasts", "newsletters", "communities", "community", "相关资源", "学习资料", "资源", "资料",
                     "工具包", "工具箱", "工具", "教程", "课程", "博客", "视频", "讲座", "书籍", "代码库", "框架",
                     "链接", "网站", "社区", "列表")
_RESOURCE_MODIFIERS = ("other", "others", "related", "useful", "more", "further", "awesome", "and", "&", "相关",
                       "其他", "其它", "常用", "推荐", "有用的", "与", "和", "及", "以及")


def heading_key(text: str) -> str:
    """A heading's words, lower case, without emoji, digits and punctuation."""
    return " ".join(re.findall(r"[^\W\d_]+|&", text.casefold()))


def _only_phrases(key: str, phrases: tuple[str, ...]) -> tuple[bool, set[str]]:
    """Whether ``key`` consists of ``phrases`` only, and which of them it uses."""
    used = set()
    rest = key
    for phrase in sorted(phrases, key=len, reverse=True):
        pattern = rf"(?<![^\W\d_]){re.escape(phrase)}(?![^\W\d_])" if phrase.isascii() else re.escape(phrase)
        rest, count = re.subn(pattern, " ", rest)
        if count:
            used.add(phrase)
    return bool(key) and not rest.strip(), used


def is_skipped_heading(text: str) -> bool:
    """Contents, Contributing, License, Star History, Citation, … (``## 🤝 Contributing 贡献``)."""
    whole, used = _only_phrases(heading_key(text), _SKIP_PHRASES)
    return whole and bool(used - {"this", "us", "me", "and", "&", "与", "和", "及"})


def is_resource_heading(text: str) -> bool:
    """Headings naming only resources: "Tools & Libraries", "Other Awesome Lists", "相关资源"."""
    whole, used = _only_phrases(heading_key(text), _RESOURCE_PHRASES + _RESOURCE_MODIFIERS)
    return whole and bool(used - set(_RESOURCE_MODIFIERS))


def heading_year(text: str) -> int | None:
    match = _YEAR_HEADING.match(text.strip())
    return int(match.group(1)) if match else None


@dataclass
class Section:
    """A heading and the lines up to the next heading (the root section has no heading)."""

    level: int  # 0 for the text before the first heading
    title: str
    line: int
    lines: list[Line] = field(default_factory=list)
    kind: str = "papers"  # "papers", "title", "skip", "resources", "inside" (of a skipped/resources section)
    path: tuple[str, ...] = ()
    year: int | None = None
    owner: int | None = None  # for "inside": the index of the section it belongs to


def split_sections(lines: list[Line]) -> list[Section]:
    fenced, _ = fence_flags(lines)
    sections = [Section(0, "", 0)]
    for (no, text), in_fence in zip(lines, fenced):
        heading = None if in_fence else parse_heading(text)
        if heading and heading[1]:
            sections.append(Section(heading[0], clean_text(protect(heading[1])), no))
        elif heading:
            continue  # an empty heading: a separator
        else:
            sections[-1].lines.append((no, text))
    return sections


def classify_sections(sections: list[Section]) -> None:
    """Kind, category path and year of every section, from the headings above it."""
    base = 2 if any(s.level >= 2 for s in sections) else 1
    stack: list[tuple[int, str, int]] = []  # (level, title, section index) of the open category headings
    year: tuple[int, int] | None = None  # (level, year) of the open year heading
    for index, section in enumerate(sections):
        if section.level == 0:
            continue
        if section.level < base:
            section.kind, stack, year = "title", [], None
            continue
        stack = [entry for entry in stack if entry[0] < section.level]
        if year and year[0] >= section.level:
            year = None
        owner = next((entry[2] for entry in stack if sections[entry[2]].kind in ("skip", "resources")), None)
        section.path = tuple(entry[1] for entry in stack if sections[entry[2]].kind == "papers")
        if owner is not None:
            section.kind, section.owner = "inside", owner
        elif heading_year(section.title) is not None:
            year = (section.level, heading_year(section.title))
            section.kind = "year"
        elif is_skipped_heading(section.title):
            section.kind = "skip"
        elif is_resource_heading(section.title):
            section.kind = "resources"
        else:
            section.path += (section.title,)
        section.year = year[1] if year else None
        stack.append((section.level, section.title, index))


def drop_comments(lines: list[Line]) -> list[Line]:
    """HTML comments removed (outside code fences); line numbers kept."""
    fenced, _ = fence_flags(lines)
    out: list[Line] = []
    inside = False
    for (no, text), in_fence in zip(lines, fenced):
        if in_fence and not inside:
            out.append((no, text))
            continue
        kept, position = [], 0
        while position < len(text):
            if inside:
                end = text.find("-->", position)
                if end < 0:
                    position = len(text)
                    break
                inside, position = False, end + 3
            else:
                start = text.find("<!--", position)
                if start < 0:
                    kept.append(text[position:])
                    break
                kept.append(text[position:start])
                inside, position = True, start + 4
        out.append((no, "".join(kept)))
    return out


# --------------------------------------------------------------------------- the parser


@dataclass
class _Prose:
    lines: list[Line]
    after_paper: bool


class AwesomeParser:
    """Sections → notes, category introductions and problems, in the file's order."""

    def __init__(self, path: Path, lines: list[Line]) -> None:
        self.file = path.name
        self.base = path.parent
        self.sections = split_sections(lines)
        classify_sections(self.sections)
        self.notes: list[ImportedNote] = []
        self.problems: list[ImportProblem] = []
        self.order: dict[tuple[str, ...], int] = {}
        self.category_lines: dict[tuple[str, ...], int] = {}  # first appearance, in file order
        self.prose: dict[tuple[str, ...], list[_Prose]] = {}

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(ImportProblem(self.file, line, message))

    def run(self) -> tuple[list[ImportedNote], list[SourceCategory]]:
        for index, section in enumerate(self.sections):
            if section.kind in ("skip", "inside"):
                continue
            if section.kind == "resources":
                self.resources(index)
                continue
            if section.kind == "papers" and section.level:
                self.category_lines.setdefault(section.path, section.line)
            path = section.path if section.kind != "title" else ()
            self.read_blocks(section.lines, path, section.year)
        return self.notes, self.categories()

    # -- notes
    def add(self, note: ImportedNote) -> None:
        self.order[note.category] = self.order.get(note.category, 0) + 1
        note.order = self.order[note.category]
        self.notes.append(note)

    def resources(self, index: int) -> None:
        """One note holding a resources section and its sub-sections, as written."""
        section = self.sections[index]
        lines = list(section.lines)
        for other in self.sections[index + 1:]:
            if other.owner != index:
                continue
            lines += [(other.line, "#" * min(6, other.level - section.level + 1) + " " + other.title)]
            lines += other.lines
        body_lines = [text for _, text in lines]
        while body_lines and not body_lines[0].strip():
            body_lines.pop(0)
        body = separate_display_math("\n".join(body_lines).rstrip())
        body = body + "\n" if body else ""
        category = section.path or (section.title,)
        self.category_lines.setdefault(category, section.line)
        self.add(ImportedNote(title=resources_title(section.title, Path(self.base).absolute() / self.file), origin=f"{self.file}:{section.line}",
                              status=Status.UNREAD, category=category, tags=("resources",), body=body,
                              images=find_images(body, self.base), local_paths=machine_local_paths(body)))

    def read_blocks(self, lines: list[Line], path: tuple[str, ...], year: int | None) -> None:
        """The papers among ``lines``; the rest is text of the category (see ``flush``)."""
        pending: list[Line] = []
        for block in BlockReader(lines).blocks():
            handled = False
            if isinstance(block, ListItem):
                handled = self.item(block, path, year, pending)
            elif isinstance(block, Table):
                handled = self.table(block, path, year, pending)
            if not handled:
                pending += block.raw
        self.flush(pending, path)

    def flush(self, pending: list[Line], path: tuple[str, ...]) -> None:
        """Text that is no paper: kept for the category's introduction (reported after a paper)."""
        if not pending:
            return
        joined: list[Line] = []
        for no, text in pending:
            if joined and no > joined[-1][0] + 1:
                joined.append((no, ""))
            joined.append((no, text))
        self.prose.setdefault(path, []).append(_Prose(list(joined), self.order.get(path, 0) > 0))
        pending.clear()

    def item(self, item: ListItem, path: tuple[str, ...], year: int | None, pending: list[Line]) -> bool:
        """A paper (True), a sub-category of papers (True), or text (False)."""
        parts = parse_item_text(item.text)
        remark = analyse_remark(parts.remark, extra_venues=parts.venues)
        if not parts.links and not remark.venue and self.is_group(item):
            self.flush(pending, path)
            group = path + (clean_title(protect(item.text)),)
            self.category_lines.setdefault(group, item.line)
            self.read_blocks(item.body, group, year)
            return True
        if not (parts.links or parts.emphasised or remark.venue):
            return False
        self.flush(pending, path)
        for message in parts.problems:
            self.problem(item.line, message)
        if not parts.title:
            self.problem(item.line, f"list item '{item.text.strip()}' has no paper title; not imported")
            return True
        body = "\n".join(text for _, text in item.body).strip("\n")
        body = separate_display_math(body) + "\n" if body.strip() else ""
        self.add(self.note(item.line, path, parts.title, parts.links, remark, year, body))
        return True

    def is_group(self, item: ListItem) -> bool:
        """A link-less item whose sub-items are papers: it names a sub-category."""
        for block in BlockReader(item.body).blocks():
            if isinstance(block, ListItem):
                parts = parse_item_text(block.text)
                if parts.links and parts.title and parts.title.casefold() not in _GENERIC_TITLES:
                    return True
        return False

    def note(self, line: int, path: tuple[str, ...], title: str, links: list[Link], remark: Remark,
             year: int | None, body: str = "", tags: tuple[str, ...] = ()) -> ImportedNote:
        return ImportedNote(
            title=title, origin=f"{self.file}:{line}", status=Status.UNREAD, category=path, tags=tags,
            venue=remark.venue, year=(year_in(remark.venue) if remark.venue else None) or year,
            authors=remark.authors, summary=remark.summary, links=links, arxiv=arxiv_id(links), body=body,
            images=find_images(body, self.base), local_paths=machine_local_paths(body))

    # -- tables
    def table(self, table: Table, path: tuple[str, ...], year: int | None, pending: list[Line]) -> bool:
        columns = table_columns(table.header)
        if columns is None:
            return False
        self.flush(pending, path)
        unknown = [columns.names[k] for k, role in enumerate(columns.roles) if role is None]
        if unknown:
            self.problem(table.line, f"table column{'s' if len(unknown) > 1 else ''} "
                                     f"{', '.join(repr(u) for u in unknown)} not understood; the cells were "
                                     "added to the summaries as 'Header: value'")
        for no, cells in table.rows:
            if not any(clean_text(cell).strip() for cell in cells):
                continue
            if len(cells) != len(table.header):
                more = len(cells) > len(table.header)
                self.problem(no, f"table row has {len(cells)} cells, the header {len(table.header)}: "
                                 + ("the extra cells were added to the summary" if more
                                    else "the missing cells at its end were taken as empty"))
            note = self.table_row(no, cells, columns, path, year)
            if note is not None:
                self.add(note)
        return True

    def table_row(self, no: int, cells: list[str], columns: Columns, path: tuple[str, ...],
                  year: int | None) -> ImportedNote | None:
        """One row of a paper table as a note (None, reported, when it has no title)."""
        cells = cells + [""] * (len(columns.roles) - len(cells))
        title_cell = cells[columns.title]
        parts = parse_item_text(title_cell)
        problems = list(parts.problems)
        title = parts.title
        skip = {columns.title}
        if columns.name is not None and (not title or title.casefold() in _GENERIC_TITLES) \
                and clean_title(cells[columns.name]):
            title = clean_title(cells[columns.name])
            skip.add(columns.name)  # it gave the title
        if not title:
            shown = restore(" | ".join(c for c in cells if c))
            self.problem(no, f"table row '{shown}' has no title (its '{columns.names[columns.title]}' cell is "
                             "empty); not imported")
            return None
        row = RowFields(links=list(parts.links), summary=[parts.remark] if parts.remark else [])
        for k, cell in enumerate(cells):
            if k not in skip:
                header = columns.names[k] if k < len(columns.names) else ""
                role = columns.roles[k] if k < len(columns.roles) else "extra"
                row.read_cell(role, header, cell, problems)
        for message in problems:
            self.problem(no, message)
        remark = analyse_remark(" · ".join(row.summary), find_venue=row.venue is None,
                                find_authors=not row.authors, extra_venues=parts.venues if row.venue is None else ())
        remark.venue = row.venue or remark.venue
        remark.authors = row.authors or remark.authors
        venue_year = year_in(remark.venue) if remark.venue else None
        if venue_year and row.year and venue_year != row.year:
            self.problem(no, f"year {row.year} differs from the venue '{remark.venue}'; the venue's year was kept")
        return self.note(no, path, title, row.links, remark, row.year or year, tags=row.tags)

    # -- categories
    def categories(self) -> list[SourceCategory]:
        """Categories with papers (or papers below them), in the file's order, with their
        introductions; a section without papers lends its text to the nearest one above."""
        has_notes = {note.category[:depth] for note in self.notes for depth in range(len(note.category) + 1)}
        intros: dict[tuple[str, ...], list[str]] = {}
        for path, chunks in self.prose.items():
            home, heading = intro_home(path, has_notes)
            texts = intros.setdefault(home, [])
            if heading:
                texts.append(heading)
            for chunk in chunks:
                texts.append("\n".join(text for _, text in chunk.lines).strip("\n"))
                if chunk.after_paper:
                    first, last = chunk.lines[0][0], chunk.lines[-1][0]
                    span = f" (lines {first}–{last})" if last != first else ""
                    self.problem(first, f"text between the papers of '{' / '.join(path)}'{span} is not a paper; "
                                        "it was added to the introduction of its category")
        categories = [SourceCategory(path, origin=f"{self.file}:{line}")
                      for path, line in self.category_lines.items() if path in has_notes]
        by_path = {c.path: c for c in categories}
        for path, texts in intros.items():
            category = by_path.get(path)
            if category is None:
                first = self.prose[path][0].lines[0][0] if path in self.prose else 1
                category = SourceCategory(path, origin=f"{self.file}:{first}")
                categories.insert(0, category) if not path else categories.append(category)
                by_path[path] = category
            category.intro = separate_display_math("\n\n".join(t for t in texts if t.strip())).strip() + "\n"
        return categories


@dataclass
class RowFields:
    """What the cells of one table row (other than its title) give."""

    links: list[Link] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    venue: str | None = None
    year: int | None = None
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def read_cell(self, role: str | None, header: str, cell: str, problems: list[str]) -> None:
        matches = find_links(cell)
        for link in make_links(matches, None, problems):
            if all(link.url != other.url for other in self.links):
                self.links.append(link)
        text = clean_text(without_links(cell, matches)).strip()
        if role == "index" or is_placeholder(text):
            return
        if role == "venue":
            self.venue = text
        elif role == "year":
            match = re.search(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)", text)
            if match:
                self.year = int(match.group(1))
            else:
                problems.append(f"'{text}' in the '{header}' column is not a year; added to the summary")
                self.summary.append(f"{header}: {text}")
        elif role == "authors":
            self.authors = split_names(text)
        elif role == "tags":
            self.tags = tuple(t.strip() for t in re.split(r"[,，、;；/]", text) if t.strip())
        elif role == "note":
            self.summary.append(text)
        else:
            self.summary.append(f"{header}: {text}" if header else text)


# --------------------------------------------------------------------------- detection and entry point

_HTTP_LINK = re.compile(r"\]\(\s*<?https?://|<https?://|(?<![\w/])https?://", re.IGNORECASE)


def looks_like_awesome(text: str) -> bool:
    """An awesome list: at least three list items with an http(s) link (and at least half as many
    as the lines of prose), or a table of papers. Never a README reading list (``<details>`` and
    status markers: ``readme.looks_like_readme``) nor a note with front matter."""
    sample = text[:500_000].lstrip("\ufeff")
    if looks_like_readme(sample) or re.match(r"^---[ \t]*\r?\n", sample):
        return False
    lines = list(enumerate(sample.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1))
    fenced, _ = fence_flags(lines)
    items = prose = 0
    for i, (_, line) in enumerate(lines):
        if fenced[i] or is_skippable(line) or parse_heading(line):
            continue
        if is_table_start(lines, i) and i + 2 < len(lines) and "|" in lines[i + 2][1] \
                and table_columns(split_row(line)) is not None:
            return True
        if _ITEM.match(line) and _HTTP_LINK.search(line):
            items += 1
        elif "|" not in line:
            prose += 1
    return items >= 3 and items * 2 >= prose


def parse_awesome(path: Path) -> ParsedSource:
    """Every paper of an awesome list, its categories and the lines that could not be understood."""
    path = Path(path)
    text, problems = read_text(path)
    lines = list(enumerate(text.split("\n"), start=1))
    lines, conflict_problems = drop_conflict_markers(lines, path.name)
    parser = AwesomeParser(path, drop_comments(lines))
    notes, categories = parser.run()
    all_problems = problems + conflict_problems + parser.problems
    all_problems.sort(key=lambda p: p.line or 0)
    return ParsedSource(kind="awesome", root=path.absolute().parent, notes=notes, problems=all_problems,
                        categories=categories)
