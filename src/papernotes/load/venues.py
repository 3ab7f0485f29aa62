"""Telling a venue from a sentence.

A note's first bold line, the first line of a note without front matter, or the remark of an
imported list item may name where the paper appeared ("ICLR 2023", "Findings of EMNLP 2022",
"NIPS 2014 workshop", "2023 WWW") — or be a sentence that happens to hold a year or capitals.
Only names in ``venues.yaml`` (or a short unknown ALLCAPS name with a year) count, with the words
that may stand around them. See docs/notes-format.md ("Venues").
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

DATA_FILE = Path(__file__).with_name("venues.yaml")


@dataclass(frozen=True)
class VenueName:
    name: str  # the usual spelling
    ambiguous: bool  # also an ordinary word: counts alone on its line or next to a year only


@dataclass(frozen=True)
class VenueLine:
    """What ``venue_line`` found: the venue as written, and the text after it ("" when the
    whole line is the venue)."""

    venue: str
    rest: str


@dataclass(frozen=True)
class _Vocabulary:
    names: dict[str, VenueName]  # every spelling, case-folded -> the venue
    spellings: dict[str, str]  # every spelling, case-folded -> as listed
    name_pattern: re.Pattern[str]
    qualifier_pattern: re.Pattern[str]
    connector_pattern: re.Pattern[str]


def _alternation(words: list[str]) -> str:
    parts = []
    for word in sorted(set(words), key=len, reverse=True):
        parts.append(r"\s+".join(re.escape(piece) for piece in word.split()))
    return "|".join(parts)


# Letters (and digits) on either side would make a name part of a longer word; a year may follow
# directly ("cvpr2023").
_BEFORE = r"(?<![A-Za-z0-9])"
_AFTER = r"(?![A-Za-z])"


@functools.lru_cache(maxsize=1)
def vocabulary() -> _Vocabulary:
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    names: dict[str, VenueName] = {}
    spellings: dict[str, str] = {}
    for entry in data["venues"]:
        venue = VenueName(str(entry["name"]), bool(entry.get("ambiguous", False)))
        for spelling in [venue.name, *map(str, entry.get("aliases", []))]:
            key = " ".join(spelling.split()).casefold()
            names.setdefault(key, venue)
            spellings.setdefault(key, " ".join(spelling.split()))
    return _Vocabulary(
        names=names,
        spellings=spellings,
        name_pattern=re.compile(f"{_BEFORE}(?:{_alternation(list(names))}){_AFTER}", re.IGNORECASE),
        qualifier_pattern=re.compile(f"{_BEFORE}(?:{_alternation([str(q) for q in data['qualifiers']])}){_AFTER}",
                                     re.IGNORECASE),
        connector_pattern=re.compile(f"(?:{_alternation([str(c) for c in data['connectors']])})(?![A-Za-z])",
                                     re.IGNORECASE),
    )


_SEPARATORS = re.compile(r"[\s,，、;；·•|/()（）\[\]【】\-–—:：.。]+")
_YEAR = re.compile(r"(?:19[5-9]\d|20\d\d)(?!\d)")
_SHORT_YEAR = re.compile(r"[ ]?['’]\d\d(?!\d)|\d\d(?!\d)")  # only right after a name: ICLR'23, ICLR23
_ACRONYM = re.compile(r"[A-Z][A-Z0-9&]{1,9}(?![A-Za-z0-9])")  # an unknown name: ICDAR
_OPENERS, _CLOSERS = "(（[【", ")）]】"


@dataclass(frozen=True)
class _Token:
    kind: str  # "name", "acronym", "year", "qualifier", "connector"
    start: int
    end: int
    venue: VenueName | None = None


def _tokens(text: str) -> tuple[list[_Token], int]:
    """The venue words at the start of ``text``, and where the first other word starts."""
    words = vocabulary()
    tokens: list[_Token] = []
    pos = 0
    while True:
        gap = _SEPARATORS.match(text, pos)
        start = gap.end() if gap else pos
        if start >= len(text):
            return tokens, len(text)
        match = words.name_pattern.match(text, start)
        if match:
            venue = words.names.get(" ".join(match.group(0).split()).casefold())
            tokens.append(_Token("name", start, match.end(), venue))
            short = _SHORT_YEAR.match(text, match.end())
            if short:
                tokens.append(_Token("year", match.end(), short.end()))
            pos = tokens[-1].end
            continue
        for kind, pattern in (("year", _YEAR), ("qualifier", words.qualifier_pattern),
                              ("connector", words.connector_pattern), ("acronym", _ACRONYM)):
            match = pattern.match(text, start)
            if match:
                tokens.append(_Token(kind, start, match.end()))
                break
        else:
            return tokens, start
        pos = tokens[-1].end


def _close_brackets(text: str, end: int) -> int:
    """Move ``end`` past the closing brackets that ``text[:end]`` leaves open ("ICLR 2023 (Oral)")."""
    depth = sum(text[:end].count(c) for c in _OPENERS) - sum(text[:end].count(c) for c in _CLOSERS)
    while depth > 0:
        match = re.compile(r"\s*[)）\]】]").match(text, end)
        if not match:
            break
        end, depth = match.end(), depth - 1
    return end


def _clean(text: str) -> str:
    text = " ".join(text.split())
    while len(text) >= 2 and text[0] in _OPENERS and text[-1] in _CLOSERS and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text.strip(" ,，、;；·•|/:：-–—")


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += (char in _OPENERS) - (char in _CLOSERS)
        if depth < 0:
            return False
    return depth == 0


def venue_line(text: str) -> VenueLine | None:
    """The venue a line names, when the line is essentially one (``rest`` is then "") or starts
    with one and runs on into a sentence (``rest`` is the sentence); otherwise None.

    A venue is a known name (any letter case), optionally a year before or after it and
    qualifiers such as Findings, Workshop, Oral or a track; an unknown short ALLCAPS name counts
    only with a year and alone on its line. An ambiguous name (Nature, Science, RSS …) needs a
    year unless it is alone on its line."""
    text = text.strip()
    if not text or len(text) > 200:
        return None
    tokens, stop = _tokens(text)
    while tokens and tokens[-1].kind == "connector":
        stop = tokens.pop().start
    kinds = {t.kind for t in tokens}
    if not tokens or not kinds & {"name", "acronym"}:
        return None
    whole = not _SEPARATORS.sub("", text[stop:])
    if whole:
        if "name" in kinds or ("year" in kinds and sum(t.kind == "acronym" for t in tokens) == 1):
            return VenueLine(_clean(text), "")
        return None
    if "name" in kinds and _names_an_event(text[tokens[-1].end:], text[: tokens[-1].end]):
        return VenueLine(_clean(text), "")  # "NIPS 2014 Deep Learning Workshop"
    # A venue followed by a sentence: the sentence stays in the body.
    names = [t for t in tokens if t.kind == "name"]
    if not names or "acronym" in kinds:
        return None
    if "year" not in kinds and any(t.venue is not None and t.venue.ambiguous for t in names):
        return None
    while tokens and tokens[-1].kind in ("connector", "qualifier") and "year" not in kinds:
        tokens.pop()
    end = _close_brackets(text, tokens[-1].end)
    venue = _clean(text[: end])
    rest = text[end:].lstrip(" ,，、;；·•|:：-–—")
    return VenueLine(venue, rest) if venue and rest else None


_EVENT_WORDS = re.compile(r"\b(?:workshops?|track|symposium|tutorial|challenge|competition)\b", re.IGNORECASE)
_TITLE_CASE_TAIL = re.compile(r"^[\s,:;–—-]*(?:(?:on|of|for|in|and|the|&|at)\s+)*(?:[A-Z0-9][\w'’&+.\-]*"
                              r"(?:\s+(?:[A-Z0-9][\w'’&+.\-]*|on|of|for|in|and|the|&|at|with|to|a))*)\s*[)）]?\s*$")


def _names_an_event(tail: str, head: str) -> bool:
    """A workshop's or track's own name after the venue: ``Deep Learning Workshop``, ``Workshop
    on Energy Efficient Machine Learning`` — a short Title Case phrase, and a workshop, track,
    symposium … named in it or just before it."""
    words = tail.split()
    if not words or len(words) > 12 or not _TITLE_CASE_TAIL.match(tail):
        return False
    return bool(_EVENT_WORDS.search(tail) or _EVENT_WORDS.search(" ".join(head.split()[-2:])))


def is_venue(text: str) -> bool:
    found = venue_line(text)
    return found is not None and not found.rest


_IN_TEXT_NOISE = re.compile(
    r"\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*\)"  # link targets
    r"|<[^<>]*>"  # tags with their attributes
    r"|(?:https?://|www\.)\S+"  # bare addresses
    r"|`[^`]*`"  # code spans
    r"|\$\$?[^$]*\$\$?",  # math
    re.IGNORECASE)


def venue_in_text(text: str) -> str | None:
    """The one venue with a year named inside a sentence ("…（ICLR 2023）", "cvpr2023 的工作"),
    or None when there is none or more than one. Ambiguous names do not count here."""
    words = vocabulary()
    plain = _IN_TEXT_NOISE.sub(" ", text)
    found: dict[tuple[str, int], str] = {}
    for match in words.name_pattern.finditer(plain):
        venue = words.names.get(" ".join(match.group(0).split()).casefold())
        if venue is None or venue.ambiguous:
            continue
        year = _year_after(plain, match.end())
        if year is None:
            continue
        written = " ".join(match.group(0).split())
        shown = written if any(c.isupper() for c in written) else _spelling(written)
        found.setdefault((venue.name, year), f"{shown} {year}")
    return next(iter(found.values())) if len(found) == 1 else None


_ANY_YEAR = re.compile(r"(?<!\d)(?:1[6-9]\d\d|20\d\d|2100)(?!\d)")  # in a venue the note names itself


def year_in(venue: str) -> int | None:
    """The year of a venue: the first year from 1600 to 2100 (Proc. London Math. Soc. 1936), else a
    short one after a name (ICML'23)."""
    match = _ANY_YEAR.search(venue)
    if match:
        return int(match.group(0))
    match = vocabulary().name_pattern.search(venue)
    return _year_after(venue, match.end()) if match else None


def _year_after(text: str, pos: int) -> int | None:
    match = re.compile(r"[ ]?(?:['’](\d\d)|(19[5-9]\d|20\d\d)|(\d\d))(?!\d)").match(text, pos)
    if not match:
        return None
    if match.group(2):
        return int(match.group(2))
    short = int(match.group(1) or match.group(3))
    this_year = dt.date.today().year % 100
    return 2000 + short if short <= this_year + 1 else 1900 + short


def _spelling(written: str) -> str:
    """The listed spelling of a name written in lower case (cvpr -> CVPR, nips -> NIPS)."""
    return vocabulary().spellings.get(written.casefold(), written)
