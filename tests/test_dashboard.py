"""The reading dashboard: counts, the build-time SVG chart of notes read per month, the oldest
triage notes, escaping, and the page in a real browser."""

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
    # read in 2024-01 (2), 2024-03 (5), 2024-04 (1); nothing in 2024-02
    "r1.md": (note_text("R1", status="read", category="NLP", date="2024-01-03"), T0),
    "r2.md": (note_text("R2", status="read", category="NLP/Prompting", date="2024-01-28"), T0),
    **{f"m{i}.md": (note_text(f"M{i}", status="skimmed", category="Vision", date=f"2024-03-{i + 10:02d}"), T0)
       for i in range(5)},
    "a1.md": (note_text("A1", status="unread", category="NLP/Prompting", date="2024-04-02"), T0),
    "u1.md": (note_text("U1", status="unread"), T0),  # no date: not in the chart
    # triage: by date, or by file time without one; oldest first
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
    assert counts == {"read": 2, "unread": 2, "skimmed": 5, "triage": 4}
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
    assert rows["NLP"] == (5, {"read": 2, "unread": 1, "skimmed": 0, "triage": 2})
    assert rows["NLP/Prompting"] == (3, {"read": 1, "unread": 1, "skimmed": 0, "triage": 1})
    assert rows["Vision"] == (6, {"read": 0, "unread": 0, "skimmed": 5, "triage": 1})
    assert rows["Uncategorized"][0] == 2
    assert "depth-1" in page.select_one('tr[data-category="NLP/Prompting"]')["class"]


def test_month_chart_is_inline_svg_with_one_bar_per_month_read(page):
    svg = page.select_one("figure.month-chart svg")
    assert svg["role"] == "img" and "per month" in svg["aria-label"]
    assert page.find("script", src=lambda s: s and "chart" in s) is None  # drawn at build time
    # Every note with a date counts in its month, whatever its status (``date`` is the day read).
    bars = svg.select("rect.bar")
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
    assert "10 notes" in caption and "3 notes have no" in caption


def test_triage_oldest_first_by_date_else_file_time(site, page):
    items = page.select("ol.dash-triage li")
    assert [li.a.get_text() for li in items] == ["Triage by file", "Triage old", HOSTILE, "Triage new"]
    assert [li.time["datetime"] for li in items] == ["2023-04-28", "2023-06-01", "2023-11-15", "2023-12-01"]
    assert items[0].select_one(".dash-file-date") is not None  # says the day is the file's
    assert items[1].select_one(".dash-file-date") is None
    for li in items:
        assert (site / li.a["href"]).is_file()
    assert page.select_one("#dash-triage .count").get_text() == "4"


def test_hostile_title_is_text_on_the_dashboard(site, page):
    raw = (site / "dashboard.html").read_text(encoding="utf-8")
    assert "<script>alert" not in raw and "49" not in raw
    assert HOSTILE in page.get_text()


def test_triage_list_is_capped(tmp_path):
    notes = {f"t{i:02d}.md": (note_text(f"T{i:02d}", status="triage", date=f"2023-01-{i + 1:02d}"), T0)
             for i in range(25)}
    page = BeautifulSoup((build_site(tmp_path, notes) / "dashboard.html").read_text(encoding="utf-8"), "html.parser")
    assert [li.a.get_text() for li in page.select("ol.dash-triage li")] == [f"T{i:02d}" for i in range(20)]
    assert page.find("a", href="status/triage.html", string=lambda s: s and "25" in s)
    assert page.select_one(".month-chart svg")  # one month, one bar
    assert len(page.select(".month-chart rect.bar")) == 1


def test_no_dates_no_chart(tmp_path):
    page = BeautifulSoup((build_site(tmp_path, {"a.md": (note_text("A"), T0)}) / "dashboard.html")
                         .read_text(encoding="utf-8"), "html.parser")
    assert page.select_one(".month-chart") is None and page.select_one("svg.month-chart-svg") is None
    assert page.select_one("#dash-months").find_next("p", class_="empty")
    assert page.select_one("ol.dash-triage") is None


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
