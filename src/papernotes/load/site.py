"""The site model: notes in display order and the list pages they fall into."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

from .config import SiteConfig
from ..diagnostics import clip
from ..model import Note, Status, UNCATEGORIZED
from ..urls import category_url, is_shortened, page_slug, slug_path, term_url
from .pagenames import distinct_slugs


@dataclass
class Term:
    """One list page: a tag, venue, year or status, and its notes."""

    kind: str  # "tags", "venues", "years", "status"
    name: str  # as shown
    slug: str
    notes: list[Note] = field(default_factory=list)

    @property
    def url(self) -> str:
        return term_url(self.kind, self.name, self.slug)


@dataclass
class Category:
    name: str
    path: tuple[str, ...]
    children: list["Category"] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)  # directly in this category
    intro: Note | None = None  # its description (an _index.md), if it has one
    page: str = ""  # its page name when it is not the usual one (another category shares that)

    @property
    def slug(self) -> str:
        return self.page or slug_path(self.path, "category")

    @property
    def url(self) -> str:
        return category_url(self.path, self.page or None)

    @property
    def title(self) -> str:
        return " / ".join(self.path)

    def all_notes(self) -> list[Note]:
        found = list(self.notes)
        for child in self.children:
            found.extend(child.all_notes())
        return found

    def walk(self) -> Iterable["Category"]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Site:
    config: SiteConfig
    notes: list[Note]  # every note, in home-page order
    categories: list[Category]  # top level, in display order
    tags: list[Term]
    venues: list[Term]
    years: list[Term]
    statuses: list[Term]
    neighbours: dict[str, tuple[Note | None, Note | None]]  # note key -> (previous, next) in its category
    intro: Note | None = None  # notes/_index.md: the description of the whole site (home page)
    #: descriptions not shown, and why (their category has no notes, or has another description)
    unused_intros: list[tuple[Note, str]] = field(default_factory=list)
    #: names whose page is not the usual one (shared with another name, or too long), and why
    renamed_pages: list[tuple[Note, str]] = field(default_factory=list)
    #: page names that are not the usual ones: kind -> term key (or category path) -> slug
    page_names: dict[str, dict] = field(default_factory=dict)
    #: (kind, name) -> page, as term_url and category_url found it (every page links to its tags
    #: and categories: the page names are worked out once per name, not once per link)
    _urls: dict[tuple, str] = field(default_factory=dict, repr=False, compare=False)

    def term_url(self, kind: str, name: object) -> str:
        """The page of the tag, venue, year or status ``name`` (as a note spells it)."""
        found = self._urls.get((kind, name))
        if found is None:
            found = term_url(kind, str(name), self.page_names.get(kind, {}).get(term_key(str(name))))
            self._urls[(kind, name)] = found
        return found

    def category_url(self, path: tuple[str, ...] | list[str]) -> str:
        path = tuple(path)
        found = self._urls.get(("categories", path))
        if found is None:
            found = category_url(path, self.page_names.get("categories", {}).get(path))
            self._urls[("categories", path)] = found
        return found

    def notices(self) -> list[tuple[Note, str]]:
        """Warnings about the site as a whole, each with a note it concerns."""
        return [*self.unused_intros, *self.renamed_pages]

    def all_categories(self) -> list[Category]:
        return [c for top in self.categories for c in top.walk()]

    def status_count(self, status: Status) -> int:
        return sum(1 for n in self.notes if n.status is status)


def note_order(note: Note) -> tuple:
    """Notes with an ``order`` first, by it; then the newest papers first, then by title."""
    if note.order is not None:
        return (0, note.order, 0, "", note.key)
    return (1, 0, -(note.year or 0), note.title.casefold(), note.key)


def build_site(config: SiteConfig, notes: list[Note]) -> Site:
    intros = sorted((n for n in notes if n.describes_category), key=lambda n: n.key)
    notes = [n for n in notes if not n.describes_category]
    root = Category("", ())
    index: dict[tuple[str, ...], Category] = {(): root}
    for note in sorted(notes, key=note_order):
        parent = root
        for depth in range(1, len(note.category) + 1):
            path = note.category[:depth]
            if path not in index:
                node = Category(path[-1], path)
                index[path] = node
                parent.children.append(node)
            parent = index[path]
        parent.notes.append(note)
    _sort_categories(root, config.category_order)
    ordered: list[Note] = []
    neighbours: dict[str, tuple[Note | None, Note | None]] = {}
    for category in root.walk():
        members = category.notes
        for i, note in enumerate(members):
            neighbours[note.key] = (members[i - 1] if i > 0 else None,
                                    members[i + 1] if i + 1 < len(members) else None)
        ordered.extend(members)
    unused: list[tuple[Note, str]] = []
    for intro in intros:
        category = index.get(intro.category)
        shown = " / ".join(intro.category)
        if category is None:
            unused.append((intro, f"describes the category '{shown}', which has no notes; not shown "
                                  "(name the category it describes with 'category:')"))
        elif category.intro is not None:  # two describing one category: the first by path wins
            unused.append((intro, f"the category '{shown or 'the home page'}' is already described by "
                                  f"{category.intro.rel_path}; not shown"))
        else:
            category.intro = intro
    site = Site(
        config=config,
        notes=ordered,
        categories=root.children,
        tags=_terms("tags", ((t, n) for n in ordered for t in n.tags), by_name=True),
        venues=_terms("venues", ((n.venue, n) for n in ordered if n.venue), by_name=True),
        years=_terms("years", ((str(n.year), n) for n in ordered if n.year), by_name=False),
        statuses=[Term("status", s.value, s.value, [n for n in ordered if n.status is s]) for s in Status],
        neighbours=neighbours,
        intro=root.intro,
        unused_intros=unused,
    )
    _name_pages(site, [c for c in root.walk() if c.path])
    return site


TERM_WORDS = {"tags": "tag", "venues": "venue", "categories": "category"}


def _shares(kind: str, name: str, wanted: str, other: str, url: str) -> str:
    return (f"the {TERM_WORDS[kind]} '{clip(name)}' shares the page name '{kind}/{wanted}.html' with "
            f"'{clip(other)}'; its page is '{clip(url, 160)}'")


def _too_long(kind: str, name: str, url: str) -> str:
    return f"the {TERM_WORDS[kind]} '{clip(name)}' is too long for a page name; its page is '{clip(url, 160)}'"


def _name_pages(site: Site, categories: list[Category]) -> None:
    """Give every tag, venue and category a page of its own (``load.pagenames``), and note in
    the site which names were moved or shortened."""
    for kind, terms in (("tags", site.tags), ("venues", site.venues)):
        by_key = {term_key(t.name): t for t in terms}
        choice = distinct_slugs(sorted(by_key), lambda key: by_key[key].slug, spelled=lambda key: key,
                                exact=lambda key, slug: page_slug(key, kind) == key)
        moved = site.page_names.setdefault(kind, {})
        for key, wanted, other, got in choice.moved:
            term = by_key[key]
            term.slug = moved[key] = got
            site.renamed_pages.append((term.notes[0], _shares(kind, term.name, wanted, by_key[other].name, term.url)))
        site.renamed_pages += [(t.notes[0], _too_long(kind, t.name, t.url)) for t in terms if is_shortened([t.name])]
    by_path = {c.path: c for c in categories}
    choice = distinct_slugs(sorted(by_path), lambda path: slug_path(path, "category"),
                            spelled=lambda path: "/".join(path),
                            exact=lambda path, slug: path[-1] == slug.rsplit("/", 1)[-1])
    moved = site.page_names.setdefault("categories", {})
    for path, wanted, other, got in choice.moved:
        category = by_path[path]
        category.page = moved[path] = got
        site.renamed_pages.append((category.all_notes()[0], _shares("categories", category.title, wanted,
                                                                    " / ".join(other), category.url)))
    site.renamed_pages += [(c.all_notes()[0], _too_long("categories", c.title, c.url))
                           for c in categories if is_shortened([c.name])]


def term_key(name: str) -> str:
    """Names that are one tag (or venue): ``LoRA`` and ``lora`` are one, ``C`` and ``C++`` two."""
    return unicodedata.normalize("NFKC", name).casefold()


def _sort_categories(node: Category, order: list[str]) -> None:
    rank = {name.casefold(): i for i, name in enumerate(order)}

    def key(child: Category) -> tuple:
        full = "/".join(child.path).casefold()
        position = rank.get(full, rank.get(child.name.casefold(), len(rank)))
        return (child.name == UNCATEGORIZED, position, child.name.casefold())

    node.children.sort(key=key)
    for child in node.children:
        _sort_categories(child, order)


def _terms(kind: str, pairs: Iterable[tuple[str, Note]], by_name: bool) -> list[Term]:
    terms: dict[str, Term] = {}
    keys: dict[str, str] = {}  # thousands of notes share a few dozen names
    for name, note in pairs:
        key = keys.get(name)
        if key is None:
            key = keys[name] = term_key(name)
        term = terms.get(key)
        if term is None:
            term = terms[key] = Term(kind, name, page_slug(name, kind))
        if not term.notes or term.notes[-1] is not note:
            term.notes.append(note)
    if by_name:
        return sorted(terms.values(), key=lambda t: (-len(t.notes), t.name.casefold()))
    return sorted(terms.values(), key=lambda t: t.name, reverse=True)
