"""HTML pages: one per note, the home page, list pages per category/tag/venue/year/status, 404."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Iterable

from ..load.site import Category
from ..model import Note
from . import CITATION_GROUP, CITATION_LISTS, Output, citation_group, citation_lists
from .web import LINKS
from .bibtex import base_keys
from .context import EmitContext
from .link_buttons import link_buttons

#: Notes of its category listed beside a note (the nearest ones; the category page has them all).
SIBLINGS_SHOWN = 41


@dataclass(frozen=True)
class CategoryNav:
    """The navigation beside a note: its category and the notes around it there."""

    category: Category
    notes: list[Note]


def category_nav(categories: dict[tuple[str, ...], Category], positions: dict[tuple, int], note: Note) -> CategoryNav | None:
    """``positions``: (category path, note key) -> the note's place among the category's notes."""
    category = categories.get(note.category)
    if category is None:
        return None
    members = category.notes
    index = positions.get((note.category, note.key), 0)
    start = max(0, min(index - SIBLINGS_SHOWN // 2, len(members) - SIBLINGS_SHOWN))
    return CategoryNav(category, members[start:start + SIBLINGS_SHOWN])


class NotePages:
    name = "note pages"

    def outputs(self, ctx: EmitContext, only: set[str] | None = None) -> Iterable[Output]:
        """Every note's page; ``only``: the pages of these notes (by key) alone."""
        # A note's citation key (in its Cite block) depends on the notes that share its base key.
        base_of = base_keys(ctx.env)
        categories = {c.path: c for c in ctx.site.all_categories()}
        positions = {(c.path, n.key): i for c in categories.values() for i, n in enumerate(c.notes)}
        # (the dependencies are worked out from these when first asked for: all made now)
        web, citations, neighbours = ctx.web, ctx.citations, ctx.site.neighbours
        for note in ctx.site.notes:
            if only is not None and note.key not in only:
                continue
            previous, following = neighbours.get(note.key, (None, None))

            def deps(note=note, previous=previous, following=following) -> frozenset[str]:
                nav = category_nav(categories, positions, note)
                found = {note.key, citation_group(base_of(note))} | {n.key for n in (previous, following) if n is not None}
                found |= {n.key for n in nav.notes} if nav else set()
                found |= web.depends_on(note)  # backlinks and related notes
                found |= {citation_lists(note.key)} | citations.depends_on(note)  # "Cites N", "Cited by N"
                return frozenset(found)

            def render(note=note, previous=previous, following=following) -> bytes:
                return ctx.render_page(
                    "note.html", note.url, note.title, note=note, body=ctx.body(note),
                    previous=previous, next=following, category_nav=category_nav(categories, positions, note),
                    links=link_buttons(note.links), web=web.of(note),
                )

            yield Output(note.url, deps, render, body_of=note.key, pseudo_kinds=NOTE_PAGE_KINDS)


#: The pseudo keys a note page depends on besides note keys: its citation group, its citation
#: lists, and the links of the notes its web shows.
NOTE_PAGE_KINDS = (CITATION_GROUP, CITATION_LISTS, LINKS)


class HomePage:
    name = "home page"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        yield Output("index.html", None, lambda: ctx.render_page("index.html", "index.html", ctx.site.config.title))


class CategoryPages:
    name = "category pages"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        for category in ctx.site.all_categories():
            def render(category=category) -> bytes:
                return ctx.render_page("category.html", category.url, category.title, category=category)

            def deps(category=category) -> frozenset[str]:  # (worked out when asked for: see Output)
                return ctx.keys(category.all_notes()) | ({category.intro.key} if category.intro else frozenset())

            yield Output(category.url, deps, render)


class TermPages:
    """A page per tag, venue, year and status."""

    name = "term pages"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        site = ctx.site
        for terms in (site.tags, site.venues, site.years, site.statuses):
            for term in terms:
                def render(term=term) -> bytes:
                    return ctx.render_page("term.html", term.url, term_title(ctx, term), term=term)

                yield Output(term.url, partial(ctx.keys, term.notes), render)


def term_title(ctx: EmitContext, term) -> str:
    if term.kind == "status":
        from ..model import Status

        return ctx.site.config.status_labels[Status(term.slug)]
    return term.name


class IndexPages:
    """Overview pages listing every category, tag, venue and year with counts."""

    name = "index pages"
    KINDS = {
        "categories": "Categories 分类",
        "tags": "Tags 标签",
        "venues": "Venues 会议/期刊",
        "years": "Years 年份",
    }

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        for kind, title in self.KINDS.items():
            path = f"{kind}/index.html"

            def render(kind=kind, title=title, path=path) -> bytes:
                terms = ctx.site.all_categories() if kind == "categories" else getattr(ctx.site, kind)
                return ctx.render_page("terms.html", path, title, kind=kind, terms=terms)

            yield Output(path, None, render)


class NotFoundPage:
    name = "404 page"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        yield Output("404.html", frozenset(), lambda: ctx.render_page("404.html", "404.html", "Not found", absolute=True))
