"""axe-core (bundled by the axe-playwright-python package) on every kind of page of the example
site, in Chromium, light and dark, phone and laptop: no serious or critical violation."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

#: One page of each kind.
PAGE_KINDS = {
    "home": "index.html",
    "note": "notes/peft/lora.html",
    "note with math": "notes/generative/vae.html",
    "category": "categories/knowledge-distillation.html",
    "categories": "categories/index.html",
    "tag": "tags/distillation.html",
    "tags": "tags/index.html",
    "venue": "venues/iclr-2023.html",
    "venues": "venues/index.html",
    "year": "years/2021.html",
    "status": "status/unread.html",
    "dashboard": "dashboard.html",
    "404": "404.html",
}


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def serious(axe: Axe, page) -> list[str]:
    results = axe.run(page, options={"resultTypes": ["violations"]})
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['html'][:120] for n in v['nodes'][:3]]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("theme", ["light", "dark", "dark chosen on a light system"])
@pytest.mark.parametrize("width", [390, 1280])
def test_no_serious_accessibility_violation_on_any_page_kind(browser, site_server, axe, width, theme):
    scheme = "light" if theme.startswith("light") or "chosen" in theme else "dark"
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    if "chosen" in theme:
        context.add_init_script("localStorage.setItem('papernotes-theme', 'dark')")
    page = context.new_page()
    problems = {}
    try:
        for kind, path in PAGE_KINDS.items():
            response = page.goto(site_server + path, wait_until="load")
            assert response is not None and response.status == 200, path
            page.wait_for_function("document.querySelector('.theme-toggle') && !document.querySelector('.theme-toggle').hidden")
            if "chosen" in theme:
                assert page.evaluate("document.documentElement.dataset.theme") == "dark"
            if kind == "home":
                # what a reader opens: a row, and the filters
                page.locator(".note-row summary").first.click()
                page.click("details.filters > summary")
            else:
                page.evaluate("document.querySelectorAll('.note-body details, .note-row details').forEach(d => d.open = true)")
            # site.js marks boxes that scroll sideways as focusable once they are laid out
            page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
            found = serious(axe, page)
            if found:
                problems[kind] = found
    finally:
        context.close()
    assert not problems, problems
