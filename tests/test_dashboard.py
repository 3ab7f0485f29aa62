"""The reading dashboard: counts, the build-time SVG chart of notes read per month (read notes only),
the notes waiting longest (unread and triage), escaping, and the page in a real browser."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from papernotes.build import BuildOptions, build

T0 = 1_700_000_000  # 2023-11-14T22:13:20Z
DAY = 86_400
HOSTILE = '<script>alert(1)</script> & "q" {{ 7*7 }} {% if 1 %}x{% endif %}'


def note_text(title: str, **fields) -> str:
    lines = [f"title: {json.dumps(title)}"] + [f"{k}: {json.dumps(v)}" for k, v in fields.items()]
    return "---\n" + "\n".join(lines) + f"\n---\n\nBody of {title}.\n"


def build_site(root: Path, notes: dict[str, tuple[str, float]]) -> Path:
    for rel, (text, mtime) in notes.items():
        path = root / "notes" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.utime(path, (mtime, mtime))
    options = BuildOptions(root=root, output=root / "site")
    if "search" in {f.name for f in dataclasses.fields(BuildOptions)}:
        options.search = False
    result = build(options)
    assert result.ok, [str(d) for d in result.diagnostics.items]
    return root / "site"


NOTES = {
    # read in 2024-01 (2), 2024-03 (5), 2024-04 (1), 2023-06 (1), 2023-12 (1); nothing in 2024-02
    "r1.md": (note_text("R1", status="read", category="NLP", date="2024-01-03"), T0),
    "r2.md": (note_text("R2", status="read", category="NLP/Prompting", date="2024-01-28"), T0),
    **{f"v{i}.md": (note_text(f"V{i}", status="read", category="Vision", date=f"2024-03-{i + 10:02d}"), T0)
       for i in range(5)},
    "r8.md": (note_text("R8", status="read", category="NLP/Prompting", date="2024-04-02"), T0),
    "r-jun.md": (note_text("R jun", status="read", category="Vision", date="2023-06-15"), T0),
    "r-dec.md": (note_text("R dec", status="read", category="NLP", date="2023-12-05"), T0),
    "r-undated.md": (note_text("R undated", status="read", category="NLP"), T0),  # not in the chart
    # skimmed, with dates in months that have read notes and in one that has none: never drawn
    "s1.md": (note_text("S1", status="skimmed", category="Vision", date="2024-01-10"), T0),
    "s2.md": (note_text("S2", status="skimmed", category="NLP", date="2024-02-14"), T0),
    "s3.md": (note_text("S3", status="skimmed", category="Vision", date="2024-03-20"), T0),
    # waiting (unread and triage): by date, or by file time without one; oldest first
    "a1.md": (note_text("Unread dated", status="unread", category="NLP/Prompting", date="2024-04-02"), T0),
    "u1.md": (note_text("Unread by file", status="unread"), T0),  # 2023-11-14
    "t-new.md": (note_text("Triage new", status="triage", category="NLP", date="2023-12-01"), T0),
    "t-old.md": (note_text("Triage old", status="triage", category="Vision", date="2023-06-01"), T0),
    "t-file.md": (note_text("Triage by file", status="triage"), T0 - 200 * DAY),  # 2023-04-28
    "t-evil.md": (note_text(HOSTILE, status="triage", category="NLP/Prompting"), T0 + DAY),  # 2023-11-15
}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build_site(tmp_path_factory.mktemp("dash-root"), NOTES)


@pytest.fixture(scope="module")
def page(site) -> BeautifulSoup:
    return BeautifulSoup((site / "dashboard.html").read_text(encoding="utf-8"), "html.parser")


def test_status_counts_link_to_status_pages(site, page):
    counts = {el["data-status"]: int(el.get_text()) for el in page.select(".dash-status .dash-count")}
    assert counts == {"read": 11, "unread": 2, "skimmed": 3, "triage": 4}
    for item in page.select(".dash-status a"):
        target = site / item["href"]
        assert target.is_file() and target.parent.name == "status"
    assert "✅" in page.select_one(".dash-status").get_text()


def test_category_counts_include_subcategories(site, page):
    rows = {}
    for tr in page.select("table.dash-categories tbody tr"):
        by_status = {td["data-status"]: int(td.get_text()) for td in tr.select("td[data-status]")}
        rows[tr["data-category"]] = (int(tr.select_one(".dash-total").get_text()), by_status)
        assert (site / tr.select_one("th a")["href"]).is_file()
    assert list(rows) == ["NLP", "NLP/Prompting", "Vision", "Uncategorized"]
    assert rows["NLP"] == (9, {"read": 5, "unread": 1, "skimmed": 1, "triage": 2})
    assert rows["NLP/Prompting"] == (4, {"read": 2, "unread": 1, "skimmed": 0, "triage": 1})
    assert rows["Vision"] == (9, {"read": 6, "unread": 0, "skimmed": 2, "triage": 1})
    assert rows["Uncategorized"][0] == 2
    assert "depth-1" in page.select_one('tr[data-category="NLP/Prompting"]')["class"]


def read_notes_per_month() -> dict[str, int]:
    """From the fixture's own front matter: read notes with a date, by month."""
    months: dict[str, int] = {}
    for text, _mtime in NOTES.values():
        fields = dict(line.split(": ", 1) for line in text.split("---")[1].strip().splitlines())
        if json.loads(fields["status"]) == "read" and "date" in fields:
            month = json.loads(fields["date"])[:7]
            months[month] = months.get(month, 0) + 1
    return months


def test_month_chart_is_inline_svg_with_one_bar_per_month_read(page):
    svg = page.select_one("figure.month-chart svg")
    assert svg["role"] == "img" and "per month" in svg["aria-label"]
    assert page.find("script", src=lambda s: s and "chart" in s) is None  # drawn at build time
    # Only read notes count, in the month of their date: skimmed notes in 2024-01, 2024-02 and
    # 2024-03 and the unread note of 2024-04 are left out (for them ``date`` is not a day read).
    bars = svg.select("rect.bar")
    assert {b["data-month"]: int(b["data-count"]) for b in bars} == read_notes_per_month()
    assert [b["data-month"] for b in bars] == ["2023-06", "2023-12", "2024-01", "2024-03", "2024-04"]
    assert [int(b["data-count"]) for b in bars] == [1, 1, 2, 5, 1]
    heights = {b["data-month"]: float(b["height"]) for b in bars}
    assert heights["2024-03"] > heights["2024-01"] > heights["2024-04"] > 0
    assert heights["2024-01"] == pytest.approx(2 * heights["2024-04"])
    assert heights["2023-06"] == heights["2023-12"] == heights["2024-04"]
    bottoms = {round(float(b["y"]) + float(b["height"]), 2) for b in bars}
    assert len(bottoms) == 1  # all bars stand on the axis
    for bar in bars:
        assert bar.title.get_text().startswith(f"{bar['data-month']}: {bar['data-count']} note")
    # Months without notes keep their slot: labelled on the axis and listed in the table, no bar.
    labels = [t.get_text() for t in svg.select(".chart-labels text")]
    assert labels == ["06", "2023", "07", "08", "09", "10", "11", "12", "01", "2024", "02", "03", "04"]
    table = {tr.th.get_text(): int(tr.td.get_text()) for tr in page.select(".chart-table tbody tr")}
    assert list(table) == ["2023-06", "2023-07", "2023-08", "2023-09", "2023-10", "2023-11", "2023-12",
                           "2024-01", "2024-02", "2024-03", "2024-04"]
    assert table["2024-02"] == 0 and table["2024-03"] == 5 and sum(table.values()) == 10
    x = {b["data-month"]: float(b["x"]) for b in bars}
    slot = x["2024-04"] - x["2024-03"]
    assert slot > 0 and x["2024-03"] - x["2024-01"] == pytest.approx(2 * slot)
    assert x["2023-12"] - x["2023-06"] == pytest.approx(6 * slot)
    titles = [t.get_text() for t in svg.select(".chart-titles text")]
    assert len(titles) == 2 and all(titles)  # both axes have a title
    caption = page.select_one("figure.month-chart figcaption").get_text()
    assert "10 notes read" in caption and "1 read note has no" in caption
    assert "read" in svg["aria-label"] and "10 read notes" in svg["aria-label"]


def test_waiting_longest_lists_unread_and_triage_oldest_first(site, page):
    items = page.select("ol.dash-waiting li")
    assert [li.a.get_text() for li in items] == [
        "Triage by file", "Triage old", "Unread by file", HOSTILE, "Triage new", "Unread dated"]
    assert [li.time["datetime"] for li in items] == [
        "2023-04-28", "2023-06-01", "2023-11-14", "2023-11-15", "2023-12-01", "2024-04-02"]
    assert [li["data-status"] for li in items] == ["triage", "triage", "unread", "triage", "triage", "unread"]
    assert [li.select_one(".dash-status-label").get_text() for li in items][:3] == ["Triage 待分类", "Triage 待分类", "Unread 未阅读"]
    # a note without a date is placed by its file's day, and says so
    marked = [li.a.get_text() for li in items if li.select_one(".dash-file-date")]
    assert marked == ["Triage by file", "Unread by file", HOSTILE]
    for li in items:
        assert (site / li.a["href"]).is_file()
    assert page.select_one("#dash-waiting .count").get_text() == "6"
    assert "Waiting longest" in page.select_one("#dash-waiting").get_text()
    assert page.select_one("#dash-triage") is None  # replaced: triage notes are waiting too


def test_hostile_title_is_text_on_the_dashboard(site, page):
    raw = (site / "dashboard.html").read_text(encoding="utf-8")
    assert "<script>alert" not in raw and "49" not in raw
    assert HOSTILE in page.get_text()


def test_waiting_list_is_capped_across_statuses(tmp_path):
    notes = {f"w{i:02d}.md": (note_text(f"W{i:02d}", status="triage" if i % 2 else "unread",
                                        date=f"2023-01-{i + 1:02d}"), T0) for i in range(25)}
    notes["read.md"] = (note_text("Read", status="read", date="2022-01-01"), T0)  # not waiting
    page = BeautifulSoup((build_site(tmp_path, notes) / "dashboard.html").read_text(encoding="utf-8"), "html.parser")
    assert [li.a.get_text() for li in page.select("ol.dash-waiting li")] == [f"W{i:02d}" for i in range(20)]
    assert page.select_one("#dash-waiting .count").get_text() == "25"
    assert page.find("a", href="status/triage.html", string=lambda s: s and "All 12 " in s)
    assert page.find("a", href="status/unread.html", string=lambda s: s and "All 13 " in s)
    assert page.select_one(".month-chart svg")  # one read note, one month, one bar
    assert [(b["data-month"], b["data-count"]) for b in page.select(".month-chart rect.bar")] == [("2022-01", "1")]


def test_no_dates_no_chart(tmp_path):
    page = BeautifulSoup((build_site(tmp_path, {"a.md": (note_text("A"), T0)}) / "dashboard.html")
                         .read_text(encoding="utf-8"), "html.parser")
    assert page.select_one(".month-chart") is None and page.select_one("svg.month-chart-svg") is None
    assert "No note is read yet" in page.select_one("#dash-months").find_next("p", class_="empty").get_text()
    waiting = page.select("ol.dash-waiting li")  # unread by default, placed by its file's day
    assert [li.a.get_text() for li in waiting] == ["A"] and waiting[0].select_one(".dash-file-date")


def test_dated_notes_that_are_not_read_draw_no_chart(tmp_path):
    notes = {"u.md": (note_text("U", status="unread", date="2024-01-05"), T0),
             "s.md": (note_text("S", status="skimmed", date="2024-01-06"), T0),
             "r.md": (note_text("R", status="read"), T0)}
    page = BeautifulSoup((build_site(tmp_path, notes) / "dashboard.html").read_text(encoding="utf-8"), "html.parser")
    assert page.select_one(".month-chart") is None
    assert "No read note has a" in page.select_one("#dash-months").find_next("p", class_="empty").get_text()


def test_chart_is_visible_in_a_browser_light_and_dark(site, browser, serve_directory):
    base = serve_directory(site)
    fills = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 1000, "height": 800}, color_scheme=scheme)
        try:
            tab = context.new_page()
            problems: list[str] = []
            tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda e: problems.append(str(e)))
            tab.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            tab.goto(base + "dashboard.html", wait_until="load")
            chart = tab.locator("svg.month-chart-svg")
            chart.scroll_into_view_if_needed()
            assert chart.is_visible()
            box = chart.bounding_box()
            assert box and box["width"] > 100 and box["height"] > 100
            bars = tab.locator("svg.month-chart-svg rect.bar")
            assert bars.count() == 5
            for i in range(5):
                bar_box = bars.nth(i).bounding_box()
                assert bar_box and bar_box["width"] > 0 and bar_box["height"] > 0
            fill = bars.first.evaluate("el => getComputedStyle(el).fill")
            background = tab.evaluate("getComputedStyle(document.body).backgroundColor")
            assert fill not in ("none", background, "rgba(0, 0, 0, 0)")
            fills[scheme] = fill
            assert not problems, problems
        finally:
            context.close()
    assert fills["light"] != fills["dark"]  # the theme's --accent follows the colour scheme
