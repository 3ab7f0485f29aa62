"""papers.bib for the whole site, and the ``bibtex_entry(note)`` template function behind the
Cite block of each note page (templates/_cite.html). Both come from :mod:`papernotes.bibtex`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, TypeVar

import jinja2

from ..bibtex import BaseKeys, Citation, bibliography, citation_keys, entry_inputs, entry_text, own_entry
from ..model import Note
from . import Output
from .context import EmitContext

T = TypeVar("T")


class BibliographyFile:
    name = "BibliographyFile"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        # Registered here, before any page is rendered (every emitter's outputs are collected first).
        texts = install_cite_lookup(ctx)
        # Every note: the fields it shows besides the lists' (arXiv id, DOI, links, an own
        # ``bibtex:`` entry) are part of a note's list signature, so an edit of one rewrites it.
        deps = frozenset(note.key for note in ctx.site.notes)

        def render() -> bytes:
            texts.keep({note.key for note in ctx.site.notes})
            return bibliography(ctx.site.notes, texts.text).encode("utf-8")

        return [Output("papers.bib", deps, render, background=True)]


@dataclass
class KeyMemo:
    """The citation keys last computed, with every note's key inputs then: a lookup over notes
    with the same inputs (serve's next rebuild, a status edit) takes them instead of computing
    10,000 keys again. Kept on the Jinja environment, as :class:`BaseKeys`."""

    stamps: dict[str, tuple] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)


def install_cite_lookup(ctx: EmitContext) -> EntryTexts:
    """Give the templates ``bibtex_entry(note)`` over ``ctx``'s notes (before a page with a Cite
    block is rendered); returns the entry texts it uses."""
    texts = EntryTexts.of(ctx)
    ctx.env.globals["bibtex_entry"] = CitationLookup(ctx.site.notes, texts, base_keys(ctx.env), key_memo(ctx.env))
    return texts


def prepare_cite_lookup(ctx: EmitContext) -> None:
    """Work out every note's citation key now, once: a parallel build does this before it forks
    its workers, which inherit the keys instead of each computing them, and the build cache keeps
    them for the next build."""
    lookup = ctx.env.globals.get("bibtex_entry")
    if isinstance(lookup, CitationLookup):
        lookup.prepare()


def _kept_as(kind: type) -> str:
    """The attribute of the Jinja environment that holds the site's one ``kind()``."""
    return "papernotes_" + kind.__name__


def _kept(env: jinja2.Environment, kind: type[T]) -> T:
    """The site's one ``kind()``, kept on the Jinja environment (as long as the templates)."""
    found = getattr(env, _kept_as(kind), None)
    if not isinstance(found, kind):
        found = kind()
        setattr(env, _kept_as(kind), found)
    return found


def key_memo(env: jinja2.Environment) -> KeyMemo:
    return _kept(env, KeyMemo)


def base_keys(env: jinja2.Environment) -> BaseKeys:
    return _kept(env, BaseKeys)


def adopt_key_memo(env: jinja2.Environment, memo: KeyMemo) -> None:
    """Use ``memo`` (the last build's, from the build cache) on ``env``, before any key is looked
    up: it checks every note's key inputs before it answers."""
    setattr(env, _kept_as(KeyMemo), memo)


class EntryTexts:
    """Entry texts by note, reused while a note's BibTeX inputs stay the same: a rebuild after one
    edit writes papers.bib again without re-escaping every entry.

    Kept on the Jinja environment, which lives as long as the site's templates (a full rebuild
    starts afresh).
    """

    def __init__(self) -> None:
        self._texts: dict[str, tuple[tuple, str]] = {}

    @classmethod
    def of(cls, ctx: EmitContext) -> "EntryTexts":
        return _kept(ctx.env, cls)

    def text(self, note: Note, key: str) -> str:
        inputs = entry_inputs(note, key)
        known = self._texts.get(note.key)
        if known is not None and known[0] == inputs:
            return known[1]
        text = entry_text(note, key)
        self._texts[note.key] = (inputs, text)
        return text

    def keep(self, note_keys: set[str]) -> None:
        for gone in self._texts.keys() - note_keys:
            del self._texts[gone]


class CitationLookup:
    """``bibtex_entry(note)`` for templates: the note's citation key and entry text.

    Keys are computed over all notes once, and again when the note asked about no longer has the
    key inputs they were computed from (a rebuild that re-rendered only its page).
    """

    def __init__(self, notes: list[Note], texts: EntryTexts | None = None, bases: BaseKeys | None = None,
                 memo: KeyMemo | None = None) -> None:
        self._notes = notes
        self._texts = texts or EntryTexts()
        self._bases = bases or BaseKeys()
        self._memo = memo or KeyMemo()
        self._keys: dict[str, str] | None = None
        self._stamps: dict[str, tuple] = {}

    def _stamp(self, note: Note) -> tuple:
        """What the note's key is made of: its own entry's key, and the base key of its group."""
        own = own_entry(note)
        return (own.key if own is not None else None, self._bases(note))

    def _refresh(self) -> dict[str, str]:
        stamps = {note.key: self._stamp(note) for note in self._notes}
        memo = self._memo
        if memo.stamps != stamps:  # (citation_keys is a function of these)
            memo.keys, memo.stamps = citation_keys(self._notes, self._bases), stamps
        self._keys, self._stamps = memo.keys, stamps
        return self._keys

    def prepare(self) -> None:
        if self._keys is None:
            self._refresh()

    def key(self, note: Note) -> str:
        keys = self._keys if self._keys is not None else self._refresh()
        if note.key not in keys or self._stamps.get(note.key) != self._stamp(note):
            keys = self._refresh()
        return keys.get(note.key) or citation_keys([note])[note.key]

    def __call__(self, note: Note) -> Citation:
        key = self.key(note)
        return Citation(key, self._texts.text(note, key))
