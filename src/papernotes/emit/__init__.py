"""Emit stage: each kind of output is one small emitter that lists the files it writes and the
notes each file depends on (which is what makes incremental rebuilds correct)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable, Protocol

from .context import EmitContext
from .web import is_links_key, links_key


#: The prefix of a pseudo note key per note: its file's modification time changed (any save).
#: Feeds, the sitemap and the dashboard order or date notes by it; each depends on the time keys
#: of the notes it may show, so a save rewrites only those that show the saved note — not, as a
#: single key for every note's time did, every feed of the site on every save.
TIME = "@time:"


def time_key(key: str) -> str:
    return TIME + key


def time_keys(notes) -> frozenset[str]:
    return frozenset(TIME + note.key for note in notes)

#: A pseudo note key: the set of characters the site's formulas draw changed (the math font).
MATH_CHARACTERS = "@math"


#: The prefix of a pseudo note key per citation base key (see ``citation_group``).
CITATION_GROUP = "@cite:"

#: Every pseudo note key starts so; a note key may too (a file ``@x.md``), see ``Output.deferred``.
PSEUDO = "@"


def citation_group(base_key: str) -> str:
    """A pseudo note key for the notes sharing a citation base key: a note's key in its Cite
    block depends on who else is in its group, so its page depends on this key, which changes
    whenever a note joins or leaves the group (not on every member: that grew with the square
    of the group's size)."""
    return CITATION_GROUP + base_key


#: The prefix of a pseudo note key per note: its citation lists (from data/references.json)
#: changed. Unlike a note's own key, it does not touch the pages that list every note.
CITATION_LISTS = "@refs:"

#: A pseudo note key: the dashboard's "Read next" changed (papers the notes cite most, unwritten).
READ_NEXT = "@read-next"

#: A pseudo note key: how many notes cite some note changed (the home page's rows show it).
CITED_COUNTS = "@cited-counts"


def citation_lists(key: str) -> str:
    return CITATION_LISTS + key


def touches_every_list(changed: set[str]) -> bool:
    """Whether a change written as pseudo and note keys touches the pages that depend on every
    note (``depends_on`` None): any key but the file times, "Read next", the per-note citation
    lists and a note's links (only the pages showing them depend on those)."""
    return any(k != READ_NEXT and not k.startswith((CITATION_LISTS, TIME)) and not is_links_key(k)
               for k in changed)


@dataclass(frozen=True)
class Output:
    path: str  # site-relative, "/"-separated
    #: note and pseudo note keys; None means "every note" (e.g. the home page); or a function that
    #: works them out when they are first asked for (see ``deferred``): ``depends_on`` holds them
    deps: frozenset[str] | None | Callable[[], frozenset[str]]
    render: Callable[[], bytes] | None = None  # produces the content ...
    source: Path | None = None  # ... or a file copied as it is
    body_of: str | None = None  # the note whose whole body the page shows (its own page)
    #: no page needs it to show right when it loads (feeds, the sitemap, papers.bib, preview
    #: files): ``serve`` writes it after telling open pages to reload, so a save reloads sooner
    background: bool = False
    #: with ``deps`` a function: the prefixes of the pseudo keys it may give (all else are keys
    #: of the site's notes). The function must give what it would have given when the output was
    #: made, so it works from what the emitter handed it then, never from state that changes.
    pseudo_kinds: tuple[str, ...] = ()

    @cached_property
    def depends_on(self) -> frozenset[str] | None:
        return self.deps() if callable(self.deps) else self.deps

    @property
    def deferred(self) -> bool:
        """Whether its dependencies are not worked out yet: a change that holds no note key and
        no pseudo key of its kinds cannot touch it, whatever they are (an edit build of 10,000
        note pages need not work out 10,000 dependency sets to find the one page a body edit
        touches)."""
        return callable(self.deps) and "depends_on" not in self.__dict__


def deferred_may_touch(keys: set[str], note_keys: set[str]) -> Callable[[tuple[str, ...]], bool]:
    """Whether a change of ``keys`` may touch a deferred output (``Output.deferred``) of the given
    ``pseudo_kinds``: its dependencies are keys of the site's notes (``note_keys``) and pseudo
    keys of those kinds."""
    notes = any(not key.startswith(PSEUDO) or key in note_keys for key in keys)
    found: dict[tuple[str, ...], bool] = {}

    def may_touch(kinds: tuple[str, ...]) -> bool:
        if kinds not in found:
            found[kinds] = notes or any(key.startswith(kinds) for key in keys)
        return found[kinds]

    return may_touch


class Emitter(Protocol):
    name: str

    def outputs(self, ctx: EmitContext) -> Iterable[Output]: ...


def default_emitters() -> list[Emitter]:
    from .bibtex import BibliographyFile
    from .dashboard import DashboardPage
    from .feeds import AtomFeeds, RobotsFile, Sitemap
    from .pages import CategoryPages, HomePage, IndexPages, NotFoundPage, NotePages, TermPages
    from .previews import PreviewFiles
    from .static import MathFont, NoteAssets, StaticFiles, ThemeAssets

    return [NotePages(), HomePage(), CategoryPages(), TermPages(), IndexPages(), NotFoundPage(),
            DashboardPage(), AtomFeeds(), Sitemap(), RobotsFile(), BibliographyFile(), PreviewFiles(),
            ThemeAssets(), NoteAssets(), MathFont(), StaticFiles()]  # static files last: they lose


__all__ = ["CITATION_GROUP", "CITATION_LISTS", "PSEUDO", "CITED_COUNTS", "EmitContext", "Emitter", "MATH_CHARACTERS", "Output", "READ_NEXT", "TIME", "time_key", "time_keys",
           "citation_group", "citation_lists", "default_emitters", "deferred_may_touch", "is_links_key", "links_key", "touches_every_list"]
