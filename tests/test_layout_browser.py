"""The site's layout as a reader sees it in Chromium: phone and laptop widths, light and dark, the
example notes and notes with very long names; the sticky header and contents, the theme toggle,
the rows, the filters and the labels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import CHROMIUM, CHROMIUM_ARGS, run_papernotes

WIDTHS = (320, 390, 1280)
SCHEMES = ("light", "dark")

#: One page of each kind in the example site.
EXAMPLE_PAGES = [
    "index.html", "notes/peft/lora.html", "notes/generative/vae.html", "notes/distillation/知识蒸馏综述.html",
    "categories/knowledge-distillation.html", "categories/index.html", "tags/distillation.html", "tags/index.html",
    "venues/iclr-2023.html", "venues/index.html", "years/2021.html", "years/index.html", "status/read.html",
    "dashboard.html", "404.html",
]

LONG_VENUE = ("Proceedings of the Annual International Symposium on Extremely Long Conference Names "
              "and Their Workshops, Volume Two")[:120]
LONG_TAG = "unbrokenhyperparameterfreecontrastivepretrainingobjectivetag"[:60]
LONG_TITLE = ("一种面向超长中文标题的多模态大规模预训练语言模型在知识蒸馏与参数高效微调场景下的系统性实证研究与理论分析"
              "以及其在低资源跨语言迁移任务中的表现")
LONG_URL = "https://example.org/" + "very-long-path-segment-without-any-break" * 6 + "?query=" + "x" * 80
LONG_CATEGORY = "超长分类名称用于测试窄屏幕上的换行行为与省略号显示是否正确"


def long_note_body(sections: int) -> str:
    parts = []
    for i in range(1, sections + 1):
        parts.append(f"## Section {i} 第{i}节\n\n" + ("A paragraph that takes some room on the page. 一段占地方的文字。" * 12) + "\n")
        if i == 2:
            parts.append(f"A long address: {LONG_URL}\n\n[a link with a long address]({LONG_URL})\n")
            parts.append("| " + " | ".join(f"column {c} 列" for c in range(14)) + " |\n|" + "---|" * 14 + "\n| "
                         + " | ".join("value" for _ in range(14)) + " |\n")
            parts.append("```python\nresult = " + " + ".join(f"term_{n}" for n in range(40)) + "\n```\n")
        if i == 3:
            parts.append("### A subsection 小节\n\nShort.\n")
    return "\n".join(parts)


LONG_NAMES_NOTES = {
    "long/wide.md": f"""---
title: "{LONG_TITLE}"
status: read
category: "{LONG_CATEGORY}"
tags: [{LONG_TAG}, 蒸馏]
venue: "{LONG_VENUE}"
year: 2024
authors: [{", ".join(f"Author Number{n} Withalongsurname" for n in range(12))}]
date: 2024-01-08
arxiv: "2106.09685"
links:
  PDF: https://openreview.net/pdf?id=abc
  arXiv again: https://arxiv.org/abs/2106.09685/
---

{long_note_body(12)}
""",
    "long/sibling.md": f"""---
title: A sibling with a short name
status: unread
category: "{LONG_CATEGORY}"
tags: [{LONG_TAG}]
venue: "{LONG_VENUE}"
year: 2023
date: 2024-03-10
---

Unread; its date is when it was added.
""",
    "long/skimmed.md": """---
title: Skimmed paper
status: skimmed
category: Other
date: 2024-02-02
---

Skimmed.
""",
    "long/triage.md": """---
title: A paper waiting for triage
status: triage
category: Other
date: 2024-02-03
year: 2020
---

Waiting.
""",
    "long/no-venue.md": """---
title: Only a year
status: read
category: Other
year: 2019
---

No venue and no date.
""",
}

LONG_PAGES = [
    "index.html", "notes/long/wide.html", "notes/long/sibling.html", "categories/index.html", "tags/index.html",
    "venues/index.html", "years/2024.html", "status/read.html", "status/unread.html", "dashboard.html", "404.html",
]


@pytest.fixture(scope="module")
def long_names_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("long-names")
    for name, text in LONG_NAMES_NOTES.items():
        path = root / "notes" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = run_papernotes("build", "--root", root, cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "site"


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def pages_of_every_kind(site: Path, base: list[str]) -> list[str]:
    """``base`` plus the site's own tag, venue and category pages (their names differ per site)."""
    found = list(base)
    for folder in ("tags", "venues", "categories"):
        pages = sorted(p for p in (site / folder).rglob("*.html") if p.name != "index.html")
        found += [p.relative_to(site).as_posix() for p in pages[:2]]
    return list(dict.fromkeys(found))


def wait_for(page, expression: str, timeout: float = 15_000, arg=None) -> None:
    page.wait_for_function(expression, arg=arg, timeout=timeout)


def overflow(page) -> dict:
    return page.evaluate("""() => ({scroll: document.documentElement.scrollWidth, width: window.innerWidth,
        wide: [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
              && !e.closest('pre, table, .math-display, .table-scroll, .chart-scroll, .site-nav, [hidden]')
              && getComputedStyle(e).position !== 'fixed').slice(0, 5).map(e => e.outerHTML.slice(0, 120))})""")


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_window(browser, serve_directory, example_site, long_names_site, width, scheme):
    context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    try:
        for site, base in ((example_site, EXAMPLE_PAGES), (long_names_site, LONG_PAGES)):
            url = serve_directory(site)
            for path in pages_of_every_kind(site, base):
                response = page.goto(url + path, wait_until="load")
                assert response is not None and response.status == 200, path
                # every row and collapsible block open, the filters too: the widest the page gets
                page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                found = overflow(page)
                assert found["scroll"] <= found["width"], f"{site.name}/{path} at {width} px ({scheme}): {found}"
    finally:
        context.close()


def test_long_names_are_cut_or_wrapped_inside_their_box(browser, serve_directory, long_names_site):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        url = serve_directory(long_names_site)
        page.goto(url + "notes/long/wide.html")
        venue = page.locator(".note-meta .venue")
        assert venue.evaluate("e => e.scrollWidth > e.clientWidth"), "the long venue should be cut (with …)"
        assert venue.get_attribute("title") == LONG_VENUE  # its whole name in the tooltip
        assert venue.evaluate("e => e.getBoundingClientRect().right") <= 390
        # the body's wide table and code scroll inside their own box, which the keyboard can reach
        for selector in (".note-body table", ".note-body pre"):
            box = page.locator(selector).first
            assert box.evaluate("e => e.scrollWidth > e.clientWidth"), selector
            assert box.get_attribute("tabindex") == "0", f"{selector} scrolls but cannot take the focus"
        # the read date is one unit, on one line
        assert page.locator(".read-date time").evaluate("e => e.getClientRects().length") == 1
        assert page.locator(".read-date time").inner_text() == "2024-01-08"
        page.set_viewport_size({"width": 320, "height": 700})
        page.goto(url + "404.html")
        for phrase in ("Page not found", "页面不存在"):
            part = page.locator(".not-found-title .nowrap", has_text=phrase)
            assert part.evaluate("e => e.getClientRects().length") == 1, f"'{phrase}' breaks inside at 320 px"
    finally:
        context.close()


def test_header_contents_and_navigation_on_a_long_note(browser, serve_directory, long_names_site):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(serve_directory(long_names_site) + "notes/long/wide.html")
        article = page.locator("article.note").bounding_box()
        side = page.locator(".side-nav").bounding_box()
        toc = page.locator(".toc").bounding_box()
        body = page.locator(".note-body").bounding_box()
        # three columns: the category's notes left, the text, the contents right
        assert side["x"] + side["width"] <= body["x"] and body["x"] + body["width"] <= toc["x"], (side, body, toc)
        assert article["width"] > 600
        assert page.locator(".side-nav a[aria-current=page]").inner_text() == LONG_TITLE
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight * 0.6)")
        wait_for(page, "window.scrollY > 1000")
        header = page.locator(".site-header").bounding_box()
        assert header["y"] == 0 and header["height"] < 100, header
        assert page.locator("#search-input").is_visible()
        wait_for(page, """() => { const b = document.querySelector('.toc').getBoundingClientRect();
                                  return b.top >= 0 && b.bottom <= innerHeight && b.top < 200; }""")
        # the section marked is the one being read: the last heading above the reading line
        wait_for(page, """() => {
            const line = document.querySelector('.site-header').getBoundingClientRect().height + 24;
            const heads = [...document.querySelectorAll('.toc a')].map(a => document.getElementById(decodeURIComponent(a.hash.slice(1))));
            let current = 0; heads.forEach((h, i) => { if (h.getBoundingClientRect().top <= line) current = i; });
            const marked = document.querySelector('.toc a[aria-current]');
            return current > 2 && marked && decodeURIComponent(marked.hash) === '#' + heads[current].id; }""")
        # the back-to-top link shows far down and brings the reader up
        back = page.locator(".back-to-top")
        back.wait_for(state="visible")
        back.click()
        wait_for(page, "window.scrollY === 0")

        # a phone: one column, the contents above the body, the header still in reach
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(page.url)
        toc, body = page.locator(".toc").bounding_box(), page.locator(".note-body").bounding_box()
        assert toc["y"] + toc["height"] <= body["y"], "the contents should be above the body on a phone"
        side = page.locator(".side-nav").bounding_box()
        assert side["y"] >= body["y"] + body["height"], "the category's notes come after the note on a phone"
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight * 0.5)")
        wait_for(page, "window.scrollY > 1000")
        assert page.locator(".site-header").bounding_box()["y"] == 0
        assert page.locator("#search-input").is_visible()
    finally:
        context.close()


def test_contents_mark_the_section_after_a_jump(browser, site_server):
    """A jump far down (End, a link, the scroll bar) carries headings past the reading line at once."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(site_server + "notes/peft/lora.html")
        assert page.locator(".toc li:first-child a").get_attribute("aria-current") == "location"
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        wait_for(page, "document.querySelector('.toc li:last-child a').getAttribute('aria-current') === 'location'")
        assert page.locator(".toc a[aria-current]").count() == 1
    finally:
        page.close()


THEME_AT_FIRST_PAINT = """
window.__theme = null;
new MutationObserver(function (changes, observer) {
  if (document.body && window.__theme === null) {
    window.__theme = document.documentElement.getAttribute('data-theme');
    observer.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
document.addEventListener('DOMContentLoaded', function () {
  window.__themeAtReady = document.documentElement.getAttribute('data-theme');
  window.__schemeAtReady = getComputedStyle(document.documentElement).colorScheme;
  window.__bodyAtReady = getComputedStyle(document.body).backgroundColor;
});
"""


def brightness(color: str) -> int:
    return sum(int(float(v)) for v in re.findall(r"[\d.]+", color)[:3])


@pytest.mark.parametrize("system", SCHEMES)
def test_theme_toggle_is_remembered_without_a_flash(browser, site_server, system):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme=system)
    context.add_init_script(THEME_AT_FIRST_PAINT)
    page = context.new_page()
    try:
        page.goto(site_server + "notes/peft/lora.html")
        toggle = page.locator("[data-theme-toggle]")
        assert toggle.inner_text().strip().endswith("Auto 自动")
        assert page.evaluate("window.__theme") == "auto"
        other = "dark" if system == "light" else "light"
        # auto -> light -> dark: click until the other scheme than the system's is chosen
        for _ in range(3):
            if page.evaluate("document.documentElement.dataset.theme") == other:
                break
            toggle.click()
        assert page.evaluate("localStorage.getItem('papernotes-theme')") == other
        page.reload()
        # the choice is in force before the body is even parsed, so before the first paint
        assert page.evaluate("window.__theme") == other
        assert page.evaluate("[window.__themeAtReady, window.__schemeAtReady]") == [other, other]
        body = page.evaluate("window.__bodyAtReady")
        assert (brightness(body) < 200) == (other == "dark"), body
        assert other.title() in toggle.inner_text()
        # code follows the chosen theme too
        code = page.evaluate("getComputedStyle(document.querySelector('.note-body pre.highlight')).backgroundColor")
        assert (brightness(code) < 300) == (other == "dark"), code
        # back to auto: the system's scheme again, and nothing remembered
        for _ in range(3):
            if page.evaluate("document.documentElement.dataset.theme") == "auto":
                break
            toggle.click()
        assert page.evaluate("localStorage.getItem('papernotes-theme')") is None
        page.reload()
        assert page.evaluate("[window.__theme, window.__schemeAtReady]") == ["auto", "light dark"]
        assert (brightness(page.evaluate("window.__bodyAtReady")) < 200) == (system == "dark")
    finally:
        context.close()


def test_a_row_toggles_from_its_whole_line_and_by_keyboard(browser, site_server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(site_server + "index.html")
        # the first row is on the first screen of a phone
        top = page.locator("li.note-row summary").first.bounding_box()
        assert top["y"] + top["height"] <= 844, top
        # two rows one after the other in one list
        rows = page.locator("ul.note-list:has(> li.note-row + li.note-row) > li.note-row")
        first, second = rows.nth(0), rows.nth(1)
        summary = first.locator("summary")
        summary.scroll_into_view_if_needed()
        # a click on the title and one on the empty end of the line both toggle, neither navigates
        first.locator(".row-name").click()
        assert first.locator("details").evaluate("d => d.open") and page.url.endswith("index.html")
        box = summary.bounding_box()
        page.mouse.click(box["x"] + box["width"] - 3, box["y"] + box["height"] - 4)
        assert not first.locator("details").evaluate("d => d.open")
        # keyboard: one tab stop per closed row; Enter and Space toggle
        summary.focus()
        page.keyboard.press("Enter")
        assert first.locator("details").evaluate("d => d.open")
        assert first.locator(".row-body a.row-title").is_visible()
        page.keyboard.press("Space")
        assert not first.locator("details").evaluate("d => d.open")
        page.keyboard.press("Tab")
        active = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
        assert second.locator("summary").evaluate("s => s === document.activeElement"), \
            f"the next tab stop after a closed row should be the next row, not {active}"
        # the status is text for those who cannot see the emoji
        status = first.locator(".row-status .status-text")
        assert status.text_content().strip() in {"Read 已阅读", "Unread 未阅读", "Skimmed 已泛读", "Triage 待分类"}
    finally:
        context.close()


def test_every_count_follows_the_filters_and_chips_remove_them(browser, site_server):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(site_server + "index.html")
        assert not page.locator("form.facets").is_visible(), "the filters should sit behind one button"
        page.click("details.filters > summary")
        page.select_option("select[data-facet=status]", "unread")
        wait_for(page, "document.querySelectorAll('.note-row:not([hidden])').length < 24")
        sections = page.evaluate("""[...document.querySelectorAll('section.category')].map(s => ({
            hidden: s.hidden, count: s.querySelector(':scope > .category-title .count').textContent,
            shown: s.querySelectorAll('.note-row:not([hidden])').length,
            name: s.querySelector(':scope > .category-title a').textContent}))""")
        assert any(s["hidden"] for s in sections), "a section without unread notes should hide"
        for section in sections:
            assert section["hidden"] == (section["shown"] == 0), section
            assert section["count"] == str(section["shown"]), section
        distillation = next(s for s in sections if s["name"] == "Knowledge Distillation")
        assert distillation["count"] == str(distillation["shown"]) and distillation["shown"] < 4
        # the legend counts follow the other filters (here: none but the status)
        legend = dict(page.evaluate("[...document.querySelectorAll('.legend a')].map(a => [a.dataset.status, a.querySelector('.count').textContent])"))
        assert legend["unread"] == str(page.locator(".note-row:not([hidden])").count())
        # the filter in use is a chip; removing it shows every note again
        chip = page.locator(".chips .chip")
        assert chip.count() == 1 and "Unread" in chip.inner_text()
        assert "(1)" in page.locator("details.filters > summary").inner_text()
        chip.click()
        wait_for(page, "document.querySelectorAll('.note-row:not([hidden])').length === 24")
        assert page.locator(".chips .chip").count() == 0
        assert not page.locator("section.category[hidden]").count()
        assert page.evaluate("document.querySelector('.category-title .count').textContent") == \
            str(page.locator("section.category").first.locator(".note-row").count())
    finally:
        page.close()


def test_date_labels_tell_what_the_date_is(long_names_site):
    def meta(name: str) -> str:
        return soup(long_names_site / "notes" / "long" / f"{name}.html").select_one(".note-meta").get_text(" ", strip=True)

    assert "Read on 阅读于 2024-01-08" in meta("wide")
    assert "Added 添加于 2024-03-10" in meta("sibling") and "Read on" not in meta("sibling")
    assert "Skimmed on 略读于 2024-02-02" in meta("skimmed")
    assert "Added 添加于 2024-02-03" in meta("triage")
    # the open row on a list page says the same
    home = soup(long_names_site / "index.html")
    row = next(li for li in home.select("li.note-row") if li.select_one(".row-name").get_text() == "A sibling with a short name")
    assert row.select_one(".row-date").get_text(" ", strip=True) == "Added 添加于 2024-03-10"


def test_meta_line_links_and_anchors_read_well(long_names_site):
    page = soup(long_names_site / "notes" / "long" / "wide.html")
    meta = page.select_one(".note-meta")
    text = re.sub(r"\s+", " ", meta.get_text())
    assert text == f"✅ Read 已阅读 · {LONG_VENUE} · 2024 · 📖 Read on 阅读于 2024-01-08"
    # no venue, no date: no separator left over
    only_year = soup(long_names_site / "notes" / "long" / "no-venue.html").select_one(".note-meta")
    assert re.sub(r"\s+", " ", only_year.get_text()) == "✅ Read 已阅读 · 2019"
    # each address once (the arXiv link written twice), each label once
    labels = [a.get_text() for a in page.select("ul.links a")]
    urls = [a["href"] for a in page.select("ul.links a")]
    assert labels == ["PDF (openreview.net)", "arXiv again", "PDF (arxiv.org)"], labels
    assert len(set(urls)) == len(urls)
    # each heading's "#" link says what it is
    anchors = page.select(".note-body .header-anchor")
    assert anchors and all(a["aria-label"].startswith("Link to this section 本节链接: ") for a in anchors)
    assert anchors[0]["aria-label"] == "Link to this section 本节链接: Section 1 第1节"


def test_without_an_emoji_font_the_status_is_words(playwright_driver, tmp_path, serve_directory, example_site):
    """A machine without emoji fonts (fontconfig limited to text fonts): the rows show the status words."""
    text_fonts = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation", "/usr/share/fonts/opentype/noto")
    fonts = [d for d in text_fonts if Path(d).is_dir()]
    assert fonts, f"this test needs a text font without emoji in one of {text_fonts} (Debian: fonts-dejavu-core)"
    config = tmp_path / "fonts.conf"
    config.write_text("<?xml version='1.0'?><!DOCTYPE fontconfig SYSTEM 'fonts.dtd'><fontconfig>"
                      + "".join(f"<dir>{d}</dir>" for d in fonts)
                      + f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>", encoding="utf-8")
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                env={"FONTCONFIG_FILE": str(config), "HOME": str(tmp_path)})
    try:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(serve_directory(example_site) + "index.html")
        wait_for(page, "document.documentElement.classList.contains('no-emoji')")
        label = page.locator(".row-status .status-text").first
        assert label.bounding_box()["width"] > 20 and label.text_content().strip()
        assert not page.locator(".row-status .status-emoji").first.is_visible()
    finally:
        browser.close()
