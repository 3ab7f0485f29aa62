"""Validate front-matter values and turn them into the fields of a Note."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ..diagnostics import NoteError, clip
from ..model import Link, Status, UNCATEGORIZED
from ..urls import guess_label, url_problem
from .venues import venue_in_text, venue_line, year_in

STATUS_ALIASES: dict[str, Status] = {}
for _status, _aliases in {
    Status.READ: ["read", "done", "✅", "✔", "✔️", ":white_check_mark:", ":heavy_check_mark:", "已阅读", "已读"],
    Status.UNREAD: ["unread", "todo", "❌", ":x:", "未阅读", "未读"],
    Status.SKIMMED: ["skimmed", "skim", "⬜", "⬜️", ":white_large_square:", "已泛读", "泛读"],
    Status.TRIAGE: ["triage", "🟧", ":orange_square:", "待分类"],
}.items():
    for _alias in _aliases:
        STATUS_ALIASES[_alias] = _status

KNOWN_KEYS = {
    "title", "status", "category", "categories", "tags", "venue", "year", "authors", "author",
    "date", "summary", "links", "arxiv", "doi", "order",
}

_YEAR = re.compile(r"(?<!\d)(1[6-9]\d\d|20\d\d|2100)(?!\d)")  # 1600–2100: a paper's year
_ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_H1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$")


@dataclass
class NoteFields:
    title: str
    status: Status
    category: tuple[str, ...]
    tags: tuple[str, ...]
    venue: str | None
    year: int | None
    authors: tuple[str, ...]
    date: dt.date | None
    summary: str | None
    links: tuple[Link, ...]
    extra: dict[str, Any]
    arxiv: str | None
    doi: str | None
    body: str
    body_line: int
    order: int | None = None
    #: (line, message) of values set aside without leaving the note out (a year that is none)
    notices: tuple[tuple[int | None, str], ...] = ()


def parse_status(value: Any) -> Status:
    if value is None or (isinstance(value, str) and not value.strip()):
        return Status.UNREAD
    text = str(value).strip()
    status = STATUS_ALIASES.get(text) or STATUS_ALIASES.get(text.lower())
    if status is None:
        accepted = ", ".join(s.value for s in Status)
        raise NoteError(
            f"status '{text}' is not one of {accepted} "
            "(also accepted: ✅ ❌ ⬜ 🟧, :white_check_mark: :x: :white_large_square: :orange_square:, "
            "已阅读 未阅读 已泛读 待分类)"
        )
    return status


#: Deepest category nesting kept (a 300-level category made pages and lists recurse 300 deep).
MAX_CATEGORY_DEPTH = 12


def parse_category(value: Any, folder: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The category path; without one, the folders the note sits in below notes/ (else
    "Uncategorized")."""
    if value is None:
        return folder or (UNCATEGORIZED,)
    _no_mapping(value, "category")
    if isinstance(value, list):  # Jekyll-style ``categories: [a, b]`` means a nested path
        parts = [str(v) for v in value]
    else:
        parts = str(value).split("/")
    parts = [" ".join(p.split()) for p in parts]
    parts = [p for p in parts if p]
    return tuple(parts) or (UNCATEGORIZED,)


def _no_mapping(value: Any, what: str) -> None:
    """Text is expected: a mapping (``{a: b}``) or a nested list would be shown as Python's repr."""
    if isinstance(value, dict) or (isinstance(value, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in value)):
        found = "a mapping" if isinstance(value, dict) or any(isinstance(v, dict) for v in value) else "a nested list"
        raise NoteError(f"{what} must be text or a list of texts, found {found}")


def parse_list(value: Any, *, split_on: str = ",", what: str = "the value") -> tuple[str, ...]:
    if value is None:
        return ()
    _no_mapping(value, what)
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value if v is not None]
    else:
        text = str(value)
        if split_on == "," and "，" in text:  # full-width comma
            text = text.replace("，", ",")
        items = text.split(split_on)
    seen: dict[str, None] = {}
    for item in items:
        item = " ".join(item.split())
        if item:
            seen.setdefault(item, None)
    return tuple(seen)


def parse_tags(value: Any) -> tuple[str, ...]:
    return parse_list(value, what="tags")


def parse_authors(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) and "," not in value and " and " in value:
        return parse_list(value, split_on=" and ", what="authors")
    return parse_list(value, what="authors")


def parse_text(value: Any, what: str) -> str | None:
    """One line of text (venue, summary); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list, tuple)):
        raise NoteError(f"{what} must be text, found a {'mapping' if isinstance(value, dict) else 'list'}")
    return " ".join(str(value).split()) or None


def parse_year(value: Any, venue: str | None) -> int | None:
    if value is not None and str(value).strip():
        match = _YEAR.search(str(value))
        if not match:
            raise NoteError(f"year '{clip(value)}' is not a year between 1600 and 2100 such as 2023")
        return int(match.group(1))
    if venue:
        return year_in(venue)
    return None


def parse_order(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise NoteError(f"order '{clip(value)}' is not a number such as 3")
    try:
        number = float(str(value).strip())
    except ValueError:
        raise NoteError(f"order '{clip(value)}' is not a number such as 3") from None
    if number != int(number) or abs(number) > 10**9:
        raise NoteError(f"order '{clip(value)}' is not a whole number such as 3")
    return int(number)


def parse_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _DATE.match(str(value).strip())
    if match:
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            pass
    raise NoteError(f"date '{clip(value)}' is not a date like 2024-03-05")


def parse_links(value: Any) -> tuple[Link, ...]:
    links: list[Link] = []
    if isinstance(value, dict):
        pairs = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, (list, tuple)):
        pairs = []
        for item in value:
            if isinstance(item, dict) and len(item) == 1:  # ``- Code: https://...``
                (k, v), = item.items()
                pairs.append((str(k), v))
            else:
                pairs.append(("", item))
    elif value is None:
        pairs = []
    else:
        pairs = [("", value)]
    for label, url in pairs:
        if not isinstance(url, str) or not url.strip():
            raise NoteError(f"link '{label or url}' has no URL; expected 'label: https://…'", value=label or None)
        written = url
        url = url.strip()
        problem = url_problem(url)
        if problem:
            raise NoteError(f"link '{url}' {problem}", value=written)
        links.append(Link(label.strip() or guess_label(url), url))
    return tuple(links)


def parse_arxiv(value: Any) -> str | None:
    if value is None or not str(value).strip():
        return None
    arxiv_id = str(value).strip().removeprefix("arXiv:").removeprefix("arxiv:").strip()
    if not _ARXIV_ID.match(arxiv_id):
        raise NoteError(f"arxiv '{clip(value)}' is not an arXiv id such as 2302.04237")
    return arxiv_id


def id_links(arxiv_id: str | None, doi: Any, existing: tuple[Link, ...]) -> tuple[Link, ...]:
    """Abstract and PDF links for an arXiv id, a link for a DOI; none twice."""
    wanted = []
    if arxiv_id:
        wanted += [Link("arXiv", f"https://arxiv.org/abs/{arxiv_id}"), Link("PDF", f"https://arxiv.org/pdf/{arxiv_id}")]
    if doi is not None and str(doi).strip():
        wanted.append(Link("DOI", "https://doi.org/" + str(doi).strip().removeprefix("https://doi.org/")))
    have = {link.url.rstrip("/") for link in existing}
    return existing + tuple(link for link in wanted if link.url not in have)


def title_from_body(body: str) -> tuple[str | None, str]:
    """The first ``# heading`` of a body (outside code fences) and the body without it."""
    lines = body.split("\n")
    in_fence = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
        if in_fence:
            continue
        match = _H1.match(line)
        if match:
            # blanked, not removed: the lines after it keep their numbers for messages
            rest = lines[:index] + [""] + lines[index + 1 :]
            return match.group(1).strip(), "\n".join(rest)
        if stripped and not stripped.startswith("<!--"):
            # Only a heading before any prose counts as the title.
            if not stripped.startswith("#"):
                return None, body
    return None, body


def venue_from_first_line(body: str) -> tuple[str | None, int | None, str]:
    """A note without front matter may name its venue (or only a year) on its first line, as a
    README entry does: ``**ICLR 2023**``, ``CVPR 2023``, ``2021``. Returns (venue, year, body);
    the line is blanked when it is only that, and a venue that starts a longer bold line is
    taken from it. Else the one venue with a year inside the first paragraph, if there is one."""
    lines = body.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return None, None, body
    text = lines[first].strip()
    if re.fullmatch(r"(?:\*\*|__)?\s*(19[5-9]\d|20\d\d)\s*(?:\*\*|__)?", text):
        lines[first] = ""
        return None, int(re.search(r"\d{4}", text).group(0)), "\n".join(lines)
    bold = _BOLD_LINE.match(text)
    inner = (bold.group(1) or bold.group(2)) if bold else text
    found = venue_line(inner) if not text.startswith(("#", "<", "!", "[", "|", ">", "-", "*", "$")) or bold else None
    if found is not None and (bold or not found.rest):
        lines[first] = f"**{found.rest}**" if found.rest else ""
        return found.venue, None, "\n".join(lines)
    paragraph = []
    for line in lines[first:]:
        if not line.strip():
            break
        paragraph.append(line)
    return venue_in_text("\n".join(paragraph)), None, body


_BOLD_LINE = re.compile(r"^(?:\*\*(.+)\*\*|__(.+)__)$")


def note_fields(data: dict[str, Any], raw: dict[str, str], body: str, body_line: int,
                fallback_title: str, key_lines: dict[str, int],
                value_lines: dict[str, int] | None = None, folder: tuple[str, ...] = (),
                has_front_matter: bool | None = None, title_required: bool = True) -> NoteFields:
    """Validate front matter; raises NoteError with the offending value's (else key's) line."""

    def at(key: str, func, *args):
        try:
            return func(*args)
        except NoteError as exc:
            if exc.line is None and exc.value is not None and value_lines:
                exc.line = value_lines.get(exc.value)
            exc.line = exc.line or key_lines.get(key)
            raise

    heading, body_without_heading = title_from_body(body)
    title_value = data.get("title")
    if data and "title" in data:
        if title_value is None or not str(title_value).strip():
            raise NoteError("title is empty; write 'title: The Paper Title'", key_lines.get("title"))
        # ``title: 996`` or ``title: 2023-01-01`` keep the text as written, not a number or date.
        title = raw.get("title", str(title_value)).strip() if not isinstance(title_value, (list, dict)) else None
        if title is None:
            raise NoteError("title must be text, not a list or mapping", key_lines.get("title"))
        if heading is not None and heading == title:
            body = body_without_heading
    elif data and title_required:
        raise NoteError("front matter has no 'title'; add 'title: The Paper Title'", 1)
    elif heading is not None:
        title, body = heading, body_without_heading
    else:
        title = fallback_title

    venue = at("venue", parse_text, data.get("venue"), "venue")
    first_line_year = None
    if not (data if has_front_matter is None else has_front_matter):
        venue, first_line_year, body = venue_from_first_line(body)
    summary = at("summary", parse_text, data.get("summary"), "summary")
    category_key = "category" if "category" in data else "categories"
    authors_key = "authors" if "authors" in data else "author"
    extra = {k: v for k, v in data.items() if k not in KNOWN_KEYS}
    arxiv_id = at("arxiv", parse_arxiv, raw.get("arxiv", data.get("arxiv")))
    notices: list[tuple[int | None, str]] = []
    category = at(category_key, parse_category, data.get(category_key), folder)
    if len(category) > MAX_CATEGORY_DEPTH:
        notices.append((key_lines.get(category_key), f"the category has {len(category)} levels; levels past the "
                                                     f"{MAX_CATEGORY_DEPTH}th are joined into the {MAX_CATEGORY_DEPTH}th"))
        category = (*category[:MAX_CATEGORY_DEPTH - 1], " / ".join(category[MAX_CATEGORY_DEPTH - 1:]))
    try:  # a note is never left out for its year
        year = at("year", parse_year, data.get("year", first_line_year), venue)
    except NoteError as exc:
        year = None
        notices.append((exc.line, f"{exc.message}; the note is kept without a year"))
    return NoteFields(
        title=" ".join(title.split()),
        status=at("status", parse_status, data.get("status")),
        category=category,
        tags=at("tags", parse_tags, data.get("tags")),
        venue=venue,
        year=year,
        authors=at(authors_key, parse_authors, data.get(authors_key)),
        date=at("date", parse_date, data.get("date")),
        summary=summary,
        links=id_links(arxiv_id, data.get("doi"),
                       at("links", parse_links, data.get("links"))),
        extra=extra,
        arxiv=arxiv_id,
        doi=str(data["doi"]).strip() if data.get("doi") not in (None, "") else None,
        body=body,
        body_line=body_line,
        order=at("order", parse_order, data.get("order")),
        notices=tuple(notices),
    )
