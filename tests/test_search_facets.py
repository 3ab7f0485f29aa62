"""Search (Pagefind, Chinese and English) and the home page's facets, as a reader uses them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import EXAMPLE_NOTES, run_papernotes

PEFT = {"LoRA: Low-Rank Adaptation of Large Language Models",
        "Prefix-Tuning: Optimizing Continuous Prompts for Generation",
        "The Power of Scale for Parameter-Efficient Prompt Tuning"}


def search(page, query: str) -> list[str]:
    """Type ``query`` into the search box and return the titles listed once its results are shown
    (the list says which query it shows in ``data-query``)."""
    page.fill("#search-input", "")
    page.fill("#search-input", query)
    page.wait_for_function(
        "q => document.querySelector('#search-results').dataset.query === q && "
        "document.querySelector('.search-status').textContent.length > 0", arg=query, timeout=20000)
    return page.eval_on_selector_all(".search-results .result-title", "els => els.map(e => e.textContent)")


@pytest.fixture
def note_page(browser, site_server):
    page = browser.new_page()
    page.goto(site_server + "notes/vision/resnet.html")
    yield page
    page.close()


def test_chinese_queries_find_the_right_notes(note_page):
    distillation = set(search(note_page, "知识蒸馏"))
    assert "Distilling the Knowledge in a Neural Network" in distillation
    assert "Knowledge Distillation: A Survey" in distillation
    assert not distillation & PEFT
    assert "Distilling the Knowledge in a Neural Network" in search(note_page, "蒸馏")  # part of a word
    # Written without spaces, as people type it: split into words by the search box.
    assert set(search(note_page, "参数高效微调")) == PEFT
    assert set(search(note_page, "参数 高效 微调")) == PEFT


def test_english_query_highlights_matches_in_the_excerpt(note_page):
    titles = search(note_page, "low-rank")
    assert titles[0] == "LoRA: Low-Rank Adaptation of Large Language Models"
    marks = note_page.eval_on_selector_all(".search-results li:first-child mark", "els => els.map(e => e.textContent.toLowerCase())")
    assert marks and all("low" in m or "rank" in m for m in marks)
    assert search(note_page, "zzzqqqnotaword") == []
    assert "No results" in note_page.text_content(".search-status")


def test_slash_focuses_search_and_keyboard_opens_a_result(note_page):
    note_page.click("h1")
    note_page.keyboard.press("/")
    assert note_page.evaluate("document.activeElement.id") == "search-input"
    titles = search(note_page, "diffusion")
    assert len(titles) >= 1
    note_page.keyboard.press("ArrowDown") if len(titles) > 1 else None
    active = note_page.eval_on_selector(".search-results li.active .result-title", "e => e.textContent")
    with note_page.expect_navigation():
        note_page.keyboard.press("Enter")
    assert note_page.text_content("h1.note-title") == active
    assert note_page.url.endswith(".html")


def test_status_filter_inside_results(note_page):
    everything = search(note_page, "model")
    note_page.select_option("select[data-filter=status]", label=None, index=1)
    chosen = note_page.eval_on_selector("select[data-filter=status]", "s => s.value")
    note_page.wait_for_function("v => document.querySelector('#search-results').dataset.filters === 'status=' + v",
                                arg=chosen, timeout=20000)
    filtered = note_page.eval_on_selector_all(".search-results .result-title", "els => els.map(e => e.textContent)")
    assert chosen and 0 < len(filtered) < len(everything)


def test_search_works_under_a_sub_path(browser, example_site, tmp_path, serve_directory):
    nested = tmp_path / "www" / "papers"
    shutil.copytree(example_site, nested)
    base = serve_directory(tmp_path / "www")
    page = browser.new_page()
    page.goto(base + "papers/notes/peft/lora.html")
    search(page, "知识蒸馏")
    href = page.eval_on_selector(".search-results li a", "a => a.href")
    assert href.startswith(base + "papers/notes/")
    with page.expect_navigation():
        page.click(".search-results li a")
    assert page.title() and "404" not in page.title()
    page.close()


def test_missing_engine_is_a_warning_and_the_site_still_builds(tmp_path):
    shutil.copytree(EXAMPLE_NOTES, tmp_path / "notes")
    env = {**os.environ, "PAPERNOTES_PAGEFIND": str(tmp_path / "no-such-pagefind")}
    result = subprocess.run([sys.executable, "-m", "papernotes.cli", "build"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "search: warning: search index not built: could not run Pagefind" in result.stderr
    assert (tmp_path / "site" / "index.html").exists() and not (tmp_path / "site" / "pagefind").exists()


def test_without_index_the_box_says_search_is_unavailable(browser, tmp_path, serve_directory):
    shutil.copytree(EXAMPLE_NOTES, tmp_path / "notes")
    assert run_papernotes("build", "--no-search", "--root", tmp_path, cwd=tmp_path).returncode == 0
    page = browser.new_page()
    page.goto(serve_directory(tmp_path / "site") + "index.html")
    page.fill("#search-input", "lora")
    page.wait_for_function("document.querySelector('.search-status').textContent.includes('not available')")
    page.close()


# -- facets on the home page -------------------------------------------------------------------------

def visible_titles(page) -> list[str]:
    return page.eval_on_selector_all(".note-row:not([hidden]) .row-title", "els => els.map(e => e.textContent)")


def open_filters(page) -> None:
    """The filters sit behind the "Filter 筛选" button; a reader opens it first."""
    if page.eval_on_selector("details.filters", "d => !d.open"):
        page.click("details.filters > summary")


@pytest.fixture
def home(browser, site_server):
    page = browser.new_page()
    page.goto(site_server + "index.html")
    open_filters(page)
    yield page
    page.close()


def test_facets_narrow_combine_count_and_live_in_the_url(home, browser):
    everything = visible_titles(home)
    assert len(everything) == 24
    home.select_option("select[data-facet=status]", "read")
    read = visible_titles(home)
    assert 0 < len(read) < len(everything)
    assert all(s == "read" for s in home.eval_on_selector_all(".note-row:not([hidden])", "els => els.map(e => e.dataset.status)"))
    # counts of the other facets follow: the venue options now count read notes only
    option = home.eval_on_selector("select[data-facet=venue] option[value='ICLR 2023']", "o => o.textContent")
    assert option.endswith(")")
    home.select_option("select[data-facet=category]", "Prompting")
    both = visible_titles(home)
    assert 0 < len(both) <= len(read)
    assert all(c.startswith("Prompting") for c in home.eval_on_selector_all(
        ".note-row:not([hidden])", "els => els.map(e => e.dataset.category)"))
    query = parse_qs(urlsplit(home.url).query)
    assert query == {"status": ["read"], "category": ["Prompting"]}
    # empty category sections are hidden
    assert home.eval_on_selector_all("section.category:not([hidden]) > h2", "els => els.length") == 1
    # the same URL restores the same view
    other = browser.new_page()
    other.goto(home.url)
    assert visible_titles(other) == both
    # … with the filters in use as chips
    assert other.locator(".chips .chip").all_inner_texts() == ["Status 状态: ✅ Read 已阅读 ×", "Category 分类: Prompting ×"]
    assert other.eval_on_selector("select[data-facet=status]", "s => s.value") == "read"
    other.close()
    home.click("button[type=reset]")
    home.wait_for_timeout(100)
    assert len(visible_titles(home)) == 24 and urlsplit(home.url).query == ""


def test_tag_venue_and_year_facets(home):
    home.select_option("select[data-facet=venue]", "ICLR 2023")
    assert set(visible_titles(home)) and all(
        v == "ICLR 2023" for v in home.eval_on_selector_all(".note-row:not([hidden])", "els => els.map(e => e.dataset.venue)"))
    home.select_option("select[data-facet=venue]", "")
    home.select_option("select[data-facet=year]", "2022")
    assert all(y == "2022" for y in home.eval_on_selector_all(".note-row:not([hidden])", "els => els.map(e => e.dataset.year)"))
    home.select_option("select[data-facet=year]", "")
    home.select_option("select[data-facet=tags]", "peft")
    assert set(visible_titles(home)) >= {"LoRA: Low-Rank Adaptation of Large Language Models"}


def test_without_javascript_every_note_is_listed(browser, site_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site_server + "index.html?status=read")
    assert len(page.query_selector_all(".note-row")) == 24
    assert page.eval_on_selector("form.facets", "f => f.hidden")
    assert page.eval_on_selector("details.filters", "d => d.hidden")  # no Filter button that does nothing
    assert page.eval_on_selector(".search", "s => s.hidden")  # no dead search box either
    context.close()
