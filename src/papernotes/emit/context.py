"""What every emitter may read: the site, the rendered notes and the theme."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Callable

import jinja2
from markupsafe import Markup, escape

from .. import __version__
from ..citations import CitationWeb
from ..model import DATE_LABELS, STATUS_EMOJI, Note, NoteLink, RenderedNote, Status
from ..render.links import rebase_html, relative_href
from ..render.mathfont import MathFontSubsetter
from ..load.site import Site
from ..urls import href
from ..theme import Theme
from .times import FeedMemo
from .web import Web, WebEntries, build_web

#: Tags shown on a note's row in a list; the rest are "+N more" (a note with thousands of tags
#: would otherwise repeat all of them on each of its thousands of tag pages).
ROW_TAGS_SHOWN = 8

_CURRENT = ' aria-current="page"'


@dataclass
class RowCache:
    """Each note's list row as HTML, per folder of the page it sits on (its links are relative).

    Kept by the Project between rebuilds; a note that changed is forgotten.
    """

    rows: dict[str, dict[str, str]] = field(default_factory=dict)  # note key -> page folder -> HTML

    def forget(self, keys: set[str]) -> None:
        for key in keys:
            self.rows.pop(key, None)

    def clear(self) -> None:
        self.rows.clear()


@dataclass
class EmitContext:
    site: Site
    rendered: dict[str, RenderedNote]  # note key -> rendered body
    theme: Theme
    env: jinja2.Environment
    asset_files: list[Path] = field(default_factory=list)  # files under notes/ to copy
    static_files: dict[str, Path] = field(default_factory=dict)  # static/: site path -> file
    row_cache: RowCache = field(default_factory=RowCache)
    feed_memo: FeedMemo = field(default_factory=FeedMemo)  # kept between rebuilds
    body_html: Callable[[str, RenderedNote], str] | None = None  # loads a body kept on disk
    math_font: MathFontSubsetter = field(default_factory=MathFontSubsetter)  # kept between rebuilds
    citations: CitationWeb = field(default_factory=CitationWeb)  # from data/references.json
    #: note key -> its links to other notes, when known before ``rendered`` (a parallel build)
    note_links: dict[str, tuple[NoteLink, ...]] | None = None
    #: a web made before (the last rebuild, the last build): used if made of the same notes and links
    known_web: WebEntries | None = None

    @cached_property
    def href_from(self) -> Callable[[str, str], str]:
        """``relative_href`` from any page in a folder to a site path, remembered: the pages of one
        folder link to the same notes, tags and categories (hundreds of thousands of links on a
        large site), and the link depends only on the folder."""

        @lru_cache(maxsize=1 << 16)
        def href_from(folder: str, target: str) -> str:
            return relative_href(f"{folder}/page.html" if folder else "page.html", target)

        return href_from

    @cached_property
    def web(self) -> Web:
        """Backlinks and related notes of every note (from every note's links: made once)."""
        links = self.note_links
        if links is None:
            links = {key: rendered.note_links for key, rendered in self.rendered.items()}
        return build_web(self.site.notes, links, known=self.known_web)

    def body(self, note: Note) -> RenderedNote:
        """The note's rendering with its HTML in hand (a cached one is read back from the cache)."""
        rendered = self.rendered[note.key]
        if rendered.html is None and self.body_html is not None:
            return replace(rendered, html=self.body_html(note.key, rendered))
        return rendered
    build_time: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    def render_page(self, template: str, path: str, title: str, *, absolute: bool = False, **values: Any) -> bytes:
        """Render one page; its links are relative to ``path`` (so any sub-path works), or start
        from ``base_url`` when ``absolute`` (the 404 page is served at arbitrary paths)."""
        base = self.site.config.base_url
        page_folder, href_from = path.rpartition("/")[0], self.href_from

        def url(target: str) -> str:
            return href(base + target) if absolute else href_from(page_folder, target)

        folder = path.rpartition("/")[0]
        row_page = path
        if folder and not folder.startswith("notes/"):
            # Rows are shared by every list page at the same depth (tags/, venues/, status/ …): their
            # links are made from a stand-in page there, so they do not depend on which page came first.
            depth = folder.count("/") + 1
            folder = "../" * depth
            row_page = "\u0000/" * depth + "page.html"

        def row_url(target: str) -> str:
            return relative_href(row_page, target)

        def rows(notes: list[Note]) -> Markup:
            return Markup("\n".join(self.row(note, folder, row_url, row_page) for note in notes))

        def note_list(notes: list[Note], current: Note) -> Markup:
            """``<li>`` links to ``notes``, one a line, the ``current`` one marked: the list beside a
            note (tens of links on every note page, made here rather than by a template loop)."""
            return Markup("".join(
                f'<li><a href="{escape(url(n.url))}"{_CURRENT if n.key == current.key else ""}>{escape(n.title)}</a></li>\n'
                for n in notes))

        def intro(note: Note | None) -> Markup:
            """A category's (or the site's) description, its links made for this page."""
            rendered = self.rendered.get(note.key) if note is not None else None
            if note is None or rendered is None or not rendered.excerpt_html:
                return Markup("")
            return Markup(rebase_html(rendered.excerpt_html, note.url, path))

        page = {"path": path, "title": title}
        context = {
            "site": self.site,
            "config": self.site.config,
            "page": page,
            "url": url,
            "rows": rows,
            "note_list": note_list,
            "intro": intro,
            "statuses": list(Status),
            "status_emoji": STATUS_EMOJI,
            "status_labels": self.site.config.status_labels,
            "date_labels": DATE_LABELS,
            "rendered": self.rendered,
            "version": __version__,
            "term_url": self.site.term_url,  # the site knows which names have other page names
            "category_url": self.site.category_url,
            "citations": self.citations,
            "citation_graph": self.citation_graph,
            **values,
        }
        return self.env.get_template(template).render(context).encode("utf-8")

    def citation_graph(self, note: Note):
        from .citation_graph import layout

        return layout(note, self.citations.cites_of(note), self.citations.cited_by_of(note))

    def row(self, note: Note, folder: str, url, page: str) -> str:
        by_folder = self.row_cache.rows.setdefault(note.key, {})
        html = by_folder.get(folder)
        if html is None:
            rendered = self.rendered.get(note.key)
            excerpt = rebase_html(rendered.excerpt_html, note.url, page) if rendered else ""
            html = self.env.get_template("_note_row.html").render(
                note=note, url=url, excerpt=excerpt, tags_shown=ROW_TAGS_SHOWN,
                # The home page's filters read every tag of a row; no other page has them.
                all_tags=folder == "",
                cited_by=len(self.citations.cited_by_of(note)) if folder == "" else 0,  # the home page's filter
                status_labels=self.site.config.status_labels, status_emoji=STATUS_EMOJI, date_labels=DATE_LABELS,
            ).strip()
            by_folder[folder] = html
        return html

    def keys(self, notes: list[Note]) -> frozenset[str]:
        return frozenset(n.key for n in notes)
