"""The citation web of the user's own notes: which notes a note cites, which cite it, and the
papers the notes keep citing that have no note yet ("read next").

Joined from ``data/references.json`` (``load/references.py``) by arXiv id (version-less) and DOI.
A reference with neither id matches a note by its title only when that note has no id either
(the match is reported by ``papernotes check``: titles can collide).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from .importers.identity import identity_of, normalise_title, MIN_TITLE_KEY
from .load.references import PaperEntry, Reference, ReferenceData
from .model import Note

#: Papers shown under "Read next" on the dashboard, at most.
READ_NEXT_LIMIT = 20
#: A paper is suggested when at least this many notes cite it.
READ_NEXT_MIN = 2


@dataclass(frozen=True)
class NoteIds:
    arxiv: str | None
    doi: str | None

    @classmethod
    def of(cls, note: Note) -> "NoteIds":
        identity = identity_of(note.title, [link.url for link in note.links], note.arxiv, note.doi)
        return cls(identity.arxiv, identity.doi)


@dataclass
class ReadNext:
    """A paper cited by the notes that has no note of its own."""

    title: str
    arxiv: str | None
    doi: str | None
    citing: list[Note] = field(default_factory=list)  # in site order

    @property
    def count(self) -> int:
        return len(self.citing)

    @property
    def command(self) -> str:
        """The line that starts a note on it (quoted for a POSIX shell)."""
        if self.arxiv:
            return f"papernotes new --arxiv {self.arxiv} --fetch"
        return f"papernotes new {shlex.quote(self.title)}"


@dataclass
class CitationWeb:
    cites: dict[str, list[Note]] = field(default_factory=dict)  # note key -> notes it cites (site order)
    cited_by: dict[str, list[Note]] = field(default_factory=dict)  # note key -> notes citing it
    read_next: list[ReadNext] = field(default_factory=list)
    #: (citing note, cited note): joined by title, neither having an id
    title_matches: list[tuple[Note, Note]] = field(default_factory=list)
    #: notes whose arXiv id or DOI the API did not know, with the entry
    unknown: list[tuple[Note, PaperEntry]] = field(default_factory=list)
    fetched: int = 0  # notes with an entry in the data file

    def cites_of(self, note: Note) -> list[Note]:
        return self.cites.get(note.key, [])

    def cited_by_of(self, note: Note) -> list[Note]:
        return self.cited_by.get(note.key, [])

    def depends_on(self, note: Note) -> set[str]:
        """The notes whose rows a note's citation lists show (their title, status, venue)."""
        return {n.key for n in self.cites_of(note)} | {n.key for n in self.cited_by_of(note)}

    def signature(self, key: str) -> tuple:
        """What a note's page shows of the web (compared between builds)."""
        return (tuple(n.key for n in self.cites.get(key, ())), tuple(n.key for n in self.cited_by.get(key, ())))

    def read_next_signature(self) -> tuple:
        return tuple((r.title, r.arxiv, r.doi, tuple(n.key for n in r.citing)) for r in self.read_next)


def join(notes: list[Note], data: ReferenceData) -> CitationWeb:
    """The web among ``notes`` (in site order) from what the data file says each one cites."""
    web = CitationWeb()
    if not data.papers:  # no data file (``papernotes refs`` never ran), or an empty one: no web
        return web
    papers = [n for n in notes if not n.describes_category]
    order = {n.key: i for i, n in enumerate(papers)}
    ids = {n.key: NoteIds.of(n) for n in papers}
    by_arxiv: dict[str, Note] = {}
    by_doi: dict[str, Note] = {}
    by_title: dict[str, Note] = {}
    for note in papers:
        note_ids = ids[note.key]
        if note_ids.arxiv:
            by_arxiv.setdefault(note_ids.arxiv, note)
        if note_ids.doi:
            by_doi.setdefault(note_ids.doi, note)
        if not note_ids.arxiv and not note_ids.doi:
            title = normalise_title(note.title)
            if len(title) >= MIN_TITLE_KEY:
                by_title.setdefault(title, note)
    missing: dict[tuple, ReadNext] = {}
    # a paper cited by id whose note has none (and so did not join) is not one to read next
    written = {normalise_title(n.title) for n in papers}
    for note in papers:
        note_ids = ids[note.key]
        entry = data.entry_for(note_ids.arxiv, note_ids.doi)
        if entry is None:
            continue
        web.fetched += 1
        if entry.unknown:
            web.unknown.append((note, entry))
            continue
        cited: dict[str, Note] = {}
        for ref in entry.references:
            target = _find(ref, by_arxiv, by_doi)
            if target is None and not ref.arxiv and not ref.doi and ref.title:
                target = by_title.get(normalise_title(ref.title))
                if target is not None and target is not note and target.key not in cited:
                    web.title_matches.append((note, target))
            if target is None:
                if not (ref.title and normalise_title(ref.title) in written):
                    _suggest(missing, ref, note)
            elif target is not note:
                cited[target.key] = target
        if cited:
            web.cites[note.key] = sorted(cited.values(), key=lambda n: order[n.key])
    by_key = {n.key: n for n in papers}
    for key in sorted(web.cites, key=lambda k: order[k]):
        for target in web.cites[key]:
            web.cited_by.setdefault(target.key, []).append(by_key[key])
    suggestions = [r for r in missing.values() if r.count >= READ_NEXT_MIN]
    suggestions.sort(key=lambda r: (-r.count, normalise_title(r.title), r.arxiv or "", r.doi or ""))
    for item in suggestions:
        item.citing.sort(key=lambda n: order[n.key])
    web.read_next = suggestions[:READ_NEXT_LIMIT]
    return web


def _find(ref: Reference, by_arxiv: dict[str, Note], by_doi: dict[str, Note]) -> Note | None:
    if ref.arxiv and ref.arxiv in by_arxiv:
        return by_arxiv[ref.arxiv]
    if ref.doi and ref.doi in by_doi:
        return by_doi[ref.doi]
    return None


def _suggest(missing: dict[tuple, ReadNext], ref: Reference, note: Note) -> None:
    """Count a cited paper that no note is about, once per citing note."""
    if ref.arxiv:
        key: tuple = ("arxiv", ref.arxiv)
    elif ref.doi:
        key = ("doi", ref.doi)
    elif ref.title and len(normalise_title(ref.title)) >= MIN_TITLE_KEY:
        key = ("title", normalise_title(ref.title))
    else:
        return
    item = missing.get(key)
    if item is None:
        item = missing[key] = ReadNext(ref.title or ref.arxiv or ref.doi or "", ref.arxiv, ref.doi)
    elif not item.title or item.title in (item.arxiv, item.doi):
        item.title = ref.title or item.title
    if all(n is not note for n in item.citing):
        item.citing.append(note)


@dataclass(frozen=True)
class WebChange:
    lists: set[str]  # notes whose "Cites" or "Cited by" list changed
    counts: set[str]  # notes cited by another number of notes
    read_next: bool


def web_changes(old: CitationWeb, new: CitationWeb) -> WebChange:
    keys = set(old.cites) | set(old.cited_by) | set(new.cites) | set(new.cited_by)
    lists = {k for k in keys if old.signature(k) != new.signature(k)}
    counts = {k for k in lists if len(old.cited_by.get(k, ())) != len(new.cited_by.get(k, ()))}
    return WebChange(lists, counts, old.read_next_signature() != new.read_next_signature())
