"""Ask the arXiv API about one paper: title, authors, abstract, year, primary category."""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass

DEFAULT_API = "https://export.arxiv.org/api"
API_VARIABLE = "PAPERNOTES_ARXIV_API"
_NS = {"atom": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom"}


class FetchError(Exception):
    pass


@dataclass
class PaperInfo:
    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    abstract: str
    year: int | None
    primary_category: str | None


def api_base(explicit: str | None = None) -> str:
    return (explicit or os.environ.get(API_VARIABLE) or DEFAULT_API).rstrip("/")


def fetch(arxiv_id: str, base: str | None = None, timeout: float = 10.0) -> PaperInfo:
    url = f"{api_base(base)}/query?{urllib.parse.urlencode({'id_list': arxiv_id, 'max_results': 1})}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http(s) only
            body = response.read(2_000_000)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise FetchError(f"could not reach the arXiv API ({reason})") from None
    return parse_response(body, arxiv_id)


def parse_response(body: bytes, arxiv_id: str) -> PaperInfo:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise FetchError(f"the arXiv API answered with something that is not Atom XML ({exc})") from None
    entry = root.find("atom:entry", _NS)
    if entry is None:
        raise FetchError(f"the arXiv API knows no paper {arxiv_id}")
    title = _text(entry, "atom:title")
    if not title or title.lower() == "error":
        raise FetchError(f"the arXiv API knows no paper {arxiv_id}: {_text(entry, 'atom:summary') or 'no title'}")
    authors = tuple(_clean(a.findtext("atom:name", "", _NS)) for a in entry.findall("atom:author", _NS))
    published = _text(entry, "atom:published")
    year = int(published[:4]) if re.match(r"^\d{4}", published) else None
    primary = entry.find("arxiv:primary_category", _NS)
    return PaperInfo(arxiv_id, title, tuple(a for a in authors if a), _text(entry, "atom:summary"), year,
                     primary.get("term") if primary is not None else None)


def _text(element: ET.Element, path: str) -> str:
    return _clean(element.findtext(path, "", _NS))


def _clean(text: str) -> str:
    return " ".join(text.split())


_INLINE_MATH = re.compile(r"(\$[^$\n]+\$)")
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>&|~])")
_LINE_START = re.compile(r"^(\s*)(?:([#>+\-=])|(\d+)([.)]))", re.M)


def _escape_line_start(m: re.Match) -> str:
    if m.group(2):  # "# x", "- x", "> x": \# \- \>
        return m.group(1) + "\\" + m.group(2)
    return m.group(1) + m.group(3) + "\\" + m.group(4)  # "1. x" -> "1\. x"


def as_markdown_text(text: str) -> str:
    """``text`` (an abstract) written so that Markdown shows it as it is: HTML such as
    ``<mask>`` stays visible, ``*``/``_``/backticks do not start emphasis or code, no line becomes a
    heading or a list. ``$…$`` formulas are kept as they are, so they are still drawn."""
    pieces = _INLINE_MATH.split(text)
    for i in range(0, len(pieces), 2):  # the text between formulas
        piece = _MARKDOWN_PUNCTUATION.sub(lambda m: "&amp;" if m.group(1) == "&" else "\\" + m.group(1), pieces[i])
        pieces[i] = _LINE_START.sub(_escape_line_start, piece)
    return "".join(pieces)


@dataclass
class Versions:
    arxiv_id: str  # version-less
    latest: int  # the newest version's number
    first_date: str  # the day v1 appeared (YYYY-MM-DD)
    latest_date: str  # the day the newest version appeared


#: Ids per query of ``latest_versions`` (the API answers up to this many entries at once).
VERSIONS_BATCH = 100


def latest_versions(arxiv_ids: list[str], base: str | None = None, timeout: float = 30.0,
                    pause: float = 3.0) -> dict[str, Versions]:
    """The newest version of each paper (ids without version), asking for many at once; arXiv
    asks for ``pause`` seconds between requests. Raises FetchError when an answer is unusable."""
    import time

    found: dict[str, Versions] = {}
    ids = sorted(dict.fromkeys(_VERSION_SUFFIX.sub("", i) for i in arxiv_ids))
    for start in range(0, len(ids), VERSIONS_BATCH):
        if start:
            time.sleep(pause)
        chunk = ids[start:start + VERSIONS_BATCH]
        query = urllib.parse.urlencode({"id_list": ",".join(chunk), "max_results": len(chunk)})
        try:
            with urllib.request.urlopen(f"{api_base(base)}/query?{query}", timeout=timeout) as response:  # noqa: S310
                body = response.read(20_000_000)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise FetchError(f"could not reach the arXiv API ({reason})") from None
        found.update(parse_versions(body))
    return found


_VERSION_SUFFIX = re.compile(r"v\d+$")
_ABS_ID = re.compile(r"arxiv\.org/abs/(.+?)v(\d+)$")


def parse_versions(body: bytes) -> dict[str, Versions]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise FetchError(f"the arXiv API answered with something that is not Atom XML ({exc})") from None
    found = {}
    for entry in root.findall("atom:entry", _NS):
        match = _ABS_ID.search(_text(entry, "atom:id"))
        if not match:
            continue  # an error entry, or an id without version
        found[match.group(1)] = Versions(match.group(1), int(match.group(2)), _text(entry, "atom:published")[:10],
                                         _text(entry, "atom:updated")[:10])
    return found
