"""Page names and list rows that stay bounded whatever the names (issue 12): a tag, category,
venue or note file name of any length and any spelling gets its own page, within every file
system's limits, and a note with thousands of tags does not repeat them on thousands of pages."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

from conftest import run_papernotes


def write_note(root: Path, relative: str, front: str, body: str = "A sentence. 一句话。") -> Path:
    path = root / "notes" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front.strip()}\n---\n\n{body}\n", encoding="utf-8")
    return path


def build(root: Path, *args: str):
    result = run_papernotes("build", "--root", root, *args, cwd=root, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_a_note_with_thousands_of_tags_shows_a_bounded_number_on_each_list(tmp_path):
    tags = [f"t{i:04d}" for i in range(1200)]
    write_note(tmp_path, "many.md", "title: Many tags\nstatus: read\ntags: [" + ", ".join(tags) + "]")
    write_note(tmp_path, "few.md", "title: Few tags\nstatus: read\ntags: [t0000, 少]")
    build(tmp_path)
    site = tmp_path / "site"

    page = soup(site / "tags" / "t0500.html")
    row = page.select_one("li.note-row")
    assert row.select_one(".row-title").get_text() == "Many tags"
    assert [t.get_text() for t in row.select(".tag")] == [f"#{t}" for t in tags[:8]]
    more = row.select_one(".tag-more")
    assert more.get_text().startswith("+1,192 more")
    assert more["href"].endswith("many.html")
    assert not row.has_attr("data-tags"), "only the home page's filters need every tag"
    # Each of the 1,200 tag pages stays small: it no longer lists 1,200 tags.
    assert (site / "tags" / "t0500.html").stat().st_size < 20_000
    total = sum(p.stat().st_size for p in (site / "tags").iterdir())
    assert total < 1200 * 20_000

    # The home page's rows keep every tag for the tag filter, and the note page lists them all.
    home = soup(site / "index.html")
    rows = {r.select_one(".row-title").get_text(): r for r in home.select("li.note-row")}
    assert len(eval_json(rows["Many tags"]["data-tags"])) == 1200
    assert eval_json(rows["Few tags"]["data-tags"]) == ["t0000", "少"]
    assert not rows["Few tags"].select(".tag-more")
    note = soup(site / "notes" / "many.html")
    assert len(note.select("p.tags a.tag")) == 1200


def eval_json(text: str):
    import json
    return json.loads(text)


def titles_on(page: Path) -> list[str]:
    return sorted(a.get_text() for a in soup(page).select("li.note-row .row-title"))


def test_tags_categories_and_venues_that_share_a_slug_each_get_their_own_page(tmp_path):
    write_note(tmp_path, "a.md", "title: Paper A\ntags: [C]\ncategory: ML\nvenue: C++ Conf")
    write_note(tmp_path, "b.md", "title: Paper B\ntags: [C++]\ncategory: ml\nvenue: C# Conf")
    write_note(tmp_path, "c.md", "title: Paper C\ntags: ['C#', '!!!']\ncategory: a b")
    write_note(tmp_path, "d.md", "title: Paper D\ntags: ['???', 'a b', 'LoRA']\ncategory: a-b")
    write_note(tmp_path, "e.md", "title: Paper E\ntags: ['a-b', 'lora']\ncategory: ml/x")
    result = build(tmp_path)
    site = tmp_path / "site"
    tags = site / "tags"
    assert titles_on(tags / "c.html") == ["Paper A"]
    assert titles_on(tags / "c-plus-plus.html") == ["Paper B"]
    assert titles_on(tags / "c-sharp.html") == ["Paper C"]
    assert soup(tags / "c-plus-plus.html").select_one("h1").get_text().startswith("#C++")
    # Names with no letters each get a page of their own, never tags/tags.html.
    assert not (tags / "tags.html").exists()
    index = soup(tags / "index.html")
    links = {a.get_text(): a["href"] for a in index.select("main a") if a.get_text().startswith("#")}
    assert links["#!!!"] != links["#???"]
    assert titles_on(tags / links["#!!!"].split("/")[-1]) == ["Paper C"]
    assert titles_on(tags / links["#???"].split("/")[-1]) == ["Paper D"]
    # 'a-b' is spelled as its page name and keeps it; 'a b' moves, with a warning naming both.
    assert titles_on(tags / "a-b.html") == ["Paper E"]
    assert titles_on(tags / links["#a b"].split("/")[-1]) == ["Paper D"]
    assert "the tag 'a b' shares the page name 'tags/a-b.html' with 'a-b'" in result.stderr
    # Letter case alone makes no second tag: LoRA and lora are one tag, as in Hugo.
    assert titles_on(tags / "lora.html") == ["Paper D", "Paper E"]
    # Every note page links each of its tags to that tag's own page.
    note_c = soup(site / "notes" / "c.html")
    hrefs = {a.get_text(): a["href"] for a in note_c.select("p.tags a.tag")}
    assert hrefs["#C#"].endswith("tags/c-sharp.html")
    assert hrefs["#!!!"].endswith(links["#!!!"].split("/")[-1])
    note_d = soup(site / "notes" / "d.html")
    assert {a.get_text(): a["href"] for a in note_d.select("p.tags a.tag")}["#a b"].endswith(links["#a b"].split("/")[-1])

    venues = site / "venues"
    assert titles_on(venues / "c-plus-plus-conf.html") == ["Paper A"]
    assert titles_on(venues / "c-sharp-conf.html") == ["Paper B"]

    # Categories 'a b' and 'a-b' are two, with two pages: 'a-b' is spelled as its page name.
    categories = soup(site / "categories" / "index.html")
    pages = {a.get_text(): a["href"] for a in categories.select("main a")}
    assert pages["a-b"] == "a-b.html" and re.fullmatch(r"a-b-[0-9a-f]{6}\.html", pages["a b"])
    assert titles_on(site / "categories" / pages["a b"]) == ["Paper C"]
    assert titles_on(site / "categories" / pages["a-b"]) == ["Paper D"]
    crumbs = soup(site / "notes" / "c.html").select_one("nav.breadcrumb a")
    assert crumbs["href"] == "../categories/" + pages["a b"]
    feeds = {p.name for p in (site / "categories").glob("*.atom.xml")}
    assert {"a-b.atom.xml", pages["a b"].replace(".html", ".atom.xml")} <= feeds
    # ML and ml (and ml/x below it) are one category, as LoRA and lora are one tag: one page holds
    # every note, under one spelling (the one most notes use, here 2 of 3; on a tie the first in sort order).
    assert "ML" not in pages and titles_on(site / "categories" / "ml.html") == ["Paper A", "Paper B", "Paper E"]
    assert soup(site / "categories" / "ml.html").select_one("h1").get_text().startswith("ml")
    assert [a.get_text() for a in soup(site / "notes" / "e.html").select("nav.breadcrumb a")] == ["ml", "x"]
    home_rows = {r.select_one(".row-title").get_text(): r["data-category"]
                 for r in soup(site / "index.html").select("li.note-row")}
    assert home_rows["Paper A"] == "ml" and home_rows["Paper E"] == "ml/x"

    # The same names give the same pages in the next build from scratch.
    first = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    build(tmp_path, "--no-cache")
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")) == first


def test_a_note_beside_one_with_the_same_page_name_leaves_that_ones_page_where_it_was(tmp_path):
    write_note(tmp_path, "lora.md", "title: LoRA, the first note")
    build(tmp_path)
    assert (tmp_path / "site" / "notes" / "lora.html").is_file()
    write_note(tmp_path, "LoRA.md", "title: LoRA, a second file")
    result = build(tmp_path)
    site = tmp_path / "site" / "notes"
    assert "LoRA, the first note" in (site / "lora.html").read_text(encoding="utf-8")
    moved = [p for p in site.glob("lora-*.html")]
    assert len(moved) == 1 and "LoRA, a second file" in moved[0].read_text(encoding="utf-8")
    assert f"notes/LoRA.md: warning: its page name 'notes/lora.html' is taken by notes/lora.md" in result.stderr


def test_a_note_page_never_replaces_a_users_html_file(tmp_path):
    write_note(tmp_path, "foo.md", "title: Foo paper")
    (tmp_path / "notes" / "foo.html").write_text("<p>my own slides</p>", encoding="utf-8")
    result = build(tmp_path)
    site = tmp_path / "site" / "notes"
    assert (site / "foo.html").read_text(encoding="utf-8") == "<p>my own slides</p>"
    pages = [p for p in site.glob("foo-*.html")]
    assert len(pages) == 1 and "Foo paper" in pages[0].read_text(encoding="utf-8")
    assert "taken by notes/foo.html, a file of yours" in result.stderr
    home = soup(tmp_path / "site" / "index.html")
    assert home.select_one(".row-title")["href"].endswith(pages[0].name)


LONG_NAME = "知识蒸馏与模型压缩的长名字" * 7  # 91 Chinese characters: 273 bytes


def test_names_too_long_for_a_file_system_get_shortened_page_names_with_a_warning(tmp_path):
    assert len(LONG_NAME.encode()) > 255
    other = LONG_NAME[:-1] + "甲"  # the same beginning: still a page of its own
    write_note(tmp_path, "a.md", f"title: A\ntags: ['{LONG_NAME}']\nvenue: '{LONG_NAME}'\ncategory: '{LONG_NAME}'")
    write_note(tmp_path, "b.md", f"title: B\ntags: ['{other}']")
    long_file = LONG_NAME[:84]  # a valid file name: 252 bytes and '.md'
    write_note(tmp_path, f"{long_file}.md", "title: C")
    result = build(tmp_path)
    site = tmp_path / "site"
    for page in site.rglob("*"):
        assert len(page.name.encode()) <= 255
        assert len(page.relative_to(site).as_posix().encode()) <= 1000
    tag_pages = [p for p in (site / "tags").glob("*.html") if p.name != "index.html"]
    assert sorted(titles_on(p)[0] for p in tag_pages) == ["A", "B"]
    assert len(list((site / "venues").glob("*.html"))) == 2  # the venue and the index
    assert any(titles_on(p) == ["A"] for p in (site / "categories").glob("*.html") if p.name != "index.html")
    notes = [p for p in (site / "notes").glob("*.html")]
    assert sorted(p.read_text(encoding="utf-8").count("<h1") > 0 for p in notes) == [True] * 3
    assert f"notes/{long_file}.md: warning: its file name is too long for a page name" in result.stderr
    assert "is too long for a page name" in result.stderr and "the tag '" in result.stderr
    # check reports the same, and the names stay the same from one build to the next.
    check = run_papernotes("check", "--root", tmp_path, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "its file name is too long for a page name" in check.stdout + check.stderr
    assert "the category '" in check.stdout + check.stderr
    before = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    build(tmp_path, "--no-cache")
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")) == before


def test_new_and_import_write_notes_with_long_chinese_names(tmp_path):
    init = run_papernotes("init", tmp_path / "site-root", cwd=tmp_path)
    root = tmp_path / "site-root"
    assert init.returncode == 0, init.stderr
    before = set((root / "notes").rglob("*.md"))
    new = run_papernotes("new", LONG_NAME, "--category", LONG_NAME, "--root", root, cwd=root)
    assert new.returncode == 0 and "Traceback" not in new.stderr, new.stdout + new.stderr
    written = set((root / "notes").rglob("*.md")) - before
    assert len(written) == 1
    assert all(len(part.encode()) <= 255 for part in written.pop().relative_to(root).parts)
    readme = tmp_path / "README.md"
    readme.write_text(f"# 论文\n\n## {LONG_NAME}\n\n- ✅ [{LONG_NAME}](https://arxiv.org/abs/2106.09685)\n",
                      encoding="utf-8")
    for args in (("--dry-run",), ()):
        imported = run_papernotes("import", readme, "--root", root, *args, cwd=root)
        assert imported.returncode == 0 and "Traceback" not in imported.stderr, imported.stdout + imported.stderr
    assert len(set((root / "notes").rglob("*.md")) - before) == 2
    result = build(root)
    assert "its file name is too long" not in result.stderr  # the file names new and import chose fit


def test_serve_starts_and_serves_pages_with_long_chinese_names(tmp_path, preview_server):
    write_note(tmp_path, "a.md", f"title: A\ntags: ['{LONG_NAME}']\ncategory: '{LONG_NAME}'")
    write_note(tmp_path, f"{LONG_NAME[:84]}.md", "title: The long file")
    harness = preview_server(tmp_path)
    status, _, body = harness.fetch("/index.html")
    assert status == 200
    page = soup_of(body)
    for link in page.select("li.note-row a.row-title"):
        status, _, note = harness.fetch("/" + link["href"])
        assert status == 200 and b"<h1" in note
    status, _, tags = harness.fetch("/tags/index.html")
    tag_link = next(a["href"] for a in soup_of(tags).select("main a") if a.get_text() == "#" + LONG_NAME)
    status, _, tag_page = harness.fetch("/tags/" + tag_link.split("/")[-1])
    assert status == 200 and "A" in [a.get_text() for a in soup_of(tag_page).select(".row-title")]


def soup_of(body: bytes) -> BeautifulSoup:
    return BeautifulSoup(body.decode("utf-8"), "html.parser")


def test_a_category_three_hundred_levels_deep_is_folded_with_a_warning(tmp_path):
    deep = "/".join(f"level{i}" for i in range(300))
    write_note(tmp_path, "deep.md", f"title: Deep\ncategory: '{deep}'")
    result = build(tmp_path)
    assert "notes/deep.md:3: warning: the category has 300 levels; levels past the 12th are joined" in result.stderr
    note = soup(tmp_path / "site" / "notes" / "deep.html")
    assert "Deep" in note.get_text()
    pages = [p for p in (tmp_path / "site" / "categories").rglob("*.html") if p.name != "index.html"]
    assert len(pages) == 12
    assert all(len(p.relative_to(tmp_path / "site").as_posix().encode()) <= 1000 for p in pages)


def test_a_tag_that_moves_to_another_page_name_moves_in_every_page_of_an_incremental_build(tmp_path):
    from papernotes.build import BuildOptions, build as full_build
    from papernotes.output import SiteDirectory
    from papernotes.project import Project

    root = tmp_path / "root"
    write_note(root, "d.md", "title: Paper D\ntags: ['a b']\ncategory: M L\nauthors: [Ada Lovelace]\nyear: 2020")
    write_note(root, "other.md", "title: Other\ntags: [x]\nauthors: [Carl Gauss]\nyear: 2019")
    served = tmp_path / "served"
    writer = SiteDirectory.create(served)
    project = Project(root, output=served, check_output=False)
    project.refresh(writer, None)  # as serve does: then only what changed
    note_d = served / "notes" / "d.html"
    assert {a.get_text(): a["href"] for a in soup(note_d).select("p.tags a.tag")}["#a b"] == "../tags/a-b.html"
    # A new note brings the tag 'a-b', spelled as that page name, and the category 'ml': the
    # untouched note's tag and category move to pages of their own, and its page says so.
    # (Its category 'M L' moves too: 'm-l' is spelled as their page name.)
    new = write_note(root, "e.md", "title: Paper E\ntags: ['a-b']\ncategory: m-l\nauthors: [Bo Li]\nyear: 2021")
    report = project.refresh(writer, {new})
    assert not report.full
    href = {a.get_text(): a["href"] for a in soup(note_d).select("p.tags a.tag")}["#a b"]
    assert re.fullmatch(r"\.\./tags/a-b-[0-9a-f]{6}\.html", href)
    assert titles_on(served / "tags" / href.split("/")[-1]) == ["Paper D"]
    fresh = tmp_path / "fresh"
    full_build(BuildOptions(root=root, output=fresh, search=False))

    def files(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    assert files(served) == files(fresh)
