"""Atom feeds, sitemap.xml and robots.txt: parsed with a real XML parser (xml.etree), checked
against the Atom 1.0 (RFC 4287) and sitemaps.org rules, escaping, determinism and rebuilds."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from papernotes.build import BuildOptions, build
from papernotes.output import SiteDirectory
from papernotes.project import Project

A = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
URL = "https://example.org/papers/"
T0 = 1_700_000_000  # 2023-11-14T22:13:20Z
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
HOSTILE = '<script>alert(1)</script> & "q" {{ 7*7 }} {% if 1 %}x{% endif %}'


# -- helpers ----------------------------------------------------------------------------------------
def note_text(title: str, body: str = "", **fields) -> str:
    """Front matter with every value written as a YAML double-quoted scalar (JSON is valid YAML)."""
    lines = [f"title: {json.dumps(title)}"]
    for key, value in fields.items():
        lines.append(f"{key}: {json.dumps(value)}")
    return "---\n" + "\n".join(lines) + "\n---\n\n" + (body or f"Body of {title}.") + "\n"


def write_notes(root: Path, notes: dict[str, tuple[str, float]], config: str | None = f"url: {URL}\nauthor: Ada\n") -> Path:
    """``notes``: path below notes/ -> (file text, mtime)."""
    for rel, (text, mtime) in notes.items():
        path = root / "notes" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.utime(path, (mtime, mtime))
    if config is not None:
        (root / "papernotes.yaml").write_text(config, encoding="utf-8")
    return root


def build_site(root: Path, out: Path) -> Path:
    options = BuildOptions(root=root, output=out)
    if "search" in {f.name for f in dataclasses.fields(BuildOptions)}:
        options.search = False  # the search index is not what these tests look at
    result = build(options)
    assert result.ok, [str(d) for d in result.diagnostics.items]
    return out


def parse(path: Path) -> ET.Element:
    return ET.fromstring(path.read_bytes())  # a real parser: raises on malformed XML


def iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def one(parent: ET.Element, tag: str) -> ET.Element:
    found = parent.findall(A + tag)
    assert len(found) == 1, f"<{tag}> should appear exactly once in <{parent.tag}>, found {len(found)}"
    return found[0]


def check_atom(feed: ET.Element) -> None:
    """The RFC 4287 rules a feed reader relies on."""
    assert feed.tag == A + "feed"
    for tag in ("id", "title", "updated"):
        assert (one(feed, tag).text or "").strip(), f"feed <{tag}> is empty"
    assert RFC3339.match(one(feed, "updated").text)
    assert urlsplit(one(feed, "id").text).scheme in ("http", "https")
    assert feed.find(A + "author") is not None, "without a feed author every entry needs one"
    assert (feed.find(f"{A}author/{A}name").text or "").strip()
    links = feed.findall(A + "link")
    assert [l for l in links if l.get("rel") == "self"], "feed has no rel=self link"
    alternates = [(l.get("type"), l.get("hreflang")) for l in links if l.get("rel", "alternate") == "alternate"]
    assert len(alternates) == len(set(alternates)), "two alternate links of the same type"
    for link in links:
        assert urlsplit(link.get("href")).scheme in ("http", "https"), link.get("href")
    ids = set()
    for entry in feed.findall(A + "entry"):
        for tag in ("id", "title", "updated"):
            assert (one(entry, tag).text or "").strip(), f"entry <{tag}> is empty"
        entry_id = one(entry, "id").text
        assert urlsplit(entry_id).scheme in ("http", "https", "tag") and entry_id not in ids
        ids.add(entry_id)
        assert RFC3339.match(one(entry, "updated").text)
        assert [l for l in entry.findall(A + "link") if l.get("rel", "alternate") == "alternate"]
        for text_construct in ("title", "summary"):
            element = entry.find(A + text_construct)
            if element is not None:
                assert element.get("type", "text") in ("text", "html", "xhtml")
        content = entry.find(A + "content")
        if content is not None:
            assert content.get("type") in ("text", "html", "xhtml") and content.get("src") is None
        for category in entry.findall(A + "category"):
            assert category.get("term")


def entries(feed: ET.Element) -> list[dict]:
    found = []
    for entry in feed.findall(A + "entry"):
        found.append({
            "id": entry.find(A + "id").text,
            "title": entry.find(A + "title").text,
            "updated": entry.find(A + "updated").text,
            "link": entry.find(A + "link").get("href"),
            "summary": entry.findtext(A + "summary"),
            "content": entry.findtext(A + "content"),
            "categories": [c.get("term") for c in entry.findall(A + "category")],
        })
    return found


def link(feed: ET.Element, rel: str) -> str:
    return next(l.get("href") for l in feed.findall(A + "link") if l.get("rel") == rel)


def site_file(out: Path, url: str, prefix: str = URL) -> Path:
    assert url.startswith(prefix), url
    return out / unquote(url[len(prefix):])


# -- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("feeds-root")
    write_notes(root, {
        # updated = the later of date (00:00 UTC) and the file time
        "old.md": (note_text("Old paper", date="2020-01-01", category="NLP", tags=["lora", "peft"]), T0 + 100),
        "fresh.md": (note_text("Fresh paper", date="2024-05-01", category="NLP/Prompting",
                               summary="A short summary."), T0),
        "plain.md": (note_text("Plain paper", body="First *paragraph* with [a link](old.md)."), T0 + 50),
        "vision.md": (note_text("Vision paper", category="Vision"), T0 + 10),
        "evil.md": (note_text(HOSTILE, category="NLP/Prompting", tags=["<b>tag</b>"], summary=HOSTILE), T0 + 5),
    })
    return build_site(root, root / "site")


# -- atom.xml ---------------------------------------------------------------------------------------
def test_site_feed_is_valid_atom_with_absolute_urls(small_site):
    feed = parse(small_site / "atom.xml")
    check_atom(feed)
    assert one(feed, "id").text == URL + "atom.xml"
    assert link(feed, "self") == URL + "atom.xml"
    assert link(feed, "alternate") == URL + "index.html"
    assert feed.findtext(f"{A}author/{A}name") == "Ada"
    assert feed.get(XML_LANG) == "zh-CN"
    got = entries(feed)
    assert [e["title"] for e in got] == ["Fresh paper", "Old paper", "Plain paper", "Vision paper", HOSTILE]
    fresh, old = got[0], got[1]
    assert fresh["updated"] == "2024-05-01T00:00:00Z"  # the read date is later than the file time
    assert old["updated"] == iso(T0 + 100)  # the file time is later than the read date
    assert one(feed, "updated").text == fresh["updated"]  # the newest entry, not the clock
    assert fresh["id"] == fresh["link"] == URL + "notes/fresh.html"
    assert fresh["summary"] == "A short summary."
    assert fresh["categories"] == ["NLP/Prompting"]
    assert old["categories"] == ["NLP", "lora", "peft"]
    for entry in got:
        assert site_file(small_site, entry["link"]).is_file()


def test_excerpt_is_summary_text_and_html_content_with_absolute_links(small_site):
    plain = next(e for e in entries(parse(small_site / "atom.xml")) if e["title"] == "Plain paper")
    assert plain["summary"] == "First paragraph with a link."  # the excerpt as text
    assert "<em>paragraph</em>" in plain["content"]
    assert f'href="{URL}notes/old.html"' in plain["content"]  # readers show it away from the site


def test_hostile_front_matter_is_escaped_text(small_site):
    raw = (small_site / "atom.xml").read_bytes()
    assert b"<script" not in raw and b"<b>" not in raw
    evil = next(e for e in entries(parse(small_site / "atom.xml")) if e["link"].endswith("/evil.html"))
    assert evil["title"] == HOSTILE  # the parser gives back exactly what was written
    assert evil["summary"] == HOSTILE
    assert "<b>tag</b>" in evil["categories"]
    assert "49" not in evil["title"]  # template syntax is text, never evaluated
    # In the html content the summary is escaped once more: shown as text, not as a script.
    assert "<script>" not in evil["content"] and "&lt;script&gt;" in evil["content"]


def test_category_feeds_hold_their_subcategories(small_site):
    nlp = parse(small_site / "categories" / "nlp.atom.xml")
    check_atom(nlp)
    assert one(nlp, "id").text == link(nlp, "self") == URL + "categories/nlp.atom.xml"
    assert link(nlp, "alternate") == URL + "categories/nlp.html"
    assert "NLP" in one(nlp, "title").text
    assert [e["title"] for e in entries(nlp)] == ["Fresh paper", "Old paper", HOSTILE]
    prompting = parse(small_site / "categories" / "nlp" / "prompting.atom.xml")
    check_atom(prompting)
    assert link(prompting, "alternate") == URL + "categories/nlp/prompting.html"
    assert [e["title"] for e in entries(prompting)] == ["Fresh paper", HOSTILE]
    vision = parse(small_site / "categories" / "vision.atom.xml")
    assert [e["title"] for e in entries(vision)] == ["Vision paper"]
    # every category page has a feed next to it
    for page in (small_site / "categories").rglob("*.html"):
        if page.name != "index.html":
            assert page.with_name(page.stem + ".atom.xml").is_file(), page


def test_feed_keeps_the_50_newest_ties_broken_by_key(tmp_path):
    # Titles run the other way from keys, so the site's display order (by title) is not the key order.
    notes = {f"n{i:02d}.md": (note_text(f"Note {99 - i}", category="Big"), T0 + (i // 10) * 1000) for i in range(57)}
    out = build_site(write_notes(tmp_path, notes), tmp_path / "out")
    for feed_path in (out / "atom.xml", out / "categories" / "big.atom.xml"):
        feed = parse(feed_path)
        check_atom(feed)
        got = entries(feed)
        assert len(got) == 50
        # newest file times first; within one time, by note key
        expected = sorted(range(57), key=lambda i: (-(i // 10), f"n{i:02d}"))[:50]
        assert [e["title"] for e in got] == [f"Note {99 - i}" for i in expected]
        stamps = [e["updated"] for e in got]
        assert stamps == sorted(stamps, reverse=True)


def test_empty_site_still_has_a_valid_feed(tmp_path):
    (tmp_path / "notes").mkdir()
    out = build_site(tmp_path, tmp_path / "out")
    feed = parse(out / "atom.xml")
    check_atom(feed)
    assert feed.findall(A + "entry") == []
    assert feed.findtext(f"{A}author/{A}name") == "Paper Notes"  # no author: the site title


def test_without_url_the_feed_points_at_localhost(tmp_path):
    write_notes(tmp_path, {"a.md": (note_text("A"), T0)}, config="base_url: /papers/\n")
    out = build_site(tmp_path, tmp_path / "out")
    feed = parse(out / "atom.xml")
    check_atom(feed)
    assert link(feed, "self") == "http://localhost/papers/atom.xml"
    assert entries(feed)[0]["id"] == "http://localhost/papers/notes/a.html"
    assert "Sitemap: http://localhost/papers/sitemap.xml" in (out / "robots.txt").read_text()


# -- sitemap.xml and robots.txt ---------------------------------------------------------------------
def test_sitemap_lists_every_page_by_absolute_url(small_site):
    urlset = parse(small_site / "sitemap.xml")
    assert urlset.tag == SM + "urlset"
    urls = urlset.findall(SM + "url")
    locs = [u.findtext(SM + "loc") for u in urls]
    assert len(locs) == len(set(locs)) and len(locs) <= 50_000
    for loc in locs:
        assert loc.startswith(URL) and " " not in loc
        assert site_file(small_site, loc).is_file(), f"{loc} is in the sitemap but not in the site"
    assert URL + "index.html" in locs and URL + "dashboard.html" in locs
    for name in ("old", "fresh", "plain", "vision", "evil"):
        assert f"{URL}notes/{name}.html" in locs
    # Every HTML page the build wrote is listed (the 404 page is not a page to index).
    written = {p.relative_to(small_site).as_posix() for p in small_site.rglob("*.html")} - {"404.html"}
    listed = {unquote(loc[len(URL):]) for loc in locs}
    assert written <= listed, f"pages missing from sitemap.xml: {sorted(written - listed)}"
    by_loc = {u.findtext(SM + "loc"): u.findtext(SM + "lastmod") for u in urls}
    assert by_loc[URL + "notes/fresh.html"] == "2024-05-01T00:00:00Z"
    assert by_loc[URL + "notes/vision.html"] == iso(T0 + 10)
    for loc, lastmod in by_loc.items():
        if lastmod is not None:
            assert RFC3339.match(lastmod), lastmod


def test_robots_allows_all_and_names_the_sitemap(small_site):
    text = (small_site / "robots.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert "User-agent: *" in lines
    assert not any(line.startswith("Disallow:") and line.strip() != "Disallow:" for line in lines)
    assert f"Sitemap: {URL}sitemap.xml" in lines


# -- determinism and rebuilds -----------------------------------------------------------------------
def feed_files(out: Path) -> dict[str, bytes]:
    names = ["atom.xml", "sitemap.xml", "robots.txt", "dashboard.html"]
    names += [p.relative_to(out).as_posix() for p in (out / "categories").rglob("*.atom.xml")]
    return {name: (out / name).read_bytes() for name in sorted(names)}


def test_two_builds_write_identical_feeds(small_site, tmp_path):
    root = small_site.parent
    again = build_site(root, tmp_path / "again")
    assert feed_files(again) == feed_files(small_site)


def test_rebuild_after_a_body_edit_moves_the_note_to_the_top(tmp_path):
    root = write_notes(tmp_path / "root", {
        "a.md": (note_text("A", category="X"), T0 + 300),
        "b.md": (note_text("B", category="X"), T0 + 200),
        "c.md": (note_text("C", category="Y"), T0 + 100),
    })
    out = tmp_path / "served"
    writer = SiteDirectory.create(out)
    project = Project(root, output=out, check_output=False)
    project.refresh(writer, None)
    assert [e["title"] for e in entries(parse(out / "atom.xml"))] == ["A", "B", "C"]
    # A body-only edit changes no list row, only the file time.
    path = root / "notes" / "c.md"
    path.write_text(note_text("C", body="A new body.", category="Y"), encoding="utf-8")
    os.utime(path, (T0 + 400, T0 + 400))
    report = project.refresh(writer, {path})
    assert {"atom.xml", "categories/y.atom.xml", "sitemap.xml"} <= set(report.written)
    assert [e["title"] for e in entries(parse(out / "atom.xml"))] == ["C", "A", "B"]
    fresh = build_site(root, tmp_path / "fresh")
    assert feed_files(out) == feed_files(fresh)
    shutil.rmtree(fresh)
