"""The web of notes: for each note, the notes that link to it (backlinks, with the sentence around
each link) and up to five related notes, each with the reasons it is related.

Related notes are ranked by links first (one links to the other; both link to the same notes;
the same notes link to both), then by shared tags, then the same category, then shared authors;
ties go by title, then by key, so the order never depends on the order notes were read in.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..model import Note, NoteLink

RELATED_SHOWN = 5
REASONS_SHOWN = 3  # the strongest reasons a related note is listed for


def links_key(note_key: str) -> str:
    """A pseudo note key (see ``emit.TIMES``): the links of a note to other notes changed (what
    they point at, or the sentences around them). The pages of the notes it links to, or did,
    show them (backlinks), and so do pages that list it among their related notes."""
    return "@links:" + note_key


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

    def depends_on(self) -> set[str]:
        """The pseudo and note keys a page showing this depends on: the titles of the notes shown
        (their keys), and their links (what makes them backlinks, their sentences and reasons)."""
        shown = [b.note for b in self.backlinks] + [r.note for r in self.related]
        return {n.key for n in shown} | {links_key(n.key) for n in shown}


@dataclass
class Web:
    notes: dict[str, NoteWeb]

    def of(self, note: Note) -> NoteWeb:
        return self.notes.get(note.key) or NoteWeb()


def _sort_key(note: Note) -> tuple[str, str]:
    return (note.title.casefold(), note.key)


def build_web(notes: Iterable[Note], links: Mapping[str, tuple[NoteLink, ...]]) -> Web:
    papers = sorted((n for n in notes if not n.describes_category), key=_sort_key)
    by_key = {n.key: n for n in papers}
    outgoing: dict[str, dict[str, str]] = {}  # key -> linked key -> context of the first link
    for note in papers:
        targets: dict[str, str] = {}
        for link in links.get(note.key, ()):
            if link.target in by_key and link.target != note.key:
                targets.setdefault(link.target, link.context)
        outgoing[note.key] = targets
    incoming: dict[str, list[str]] = {n.key: [] for n in papers}
    for note in papers:  # in title order: backlinks are listed so
        for target in outgoing[note.key]:
            incoming[target].append(note.key)

    by_tag: dict[str, list[str]] = {}
    by_author: dict[str, list[str]] = {}
    by_category: dict[tuple[str, ...], list[str]] = {}
    for note in papers:
        for tag in set(note.tags):
            by_tag.setdefault(tag, []).append(note.key)
        for author in set(note.authors):
            by_author.setdefault(author, []).append(note.key)
        by_category.setdefault(note.category, []).append(note.key)
    order = {n.key: i for i, n in enumerate(papers)}

    result: dict[str, NoteWeb] = {}
    for note in papers:
        key = note.key
        backlinks = [Backlink(by_key[source], outgoing[source][key]) for source in incoming[key]]
        out, into = set(outgoing[key]), set(incoming[key])
        link_score: Counter[str] = Counter()
        for other in out | into:
            link_score[other] += 1
        common_out: Counter[str] = Counter()  # notes linking to the same notes as this one
        for target in out:
            common_out.update(incoming[target])
        common_in: Counter[str] = Counter()  # notes linked from the same notes as this one
        for source in into:
            common_in.update(outgoing[source].keys())
        tags: Counter[str] = Counter()
        for tag in set(note.tags):
            tags.update(by_tag[tag])
        authors: Counter[str] = Counter()
        for author in set(note.authors):
            authors.update(by_author[author])
        candidates = set(link_score) | set(common_out) | set(common_in) | set(tags) | set(authors)
        # Of the notes related only by category, all rank alike: the first few, in title order, suffice.
        same_category = (k for k in by_category[note.category] if k not in candidates)
        candidates.update(k for _, k in zip(range(RELATED_SHOWN + 1), same_category))
        candidates.discard(key)

        def score(other: str) -> tuple:
            linked = link_score[other] + common_out[other] + common_in[other]
            same_category = by_key[other].category == note.category
            return (-linked, -tags[other], -same_category, -authors[other], order[other])

        related = []
        ranked = sorted(candidates, key=score)[:RELATED_SHOWN]
        for other in ranked:
            reasons = []
            if other in into:
                reasons.append("links here · 链接到本文")
            if other in out:
                reasons.append("linked from here · 本文链接到它")
            if common_out[other]:
                reasons.append(_count(common_out[other], "link in common", "links in common", "个共同链接"))
            if common_in[other]:
                reasons.append(_count(common_in[other], "note links to both", "notes link to both", "篇笔记同时链接"))
            if tags[other]:
                reasons.append(_count(tags[other], "shares 1 tag", "shares {} tags", "共 {} 个标签", numbered=True))
            if by_key[other].category == note.category:
                reasons.append("same category · 同一分类")
            if authors[other]:
                reasons.append(_count(authors[other], "shares 1 author", "shares {} authors", "共 {} 位作者",
                                      numbered=True))
            related.append(RelatedNote(by_key[other], tuple(reasons[:REASONS_SHOWN])))
        if backlinks or related:
            result[key] = NoteWeb(backlinks, related)
    return Web(result)


def _count(n: int, one: str, many: str, chinese: str, numbered: bool = False) -> str:
    if numbered:
        return f"{(one if n == 1 else many.format(n))} · {chinese.format(n)}"
    return f"{n} {one if n == 1 else many} · {n} {chinese}"
