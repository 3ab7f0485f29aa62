"""BibTeX files (Zotero, JabRef, DBLP, Google Scholar exports) as notes: every entry is a paper.

Read with bibtexparser (v2); LaTeX in titles, names and venues becomes text with pylatexenc (a
dependency of bibtexparser): braces go, ``{\\"u}`` becomes ``ü``, ``\\&`` ``&``, ``--`` ``–``.

Per entry:

* ``title``; an entry without one is reported and left out;
* ``authors`` from ``author`` (``Last, First`` becomes ``First Last``; a trailing ``others``
  becomes ``et al.``, which papernotes' own BibTeX export writes back as ``others``);
* ``year`` from ``year`` (or biblatex's ``date``);
* ``venue`` from ``booktitle`` / ``journal`` / ``journaltitle`` (else ``institution``, ``school``,
  a non-URL ``howpublished``), with the year appended when it is not in it
  (``Advances in Neural Information Processing Systems 2021``); an arXiv preprint's venue is
  ``arXiv <year>``;
* ``arxiv`` from ``eprint`` (with ``archivePrefix``/``eprinttype`` arXiv), ``journal = {arXiv
  preprint arXiv:…}``, DBLP's ``volume = {abs/…}``, Zotero's ``number``/``note`` ``arXiv:…``, an
  arxiv.org URL or an arXiv DOI (``10.48550/arXiv.…``);
* ``doi`` from ``doi`` (without ``https://doi.org/`` or ``doi:``);
* ``links``: the ``url`` unless it is just the arXiv or DOI page (papernotes adds those from
  ``arxiv``/``doi`` itself);
* ``tags`` from ``keywords`` (split on ``,`` and ``;``);
* ``category`` from JabRef's ``groups`` or a ``collection`` field (the first one; a ``/`` or ``>``
  nests), the other groups become tags; else none;
* ``status``: JabRef's ``readstatus`` (``read``, ``skimmed``) when present, else None (not stated:
  written as unread);
* ``body``: the abstract, if any, under ``## Abstract`` (math kept as written, Markdown characters
  escaped), so the summary stays free for the reader's own one-liner;
* ``extra["bibtex"]``: the entry as written in the file, which papernotes' ``papers.bib`` then uses
  as it is. Fields that are private or only make sense on the exporting machine (``file``,
  ``annote``, ``groups``, ``owner``, ``timestamp``, ``bdsk-*`` …) are removed, and ``@string``
  macros are filled in; only then is the entry rewritten (keeping the values as written).

``origin`` is ``<file name>:<line of the entry>``. Entries bibtexparser cannot read, fields given
twice and keys used twice are reported with their lines. A second entry with a key already used is
left out when it has the same title as the first, and imported (and reported) when it does not.
"""

from __future__ import annotations

import re
from pathlib import Path

import bibtexparser
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, Field, ParsingFailedBlock
from bibtexparser.writer import BibtexFormat

from ..bibtex import parse_quietly
from ..load.frontmatter import normalize_text
from ..model import Link, Status
from ..urls import guess_label, url_problem
from .identity import normalise_title
from .model import ImportedNote, ImportProblem, ParsedSource

try:  # pylatexenc is installed with bibtexparser
    from pylatexenc.latex2text import LatexNodes2Text
except ImportError:  # pragma: no cover - a plain fallback keeps the importer usable
    LatexNodes2Text = None  # type: ignore[assignment,misc]

_ENTRY_START = re.compile(r"@[ \t]*[A-Za-z]+[ \t]*[{(]")


# -- detection -------------------------------------------------------------------------------------

def looks_like_bibtex(path: Path) -> bool:
    """A ``.bib`` file, or a file whose text starts (after blank and ``%`` lines) with ``@type{``."""
    path = Path(path)
    try:
        if not path.is_file():
            return False
        if path.suffix.lower() in (".bib", ".bibtex"):
            return True
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError:
        return False
    text = normalize_text(head.decode("utf-8", errors="replace"))
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith("%"):
            continue
        return _ENTRY_START.match(stripped) is not None
    return False


# -- LaTeX to text ------------------------------------------------------------------------------------

_CONVERTER = LatexNodes2Text() if LatexNodes2Text is not None else None
_SIMPLE = [("\\&", "&"), ("\\%", "%"), ("\\$", "$"), ("\\#", "#"), ("\\_", "_"), ("---", "—"), ("--", "–"),
           ("~", " ")]


def latex_to_text(value: str) -> str:
    """LaTeX markup as plain text on one line: ``{BERT}: Pre-training`` -> ``BERT: Pre-training``."""
    text = value
    if "\\" in text or "{" in text or "$" in text or "--" in text or "~" in text:
        converted = None
        if _CONVERTER is not None:
            try:
                # a bare % is text in a field value, not the start of a LaTeX comment
                converted = _CONVERTER.latex_to_text(re.sub(r"(?<!\\)%", r"\\%", text))
            except Exception:  # noqa: BLE001 - malformed LaTeX: fall back to the simple rules
                converted = None
        if converted is None:
            for old, new in _SIMPLE:
                converted = (converted or text).replace(old, new)
            converted = (converted or text).replace("{", "").replace("}", "")
        text = converted
    return " ".join(text.replace("\u00a0", " ").split())


_MATH = re.compile(r"(?<!\\)\$\$.+?(?<!\\)\$\$|(?<!\\)\$(?!\$).+?(?<!\\)\$|\\\(.+?\\\)|\\\[.+?\\\]", re.DOTALL)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<$])")


def abstract_markdown(value: str) -> str:
    """An abstract as one Markdown paragraph: LaTeX text markup resolved, math kept as written
    (line breaks inside it become spaces), characters Markdown would read (``*``, ``_``, ``<``,
    a literal ``$`` …) escaped outside math."""
    out = ""
    position = 0
    pieces: list[tuple[bool, str]] = []
    for match in _MATH.finditer(value):
        pieces.append((False, value[position : match.start()]))
        pieces.append((True, match.group(0)))
        position = match.end()
    pieces.append((False, value[position:]))
    for is_math, raw in pieces:
        if is_math:
            out += raw.replace("\n", " ")
            continue
        if not raw.strip():
            if raw and out and not out.endswith(" "):
                out += " "
            continue
        if raw[:1].isspace() and out and not out.endswith(" "):
            out += " "
        out += _escape_markdown(latex_to_text(raw), at_start=not out)
        if raw[-1:].isspace():
            out += " "
    return out.strip()


def _escape_markdown(text: str, at_start: bool) -> str:
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    if at_start:
        text = re.sub(r"^([#>+\-])(?=\s|$)", r"\\\1", text)
        text = re.sub(r"^(\d+)([.)])(?=\s|$)", r"\1\\\2", text)
    return text


# -- values -------------------------------------------------------------------------------------------

_MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}


def _split_concatenation(raw: str) -> list[str]:
    """``"a" # b # {c}`` -> ``['"a"', 'b', '{c}']`` (``#`` inside braces or quotes is text)."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(raw):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == '"' and depth == 0 and (index == 0 or raw[index - 1] != "\\"):
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted:
            parts.append(raw[start:index].strip())
            start = index + 1
    parts.append(raw[start:].strip())
    return parts


def _resolve(raw: str, strings: dict[str, str], depth: int = 0) -> str:
    """A field's raw value (``{…}``, ``"…"``, a number, a macro, or ``#`` of those) as its text."""
    pieces = []
    for part in _split_concatenation(raw.strip()):
        if len(part) >= 2 and ((part[0] == "{" and part[-1] == "}") or (part[0] == '"' and part[-1] == '"')):
            pieces.append(part[1:-1])
        elif part.lower() in strings and depth < 20:
            pieces.append(_resolve(strings[part.lower()], strings, depth + 1))
        else:
            pieces.append(part)
    return "".join(pieces)


def _uses_macro(raw: str, strings: dict[str, str]) -> bool:
    for part in _split_concatenation(raw.strip()):
        if part and part[0] not in '{"' and not part.isdigit() and part.lower() in strings:
            return True
    return len(_split_concatenation(raw.strip())) > 1


# -- authors ------------------------------------------------------------------------------------------

def _split_top_level(text: str, separator: re.Pattern[str]) -> list[str]:
    parts, depth, start = [], 0, 0
    index = 0
    while index < len(text):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0:
            match = separator.match(text, index)
            if match:
                parts.append(text[start:index])
                start = index = match.end()
                continue
        index += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_COMMA = re.compile(r",")


def parse_bib_authors(value: str) -> tuple[str, ...]:
    """``Müller, Jörg and Smith, John and others`` -> ``('Jörg Müller', 'John Smith', 'et al.')``."""
    names: list[str] = []
    for name in _split_top_level(" ".join(value.split()), _AND):
        if name.lower() == "others":
            names.append("et al.")
            continue
        parts = _split_top_level(name, _COMMA)
        if len(parts) == 2:  # Last, First
            parts = [parts[1], parts[0]]
        elif len(parts) >= 3:  # Last, Jr, First
            parts = [parts[2], parts[0], parts[1]]
        text = latex_to_text(" ".join(parts))
        if text:
            names.append(text)
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name, None)
    return tuple(seen)


# -- identifiers --------------------------------------------------------------------------------------

_ARXIV_ID = r"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?"
_ARXIV_ONLY = re.compile(rf"^(?:arxiv:)?\s*{_ARXIV_ID}$", re.IGNORECASE)
_ARXIV_IN_TEXT = re.compile(rf"arxiv[:\s.]+{_ARXIV_ID}(?!\d)", re.IGNORECASE)
_ARXIV_URL = re.compile(rf"arxiv\.org/(?:abs|pdf)/{_ARXIV_ID}", re.IGNORECASE)
_ARXIV_DOI = re.compile(rf"^10\.48550/arxiv\.{_ARXIV_ID}$", re.IGNORECASE)
_DBLP_ABS = re.compile(rf"^abs/{_ARXIV_ID}$", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def _arxiv_id(fields: dict[str, str], doi: str | None) -> str | None:
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip().lower()
    eprint = (fields.get("eprint") or "").strip()
    if eprint:
        match = _ARXIV_ONLY.match(eprint)
        if match and (prefix == "arxiv" or not prefix):
            return match.group(1) + (match.group(2) or "")
    journal = fields.get("journal") or fields.get("journaltitle") or ""
    if re.search(r"\b(corr|arxiv)\b", journal, re.IGNORECASE):
        match = _DBLP_ABS.match((fields.get("volume") or "").strip())
        if match:
            return match.group(1) + (match.group(2) or "")
    for key in ("journal", "journaltitle", "number", "note", "howpublished", "eprint"):
        match = _ARXIV_IN_TEXT.search(fields.get(key) or "")
        if match:
            return match.group(1) + (match.group(2) or "")
    match = _ARXIV_URL.search(fields.get("url") or "")
    if match:
        return match.group(1) + (match.group(2) or "")
    if doi:
        match = _ARXIV_DOI.match(doi)
        if match:
            return match.group(1) + (match.group(2) or "")
    return None


def _doi(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", value.strip(), flags=re.IGNORECASE)
    return doi.replace("\\_", "_") or None


def _is_arxiv_venue(text: str) -> bool:
    return bool(re.search(r"\b(arxiv|corr)\b", text, re.IGNORECASE)) or text.strip().lower() in ("", "preprint")


def _venue(fields: dict[str, str], year: int | None, arxiv: str | None) -> str | None:
    venue = None
    for key in ("booktitle", "journal", "journaltitle", "eventtitle"):
        if fields.get(key, "").strip():
            venue = latex_to_text(fields[key])
            break
    if venue is not None and arxiv and _is_arxiv_venue(venue):
        venue = "arXiv"
    if venue is None:
        if arxiv:
            venue = "arXiv"
        else:
            for key in ("institution", "school", "howpublished", "organization"):
                value = latex_to_text(fields.get(key, ""))
                if value and not re.search(r"\\url|https?://|www\.", fields.get(key, "")):
                    venue = value
                    break
    if not venue:
        return None
    if year and not _YEAR.search(venue):
        venue = f"{venue} {year}"
    return venue


def _list(value: str) -> list[str]:
    return [latex_to_text(item) for item in re.split(r"[,;]", value) if latex_to_text(item)]


# -- the entry as written -------------------------------------------------------------------------

#: Fields left out of ``extra["bibtex"]``: local paths, private notes, reference-manager bookkeeping.
PRIVATE_FIELDS = {"file", "files", "pdf", "local-url", "annote", "annotation", "comment", "comments", "owner",
                  "timestamp", "groups", "readstatus", "ranking", "priority", "qualityassured", "relevance",
                  "printed", "date-added", "date-modified", "added-at", "interhash", "intrahash", "biburl",
                  "collection", "collections"}
_PRIVATE_PREFIXES = ("bdsk-", "mendeley-", "zotero-", "jabref-")


def _is_private(key: str) -> bool:
    lowered = key.lower()
    return lowered in PRIVATE_FIELDS or lowered.startswith(_PRIVATE_PREFIXES)


def _entry_text(entry: Entry, strings: dict[str, str]) -> str:
    """The entry as written, or rewritten without private fields and with macros filled in."""
    private = [f for f in entry.fields if _is_private(f.key)]
    macros = [f for f in entry.fields if _uses_macro(f.value, strings)]
    if not private and not macros and entry.raw:
        return entry.raw.strip()
    fields = []
    for item in entry.fields:
        if _is_private(item.key):
            continue
        value = item.value
        if item in macros:
            value = "{" + _resolve(value, strings) + "}"
        fields.append(Field(item.key, value))
    library = bibtexparser.Library([Entry(entry.entry_type, entry.key, fields)])
    layout = BibtexFormat()
    layout.indent = "  "
    layout.trailing_comma = True
    return bibtexparser.write_string(library, unparse_stack=[], bibtex_format=layout).strip()


# -- parsing ------------------------------------------------------------------------------------------

_BLOCK_KEY = re.compile(r"@[ \t]*\w+[ \t]*[{(][ \t\n]*([^,\s{}()]+)")


def _first_line(text: str) -> str:
    return str(text).strip().splitlines()[0] if str(text).strip() else ""


def parse_bibtex(path: Path) -> ParsedSource:
    """Every entry of a BibTeX file as a note; problems collected with their lines, never raised."""
    path = Path(path)
    shown = path.name
    source = ParsedSource(kind="bibtex", root=path.absolute().parent)
    try:
        data = path.read_bytes()
    except OSError as exc:
        source.problems.append(ImportProblem(shown, None, f"cannot be read: {exc.strerror or exc}"))
        return source
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark
            text = data.decode("utf-16", errors="replace")
        else:
            text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        source.problems.append(ImportProblem(shown, line, f"is not UTF-8 (byte 0x{data[exc.start]:02x}); "
                                             "characters that could not be read are shown as �"))
        text = data.decode("utf-8", errors="replace")
    text = normalize_text(text)
    try:
        library = parse_quietly(text, parse_stack=[])  # its failed blocks become our problems
    except Exception as exc:  # noqa: BLE001 - a parser bug must not stop the import
        source.problems.append(ImportProblem(shown, None, f"cannot be read as BibTeX: {exc}"))
        return source

    strings = {s.key.lower(): s.value for s in library.strings if isinstance(s.value, str)}
    jobs: list[tuple[Entry, int]] = []  # (entry, 1-based line)
    for block in library.blocks:
        if isinstance(block, Entry):
            jobs.append((block, (block.start_line or 0) + 1))
        elif isinstance(block, DuplicateBlockKeyBlock):
            entry = block.ignore_error_block
            line = (block.start_line or 0) + 1
            first = block.previous_block
            first_line = (first.start_line or 0) + 1 if first is not None else None
            if not isinstance(entry, Entry):
                continue
            first_title = _resolve(first.fields_dict["title"].value, strings) if isinstance(first, Entry) \
                and "title" in first.fields_dict else ""
            this_title = _resolve(entry.fields_dict["title"].value, strings) if "title" in entry.fields_dict else ""
            same = normalise_title(latex_to_text(first_title)) == normalise_title(latex_to_text(this_title))
            if same:
                source.problems.append(ImportProblem(shown, line, f"key '{entry.key}' is used again (first on line "
                                                     f"{first_line}) for the same title; this copy is left out"))
            else:
                source.problems.append(ImportProblem(shown, line, f"key '{entry.key}' is used again (first on line "
                                                     f"{first_line}) for another paper; imported as well"))
                jobs.append((entry, line))
        elif isinstance(block, DuplicateFieldKeyBlock):
            entry = block.ignore_error_block
            line = (block.start_line or 0) + 1
            if not isinstance(entry, Entry):
                continue
            counts: dict[str, int] = {}
            for item in entry.fields:
                counts[item.key.lower()] = counts.get(item.key.lower(), 0) + 1
            twice = sorted(k for k, n in counts.items() if n > 1)
            source.problems.append(ImportProblem(shown, line, f"entry '{entry.key}' has {', '.join(twice)} more "
                                                 "than once; the first is used"))
            kept: dict[str, Field] = {}
            for item in entry.fields:
                kept.setdefault(item.key.lower(), item)
            cleaned = Entry(entry.entry_type, entry.key, list(kept.values()), start_line=entry.start_line)
            jobs.append((cleaned, line))
        elif isinstance(block, ParsingFailedBlock):
            line = (block.start_line or 0) + 1
            key = _BLOCK_KEY.match(block.raw or "")
            what = f"entry '{key.group(1)}'" if key else "this block"
            reason = getattr(block.error, "abort_reason", None) or _first_line(block.error) or type(block.error).__name__
            source.problems.append(ImportProblem(shown, line, f"{what} cannot be read: {_first_line(reason)}; "
                                                 "not imported"))
    jobs.sort(key=lambda job: job[1])
    for entry, line in jobs:
        note = _note(entry, line, shown, strings, source.problems)
        if note is not None:
            source.notes.append(note)
    return source


def _note(entry: Entry, line: int, shown: str, strings: dict[str, str],
          problems: list[ImportProblem]) -> ImportedNote | None:
    fields: dict[str, str] = {}
    for item in entry.fields:
        if isinstance(item.value, str):
            fields.setdefault(item.key.lower(), _resolve(item.value, strings))
    title = latex_to_text(fields.get("title", ""))
    if not title:
        problems.append(ImportProblem(shown, line, f"entry '{entry.key}' has no title; not imported"))
        return None

    year = None
    for key in ("year", "date"):
        value = fields.get(key, "").strip()
        if value:
            match = _YEAR.search(value)
            if match:
                year = int(match.group(1))
                break
            problems.append(ImportProblem(shown, line, f"entry '{entry.key}': {key} '{value}' has no four-digit "
                                          "year; left out"))

    doi = _doi(fields.get("doi"))
    arxiv = _arxiv_id(fields, doi)
    links: list[Link] = []
    url = fields.get("url", "").strip()
    if url:
        problem = url_problem(url)
        if problem:
            problems.append(ImportProblem(shown, line, f"entry '{entry.key}': url '{url}' {problem}; left out"))
        elif not ((arxiv and _ARXIV_URL.search(url)) or (doi and "doi.org/" in url.lower())):
            links.append(Link(guess_label(url), url))

    tags = _list(fields.get("keywords", ""))
    category: tuple[str, ...] = ()
    groups = _list(fields.get("groups", "") or fields.get("collection", "") or fields.get("collections", ""))
    if groups:
        category = tuple(p.strip() for p in re.split(r"/|>", groups[0]) if p.strip())
        tags += groups[1:]
    seen: dict[str, None] = {}
    for tag in tags:
        seen.setdefault(tag, None)

    status = None
    readstatus = fields.get("readstatus", "").strip().lower()
    if readstatus in ("read", "skimmed"):
        status = Status.READ if readstatus == "read" else Status.SKIMMED

    abstract = fields.get("abstract", "").strip()
    body = f"## Abstract\n\n{abstract_markdown(abstract)}\n" if abstract else ""
    return ImportedNote(
        title=title,
        origin=f"{shown}:{line}",
        status=status,
        category=category,
        tags=tuple(seen),
        venue=_venue(fields, year, arxiv),
        year=year,
        authors=parse_bib_authors(fields["author"]) if fields.get("author") else (),
        summary=None,
        links=links,
        arxiv=arxiv,
        doi=doi,
        body=body,
        extra={"bibtex": _entry_text(entry, strings)},
    )
