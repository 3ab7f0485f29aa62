"""Read a GitHub README reading list (shape (a) of issue #5) into ``ImportedNote``s.

The shape::

    ✅ read · ❌ unread · ⬜ skimmed · 🟧 triage            <- legend (not papers)

    ## 知识蒸馏（Knowledge Distillation）                    <- category (### sub-category)

    <details>
    <summary> :white_check_mark: <a href="https://arxiv.org/abs/1503.02531">Distilling …</a> </summary>
    <br>
    <blockquote>

    **NIPS 2014 workshop**                                   <- venue (year from it)
    Markdown body, kept exactly ($p_i = \\frac{…}{…}$, images, HTML lists, nested <details>)
    </blockquote>
    </details>

    🟧 Some Paper Title（a note in brackets）                 <- a bare paper line

Decisions (each case is one small function below):

* Line endings and a BOM are normalised first; line numbers are those of the file.
* Merge-conflict markers (``<<<<<<<``, ``|||||||``, ``=======``, ``>>>>>>>``) are dropped and
  *both* sides are kept; each marker line is reported. The shared writer merges the duplicates.
* ``#`` is the README's title. Categories are ``##`` headings (``###`` a sub-category, deeper
  nests further), their text kept as written (HTML tags dropped, entities decoded, trimmed).
  A README without any ``##`` uses ``#`` headings as categories. An empty heading (``##`` used as
  a separator) is ignored: the category stays what it was.
* Legend lines (two or more status markers, or one marker followed only by status words such as
  "已阅读" / "= read") are skipped wherever they stand.
* A ``<details>`` block is a paper. Status: the status marker at the start (or else the end) of
  its ``<summary>`` — emoji, GitHub shortcode, or a bracketed word like ``[已读]``; none → None.
  Title: the text of the summary without the marker, the first link's text plus any text after
  it (a title broken over lines is joined with a space), tags stripped, entities decoded. Links:
  every ``<a href>`` (and ``[text](url)``) of the summary, in order; an arxiv.org abs/pdf link
  also gives ``arxiv``.
* The body is what follows ``</summary>`` up to the matching ``</details>`` (nested ``<details>``
  in the body are counted; tags inside code fences and code spans are not — fences are followed
  through the whole file, as GitHub does). Leading/trailing
  blank and ``<br>`` lines and one wrapping ``<blockquote>`` … ``</blockquote>`` are removed; all
  other text is kept byte for byte (math, HTML lists, inner ``<br>``). A first line that is bold
  only and looks like a venue (has a year, an upper-case acronym like ICLR, or "arXiv") becomes
  ``venue``. A ``<details>`` never closed ends at the next heading or paper block (reported).
* Images (``![…](path)``, ``<img src=…>``) that are local files are reported as ``ImageRef``s
  (``written`` as in the body, ``path`` below the README's folder, percent-decoded); the writer
  copies them and finds files whose names differ in letter case.
* A bare status line outside ``<details>`` (``🟧 Title``, ``- ✅ Title``, ``✅ [Title](url)``)
  is a paper without body. A trailing full-width bracket note ``（…）`` is *moved to summary*:
  it is the reader's remark, not part of the paper's title (so duplicates still match by title).
  ASCII parentheses stay in the title ("(Almost) Free …"). Text after a link goes to summary too.
* Anything else outside a paper block is reported once per paragraph (or code fence); layout
  lines (blank, ``<br>``, ``<hr>``, ``---``, ``<p>``/``<div>``, comments, badges and images,
  table-of-contents anchor links, ``[TOC]``) are skipped quietly.
* Duplicates are *not* merged here; the shared writer does that.
* A README written by ``papernotes export readme`` (it starts with ``GENERATED_MARKER``) is read
  exactly as it was written: the venue is the bold line right after the blank line that opens
  the ``<blockquote>``, Markdown links in summaries are not looked for, and the escapes of the
  exporter (``&lt;`` in front of a ``details``/``blockquote`` tag that would break the structure)
  are undone. The fields comment after ``<blockquote>`` gives tags, authors, year, date,
  summary, arXiv id, DOI and further keys (the arXiv id is not guessed from the links then), and
  the summary's italic line is not part of the body. See ``papernotes.exporters.readme``.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from ..load.fields import STATUS_ALIASES, parse_year
from ..load.venues import venue_in_text, venue_line
from ..load.frontmatter import normalize_text
from ..model import STATUS_LABELS, Link, Status
from ..urls import guess_label, is_machine_local, url_problem
from .markdown import FenceTracker, machine_local_paths, mask_code_spans, separate_display_math
from .model import ImageRef, ImportedNote, ImportProblem, ParsedSource, SourceCategory, intro_home

#: First line of a README written by ``papernotes export readme``.
GENERATED_MARKER = "<!-- generated by papernotes export readme -->"

MAX_SUMMARY_LINES = 12  # a <summary> longer than this is taken as never closed

# --------------------------------------------------------------------------- status markers

_VS16 = "\ufe0f"
_SYMBOL_ALIASES = {k: v for k, v in STATUS_ALIASES.items() if k.startswith(":") or not re.search(r"\w", k)}
_SYMBOLS = sorted({k.replace(_VS16, "") for k in _SYMBOL_ALIASES}, key=len, reverse=True)
#: One status emoji or GitHub shortcode (an emoji may carry a variation selector).
MARKER = re.compile("(?:" + "|".join(re.escape(s) for s in _SYMBOLS) + ")" + _VS16 + "?")
_WORD_ALIASES = {k.casefold(): v for k, v in STATUS_ALIASES.items() if k not in _SYMBOL_ALIASES}
_WORDS = "|".join(re.escape(w) for w in sorted(_WORD_ALIASES, key=len, reverse=True))
#: ``[已读]``, ``【read】``, ``(todo)``, ``read:`` / ``已阅读 |`` at the start of a summary.
_LEADING_WORD = re.compile(rf"^\s*(?:[\[【(（]\s*({_WORDS})\s*[\]】)）]|({_WORDS})\s*[:：|])\s*", re.IGNORECASE)

_LEGEND_WORDS = {w.casefold() for w in STATUS_ALIASES if w not in _SYMBOL_ALIASES}
_LEGEND_WORDS |= {part.casefold() for label in STATUS_LABELS.values() for part in label.split()}
_LEGEND_WORDS |= {"legend", "图例", "状态", "说明", "标记", "to", "not", "yet", "reading", "待读", "在读",
                  "精读", "粗读", "已精读", "已粗读", "读过", "没读", "未读完", "unsorted", "未分类", "待定",
                  "papers", "paper", "论文", "篇", "total", "共", "in", "progress", "skim"}
_LEGEND_TITLES = {"legend", "图例", "状态说明", "状态", "说明", "标记", "status", "key", "emoji"}


def status_of(marker: str) -> Status | None:
    """The status an emoji, shortcode or word stands for."""
    text = marker.strip()
    return (STATUS_ALIASES.get(text) or STATUS_ALIASES.get(text.replace(_VS16, ""))
            or _WORD_ALIASES.get(text.casefold()))


# --------------------------------------------------------------------------- small text helpers

_TAG = re.compile(r"<[^<>]*>")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_BR_LINE = re.compile(r"^\s*(?:<br\s*/?>\s*)+$", re.IGNORECASE)


def plain(fragment: str) -> str:
    """Text of an HTML/Markdown fragment: tags dropped, entities decoded, spaces collapsed."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", _BR.sub(" ", fragment)))).strip()


# --------------------------------------------------------------------------- structural tags

_STRUCTURE_TAG = re.compile(r"<(/?)(details|blockquote)(?:\s[^<>]*)?>", re.IGNORECASE)
#: ``&lt;`` (or ``&amp;lt;``, …) in front of a details/blockquote tag: the exporter's escapes.
ESCAPED_TAG = re.compile(r"&((?:amp;)*)lt;(?=/?(?:details|blockquote)(?:[\s>]|$))", re.IGNORECASE)


@dataclass(frozen=True)
class Tag:
    start: int
    end: int
    name: str  # "details" or "blockquote", lower case
    closing: bool


def structure_tags(line: str) -> list[Tag]:
    """The ``<details>``/``<blockquote>`` tags of a line, outside inline code spans."""
    return [Tag(m.start(), m.end(), m.group(2).lower(), bool(m.group(1)))
            for m in _STRUCTURE_TAG.finditer(mask_code_spans(line))]


def unescape_structure(text: str) -> str:
    """Undo ``exporters.readme.escape_structure``: one level of ``&lt;``/``&amp;`` before a tag."""
    return ESCAPED_TAG.sub(lambda m: "&" + m.group(1)[4:] + "lt;" if m.group(1) else "<", text)


# --------------------------------------------------------------------------- reading the file

Line = tuple[int, str]  # (1-based line number in the file, text)


def read_text(path: Path) -> tuple[str, list[ImportProblem]]:
    """The file as text: UTF-8 (with or without BOM) or UTF-16 with a BOM; CRLF/CR → LF."""
    raw = path.read_bytes()
    problems: list[ImportProblem] = []
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16", errors="replace")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            problems.append(ImportProblem(path.name, line, f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); "
                                                           "undecodable bytes were replaced by �"))
            text = raw.decode("utf-8", errors="replace")
    return normalize_text(text), problems


def parse_lines(path: Path, make_parser) -> ParsedSource:
    """Read ``path`` (as ``read_text``) and run ``make_parser(path, numbered lines).run()``,
    the reading problems sorted in with the parser's."""
    path = Path(path)
    text, problems = read_text(path)
    parsed = make_parser(path, list(enumerate(text.split("\n"), start=1))).run()
    parsed.problems = sorted(problems + parsed.problems, key=lambda p: p.line or 0)
    return parsed


_CONFLICT = re.compile(r"^(<{7}|\|{7}|={7}|>{7})(?:[ \t].*)?$")


def drop_conflict_markers(lines: list[Line], file: str) -> tuple[list[Line], list[ImportProblem]]:
    """Remove merge-conflict marker lines, keeping both sides' text; report each marker.

    ``=======`` only counts between a ``<<<<<<<`` and its ``>>>>>>>`` (elsewhere it may be a
    Markdown heading underline)."""
    kept: list[Line] = []
    problems: list[ImportProblem] = []
    open_conflict = False
    for no, text in lines:
        match = _CONFLICT.match(text.rstrip())
        kind = match.group(1)[0] if match else None
        if kind == "<" or (open_conflict and kind in ("|", "=", ">")):
            open_conflict = kind != ">"
            problems.append(ImportProblem(file, no, f"merge-conflict marker '{text.strip()}': both sides were kept; "
                                                    "resolve the conflict in the README or check the imported duplicates"))
            continue
        kept.append((no, text))
    return kept, problems


# --------------------------------------------------------------------------- headings and legend

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+$")


def parse_heading(text: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading; the text is "" for an empty heading (a separator)."""
    match = _HEADING.match(text)
    if not match:
        return None
    title = _CLOSING_HASHES.sub("", match.group(2) or "")
    return len(match.group(1)), plain(title)


def is_legend_line(text: str) -> bool:
    """A legend line names what the status markers mean; it is not a paper."""
    markers = MARKER.findall(text)
    if not markers:  # "图例 / Legend:" above the markers
        words = [w for w in re.split(r"[\s/|:：,，()（）*_#\-]+", plain(text).casefold()) if w]
        return bool(words) and all(w in _LEGEND_TITLES for w in words)
    if len({status_of(m) for m in markers}) >= 2:
        return True
    rest = plain(MARKER.sub(" ", text)).casefold()
    words = [w for w in re.split(r"[\s\-–—=:：|,，、.。·•*_()（）\[\]【】/\d]+", rest) if w]
    return all(w in _LEGEND_WORDS for w in words)


# --------------------------------------------------------------------------- summaries

_DETAILS_OPEN = re.compile(r"<details(?:\s[^<>]*)?>", re.IGNORECASE)
_SUMMARY_OPEN = re.compile(r"<summary(?:\s[^<>]*)?>", re.IGNORECASE)
_SUMMARY_CLOSE = re.compile(r"</summary\s*>", re.IGNORECASE)
_ANCHOR = re.compile(r"<a\b([^<>]*)>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_MD_LINK = re.compile(r"(?<!!)\[((?:[^\[\]]|\[[^\[\]]*\])+)\]\(\s*<?([^()\s<>]+(?:\([^()\s]*\)[^()\s<>]*)*)>?(?:\s+\"[^\"]*\")?\s*\)")
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([a-z\-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})(v\d+)?", re.IGNORECASE)
_EDGE_PUNCT_LEFT = re.compile(r"^(?:[|:：\-–—·•]+\s+)+")
_EDGE_PUNCT_RIGHT = re.compile(r"(?:\s+[|\-–—·•]+)+$")
_WRAPPING_EMPHASIS = re.compile(r"^(\*\*|__|\*|_)(.+)\1$")
_FULLWIDTH_NOTE = re.compile(r"^(.*?\S)\s*（([^（）]*)）\s*$")


@dataclass
class Summary:
    status: Status | None
    title: str
    links: list[Link] = field(default_factory=list)
    rest: str | None = None  # text after a Markdown link on a bare line
    problems: list[str] = field(default_factory=list)


def take_status(fragment: str) -> tuple[Status | None, str]:
    """The status marker at the start of the fragment (after tags), else at its end; the
    fragment without it. Only one marker is taken: a title may contain another."""
    leading = re.match(r"^((?:\s|<[^<>]*>)*)", fragment).group(1)
    after = fragment[len(leading):]
    match = MARKER.match(after)
    if match:
        return status_of(match.group(0)), leading + after[match.end():]
    word = _LEADING_WORD.match(after)
    if word:
        return status_of(word.group(1) or word.group(2)), leading + after[word.end():]
    trailing = re.search(r"((?:\s|<[^<>]*>)*)$", fragment).group(1)
    before = fragment[: len(fragment) - len(trailing)]
    match = re.search("(?:" + MARKER.pattern + r")$", before)
    if match:
        return status_of(match.group(0)), before[: match.start()] + trailing
    return None, fragment


def anchor_href(attributes: str) -> str | None:
    match = _HREF.search(attributes)
    if not match:
        return None
    return html.unescape(next(g for g in match.groups() if g is not None)).strip()


def link_for(url: str, text: str, problems: list[str]) -> Link | None:
    """A Link for an absolute http(s)/mailto URL; anything else is reported and dropped."""
    if not url or url.startswith("#"):
        return None
    problem = url_problem(url)
    if problem or not re.match(r"^(https?:|mailto:)", url, re.IGNORECASE):
        problems.append(f"link '{url}' {problem or 'is not an absolute http(s) address'}; left out")
        return None
    label = plain(text).strip()
    if label.startswith("[") and label.endswith("]"):
        label = label[1:-1].strip()
    return Link(label or guess_label(url), url)


def clean_title(fragment: str, generated: bool) -> str:
    title = plain(fragment)
    if not generated:
        title = _EDGE_PUNCT_RIGHT.sub("", _EDGE_PUNCT_LEFT.sub("", title)).strip()
        emphasis = _WRAPPING_EMPHASIS.match(title)
        if emphasis:
            title = emphasis.group(2).strip()
    return title


def parse_summary(fragment: str, generated: bool = False) -> Summary:
    """Status, title and links of a ``<summary>``'s inside (or of a bare paper line)."""
    status, rest = take_status(fragment)
    problems: list[str] = []
    links: list[Link] = []
    title_parts: list[str] = []
    first_link_seen = False
    position = 0
    pattern = _ANCHOR if generated else re.compile(f"{_ANCHOR.pattern}|{_MD_LINK.pattern}", re.IGNORECASE | re.DOTALL)
    for match in pattern.finditer(rest):
        before = rest[position:match.start()]
        position = match.end()
        if match.group(0).startswith("<"):
            url, text = anchor_href(match.group(1)), match.group(2)
        else:
            url, text = match.group(4).strip(), match.group(3)
        title_parts.append(before)
        if url is None or url.startswith("#"):
            title_parts.append(text)  # <a name="…">Title</a>: not a link
            continue
        link = link_for(url, text if first_link_seen else "", problems)
        if not first_link_seen:
            title_parts.append(text)
            first_link_seen = True
        if link and all(link.url != other.url for other in links):
            links.append(link)
    title_parts.append(rest[position:])
    return Summary(status, clean_title(" ".join(title_parts), generated), links, problems=problems)


def arxiv_id(links: list[Link]) -> str | None:
    """The arXiv id of the first arxiv.org abs/pdf link, version kept."""
    for link in links:
        match = _ARXIV_URL.search(link.url)
        if match:
            return match.group(1) + (match.group(2) or "")
    return None


# --------------------------------------------------------------------------- bodies

BOLD_LINE = re.compile(r"^\s*(?:\*\*(.+)\*\*|__(.+)__|<(?:b|strong)>(.+)</(?:b|strong)>)\s*(?:<br\s*/?>)?\s*$", re.IGNORECASE)
def trim_blank_edges(lines: list[str], br_too: bool = True) -> list[str]:
    """Drop blank (and ``<br>``-only) lines at both ends."""
    def empty(line: str) -> bool:
        return not line.strip() or (br_too and bool(_BR_LINE.match(line)))

    start, end = 0, len(lines)
    while start < end and empty(lines[start]):
        start += 1
    while end > start and empty(lines[end - 1]):
        end -= 1
    return lines[start:end]


def unwrap_blockquote(lines: list[str]) -> list[str]:
    """Remove a ``<blockquote>`` that opens the body and its ``</blockquote>`` if it closes it.

    An opening never closed is removed as well (GitHub closes it at the end of the block). A
    blockquote that closes before the end of the body is a quote in the body: kept. What is left
    of the tags' lines is kept unless blank."""
    if not lines:
        return lines
    first_tags = structure_tags(lines[0])
    if (not first_tags or lines[0][: first_tags[0].start].strip() or first_tags[0].name != "blockquote"
            or first_tags[0].closing):
        return lines
    opening = first_tags[0]
    inner = lines[:]
    depth = 0
    fences = FenceTracker()
    for index, line in enumerate(lines):
        if index and fences.feed(line):
            continue
        for tag in structure_tags(line):
            if tag.name != "blockquote":
                continue
            depth += -1 if tag.closing else 1
            if depth == 0:
                if index != len(lines) - 1 or line[tag.end:].strip():
                    return lines
                inner[-1] = line[: tag.start]
                break
    inner[0] = inner[0][opening.end:]
    if len(inner) > 1 and not inner[-1].strip():
        inner.pop()
    if inner and not inner[0].strip():
        inner.pop(0)
    return inner


_BOLD_LEAD = re.compile(r"^\s*(\*\*|__)(.+?)\1\s+(\S.*)$")


def take_venue(lines: list[str], generated: bool) -> tuple[str | None, list[str]]:
    """The venue of a body, and the body lines without it (see ``papernotes.load.venues``):

    * a bold-only first line that is essentially a venue (``**ICLR 2023**``): the line goes;
    * a bold first line that starts with a venue and runs on into a sentence: the venue is taken,
      the sentence stays (still bold); a bold venue followed by plain text on its line likewise;
    * else the one venue with a year inside the first paragraph (``…（CVPR 2023）``): taken, the
      text is unchanged. Anything else is no venue."""
    if generated:
        # Written as: <blockquote>, one blank line, **venue** (see the exporter).
        if len(lines) >= 2 and not lines[0].strip() and BOLD_LINE.match(lines[1]):
            match = BOLD_LINE.match(lines[1])
            venue = next(g for g in match.groups() if g is not None)
            return plain(venue), lines[2:]
        return None, lines
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return None, lines
    lead = _BOLD_LEAD.match(lines[first])
    if lead and not BOLD_LINE.match(lines[first]):  # "**ICLR 2023** 这篇文章……": a bold venue, then text
        found = venue_line(plain(lead.group(2)))
        if found is not None and not found.rest:
            return found.venue, lines[:first] + [lead.group(3)] + lines[first + 1:]
    match = BOLD_LINE.match(lines[first])
    if match:
        found = venue_line(plain(next(g for g in match.groups() if g is not None)))
        if found is not None and not found.rest:
            return found.venue, lines[:first] + lines[first + 1:]
        if found is not None:
            marks = "**" if lines[first].lstrip().startswith("**") else "__"
            return found.venue, lines[:first] + [f"{marks}{found.rest}{marks}"] + lines[first + 1:]
    paragraph = []
    for line in lines[first:]:
        if not line.strip():
            break
        paragraph.append(line)
    return venue_in_text("\n".join(paragraph)), lines


def clean_body(lines: list[str], generated: bool) -> tuple[str, str | None, dict | None]:
    """(body, venue, fields) from the raw lines between ``</summary>`` and ``</details>``;
    ``fields``: what the fields comment of a generated README holds (None: not a JSON object)."""
    lines = trim_blank_edges(lines)
    lines = unwrap_blockquote(lines)
    fields: dict | None = {}
    if generated:
        fields, lines = take_fields(lines)
        lines = [unescape_structure(line) for line in lines]
    else:
        lines = trim_blank_edges(lines)
    venue, lines = take_venue(lines, generated)
    summary = (fields or {}).get("summary")
    if (isinstance(summary, str) and len(lines) >= 2 and not lines[0].strip()
            and lines[1] == unescape_structure(summary_paragraph(summary))):
        lines = lines[2:]  # the summary as shown (the exporter writes it after the venue)
    lines = trim_blank_edges(lines, br_too=not generated)
    body = "\n".join(lines).rstrip()
    if not generated:  # GitHub shows a $$ line after text as display math: keep it display everywhere
        body = separate_display_math(body)
    return (body + "\n" if body else ""), venue, fields


# --------------------------------------------------------------------------- fields a block does not show

#: ``export readme`` writes the fields a block does not show (tags, authors, summary, …) as one
#: JSON object in a comment on the line after ``<blockquote>``, hidden on GitHub.
_FIELDS_COMMENT = re.compile(r"^<!-- papernotes (\{.*\}) -->$")


def fields_comment(fields: dict) -> str:
    """The comment line for ``fields``: ``<``, ``>`` and ``&`` are JSON escapes in it, so no
    ``-->`` ends it early and no ``<details>`` in a value is taken for a tag."""
    text = json.dumps(fields, ensure_ascii=False)
    for char in "<>&":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return f"<!-- papernotes {text} -->"


def summary_paragraph(summary: str) -> str:
    """A note's ``summary`` as ``export readme`` shows it, under the venue: text (as on the
    site), in italics, on one line."""
    return f"<p><em>{html.escape(' '.join(summary.splitlines()), quote=False)}</em></p>"


def take_fields(lines: list[str]) -> tuple[dict | None, list[str]]:
    """The fields comment that opens a generated block's body ({} when there is none; None when
    it is not a JSON object), and the lines after it."""
    match = _FIELDS_COMMENT.match(lines[0]) if lines else None
    if not match:
        return {}, lines
    try:
        fields = json.loads(match.group(1))
    except ValueError:
        fields = None
    return (fields if isinstance(fields, dict) else None), lines[1:]


def apply_fields(note: ImportedNote, fields: dict) -> None:
    """What a fields comment holds, on the note; values of other types are left to the loader
    to report once the note is written."""
    for name in ("tags", "authors"):
        if isinstance(fields.get(name), list):
            setattr(note, name, tuple(str(value) for value in fields[name]))
    for name in ("year", "summary", "arxiv", "doi"):
        if fields.get(name) is not None:
            setattr(note, name, fields[name])
    if isinstance(fields.get("date"), str):
        try:
            note.date = dt.date.fromisoformat(fields["date"])
        except ValueError:
            note.date = fields["date"]  # written as it is: the loader names the problem
    if isinstance(fields.get("extra"), dict):
        note.extra.update(fields["extra"])
    if isinstance(fields.get("link"), str) and note.links:  # the title's link: its label is not shown
        note.links[0] = Link(fields["link"], note.links[0].url)


MD_IMAGE = re.compile(r"!\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^<>\n]+>|[^()\s]+(?:\([^()\s]*\)[^()\s]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)")
IMG_TAG = re.compile(r"""<img\b[^<>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_REMOTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.\-]*:|//|#)")


def local_image_path(written: str, base: Path) -> Path | None:
    """The file a local image reference points at, or None for a remote/data/anchor one."""
    if not written or _REMOTE.match(written) or is_machine_local(written):
        return None
    target = unquote(re.split(r"[?#]", written, maxsplit=1)[0]).lstrip("/")
    if not target or "\0" in target:  # no file can be named with a NUL
        return None
    return Path(os.path.normpath(base / target))


def find_images(body: str, base: Path) -> list[ImageRef]:
    """Local images of a body (outside code), each once, as written."""
    refs: dict[str, ImageRef] = {}
    fences = FenceTracker()
    for line in body.split("\n"):
        if fences.feed(line):
            continue
        masked = mask_code_spans(line)
        found = [m.group(1) for m in MD_IMAGE.finditer(masked)]
        found += [next(g for g in m.groups() if g is not None) for m in IMG_TAG.finditer(masked)]
        for written in found:
            written = written[1:-1] if written.startswith("<") and written.endswith(">") else written
            path = local_image_path(written, base)
            if path is not None and written not in refs:
                refs[written] = ImageRef(written=written, path=path)
    return list(refs.values())


# --------------------------------------------------------------------------- lines outside papers

_LIST_MARK = r"(?:[-*+]|\d{1,3}[.)])"
_BARE = re.compile(rf"^\s*(?:{_LIST_MARK}\s+)?(?:\[[ xX]\]\s+)?(\*\*|__)?\s*(?=" + MARKER.pattern + ")")
_LAYOUT = re.compile(
    r"^\s*(?:"
    r"(?:<br\s*/?>\s*)+|<hr\s*/?>|(?:-{3,}|\*{3,}|_{3,})|\[TOC\]|\[\[_TOC_\]\]"
    r"|</?(?:p|div|center|span|h\d|section|picture|source|table|tr|td|th|tbody|thead)(?:\s[^<>]*)?>\s*"
    r"|\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?"  # a table's separator row
    r")\s*$", re.IGNORECASE)
_IMAGE_ONLY = re.compile(r"^\s*(?:(?:\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)|!\[[^\]]*\]\([^)]*\)|<img\b[^<>]*>|<a\b[^<>]*>\s*<img\b[^<>]*>\s*</a>)\s*)+$", re.IGNORECASE)
_TOC_LINK = re.compile(rf"^\s*(?:{_LIST_MARK}\s+)?\[[^\]]+\]\(#[^)]*\)\s*$")


def is_layout_line(text: str) -> bool:
    """Blank lines, rules, wrappers, badges, images and table-of-contents links: no paper, no loss."""
    return (not text.strip() or bool(_LAYOUT.match(text)) or bool(_IMAGE_ONLY.match(text))
            or bool(_TOC_LINK.match(text)))


def parse_bare_line(text: str) -> Summary | None:
    """``🟧 Title（note）``, ``- ✅ Title``, ``✅ [Title](url) comment`` → a paper without body."""
    match = _BARE.match(text)
    if not match:
        return None
    rest = text[match.end():].rstrip()
    if match.group(1) and rest.endswith(match.group(1)):  # **✅ Title**
        rest = rest[: -len(match.group(1))]
    status, rest = take_status(rest)
    summary = Summary(status, "")
    link = re.match(rf"\s*(?:{_MD_LINK.pattern}|{_ANCHOR.pattern})", rest, re.IGNORECASE | re.DOTALL)
    if link:
        if link.group(1) is not None:
            text_part, url = link.group(1), link.group(2).strip()
        else:
            text_part, url = link.group(4), anchor_href(link.group(3)) or ""
        summary.title = clean_title(text_part, generated=False)
        found = link_for(url, "", summary.problems)
        summary.links = [found] if found else []
        after = clean_title(rest[link.end():], generated=False)
        summary.rest = after or None
    else:
        summary.title = clean_title(rest, generated=False)
    note = _FULLWIDTH_NOTE.match(summary.title)
    if note and note.group(2).strip():
        summary.title = note.group(1).strip()
        summary.rest = " ".join(filter(None, [note.group(2).strip(), summary.rest]))
    return summary if summary.title else None


# --------------------------------------------------------------------------- the parser

@dataclass
class _Heading:
    index: int  # position among the parser's events
    level: int
    text: str
    line: int = 0


@dataclass
class _Prose:
    index: int
    lines: list[Line]  # a paragraph (or code block) outside every paper, as written


class ReadmeParser:
    """One pass over the lines: papers, headings (categories are assigned at the end) and problems."""

    def __init__(self, path: Path, lines: list[Line], generated: bool) -> None:
        self.path = path
        self.file = path.name
        self.base = path.parent
        self.lines = lines
        self.generated = generated
        self.position = {no: index for index, (no, _) in enumerate(lines)}  # line number -> index
        # Code fences are followed through the whole file (as GitHub does: a fence left open in a
        # paper's body runs on past its </details>), so every step agrees on what is code.
        fences = FenceTracker()
        self.fenced: list[bool] = []
        self.fence_opens: list[bool] = []  # the line opens a code fence
        for _, text in lines:
            was_inside = fences.inside
            self.fenced.append(fences.feed(text))
            self.fence_opens.append(self.fenced[-1] and not was_inside)
        self.unclosed = self.unclosed_openings()
        self.events: list[ImportedNote | _Heading | _Prose] = []
        self.problems: list[ImportProblem] = []
        self._prose: list[Line] = []

    # -- problems
    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(ImportProblem(self.file, line, message))

    def flush_prose(self) -> None:
        """A paragraph of text that is no paper: kept, as part of its section's introduction."""
        if not self._prose:
            return
        self.events.append(_Prose(len(self.events), self._prose))
        self._prose = []

    # -- main loop
    def run(self) -> tuple[list[ImportedNote], list[SourceCategory]]:
        i = 0
        pending: str | None = None  # the rest of a line after a closing </details>
        in_comment = False
        fence_start: int | None = None
        while i < len(self.lines):
            no, text = self.lines[i]
            fresh = pending is None
            if pending is not None:
                text, pending = pending, None
            if in_comment:
                in_comment = "-->" not in text
                i += 1
                continue
            if fresh and self.fenced[i]:
                if fence_start is None:
                    self.flush_prose()
                    fence_start = no
                self._prose.append((no, text))
                if i + 1 >= len(self.lines) or not self.fenced[i + 1] or self.fence_opens[i + 1]:
                    self.flush_prose()  # a code block outside the papers: kept like prose
                    fence_start = None
                i += 1
                continue
            opening = _DETAILS_OPEN.search(mask_code_spans(text))
            if opening and not text[: opening.start()].strip():
                self.flush_prose()
                i, pending = self.read_details(i, text[opening.end():], fresh)
                continue
            self.outside_line(no, text)
            if text.lstrip().startswith("<!--") and "-->" not in text:
                in_comment = True
            i += 1
        self.flush_prose()
        return self.assign_categories()

    def outside_line(self, no: int, text: str) -> None:
        """A line outside every <details>: heading, legend, bare paper, layout, or prose."""
        heading = parse_heading(text)
        if heading:
            self.flush_prose()
            if heading[1]:
                self.events.append(_Heading(len(self.events), *heading, line=no))
            return
        if is_layout_line(text) or text.lstrip().startswith("<!--"):
            self.flush_prose()
            return
        if is_legend_line(text):
            self.flush_prose()
            return
        stray = structure_tags(text)
        if stray and not plain(_STRUCTURE_TAG.sub("", text)) and all(t.closing for t in stray):
            self.flush_prose()
            self.problem(no, f"'{text.strip()}' closes no paper block; ignored")
            return
        bare = parse_bare_line(text)
        if bare:
            self.flush_prose()
            self.add_note(no, bare, body_lines=[], venue_from_body=False)
            return
        self._prose.append((no, text))

    # -- <details> blocks
    def unclosed_openings(self) -> set[int]:
        """Indexes of lines whose first ``<details>`` tag is never closed.

        Found once from a running count of the file's details tags (outside code), so a README
        full of unclosed blocks is not read to its end once per block."""
        events: list[tuple[int, bool, int]] = []  # (line index, first tag of its line and opening, +1/-1)
        for index, (_, text) in enumerate(self.lines):
            if self.fenced[index]:
                continue
            tags = [t for t in structure_tags(text) if t.name == "details"]
            for n, tag in enumerate(tags):
                events.append((index, n == 0 and not tag.closing, -1 if tag.closing else 1))
        unclosed: set[int] = set()
        levels = list(itertools.accumulate(delta for _, _, delta in events))
        lowest = math.inf  # the lowest level after the current event
        for k in range(len(events) - 1, -1, -1):
            index, first_opening, _ = events[k]
            if first_opening and lowest > levels[k] - 1:
                unclosed.add(index)
            lowest = min(lowest, levels[k])
        return unclosed

    def read_details(self, i: int, after_tag: str, fresh: bool = True) -> tuple[int, str | None]:
        """Read the block opened on line ``i``; returns where to go on (index, rest of a line)."""
        open_no = self.lines[i][0]
        summary_text, summary_no, j, rest = self.read_summary(i, after_tag)
        body, end, remainder, closed = self.read_until_close(j, rest, fresh and i in self.unclosed)
        if not closed:
            if end + 1 < len(self.lines):
                self.problem(open_no, "<details> is never closed by </details>; its paper was taken to end at "
                                      f"line {self.lines[end][0]}")
            else:
                self.problem(open_no, "<details> is never closed by </details>; its paper runs to the end of the file")
        if summary_text is None:
            self.problem(open_no, "<details> block without a <summary>: no paper title; not imported")
        else:
            summary = parse_summary(summary_text, self.generated)
            if not summary.title:
                self.problem(summary_no, "<summary> has no paper title; not imported")
            else:
                self.add_note(summary_no, summary, [t for _, t in body], venue_from_body=True)
        if remainder is not None and remainder.strip():
            return end, remainder
        return end + 1, None

    def read_summary(self, i: int, text: str) -> tuple[str | None, int, int, str]:
        """(summary inside, its line, index of the line where the body starts, body's first text)."""
        j = i
        while not text.strip():  # <details> alone on its line; the summary follows
            if j + 1 >= len(self.lines) or j - i >= 3:
                return None, self.lines[i][0], i, ""
            j += 1
            text = self.lines[j][1]
        opening = _SUMMARY_OPEN.match(text.lstrip())
        if not opening:
            return None, self.lines[i][0], j, text
        summary_no = self.lines[j][0]
        start = j
        parts = [text.lstrip()[opening.end():]]
        while not _SUMMARY_CLOSE.search(parts[-1]):
            nxt = j + 1
            stop = (nxt >= len(self.lines) or nxt - start >= MAX_SUMMARY_LINES or not self.lines[nxt][1].strip()
                    or structure_tags(self.lines[nxt][1]))
            if stop:
                self.problem(summary_no, "<summary> is never closed by </summary>; took its first line as the title")
                return parts[0], summary_no, start, ""
            j = nxt
            parts.append(self.lines[j][1])
        joined = "\n".join(parts)
        close = _SUMMARY_CLOSE.search(joined)
        return joined[: close.start()], summary_no, j, joined[close.end():]

    def read_until_close(self, j: int, first: str, unclosed: bool) -> tuple[list[Line], int, str | None, bool]:
        """Body lines up to the ``</details>`` matching the block's opening (nested ones counted):
        (lines, index of the last line, rest of that line after the tag, closed?).

        A block never closed (``unclosed``, or the end of the file reached) ends before the next
        heading or paper block outside code, which are then read again."""
        body: list[Line] = []
        depth = 1
        k, segment = j, first
        while True:
            if k >= len(self.lines):
                return self.cut_unclosed(body) if not unclosed else (body, len(self.lines) - 1, None, False)
            no = self.lines[k][0]
            code = k != j and self.fenced[k]
            if unclosed and k != j and not code and (parse_heading(segment) or self.starts_paper(k)):
                return body, k - 1, None, False
            if not unclosed and not code:
                for tag in structure_tags(segment):
                    if tag.name != "details":
                        continue
                    depth += -1 if tag.closing else 1
                    if depth == 0:
                        body.append((no, segment[: tag.start]))
                        return body, k, segment[tag.end:], True
            body.append((no, segment))
            k += 1
            if k < len(self.lines):
                segment = self.lines[k][1]

    def cut_unclosed(self, body: list[Line]) -> tuple[list[Line], int, None, bool]:
        """The end of the file was reached without the closing tag (the count of tags could not
        tell, e.g. the block began after another on the same line): cut at the next paper."""
        for n, (no, text) in enumerate(body):
            index = self.position[no]
            if n and index != self.position[body[n - 1][0]] and not self.fenced[index] and (
                    parse_heading(text) or self.starts_paper(index)):
                return body[:n], index - 1, None, False
        return body, len(self.lines) - 1, None, False

    def starts_paper(self, index: int) -> bool:
        """Line ``index`` opens a <details> whose summary (same or next line) starts with a status."""
        text = self.lines[index][1]
        if not _DETAILS_OPEN.match(text.lstrip()):
            return False
        following = text + " " + (self.lines[index + 1][1] if index + 1 < len(self.lines) else "")
        summary = _SUMMARY_OPEN.search(following)
        return bool(summary and take_status(following[summary.end():])[0])

    # -- notes and categories
    def add_note(self, line: int, summary: Summary, body_lines: list[str], venue_from_body: bool) -> None:
        for message in summary.problems:
            self.problem(line, message)
        body, venue, fields = clean_body(body_lines, self.generated) if venue_from_body else ("", None, {})
        if fields is None:
            self.problem(line, "the papernotes comment of this paper is not a JSON object; the fields in it "
                               "(tags, authors, summary, …) were left out")
            fields = {}
        if not venue_from_body and summary.rest and not self.generated:
            venue = venue_in_text(summary.rest)  # 🟧 Title（ICLR 2022 workshop，有空再看）
        note = ImportedNote(
            title=summary.title,
            origin=f"{self.file}:{line}",
            status=summary.status,
            venue=venue,
            year=parse_year(None, venue),
            summary=summary.rest,
            links=list(summary.links),
            arxiv=None if self.generated else arxiv_id(summary.links),  # generated: as the fields say
            body=body,
            images=find_images(body, self.base),
            local_paths=machine_local_paths(body),
        )
        if self.generated:
            apply_fields(note, fields)
        self.events.append(note)

    def assign_categories(self) -> tuple[list[ImportedNote], list[SourceCategory]]:
        """``##`` is the top category level (``#`` when the README has no ``##`` at all). Notes
        get their category and their place in it; categories come in the README's order, each
        with the prose under its heading (its introduction)."""
        headings = [e for e in self.events if isinstance(e, _Heading)]
        base = 2 if any(h.level >= 2 for h in headings) else 1
        stack: list[str] = []
        notes: list[ImportedNote] = []
        order: dict[tuple[str, ...], int] = {}
        seen: list[tuple[str, ...]] = []
        prose: dict[tuple[str, ...], list[tuple[_Prose, bool]]] = {}  # (paragraph, after a paper?)
        has_notes: set[tuple[str, ...]] = set()
        heading_of: dict[tuple[str, ...], _Heading] = {}
        for event in self.events:
            if isinstance(event, _Heading):
                if event.level < base:
                    stack = []  # the README's own title
                else:
                    stack = stack[: event.level - base] + [event.text]
                    path = tuple(stack)
                    heading_of.setdefault(path, event)
                    if path not in seen:
                        seen.append(path)
            elif isinstance(event, _Prose):
                path = tuple(stack)
                prose.setdefault(path, []).append((event, order.get(path, 0) > 0))
            else:
                path = tuple(stack)
                event.category = path
                order[path] = order.get(path, 0) + 1
                event.order = order[path]
                notes.append(event)
                for depth in range(len(path) + 1):
                    has_notes.add(path[:depth])
        intros: dict[tuple[str, ...], list[str]] = {}
        for path, paragraphs in prose.items():
            # A section without papers (its own or below it) lends its text, under its heading,
            # to the nearest section above it that has papers (else to the site's introduction).
            home, heading = intro_home(path, has_notes)
            texts = intros.setdefault(home, [])
            if heading:
                texts.append(heading)
            for paragraph, after_paper in paragraphs:
                texts.append("\n".join(text for _, text in paragraph.lines))
                if after_paper:
                    first, last = paragraph.lines[0][0], paragraph.lines[-1][0]
                    span = f" (lines {first}–{last})" if last != first else ""
                    self.problem(first, f"text between the papers of '{' / '.join(path)}'{span} was added to "
                                        "the introduction of its category")
        categories = [SourceCategory(path, origin=f"{self.file}:{heading_of[path].line}") for path in seen]
        by_path = {c.path: c for c in categories}
        for path, texts in intros.items():
            category = by_path.get(path)
            if category is None:
                category = SourceCategory(path, origin=f"{self.file}:{prose[path][0][0].lines[0][0]}"
                                          if path in prose else self.file)
                categories.insert(0, category) if not path else categories.append(category)
                by_path[path] = category
            category.intro = separate_display_math("\n\n".join(texts)).strip() + "\n"
        return notes, categories


def looks_like_readme(text: str) -> bool:
    """A README reading list: a ``<summary>`` starting with a status marker, or ``##`` headings
    with at least two status-marked paper lines."""
    sample = text[:500_000]
    if re.search(r"<summary(?:\s[^<>]*)?>(?:\s|<[^<>]*>)*(?:" + MARKER.pattern + ")", sample, re.IGNORECASE):
        return True
    if GENERATED_MARKER in sample[:1000]:
        return True
    if not re.search(r"^ {0,3}#{2,6}[ \t]+\S", sample, re.MULTILINE):
        return False
    bare = sum(1 for line in sample.splitlines() if _BARE.match(line) and not is_legend_line(line))
    return bare >= 2


def parse_readme(path: Path) -> ParsedSource:
    """Every paper of a README reading list, with the lines that could not be understood."""
    path = Path(path)
    text, problems = read_text(path)
    lines = list(enumerate(text.split("\n"), start=1))
    lines, conflict_problems = drop_conflict_markers(lines, path.name)
    generated = GENERATED_MARKER in text[:1000]
    parser = ReadmeParser(path, lines, generated)
    notes, categories = parser.run()
    all_problems = problems + conflict_problems + parser.problems
    all_problems.sort(key=lambda p: p.line or 0)
    return ParsedSource(kind="readme", root=path.absolute().parent, notes=notes, problems=all_problems,
                        categories=categories)
