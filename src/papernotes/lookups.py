"""Lookups that spare ``serve``'s rebuilds a pass over every note or every output.

A save changes one note; at 10,000 notes each pass over all of them (which notes' links looked at
the changed file, which outputs depend on it, how many notes failed) costs milliseconds, and a
rebuild made of such passes cannot reload the page in the 40 ms a preview should. Each lookup
here is made once, kept while the project lives, and told what a rebuild changed. None holds
anything a full pass would not find: ``tests/test_identical_output.py`` compares what they lead
to with cold builds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .emit import Output
    from .model import Note, RenderedNote
    from .emit.bibtex import KeyMemo
    from .emit.web import WebEntries
    from .render.wikilinks import WikiIndex


class _Record(Protocol):
    source: Path
    note: Note | None
    rendered: RenderedNote | None
    load_diagnostics: list
    render_diagnostics: list


class RecordNotes(Mapping):
    """The notes of a project's records by source path, read through (no copy to make)."""

    def __init__(self, records: Mapping[Path, _Record]) -> None:
        self._records = records

    def __getitem__(self, path: Path) -> Note:
        record = self._records[path]
        if record.note is None:
            raise KeyError(path)
        return record.note

    def __contains__(self, path: object) -> bool:
        record = self._records.get(path)  # type: ignore[call-overload]
        return record is not None and record.note is not None

    def __iter__(self) -> Iterator[Path]:
        return (path for path, record in self._records.items() if record.note is not None)

    def __len__(self) -> int:
        return sum(1 for record in self._records.values() if record.note is not None)


@dataclass
class NoteTally:
    """Which notes failed to load, which are category introductions, which have problems."""

    failed: set[Path] = field(default_factory=set)
    intros: set[Path] = field(default_factory=set)
    troubled: set[Path] = field(default_factory=set)

    @classmethod
    def of(cls, records: Mapping[Path, _Record]) -> NoteTally:
        tally = cls()
        tally.update(records, records)
        return tally

    def update(self, records: Mapping[Path, _Record], paths: Iterable[Path]) -> None:
        """Count ``paths`` again as ``records`` has them now (a path no longer there: not at all)."""
        for path in paths:
            record = records.get(path)
            for group in (self.failed, self.intros, self.troubled):
                group.discard(path)
            if record is None:
                continue
            if record.note is None:
                self.failed.add(path)
            elif record.note.describes_category:
                self.intros.add(path)
            if record.load_diagnostics or record.render_diagnostics:
                self.troubled.add(path)


class LinkIndex:
    """The notes whose rendering looked at a path (its links' targets) or looked up a wikilink
    name: those to render again when that path or a note with that name changes."""

    def __init__(self) -> None:
        self._by_path: dict[Path, set[Path]] = {}
        self._by_name: dict[str, set[Path]] = {}
        self._entries: dict[Path, tuple[frozenset[Path], frozenset[str]]] = {}
        self._unrendered: set[Path] = set()  # notes without a rendering: always rendered again

    @classmethod
    def of(cls, records: Mapping[Path, _Record]) -> LinkIndex:
        index = cls()
        for record in records.values():
            index.update(record)
        return index

    def update(self, record: _Record) -> None:
        """``record`` was rendered (or restored): what it looks at now replaces what it did."""
        self.forget(record.source)
        rendered = record.rendered
        if record.note is None:
            return
        if rendered is None:
            self._unrendered.add(record.source)
            return
        entry = (frozenset(rendered.looked_at), frozenset(rendered.wiki_names))
        self._entries[record.source] = entry
        for path in entry[0]:
            self._by_path.setdefault(path, set()).add(record.source)
        for name in entry[1]:
            self._by_name.setdefault(name, set()).add(record.source)

    def forget(self, source: Path) -> None:
        self._unrendered.discard(source)
        entry = self._entries.pop(source, None)
        if entry is None:
            return
        for path in entry[0]:
            _drop(self._by_path, path, source)
        for name in entry[1]:
            _drop(self._by_name, name, source)

    def looking_at(self, paths: Iterable[Path], names: Iterable[str]) -> set[Path]:
        """The sources of the notes that looked at any of ``paths`` or up any of ``names``, and of
        those not rendered yet."""
        found: set[Path] = set(self._unrendered)
        for path in paths:
            found |= self._by_path.get(path, set())
        for name in names:
            found |= self._by_name.get(name, set())
        return found


def _drop(index: dict, key, source: Path) -> None:
    sources = index.get(key)
    if sources is not None:
        sources.discard(source)
        if not sources:
            del index[key]


class OutputIndex:
    """A site's outputs by the keys they depend on, the note whose body they show and the file
    they copy; ``touching`` gives them in the outputs' own order."""

    def __init__(self, outputs: Iterable[Output]) -> None:
        self.items: list[Output] = list(outputs)
        self._by_key: dict[str, list[int]] = {}
        self._every: list[int] = []  # those that depend on every note
        self._by_body: dict[str, list[int]] = {}
        self._by_source: dict[Path, list[int]] = {}
        for position, output in enumerate(self.items):
            if output.depends_on is None:
                self._every.append(position)
            else:
                for key in output.depends_on:
                    self._by_key.setdefault(key, []).append(position)
            if output.body_of is not None:
                self._by_body.setdefault(output.body_of, []).append(position)
            if output.source is not None:
                self._by_source.setdefault(output.source, []).append(position)

    def touching(self, keys: Iterable[str], body_changed: Iterable[str], sources: Iterable[Path],
                 every: bool) -> list[Output]:
        """The outputs that depend on any of ``keys`` (or on every note, when ``every``), show
        the body of a note in ``body_changed`` or copy a file in ``sources``."""
        found: set[int] = set(self._every) if every else set()
        for key in keys:
            found.update(self._by_key.get(key, ()))
        for key in body_changed:
            found.update(self._by_body.get(key, ()))
        for path in sources:
            found.update(self._by_source.get(path, ()))
        return [self.items[position] for position in sorted(found)]


@dataclass
class ProjectLookups:
    """The lookups a long-lived project keeps between rebuilds; None: not made (yet), or forgotten
    because what it was made of changed."""

    wiki: WikiIndex | None = None  # the notes by file name and title, for wikilinks
    #: the web of backlinks and related notes last made, checked against what it is made of before use
    web: WebEntries | None = None
    tally: NoteTally | None = None
    links: LinkIndex | None = None
    outputs: OutputIndex | None = None
    #: the citation keys the last build computed (from the build cache), for the next templates
    key_memo: KeyMemo | None = None
