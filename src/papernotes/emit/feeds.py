"""Atom feeds (site and per category), sitemap.xml and robots.txt.

Absolute addresses
    Feeds, the sitemap and robots.txt must name pages by absolute URL. They are built from the
    ``url:`` setting of ``papernotes.yaml`` (``url: https://me.github.io/papers/``). Without it
    they fall back to ``http://localhost`` + ``base_url`` (``SiteConfig.site_url``), which only
    suits a local preview: **set ``url:`` before publishing**, or feed readers and crawlers get
    links to localhost.

When a note was "updated"
    The later of its ``date`` (the day it was read, taken as 00:00 UTC) and its file's
    modification time (whole seconds, UTC). The date alone misses edits made after reading, the
    file time alone is lost by a fresh ``git clone``; the later of the two is right in both cases.
    Feeds list notes newest first, ties broken by note key, so the order never depends on the file
    system. Nothing here reads the clock: a rebuild of the same files writes the same bytes.

Dependencies (for incremental rebuilds)
    A feed shows the rows of its newest notes, but *which* notes are newest depends on every
    note's file time, and an edit that changes no row (body only) still changes a time. So each
    feed depends on the keys of all notes in its scope (the site, or the category and its
    sub-categories) and on their time keys (``emit.time_key``): it is written again whenever a
    note file in its scope changed (a save elsewhere leaves it alone), whenever
    a note enters or leaves its scope (the dependency set changes) and whenever a row of a note in
    scope changed for another reason (an excerpt changing because a linked file appeared).
    Depending on only the 50 listed notes would not do: outputs are kept between rebuilds that do
    not change the site's structure, so the listed set would go stale as file times move.
    The sitemap (``lastmod`` from the same times) depends the same way on every note.

XML is built with :mod:`xml.etree.ElementTree`, which escapes all text and attribute values;
characters XML 1.0 cannot carry at all (most control characters) are removed first.
"""

from __future__ import annotations

import datetime as dt
import heapq
import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Iterable
from urllib.parse import urljoin

from .. import __version__
from .times import EPOCH, FeedMemo, iso
from ..model import Note
from ..load.site import Category
from ..urls import url_problem
from . import Output, time_keys
from .context import EmitContext

#: Most entries in one feed.
FEED_LIMIT = 50
ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Code points XML 1.0 does not allow anywhere (not even escaped).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_URL_ATTR = re.compile(r'(\s(?:href|src)=)"([^"]*)"', re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def xml_text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def recent(notes: Iterable[Note], limit: int = FEED_LIMIT, memo: FeedMemo | None = None) -> list[tuple[dt.datetime, Note]]:
    """The ``limit`` most recently updated notes, newest first, ties by note key."""
    time = (memo or FeedMemo()).time
    # (minus the timestamp, key, note): keys are unique, so notes themselves are never compared
    newest = heapq.nsmallest(limit, [(time(n)[2], n.key, n) for n in notes])
    return [(time(note)[0], note) for _, _, note in newest]


def category_feed_path(category: Category) -> str:
    return f"categories/{category.slug}.atom.xml"


class _TextOf(HTMLParser):
    """The text of an HTML fragment (TeX annotations of rendered math and scripts left out)."""

    SKIP = {"script", "style", "annotation", "annotation-xml", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self.SKIP:
            self.skipping += 1

    def handle_endtag(self, tag) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    parser = _TextOf()
    parser.feed(fragment)
    parser.close()
    return _SPACES.sub(" ", "".join(parser.parts)).strip()


def absolutize(fragment: str, base: str) -> str:
    """Make the relative ``href``/``src`` values of rendered HTML absolute (feed readers show the
    excerpt away from the site); links with a scheme we never allow are dropped."""

    def fix(match: re.Match) -> str:
        value = html.unescape(match.group(2))
        if url_problem(value) and value.strip():
            return f'{match.group(1)}"#"'
        try:
            value = urljoin(base, value)
        except ValueError:  # 'http://[oops' in a note (found by fuzzing, scripts/fuzz.py): kept as written
            pass
        return f'{match.group(1)}"{html.escape(value, quote=True)}"'

    return _URL_ATTR.sub(fix, fragment)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _serialize(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def atom_feed(ctx: EmitContext, path: str, title: str, alternate: str, notes: list[Note]) -> bytes:
    """One Atom 1.0 document: ``path`` is where it is written, ``alternate`` the HTML page it mirrors."""
    config = ctx.site.config
    entries = recent(notes, memo=ctx.feed_memo)
    # Default namespace given as a plain attribute, so that no global prefix registry is touched.
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    if config.language:
        feed.set(f"{{{XML_NS}}}lang", xml_text(config.language))
    _sub(feed, "id", config.absolute_url(path))
    _sub(feed, "title", title, type="text")
    if config.description:
        _sub(feed, "subtitle", config.description, type="text")
    # The newest entry's time: a pure function of the notes (an empty feed says 1970).
    _sub(feed, "updated", iso(entries[0][0] if entries else EPOCH))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=config.absolute_url(path))
    _sub(feed, "link", rel="alternate", type="text/html", href=config.absolute_url(alternate))
    author = _sub(feed, "author")
    _sub(author, "name", config.author or config.title)
    _sub(feed, "generator", "papernotes", version=__version__)
    categories_scheme = config.absolute_url("categories/index.html")
    tags_scheme = config.absolute_url("tags/index.html")
    for updated, note in entries:
        page = config.absolute_url(note.url)
        entry = _sub(feed, "entry")
        _sub(entry, "id", page)
        _sub(entry, "title", note.title, type="text")
        _sub(entry, "updated", iso(updated))
        _sub(entry, "link", rel="alternate", type="text/html", href=page)
        _sub(entry, "category", term=note.category_path, label=" / ".join(note.category),
             scheme=categories_scheme)
        for tag in note.tags:
            _sub(entry, "category", term=tag, scheme=tags_scheme)
        rendered = ctx.rendered.get(note.key)
        excerpt = rendered.excerpt_html if rendered is not None else ""
        summary = note.summary or html_to_text(excerpt)
        if summary:
            _sub(entry, "summary", summary, type="text")
        if excerpt.strip():
            content = _sub(entry, "content", absolutize(excerpt, page), type="html")
            content.set(f"{{{XML_NS}}}base", xml_text(page))
    return _serialize(feed)


class AtomFeeds:
    """``atom.xml`` (the whole site) and ``categories/<slug>.atom.xml`` per category."""

    name = "AtomFeeds"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        site = ctx.site
        # Notes and categories are read when rendering, not now: between rebuilds that keep the
        # site's structure the same Output is reused while the notes are updated in place.
        yield Output("atom.xml", ctx.keys(site.notes) | time_keys(site.notes),
                     lambda: atom_feed(ctx, "atom.xml", site.config.title, "index.html", site.notes), background=True)
        for category in site.all_categories():
            path = category_feed_path(category)

            def render(category=category, path=path) -> bytes:
                title = f"{site.config.title} · {category.title}"
                return atom_feed(ctx, path, title, category.url, category.all_notes())

            notes = category.all_notes()
            yield Output(path, ctx.keys(notes) | time_keys(notes), render, background=True)


#: Pages that exist whatever the notes are (besides one per note, category and term).
FIXED_PAGES = ("index.html", "dashboard.html", "categories/index.html", "tags/index.html",
               "venues/index.html", "years/index.html")


def site_pages(ctx: EmitContext) -> list[tuple[str, Note | None]]:
    """Every HTML page of the site worth indexing (not 404.html), with its note if it is a note page.

    Taken from the site model, the same one the page emitters enumerate.
    """
    site = ctx.site
    pages: dict[str, Note | None] = {path: None for path in FIXED_PAGES}
    for note in site.notes:
        pages[note.url] = note
    for category in site.all_categories():
        pages.setdefault(category.url, None)
    for terms in (site.tags, site.venues, site.years, site.statuses):
        for term in terms:
            pages.setdefault(term.url, None)
    return list(pages.items())


def sitemap(ctx: EmitContext) -> bytes:
    """Written as text, not through ElementTree: the file lists every page and is written again
    after every note edit (its ``lastmod`` times), so it is on the path of each rebuild."""
    config, memo = ctx.site.config, ctx.feed_memo
    site_url = config.site_url
    parts = ["<?xml version='1.0' encoding='utf-8'?>\n", f'<urlset xmlns="{SITEMAP_NS}">\n']
    if memo.pages is None or memo.pages[0] is not ctx.site:
        memo.pages = (ctx.site, site_pages(ctx))
    pages = memo.pages[1]
    for path, note in pages:
        key = (site_url, path, memo.time(note)[1] if note is not None else None)
        line = memo.lines.get(key)
        if line is None:
            loc = html.escape(xml_text(config.absolute_url(path)), quote=False)
            lastmod = f"    <lastmod>{key[2]}</lastmod>\n" if note is not None else ""
            line = memo.lines[key] = f"  <url>\n    <loc>{loc}</loc>\n{lastmod}  </url>\n"
        parts.append(line)
    parts.append("</urlset>\n")
    memo.trim(len(pages))
    return "".join(parts).encode("utf-8")


class Sitemap:
    """``sitemap.xml`` (sitemaps.org protocol; one file holds up to 50,000 pages)."""

    name = "Sitemap"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        yield Output("sitemap.xml", ctx.keys(ctx.site.notes) | time_keys(ctx.site.notes), lambda: sitemap(ctx),
                     background=True)


_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


class RobotsFile:
    """``robots.txt``: everything may be crawled; points at the sitemap.

    Crawlers only read ``/robots.txt`` at the root of a host: for a site published below a path
    (``base_url: /papers/``) the file is written all the same but has no effect there.
    """

    name = "RobotsFile"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        def render() -> bytes:
            # No whitespace or control characters from the config may start a new directive.
            location = _URL_UNSAFE.sub("", ctx.site.config.absolute_url("sitemap.xml"))
            return f"User-agent: *\nAllow: /\n\nSitemap: {location}\n".encode("utf-8")

        yield Output("robots.txt", frozenset(), render, background=True)
