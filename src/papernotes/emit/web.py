"""The web of notes: for each note, the notes that link to it (backlinks, with the sentence around
each link) and up to five related notes, each with the reasons it is related.

Related notes are ranked by links first (one links to the other; both link to the same notes;
the same notes link to both), then by shared tags, then the same category, then shared authors;
ties go by title, then by key, so the order never depends on the order notes were read in.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from itertools import combinations
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..model import Note, NoteLink

RELATED_SHOWN = 5
REASONS_SHOWN = 3  # the strongest reasons a related note is listed for


def links_key(note_key: str) -> str:
    """A pseudo note key (as ``emit.time_key``): the links of a note to other notes changed (what
    they point at, or the sentences around them). The pages of the notes it links to, or did,
    show them (backlinks), and so do pages that list it among their related notes."""
    return LINKS + note_key


#: The prefix of the pseudo keys of ``links_key``.
LINKS = "@links:"


def is_links_key(key: str) -> bool:
    return key.startswith(LINKS)


@dataclass(frozen=True)
class Backlink:
    note: Note  # the note that links here
    context: str  # the sentence around its (first) link here


@dataclass(frozen=True)
class RelatedNote:
    note: Note
    reasons: tuple[str, ...]  # "links here · 链接到本文", "shares 3 tags · 共 3 个标签" …


@dataclass
class NoteWeb:
    backlinks: list[Backlink] = field(default_factory=list)
    related: list[RelatedNote] = field(default_factory=list)


#: A note's web by keys: its backlinks as (source key, sentence), its related notes as (key, reasons).
WebEntry = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, tuple[str, ...]], ...]]


@dataclass(frozen=True)
class WebEntries:
    """The web by note keys, and a digest of everything it was made of: what the build cache keeps
    between builds, and a later build of the same titles, tags, authors, categories and links
    uses instead of making the web again."""

    digest: str
    entries: dict[str, WebEntry]


@dataclass
class Web:
    """The web of a site's notes; a note's NoteWeb is made when its page asks for it."""

    made_of: WebEntries
    by_key: dict[str, Note]
    _notes: dict[str, NoteWeb] = field(default_factory=dict)

    def of(self, note: Note) -> NoteWeb:
        found = self._notes.get(note.key)
        if found is None:
            backlinks, related = self.made_of.entries.get(note.key, ((), ()))
            by_key = self.by_key
            found = self._notes[note.key] = NoteWeb([Backlink(by_key[s], context) for s, context in backlinks],
                                                    [RelatedNote(by_key[k], reasons) for k, reasons in related])
        return found

    def depends_on(self, note: Note) -> set[str]:
        """The pseudo and note keys a page showing the note's web depends on: the titles of the
        notes shown (their keys), and their links (what makes them backlinks, their sentences and
        reasons)."""
        backlinks, related = self.made_of.entries.get(note.key, ((), ()))
        shown = [s for s, _ in backlinks] + [k for k, _ in related]
        return {*shown, *(links_key(k) for k in shown)}


def _sort_key(note: Note) -> tuple[str, str]:
    return (note.title.casefold(), note.key)


def build_web(notes: Iterable[Note], links: Mapping[str, tuple[NoteLink, ...]],
              known: WebEntries | None = None) -> Web:
    """The web of ``notes``; ``known``: a web made before, used when it was made of the same."""
    papers = sorted((n for n in notes if not n.describes_category), key=_sort_key)
    by_key = {n.key: n for n in papers}
    outgoing: dict[str, dict[str, str]] = {}  # key -> linked key -> context of the first link
    for note in papers:
        targets: dict[str, str] = {}
        for link in links.get(note.key, ()):
            if link.target in by_key and link.target != note.key:
                targets.setdefault(link.target, link.context)
        outgoing[note.key] = targets
    digest = _digest(papers, outgoing)
    if known is not None and known.digest == digest:
        return Web(known, by_key)
    incoming: dict[str, list[str]] = {n.key: [] for n in papers}
    for note in papers:  # in title order: backlinks are listed so
        for target in outgoing[note.key]:
            incoming[target].append(note.key)
    index = _Index.of(papers)

    entries: dict[str, WebEntry] = {}
    # one tuple per distinct list of reasons (a few dozen on a site): the web kept in the build
    # cache is a sixth of the size, and reads back five times as fast
    reasons_made: dict[tuple[str, ...], tuple[str, ...]] = {}
    for note in papers:
        key = note.key
        backlinks = tuple((source, outgoing[source][key]) for source in incoming[key])
        related = _related(note, outgoing, incoming, index, reasons_made)
        if backlinks or related:
            entries[key] = (backlinks, related)
    return Web(WebEntries(digest, entries), by_key)


def _digest(papers: list[Note], outgoing: dict[str, dict[str, str]]) -> str:
    """Of everything the web is made of: each note's key, title, tags, authors and category in
    title order, and its links to other notes with their sentences."""
    made_of = [(n.key, n.title, tuple(n.tags), tuple(n.authors), n.category, outgoing[n.key]) for n in papers]
    # repr, not pickle: a pickle differs with which equal strings are the same object
    return hashlib.sha256(repr(made_of).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class _Index:
    """Sets of notes as bit masks (bit i: the i-th note in title order), by tag, author and category:
    set operations on whole sites cost next to nothing, and a set's first notes in title order are
    its lowest bits."""

    papers: list[Note]  # in title order
    by_key: dict[str, Note]
    order: dict[str, int]
    by_tag: dict[str, int]
    by_author: dict[str, int]
    by_category: dict[tuple[str, ...], int]

    @classmethod
    def of(cls, papers: list[Note]) -> "_Index":
        by_tag: dict[str, int] = {}
        by_author: dict[str, int] = {}
        by_category: dict[tuple[str, ...], int] = {}
        for i, note in enumerate(papers):
            bit = 1 << i
            for tag in set(note.tags):
                by_tag[tag] = by_tag.get(tag, 0) | bit
            for author in set(note.authors):
                by_author[author] = by_author.get(author, 0) | bit
            by_category[note.category] = by_category.get(note.category, 0) | bit
        return cls(papers, {n.key: n for n in papers}, {n.key: i for i, n in enumerate(papers)},
                   by_tag, by_author, by_category)

    def mask(self, keys: Iterable[str]) -> int:
        found = 0
        for key in keys:
            found |= 1 << self.order[key]
        return found


def _related(note: Note, outgoing: dict[str, dict[str, str]], incoming: dict[str, list[str]],
             index: _Index, reasons_made: dict[tuple[str, ...], tuple[str, ...]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The RELATED_SHOWN best of: (links, shared tags, same category, shared authors, title order).

    The notes linked with it (few) are scored one by one; the best of the others (possibly
    thousands sharing a tag or the category) are picked level by level with set operations, so a
    large site does not cost a score per pair of notes."""
    key, order, by_key = note.key, index.order, index.by_key
    out, into = set(outgoing[key]), set(incoming[key])
    common_out: Counter[str] = Counter()  # notes linking to the same notes as this one
    for target in out:
        common_out.update(incoming[target])
    common_in: Counter[str] = Counter()  # notes linked from the same notes as this one
    for source in into:
        common_in.update(outgoing[source].keys())
    own_tags, own_authors = set(note.tags), set(note.authors)
    linked = (out | into | set(common_out) | set(common_in)) - {key}

    def shared(other: Note) -> tuple[int, int]:
        return len(own_tags.intersection(other.tags)), len(own_authors.intersection(other.authors))

    ranked = []
    for other in linked:
        tags, authors = shared(by_key[other])
        links = (other in out) + (other in into) + common_out.get(other, 0) + common_in.get(other, 0)
        ranked.append(((-links, -tags, by_key[other].category != note.category, -authors, order[other]), other))
    ranked += _unlinked(note, index.mask(linked | {key}), index)
    related = []
    for _, other in sorted(ranked)[:RELATED_SHOWN]:
        tags, authors = shared(by_key[other])
        reasons = []
        if other in into:
            reasons.append("links here · 链接到本文")
        if other in out:
            reasons.append("linked from here · 本文链接到它")
        if common_out.get(other):
            reasons.append(_count(common_out[other], "link in common", "links in common", "个共同链接"))
        if common_in.get(other):
            reasons.append(_count(common_in[other], "note links to both", "notes link to both", "篇笔记同时链接"))
        if tags:
            reasons.append(_count(tags, "shares 1 tag", "shares {} tags", "共 {} 个标签", numbered=True))
        if by_key[other].category == note.category:
            reasons.append("same category · 同一分类")
        if authors:
            reasons.append(_count(authors, "shares 1 author", "shares {} authors", "共 {} 位作者", numbered=True))
        shown = tuple(reasons[:REASONS_SHOWN])
        related.append((other, reasons_made.setdefault(shown, shown)))
    return tuple(related)


#: Up to this many tags (or authors) on a note, the notes sharing exactly c of them are found as
#: unions of intersections (2^n subsets); past it, by counting.
_SUBSETS_UP_TO = 8


def _levels(own: Iterable[str], masks: dict[str, int], index: _Index) -> list[tuple[int, int]]:
    """(c, the notes sharing exactly c of ``own``), for c from the most down to 1."""
    own = sorted(own)
    levels: list[tuple[int, int]] = []
    if len(own) <= _SUBSETS_UP_TO:
        above = 0
        for c in range(len(own), 0, -1):
            level = 0
            for subset in combinations(own, c):
                common = masks[subset[0]]
                for name in subset[1:]:
                    common &= masks[name]
                level |= common
            level &= ~above
            above |= level
            if level:
                levels.append((c, level))
        return levels
    counts: Counter[int] = Counter()
    for name in own:
        mask = masks[name]
        while mask:
            low = mask & -mask
            counts[low] += 1
            mask ^= low
    by_count: dict[int, int] = {}
    for bit, c in counts.items():
        by_count[c] = by_count.get(c, 0) | bit
    return sorted(by_count.items(), reverse=True)


def _unlinked(note: Note, excluded: int, index: _Index) -> list[tuple]:
    """The RELATED_SHOWN best notes not in ``excluded`` (a mask), none linked with ``note``:
    by shared tags, the same category, shared authors, title order; with their scores."""
    category = index.by_category[note.category]
    tag_levels = _levels(note.tags, index.by_tag, index)
    author_levels = _levels(note.authors, index.by_author, index)
    sharing_authors = 0
    for _, mask in author_levels:
        sharing_authors |= mask
    sharing_tags = 0
    for _, mask in tag_levels:
        sharing_tags |= mask
    # the notes sharing no tag are related only by category or authors
    levels = tag_levels + [(0, (category | sharing_authors) & ~sharing_tags)]
    found: list[tuple] = []
    for tags, level in levels:
        level &= ~excluded
        for same in (True, False):
            part = level & category if same else level & ~category
            for authors, by_authors in author_levels + [(0, ~sharing_authors)]:
                group = part & by_authors
                while group and len(found) < RELATED_SHOWN:
                    low = group & -group
                    group ^= low
                    position = low.bit_length() - 1
                    found.append(((0, -tags, not same, -authors, position), index.papers[position].key))
                if len(found) >= RELATED_SHOWN:
                    return found
    return found


def _count(n: int, one: str, many: str, chinese: str, numbered: bool = False) -> str:
    if numbered:
        return f"{(one if n == 1 else many.format(n))} · {chinese.format(n)}"
    return f"{n} {one if n == 1 else many} · {n} {chinese}"
