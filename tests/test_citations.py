"""The citation web on the built site, from a data/references.json written here: the counts and
lists on note pages, the graph (its SVG parsed), "Read next" on the dashboard, a broken data file,
and rebuilds after the data file changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bs4 import BeautifulSoup

from conftest import site_previews
from papernotes.build import BuildOptions, build
from papernotes.output import SiteDirectory
from papernotes.project import Project

NOTES = {
    # key: (title, arxiv, status, venue)
    "kd": ("Distilling the Knowledge in a Neural Network", "1503.02531", "read", "NeurIPS 2014 workshop"),
    "bert": ("BERT: Pre-training of Deep Bidirectional Transformers", "1810.04805v2", "read", "NAACL 2019"),
    "distil": ("DistilBERT, a distilled version of BERT", "1910.01108", "unread", None),
    "survey": ("知识蒸馏综述：一篇很长的中文标题用来测试截断是否正确显示", "2006.05525", "skimmed", "IJCV 2021"),
    "plain": ("A note without any id", None, "triage", None),
}


def paper(title, refs, fetched="2026-11-30"):
    return {"fetched": fetched, "title": title, "references": refs}


def ref(arxiv=None, title=None, doi=None):
    return {k: v for k, v in (("arxiv", arxiv), ("title", title), ("doi", doi)) if v}


def data_file(**changes) -> dict:
    papers = {
        "arxiv:1810.04805": paper("BERT", [ref("1706.03762", "Attention Is All You Need")]),
        "arxiv:1910.01108": paper("DistilBERT", [ref("1503.02531"), ref("1810.04805"), ref("1706.03762", "Attention Is All You Need"),
                                                 ref("1907.11692", "RoBERTa")]),
        "arxiv:2006.05525": paper("Survey", [ref("1503.02531"), ref("1910.01108"), ref("1810.04805"), ref("1907.11692", "RoBERTa"),
                                             ref(title="Model compression", doi="10.1145/1150402.1150464"),
                                             ref(title="A note without any id")]),
        "arxiv:1503.02531": paper("KD", [ref(title="Model compression", doi="10.1145/1150402.1150464")]),
    }
    papers.update(changes)
    return {"format": 1, "papers": {k: v for k, v in papers.items() if v is not None}}


def make_site(root: Path, data: dict | str | None) -> Path:
    notes = root / "notes"
    notes.mkdir(parents=True)
    for key, (title, arxiv, status, venue) in NOTES.items():
        lines = ["---", f'title: "{title}"', f"status: {status}", "category: ML"]
        if arxiv:
            lines.append(f"arxiv: {arxiv}")
        if venue:
            lines.append(f"venue: {venue}")
        (notes / f"{key}.md").write_text("\n".join(lines + ["---", "", f"Body of {key}.", ""]), encoding="utf-8")
    if data is not None:
        write_data(root, data)
    return root


def write_data(root: Path, data: dict | str) -> None:
    (root / "data").mkdir(exist_ok=True)
    text = data if isinstance(data, str) else json.dumps(data, indent=1, ensure_ascii=False)
    (root / "data" / "references.json").write_text(text, encoding="utf-8")


def page(site: Path, rel: str) -> BeautifulSoup:
    return BeautifulSoup((site / rel).read_text(encoding="utf-8"), "html.parser")


def built(tmp_path: Path, data) -> tuple[Path, object]:
    root = make_site(tmp_path / "root", data)
    result = build(BuildOptions(root=root, output=tmp_path / "site", search=False, cache=False))
    return tmp_path / "site", result


def home_order(site: Path) -> list[str]:
    return [a["href"].removeprefix("notes/").removesuffix(".html") for a in page(site, "index.html").select("a.row-title")]


def section_lists(soup: BeautifulSoup) -> dict[str, list[tuple[str, str, str]]]:
    """heading -> [(title, href, row text)] of each list in the citations section."""
    found = {}
    for heading in soup.select("section.citations h3"):
        items = heading.find_next_sibling("ul").find_all("li")
        found[heading.get_text(" ", strip=True)] = [(li.a.get_text(), li.a["href"], li.get_text(" ", strip=True)) for li in items]
    return found


def test_note_pages_list_what_they_cite_and_what_cites_them(tmp_path):
    site, result = built(tmp_path, data_file())
    assert not result.diagnostics.items, [str(d) for d in result.diagnostics.items]
    bert = section_lists(page(site, "notes/bert.html"))
    # BERT cites no note of the site (Attention has none); two notes cite it, in the order of
    # the home page (survey, bert, kd, plain, distil)
    assert home_order(site) == ["survey", "bert", "kd", "plain", "distil"]
    assert list(bert) == ["Cited by 2 of your notes · 被 2 篇引用"]
    titles = [t for t, _, _ in bert["Cited by 2 of your notes · 被 2 篇引用"]]
    assert titles == [NOTES["survey"][0], NOTES["distil"][0]]
    distil = section_lists(page(site, "notes/distil.html"))
    assert list(distil) == ["Cites 2 of your notes · 引用了 2 篇", "Cited by 1 of your notes · 被 1 篇引用"]
    cites = distil["Cites 2 of your notes · 引用了 2 篇"]
    assert [(t, h) for t, h, _ in cites] == [(NOTES["bert"][0], "bert.html"), (NOTES["kd"][0], "kd.html")]
    assert "✅" in cites[0][2] and "NAACL 2019" in cites[0][2]  # status and venue of the cited note
    # matched by its title only because neither side has an id
    survey = section_lists(page(site, "notes/survey.html"))
    assert [t for t, _, _ in survey["Cites 4 of your notes · 引用了 4 篇"]] == [
        NOTES["bert"][0], NOTES["kd"][0], NOTES["plain"][0], NOTES["distil"][0]]
    # a note that neither cites nor is cited has no section
    assert not page(site, "notes/kd.html").select("section.citations h3:-soup-contains('Cites')")


def test_the_graph_is_an_svg_with_the_note_in_the_centre_and_links_to_the_notes(tmp_path):
    site, _ = built(tmp_path, data_file())
    soup = page(site, "notes/distil.html")
    svg = soup.select_one("section.citations svg.citation-graph-svg")
    assert svg is not None and not soup.select("section.citations script")
    centre = svg.select_one(".node-self")
    assert centre.title.get_text() == NOTES["distil"][0]
    cited = svg.select("a.node-cited")
    citing = svg.select("a.node-citing")
    assert [a["href"] for a in cited] == ["bert.html", "kd.html"]
    assert [a["href"] for a in citing] == ["survey.html"]
    x = {name: float(group.rect["x"]) for name, group in (("cited", cited[0]), ("self", centre), ("citing", citing[0]))}
    assert x["cited"] < x["self"] < x["citing"]  # cited on the left, citing on the right
    assert len(svg.select("path.edge")) == 3
    # the long Chinese title is cut to fit its box, and the whole of it is the tooltip
    label = citing[0].find("text").get_text()
    assert label.endswith("…") and NOTES["survey"][0].startswith(label[:-1])
    assert citing[0].title.get_text().startswith(NOTES["survey"][0])
    # colours come from the stylesheet (CSS variables), not from the markup
    assert "fill=\"#" not in str(svg) and "stroke=\"#" not in str(svg)


def test_read_next_lists_the_papers_cited_most_that_have_no_note(tmp_path):
    site, _ = built(tmp_path, data_file())
    items = page(site, "dashboard.html").select("ol.read-next > li")
    # RoBERTa (2 notes, an arXiv id) and Model compression (2 notes, a DOI); Attention is cited by
    # two notes too; a title both sides lack ids for is a note, not a suggestion
    assert [(li.select_one(".read-next-title").get_text(strip=True), li["data-count"]) for li in items] == [
        ("Attention Is All You Need", "2"), ("Model compression", "2"), ("RoBERTa", "2")]
    roberta = items[2]
    assert roberta.select_one("code").get_text() == "papernotes new --arxiv 1907.11692 --fetch"
    assert items[1].select_one("code").get_text() == "papernotes new 'Model compression'"  # no arXiv id: its title
    assert [a["href"] for a in roberta.select(".read-next-citing a")] == ["notes/survey.html", "notes/distil.html"]


def test_a_broken_data_file_is_a_warning_with_its_line_and_the_site_still_builds(tmp_path):
    text = json.dumps(data_file(), indent=1).replace('"title": "KD"', '"title": "KD",,')
    site, result = built(tmp_path, text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if '"KD",,' in l)
    messages = [str(d) for d in result.diagnostics.items]
    assert messages == [f"data/references.json:{line}: warning: is not valid JSON (Expecting property name enclosed in "
                        "double quotes); no citation lists (run papernotes refs to write it again)"]
    assert result.written and not page(site, "notes/distil.html").select("section.citations")


def test_a_wrong_entry_is_left_out_with_its_line(tmp_path):
    data = data_file(**{"arxiv:2006.05525": {"fetched": "yesterday", "references": []}})
    text = json.dumps(data, indent=1)
    site, result = built(tmp_path, text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if '"arxiv:2006.05525"' in l)
    assert [str(d) for d in result.diagnostics.items] == [
        f"data/references.json:{line}: warning: paper arxiv:2006.05525: fetched yesterday is not a date such as "
        "2026-12-03; left out"]
    assert [t for t, _, _ in section_lists(page(site, "notes/bert.html"))["Cited by 1 of your notes · 被 1 篇引用"]] == [
        NOTES["distil"][0]]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_editing_the_data_file_rewrites_only_the_pages_whose_lists_changed(tmp_path):
    root = make_site(tmp_path / "root", data_file())
    out = tmp_path / "out"
    writer = SiteDirectory.create(out)
    project = Project(root, output=out, check_output=False)
    project.refresh(writer, None)
    data_path = root / "data" / "references.json"

    # BERT now cites KD: the pages of both change, and the home page (KD is cited by one more)
    write_data(root, data_file(**{"arxiv:1810.04805": paper("BERT", [ref("1706.03762", "Attention Is All You Need"), ref("1503.02531")])}))
    report = project.refresh(writer, {data_path})
    assert not report.full and report.rendered_notes == 0
    pages = {p for p in report.written if p.endswith(".html")}
    assert {"notes/bert.html", "notes/kd.html", "index.html"} <= pages
    assert not pages & {"notes/distil.html", "notes/survey.html", "notes/plain.html", "categories/ml.html", "dashboard.html"}
    assert [t for t, _, _ in section_lists(page(out, "notes/kd.html"))["Cited by 3 of your notes · 被 3 篇引用"]] == [
        NOTES["survey"][0], NOTES["bert"][0], NOTES["distil"][0]]
    fresh = tmp_path / "fresh"
    build(BuildOptions(root=root, output=fresh, search=False, cache=False))
    assert snapshot(out) == snapshot(fresh)

    # a new date and a reference to a paper nobody else cites: no page shows it, none is written
    write_data(root, data_file(**{"arxiv:1810.04805": paper("BERT", [ref("1706.03762", "Attention Is All You Need"), ref("1503.02531"),
                                                                      ref("1301.3781", "word2vec")], fetched="2026-12-02")}))
    report = project.refresh(writer, {data_path})
    assert [p for p in report.written if p.endswith(".html")] == []

    # a second note cites word2vec: "Read next" gains it; no note's lists change: only the
    # dashboard is written
    distil = data_file()["papers"]["arxiv:1910.01108"]
    distil["references"].append(ref("1301.3781", "word2vec"))
    write_data(root, data_file(**{"arxiv:1810.04805": paper("BERT", [ref("1706.03762", "Attention Is All You Need"), ref("1503.02531"),
                                                                      ref("1301.3781", "word2vec")], fetched="2026-12-02"),
                                  "arxiv:1910.01108": distil}))
    report = project.refresh(writer, {data_path})
    assert [p for p in report.written if p.endswith(".html")] == ["dashboard.html"]
    assert "word2vec" in (out / "dashboard.html").read_text(encoding="utf-8")

    # the file removed: no lists anywhere, as a fresh build of the notes alone
    data_path.unlink()
    project.refresh(writer, {data_path})
    shutil.rmtree(fresh)
    build(BuildOptions(root=root, output=fresh, search=False, cache=False))
    assert snapshot(out) == snapshot(fresh)
    assert not page(out, "notes/kd.html").select("section.citations")


def test_a_build_after_the_data_file_changed_shows_the_new_lists(tmp_path):
    """``papernotes build`` with its cache: the data file is one of the build's inputs."""
    root = make_site(tmp_path / "root", data_file())
    out = tmp_path / "site"
    build(BuildOptions(root=root, output=out, search=False))
    assert not page(out, "notes/kd.html").select("section.citations h3:-soup-contains('Cited by 3')")
    write_data(root, data_file(**{"arxiv:1810.04805": paper("BERT", [ref("1503.02531")])}))
    result = build(BuildOptions(root=root, output=out, search=False))
    assert not result.up_to_date
    assert page(out, "notes/kd.html").select("section.citations h3:-soup-contains('Cited by 3')")
    # the cache keeps the data file the last build read: only the pages whose lists changed
    written = {p for p in result.paths if p.endswith(".html")}
    assert {"notes/kd.html", "notes/bert.html", "index.html"} <= written
    assert not written & {"notes/distil.html", "notes/survey.html", "notes/plain.html", "categories/ml.html"}
    fresh = tmp_path / "fresh"
    build(BuildOptions(root=root, output=fresh, search=False, cache=False))
    assert snapshot(out) == snapshot(fresh)
    again = build(BuildOptions(root=root, output=out, search=False))
    assert again.up_to_date


def test_the_example_site_filters_notes_cited_by_three_or_more(browser, site_server, example_site):
    """The home page's "Cited by ≥ 3 of my notes" filter shows the notes whose page says so."""
    import re

    expected = set()
    for path in (example_site / "notes").rglob("*.html"):
        heading = page(example_site, path.relative_to(example_site).as_posix()).find(
            "h3", string=re.compile(r"^Cited by \d+ of your notes"))
        if heading and int(heading.get_text().split()[2]) >= 3:
            expected.add(path.relative_to(example_site).as_posix())
    assert len(expected) >= 3  # the example data joins the example notes
    home = browser.new_page()
    try:
        home.goto(site_server + "index.html")
        home.click("details.filters > summary")  # the filters sit behind the "Filter 筛选" button
        home.select_option("select[data-facet=cited]", "3")
        home.wait_for_function("() => location.search.includes('cited=3')", timeout=10000)
        shown = home.eval_on_selector_all(".note-row:not([hidden]) .row-body a.row-title",
                                     "els => els.map(e => e.getAttribute('href'))")
        assert set(shown) == expected
        label = home.eval_on_selector("select[data-facet=cited] option[value='3']", "o => o.textContent")
        assert label == f"≥ 3 of my notes 篇 ({len(expected)})"
    finally:
        home.close()


def test_check_says_which_notes_were_joined_by_title_only(tmp_path, papernotes_cli):
    root = make_site(tmp_path / "root", data_file())
    result = papernotes_cli("check", "--root", root)
    assert "notes/survey.md: note: cites notes/plain.md by its title only (neither has an arXiv id or DOI)" in result.stdout
    assert result.returncode == 0 and "0 warnings" in result.stdout


def test_serve_rebuilds_the_pages_whose_lists_changed_when_the_data_file_is_saved(tmp_path, preview_server):
    root = make_site(tmp_path / "root", data_file())
    harness = preview_server(root)
    since = harness.rebuilds
    write_data(root, data_file(**{"arxiv:1810.04805": paper("BERT", [ref("1503.02531")])}))
    harness.settle(since)
    status, _, body = harness.fetch("/notes/kd.html")
    assert status == 200 and "Cited by 3 of your notes · 被 3 篇引用" in body.decode("utf-8")
    written = {p for report in harness.reports[1:] for p in report.written if p.endswith(".html")}
    assert {"notes/kd.html", "notes/bert.html"} <= written and "notes/distil.html" not in written


def test_serve_picks_up_a_data_folder_made_while_it_runs(tmp_path, preview_server):
    root = make_site(tmp_path / "root", None)  # no data/ when serve starts (before the first refs)
    harness = preview_server(root)
    status, _, body = harness.fetch("/notes/kd.html")
    assert status == 200 and "of your notes" not in body.decode("utf-8")
    since = harness.rebuilds
    write_data(root, data_file())
    harness.settle(since)
    status, _, body = harness.fetch("/notes/kd.html")
    assert status == 200 and "Cited by 2 of your notes · 被 2 篇引用" in body.decode("utf-8")


def test_hover_previews_say_how_many_of_your_notes_a_note_cites_and_is_cited_by(tmp_path):
    import json

    site, _ = built(tmp_path, data_file())
    for key in NOTES:
        lists = section_lists(page(site, f"notes/{key}.html"))
        counts = {heading.split()[0]: len(rows) for heading, rows in lists.items()}
        data = site_previews(site)[key]
        assert (data["cites"], data["cited_by"]) == (counts.get("Cites", 0), counts.get("Cited", 0)), key
    assert site_previews(site)["distil"]["cites"] == 2


def test_the_graph_fits_the_column_on_wide_screens_and_scrolls_on_phones(browser, site_server):
    """At 1280 px no box of the graph is cut at the column's edge; on a phone it keeps its size (its
    labels stay readable) inside a box that scrolls sideways, and the page itself does not."""
    for width, scaled in ((1280, True), (390, False)):
        tab = browser.new_page(viewport={"width": width, "height": 900})
        try:
            tab.goto(site_server + "notes/nlp/bert.html")
            sizes = tab.eval_on_selector(".citation-graph-svg", """svg => ({
                shown: svg.getBoundingClientRect().width, drawn: svg.viewBox.baseVal.width,
                box: svg.parentElement.clientWidth, page: document.documentElement.scrollWidth})""")
            assert sizes["page"] <= width
            if scaled:
                assert sizes["shown"] <= sizes["box"] + 0.5 and sizes["drawn"] > sizes["box"], sizes
            else:
                assert abs(sizes["shown"] - sizes["drawn"]) < 1, sizes
        finally:
            tab.close()
