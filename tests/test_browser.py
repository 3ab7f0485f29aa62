"""The example site in headless Chromium, served over real HTTP by ``site_server``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

EXAMPLE_NOTES = Path(__file__).resolve().parent.parent / "notes"
NOTE_PAGES = [
    "notes/generative/vae.html",
    "notes/peft/lora.html",
    "notes/attention-is-all-you-need.html",
]
CATEGORY_PAGE = "categories/prompting.html"


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


def open_page(page, url: str) -> None:
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, f"{url}: HTTP {response and response.status}"


def box(locator) -> dict:
    rect = locator.bounding_box()
    assert rect is not None, "element is not rendered"
    return rect


def rgb_sum(css_color: str) -> int:
    values = re.findall(r"[\d.]+", css_color)
    assert len(values) >= 3, css_color
    return round(sum(float(v) for v in values[:3]))


def test_clicking_a_row_summary_expands_and_collapses_it(page, site_server):
    open_page(page, site_server + "index.html")
    row = page.locator("li.note-row").first
    details, body = row.locator("details").first, row.locator(".row-body").first
    assert details.get_attribute("open") is None
    assert not body.is_visible()

    row.locator("summary .row-status").click()
    assert page.url == site_server + "index.html", "clicking the status icon navigated away"
    assert details.get_attribute("open") is not None
    assert body.is_visible()
    rect = box(body)
    assert rect["height"] > 0 and rect["width"] > 0
    assert body.inner_text().strip(), "expanded row shows no text"

    row.locator("summary .row-status").click()
    assert details.get_attribute("open") is None
    assert not body.is_visible()

    # the summary's left edge (outside the title link) works too
    row.locator("summary").click(position={"x": 2, "y": 5})
    assert page.url == site_server + "index.html"
    assert body.is_visible()


def test_clicking_the_row_title_toggles_and_the_open_row_links_to_the_note(page, site_server):
    open_page(page, site_server + "index.html")
    row = page.locator("li.note-row").first
    body = row.locator(".row-body")
    name = row.locator("summary .row-name")
    title = name.inner_text().strip()
    name.click()
    assert page.url == site_server + "index.html", "clicking the title in the row's line navigated away"
    assert body.is_visible()
    link = body.locator("a.row-title")
    assert link.inner_text().strip() == title
    link.click()
    page.wait_for_load_state("load")
    assert page.url.startswith(site_server + "notes/")
    assert page.locator("h1").first.inner_text().strip() == title


def test_display_math_is_laid_out(page, site_server):
    open_page(page, site_server + "notes/generative/vae.html")
    # a reader opens the collapsed sections (outer ones first) to see the formulas inside them
    for index in range(page.locator(".note-body details").count()):
        details = page.locator(".note-body details").nth(index)
        if details.get_attribute("open") is None:
            details.locator("summary").first.click()
    display = page.locator("math[display=block]")
    count = display.count()
    source = (EXAMPLE_NOTES / "generative" / "vae.md").read_text(encoding="utf-8")
    assert count == sum(line.strip() == "$$" for line in source.splitlines()) // 2 >= 3
    for index in range(count):
        rect = box(display.nth(index))
        assert rect["width"] > 0 and rect["height"] > 0, f"display formula {index} has an empty box: {rect}"

    # a display fraction is taller than an inline single identifier
    frac = page.locator("div.math-display > math[display=block]", has=page.locator("mfrac")).first
    single = page.locator("p > math:not([display])", has=page.locator("annotation", has_text=re.compile(r"^\\?[A-Za-z]+$"))).first
    assert single.count() == 1 and frac.count() == 1
    assert box(frac)["height"] > box(single)["height"] * 1.5


@pytest.mark.parametrize(("scheme", "dark"), [("dark", True), ("light", False)])
def test_color_scheme_follows_the_system(browser, site_server, scheme, dark):
    context = browser.new_context(color_scheme=scheme)
    try:
        page = context.new_page()
        for path in ("index.html", "notes/peft/lora.html"):
            open_page(page, site_server + path)
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            color = page.evaluate("getComputedStyle(document.body).color")
            if dark:
                assert rgb_sum(background) < 200, f"{path}: background {background} in dark mode"
                assert rgb_sum(color) > 400, f"{path}: text {color} is not light on the dark background"
            else:
                assert rgb_sum(background) > 600, f"{path}: background {background} in light mode"
                assert rgb_sum(color) < 300, f"{path}: text {color} is not dark on the light background"
    finally:
        context.close()


def test_no_console_errors(page, site_server):
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console error: {msg.text} ({msg.location.get('url')})")
            if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    for path in ["index.html", *NOTE_PAGES]:
        open_page(page, site_server + path)
        page.wait_for_load_state("networkidle")
        assert not problems, f"{path}: {problems}"


def test_every_request_stays_on_the_local_server(page, site_server):
    requests: list[str] = []
    failed: list[str] = []
    bad_status: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: failed.append(f"{request.url}: {request.failure}"))
    page.on("response", lambda response: bad_status.append(f"{response.url}: {response.status}")
            if response.status >= 400 else None)
    for path in ["index.html", *NOTE_PAGES, CATEGORY_PAGE]:
        open_page(page, site_server + path)
        page.wait_for_load_state("networkidle")
    assert len(requests) >= 5
    outside = [url for url in requests if not url.startswith(site_server)]
    assert not outside, f"requests left the local server: {outside}"
    assert not failed, f"failed requests: {failed}"
    assert not bad_status, f"error responses: {bad_status}"
    # the pages did load their stylesheet and script
    assert site_server + "assets/style.css" in requests
    assert site_server + "assets/site.js" in requests
