"""Search quality as a reader sees it: what ranks first, what the excerpt shows, the result list
by keyboard (an ARIA combobox), and Chinese and English queries on Chinese and English sites.

Real builds (the example notes and notes written here) through the command line, the real
Pagefind index, a real HTTP server and headless Chromium typing into the search box.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_papernotes
from test_search_facets import search

HINTON_PAPER = "Distilling the Knowledge in a Neural Network"


def write_note(root: Path, rel: str, body: str, **fields) -> None:
    path = root / "notes" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    front = "\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items())
    path.write_text(f"---\n{front}\n---\n\n{body}\n", encoding="utf-8")


def build(root: Path) -> Path:
    result = run_papernotes("build", "--root", root, cwd=root, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / "site" / "pagefind" / "pagefind.js").is_file(), result.stderr
    return root / "site"


def excerpts(page) -> list[str]:
    """The text of each result's excerpt, in the order listed."""
    return page.eval_on_selector_all(".search-results .result-excerpt", "els => els.map(e => e.textContent)")


def opened(browser, base: str, path: str = "index.html"):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base + path)
    return page


# -- notes written for ranking and excerpts ---------------------------------------------------------

REPEATED = " ".join(["Sparse expert routing sends each token to one expert."] * 20)
MEADOW = "Field notes from the island."


@pytest.fixture(scope="module")
def ranking_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ranking-root")
    # the title is the query; the body does not repeat it
    write_note(root, "routing.md", "Gates pick one specialist per token.", title="Sparse Expert Routing",
               status="read", category="Mixtures")
    # the query's words many times over, in headings and in the text, but not in the title
    write_note(root, "mixtures.md", f"## Sparse expert routing\n\n{REPEATED}\n\n## Sparse routing again\n\n{REPEATED}",
               title="Notes on Mixture Models", status="read", category="Mixtures")
    # a tag against a body that says the word six times
    write_note(root, "ordering.md", "Easy examples first, hard ones later.", title="Ordering Examples by Difficulty",
               status="unread", tags=["curriculum"], category="Training")
    write_note(root, "schedules.md", "A curriculum here, a curriculum there. " * 3, title="A Study of Schedules",
               status="read", category="Training")
    # an author against a body that cites her
    write_note(root, "author.md", "Shows that small gates suffice.", title="Small Gates",
               authors=["Ada Quillfeather", "Bo Li"], status="read", category="Training")
    write_note(root, "citing.md", "Quillfeather et al. showed it; Quillfeather later doubted it.",
               title="A Reply", status="read", category="Training")
    # everything a note page shows around its text, each with words of its own
    write_note(root, "quokka.md",
               "## Observations\n\nThe quokka smiles at every tourist near the ferry landing. "
               "Rangers count them each spring.\n",
               title="Quokka Behaviour", status="read", category="Zoology", venue="ZQVenue 2031", year=2031,
               date="2024-05-06", authors=["Bram Oddlestone"], tags=["marsupial-meta"], summary=MEADOW,
               links={"PDF": "https://example.org/quokka.pdf", "arXiv": "https://arxiv.org/abs/2101.00001"},
               rating=4)
    write_note(root, "wombat.md", "Burrows are long.", title="Wombat Burrows", status="unread", category="Zoology")
    return build(root)


@pytest.fixture
def ranking_page(browser, ranking_site, serve_directory):
    page = opened(browser, serve_directory(ranking_site))
    yield page
    page.close()


def test_hinton_finds_hintons_own_paper_first(browser, site_server):
    page = opened(browser, site_server, "notes/vision/resnet.html")
    titles = search(page, "hinton")
    assert titles[0] == HINTON_PAPER  # he is its author; the other notes only mention him
    assert len(titles) == 4
    page.close()


def test_a_query_equal_to_a_title_ranks_that_note_first(ranking_page):
    titles = search(ranking_page, "Sparse Expert Routing")
    assert titles[:2] == ["Sparse Expert Routing", "Notes on Mixture Models"]
    assert search(ranking_page, "sparse expert routing")[0] == "Sparse Expert Routing"


def test_a_tag_and_an_author_rank_before_mentions_in_the_text(ranking_page):
    assert search(ranking_page, "curriculum") == ["Ordering Examples by Difficulty", "A Study of Schedules"]
    assert search(ranking_page, "quillfeather") == ["Small Gates", "A Reply"]


NOT_TEXT = ["ZQVenue", "2031", "2024-05-06", "📖", "✅", "Read", "已阅读", "Oddlestone", "Bram",
            "#marsupial", "marsupial-meta", "PDF", "arXiv", "Zoology", "rating", "Cite", "papers.bib",
            "Wombat", "←", "→", "#"]


def test_the_excerpt_is_the_text_around_the_match(ranking_page):
    assert search(ranking_page, "ferry") == ["Quokka Behaviour"]
    (excerpt,) = excerpts(ranking_page)
    assert "smiles at every tourist near the ferry landing" in excerpt
    assert ranking_page.eval_on_selector(".search-results .result-excerpt mark", "m => m.textContent").strip() == "ferry"
    assert [noise for noise in NOT_TEXT if noise in excerpt] == []


def test_metadata_is_searchable_but_never_the_excerpt(ranking_page):
    # words that are only in the meta line, the authors, the tags or the venue find the note...
    for query in ("oddlestone", "marsupial", "ZQVenue"):
        assert search(ranking_page, query) == ["Quokka Behaviour"], query
        (excerpt,) = excerpts(ranking_page)
        # ...and the excerpt is the start of its text, not the line it was found in
        assert excerpt.startswith(MEADOW), (query, excerpt)
        assert [noise for noise in NOT_TEXT if noise in excerpt] == [], query
    # words of the breadcrumbs, link buttons, pager and Cite block find nothing
    for query in ("Zoology", "wombat burrows", "papers.bib"):
        titles = search(ranking_page, query)
        assert "Quokka Behaviour" not in titles, query


def test_example_excerpts_carry_no_meta_line(browser, site_server):
    page = opened(browser, site_server)
    for query in ("distillation", "hinton", "蒸馏", "low-rank"):
        assert search(page, query), query
        for excerpt in excerpts(page):
            for noise in ("✅", "❌", "📖", "已阅读 Read", "Read 已阅读", "#distillation", "arXiv. PDF", " # ",
                          "\\mathcal"):  # a formula's TeX source (MathML annotation)
                assert noise not in excerpt, (query, noise, excerpt)
    page.close()


# -- the result list by keyboard ------------------------------------------------------------------

def combobox_state(page) -> dict:
    return page.evaluate("""() => {
        const input = document.querySelector('#search-input');
        const options = [...document.querySelectorAll('#search-results [role=option]')];
        return {
            role: input.getAttribute('role'),
            expanded: input.getAttribute('aria-expanded'),
            active: input.getAttribute('aria-activedescendant'),
            ids: options.map(o => o.id),
            selected: options.filter(o => o.getAttribute('aria-selected') === 'true').map(o => o.id),
            focused: document.activeElement === input,
            panelHidden: document.querySelector('.search-panel').hidden,
        };
    }""")


def test_arrow_keys_move_aria_activedescendant_enter_opens_escape_closes(browser, site_server):
    page = opened(browser, site_server, "notes/vision/resnet.html")
    titles = search(page, "distillation")
    assert len(titles) >= 3
    state = combobox_state(page)
    assert state["role"] == "combobox" and state["expanded"] == "true"
    ids = state["ids"]
    assert len(ids) == len(titles) and len(set(ids)) == len(ids) and all(ids)
    assert page.get_attribute("#search-input", "aria-controls") == page.get_attribute(".search-results", "id")
    assert page.get_attribute(".search-results", "role") == "listbox"
    assert state["active"] == ids[0] and state["selected"] == [ids[0]]  # the first is highlighted

    page.keyboard.press("ArrowDown")
    state = combobox_state(page)
    assert state["active"] == ids[1] and state["selected"] == [ids[1]] and state["focused"]
    page.keyboard.press("ArrowDown")
    assert combobox_state(page)["active"] == ids[2]
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert combobox_state(page)["active"] == ids[0]
    page.keyboard.press("ArrowUp")  # wraps around to the last
    state = combobox_state(page)
    assert state["active"] == ids[-1] and state["selected"] == [ids[-1]]
    assert page.eval_on_selector(f"#{ids[-1]}", "o => o.closest('li').classList.contains('active')")

    page.keyboard.press("Escape")
    state = combobox_state(page)
    assert state["panelHidden"] and state["expanded"] == "false" and state["active"] is None
    assert state["focused"] and page.input_value("#search-input") == "distillation"
    page.keyboard.press("ArrowDown")  # opens the list again where it was left
    state = combobox_state(page)
    assert not state["panelHidden"] and state["active"] == ids[-1]

    page.keyboard.press("ArrowDown")  # back to the first
    target = page.eval_on_selector(f"#{ids[0]}", "o => [o.href, o.querySelector('.result-title').textContent]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == target[0]
    assert page.text_content("h1.note-title") == target[1] == titles[0]
    page.close()


# -- Chinese and English, whatever the site's language -------------------------------------------------

@pytest.fixture(scope="module", params=["zh-CN", "en"])
def bilingual_site(request, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp(f"lang-{request.param}")
    (root / "papernotes.yaml").write_text(f"language: {request.param}\n", encoding="utf-8")
    write_note(root, "compress.md", "我们提出一种新的方法来压缩大模型的推理开销。We compress the teacher into a student.",
               title="Model Compression", status="read")
    write_note(root, "garden.md", "完全无关的内容，讨论花园里的植物。Nothing about models here.",
               title="Garden Plants", status="read")
    return build(root)


def test_two_chinese_characters_and_an_english_word_find_the_note(browser, bilingual_site, serve_directory):
    page = opened(browser, serve_directory(bilingual_site))
    assert search(page, "压缩") == ["Model Compression"]  # two characters inside a longer run
    assert "压缩" in page.text_content(".search-results mark")
    assert search(page, "推理开销") == ["Model Compression"]
    assert search(page, "花园") == ["Garden Plants"]
    assert search(page, "compress") == ["Model Compression"]
    assert search(page, "压缩 teacher") == ["Model Compression"]
    page.close()
