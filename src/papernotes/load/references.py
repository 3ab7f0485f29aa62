"""``data/references.json``: what ``papernotes refs`` fetched about the papers of the notes.

The file sits beside the notes folder (``<root>/data/references.json``) and is meant to be
committed: ``build`` only reads it. It is written so that a diff in git shows one paper per block
and one reference per line, every key sorted::

    {
    "format": 1,
    "papers": {
    "arxiv:1910.01108": {
      "citation_count": 5000,
      "fetched": "2026-12-03",
      "references": [
        {"arxiv": "1503.02531", "title": "Distilling the Knowledge in a Neural Network"},
        {"arxiv": "1810.04805", "title": "BERT: Pre-training of Deep Bidirectional Transformers"}
      ],
      "title": "DistilBERT, a distilled version of BERT"
    },
    "doi:10.1000/unknown": {"fetched": "2026-12-03", "unknown": true}
    }
    }

A paper's key is ``arxiv:<id>`` (version-less, lower case) or ``doi:<doi>`` (lower case). A
file that is not valid JSON is a warning naming its line, and the site has no citation lists; a
paper entry that is wrong is a warning naming its line, and that entry is left out.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import clip
from ..importers.identity import arxiv_key, doi_key

DATA_FILE = Path("data") / "references.json"
FORMAT = 1
_ARXIV = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[a-z]{2})?/\d{7})$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


@dataclass(frozen=True)
class Reference:
    """One paper a paper cites: whichever of its ids and title the API knew."""

    arxiv: str | None = None
    doi: str | None = None
    title: str | None = None

    def as_json(self) -> dict[str, str]:
        return {k: v for k, v in (("arxiv", self.arxiv), ("doi", self.doi), ("title", self.title)) if v}

    @property
    def sort_key(self) -> tuple[str, str, str]:
        return (self.arxiv or "~", self.doi or "~", self.title or "")


@dataclass(frozen=True)
class PaperEntry:
    key: str  # "arxiv:1910.01108" or "doi:10.1000/x"
    fetched: dt.date
    title: str | None = None
    arxiv: str | None = None  # the ids the API gave for the paper itself
    doi: str | None = None
    citation_count: int | None = None
    references: tuple[Reference, ...] = ()
    #: the API knew no paper by this id (its batch answer held ``null``)
    unknown: bool = False
    #: the API listed more references than were kept (the entry holds the first ``MAX_REFERENCES``)
    references_total: int | None = None
    line: int | None = None  # where the entry starts in the file (None: not read from a file)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"fetched": self.fetched.isoformat()}
        if self.unknown:
            data["unknown"] = True
            return data
        for name in ("title", "arxiv", "doi", "citation_count", "references_total"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        data["references"] = [r.as_json() for r in sorted(self.references, key=lambda r: r.sort_key)]
        return data


@dataclass
class ReferenceData:
    path: Path
    papers: dict[str, PaperEntry] = field(default_factory=dict)
    problems: list[tuple[int | None, str]] = field(default_factory=list)  # (line, message)
    exists: bool = False
    text: str | None = None  # the file as read (None: there was none)

    def entry_for(self, arxiv: str | None, doi: str | None) -> PaperEntry | None:
        for key in paper_keys(arxiv, doi):
            if key in self.papers:
                return self.papers[key]
        return None


def paper_keys(arxiv: str | None, doi: str | None) -> list[str]:
    """The keys a paper's entry may have, the preferred (the one ``refs`` writes) first."""
    keys = []
    if arxiv:
        keys.append("arxiv:" + arxiv_key(arxiv))
    if doi:
        keys.append("doi:" + doi_key(doi))
    return keys


def load_references(path: Path, known: tuple[bool, str | None] = (False, None)) -> ReferenceData:
    """The data file at ``path``; a missing file is an empty one (no problem). ``known``:
    ``(True, text)`` reads ``text`` as the file (None: no file) instead of reading it."""
    data = ReferenceData(path)
    if known[0]:
        text = known[1]
        if text is None:
            return data
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return data
        except (OSError, UnicodeDecodeError) as exc:
            data.problems.append((None, f"cannot be read ({getattr(exc, 'strerror', None) or exc}); no citation lists"))
            return data
    data.exists = True
    data.text = text
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        data.problems.append((exc.lineno, f"is not valid JSON ({exc.msg}); no citation lists "
                                          "(run papernotes refs to write it again)"))
        return data
    if not isinstance(raw, dict) or not isinstance(raw.get("papers"), dict):
        data.problems.append((1, 'is not a references file: expected {"format": 1, "papers": {...}}; no citation lists'))
        return data
    if raw.get("format") != FORMAT:
        data.problems.append((_line_of(text, '"format"'), f"format {clip(raw.get('format'))} is not {FORMAT}, "
                                                          "the one this papernotes reads; no citation lists"))
        return data
    lines = _key_lines(text)
    for key, value in raw["papers"].items():
        line = lines.get(key)
        try:
            entry = parse_entry(key, value, line)
        except ValueError as exc:
            data.problems.append((line, f"paper {clip(key)}: {exc}; left out"))
            continue
        if entry.key in data.papers:
            data.problems.append((line, f"paper {clip(key)} is listed twice (as {data.papers[entry.key].key}); "
                                        "the first is used"))
            continue
        data.papers[entry.key] = entry
    return data


def parse_entry(key: str, value: Any, line: int | None = None) -> PaperEntry:
    """One paper's entry; raises ValueError saying what is wrong."""
    normal = normal_key(key)
    if normal is None:
        raise ValueError("the key is neither arxiv:<id> nor doi:<doi>")
    if not isinstance(value, dict):
        raise ValueError("expected an object")
    try:
        fetched = dt.date.fromisoformat(str(value.get("fetched")))
    except ValueError:
        raise ValueError(f"fetched {clip(value.get('fetched'))} is not a date such as 2026-12-03") from None
    if value.get("unknown") is True:
        return PaperEntry(normal, fetched, unknown=True, line=line)
    title = _text(value, "title")
    count = value.get("citation_count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
        raise ValueError(f"citation_count {clip(count)} is not a count")
    total = value.get("references_total")
    if total is not None and (not isinstance(total, int) or isinstance(total, bool) or total < 0):
        raise ValueError(f"references_total {clip(total)} is not a count")
    references = value.get("references", [])
    if not isinstance(references, list):
        raise ValueError("references is not a list")
    parsed = []
    for i, item in enumerate(references, 1):
        if not isinstance(item, dict):
            raise ValueError(f"reference {i} is not an object")
        parsed.append(make_reference(_text(item, "arxiv"), _text(item, "doi"), _text(item, "title")))
    return PaperEntry(normal, fetched, title=title, arxiv=_clean_arxiv(_text(value, "arxiv")),
                      doi=_clean_doi(_text(value, "doi")), citation_count=count,
                      references=tuple(r for r in parsed if r is not None), references_total=total, line=line)


def make_reference(arxiv: str | None, doi: str | None, title: str | None) -> Reference | None:
    """A reference with its ids normalised (an id that is not one is dropped); None when nothing is left."""
    ref = Reference(_clean_arxiv(arxiv), _clean_doi(doi), " ".join(title.split()) if title else None)
    return ref if (ref.arxiv or ref.doi or ref.title) else None


def normal_key(key: str) -> str | None:
    kind, _, ident = str(key).partition(":")
    if kind.lower() == "arxiv":
        clean = _clean_arxiv(ident)
        return "arxiv:" + clean if clean else None
    if kind.lower() == "doi":
        clean = _clean_doi(ident)
        return "doi:" + clean if clean else None
    return None


def _clean_arxiv(value: str | None) -> str | None:
    if not value:
        return None
    key = arxiv_key(value)
    return key if _ARXIV.match(key) else None


def _clean_doi(value: str | None) -> str | None:
    if not value:
        return None
    key = doi_key(value)
    return key if _DOI.match(key) else None


def _text(value: dict, name: str) -> str | None:
    item = value.get(name)
    if item is None:
        return None
    if not isinstance(item, str):
        raise ValueError(f"{name} {clip(item)} is not text")
    return item.strip() or None


def _key_lines(text: str) -> dict[str, int]:
    """Line of each paper key as the file spells it (``"arxiv:…": {`` at a line's start)."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r'\s*"((?:[^"\\]|\\.)*)"\s*:\s*\{', line)
        if match:
            try:
                key = json.loads(f'"{match.group(1)}"')
            except json.JSONDecodeError:
                continue
            found.setdefault(key, number)
    return found


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None


# -- writing ---------------------------------------------------------------------------------------

def dump_references(papers: dict[str, PaperEntry]) -> str:
    """The file's text: sorted, one paper per block and one reference per line."""
    blocks = []
    for key in sorted(papers):
        data = papers[key].as_json()
        if "references" not in data:  # an unknown paper: one line
            blocks.append(f"{_j(key)}: {_j(data)}")
            continue
        fields = []
        for name in sorted(data):
            if name == "references":
                items = [f"    {_j(r)}" for r in data[name]]
                fields.append('  "references": [' + ("\n" + ",\n".join(items) + "\n  ]" if items else "]"))
            else:
                fields.append(f"  {_j(name)}: {_j(data[name])}")
        blocks.append(f"{_j(key)}: {{\n" + ",\n".join(fields) + "\n}")
    body = ",\n".join(blocks)
    return '{\n"format": %d,\n"papers": {\n%s%s}\n}\n' % (FORMAT, body, "\n" if body else "")


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def write_references(path: Path, papers: dict[str, PaperEntry]) -> None:
    """Write the file atomically: a reader (or a crash) sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dump_references(papers)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
