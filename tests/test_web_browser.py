"""Hover previews in headless Chromium on the example site (served over real HTTP): by mouse, by
keyboard focus, dismissed by Escape, and none on a touch screen. Backlinks preview too."""

from __future__ import annotations

import pytest

from conftest import site_previews

NOTE = "notes/generative/ddpm.html"  # links to DDIM ([[ddim|DDIM]]) and VAE; DDIM links back


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


def open_note(page, base_url: str, path: str = NOTE) -> None:
    response = page.goto(base_url + path, wait_until="load")
    assert response is not None and response.status == 200


def visible_preview(page):
    preview = page.locator("#note-preview")
    preview.wait_for(state="visible", timeout=10_000)
    return preview


def test_hovering_a_wikilink_shows_the_linked_notes_preview(page, site_server):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    open_note(page, site_server)
    link = page.locator(".note-body a.wikilink", has_text="DDIM")
    link.hover()
    preview = visible_preview(page)
    assert preview.get_attribute("role") == "tooltip"
    assert preview.locator(".note-preview-title").inner_text() == "Denoising Diffusion Implicit Models"
    assert preview.locator(".note-preview-meta").inner_text() == "Unread 未阅读 · ICLR 2021 · 2021"
    assert preview.locator(".note-preview-text").inner_text().startswith("这篇笔记是在 Typora 里写的")
    assert link.get_attribute("aria-describedby") == "note-preview"
    box, anchor = preview.bounding_box(), link.bounding_box()
    assert box["y"] >= anchor["y"] + anchor["height"] - 1 or box["y"] + box["height"] <= anchor["y"] + 1
    assert any(url.endswith("/previews/index.json") for url in requests)
    assert all(url.startswith(site_server) for url in requests), "no request beyond the site"
    # Moving the pointer away hides it
    page.mouse.move(5, 5)
    preview.wait_for(state="hidden", timeout=10_000)
    assert link.get_attribute("aria-describedby") is None


def test_keyboard_focus_shows_the_preview_and_escape_dismisses_it(page, site_server):
    open_note(page, site_server, "notes/generative-models/ddim.html")
    backlink = page.locator(".note-web .backlinks a", has_text="Denoising Diffusion Probabilistic Models")
    assert backlink.count() == 1
    backlink.focus()
    preview = visible_preview(page)
    assert preview.locator(".note-preview-title").inner_text() == "Denoising Diffusion Probabilistic Models"
    assert backlink.get_attribute("aria-describedby") == "note-preview"
    page.keyboard.press("Escape")
    preview.wait_for(state="hidden", timeout=10_000)
    assert backlink.get_attribute("aria-describedby") is None
    # Tab moves on to the next note link (the first related note): its preview shows
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert page.evaluate("document.activeElement.matches('.note-web .related a')")
    preview = visible_preview(page)
    preview.locator(".note-preview-title", has_text=focused).wait_for(timeout=10_000)


def test_no_preview_on_a_touch_screen(browser, site_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        open_note(page, site_server)
        assert page.evaluate("matchMedia('(pointer: coarse)').matches")
        link = page.locator(".note-body a.wikilink", has_text="DDIM")
        link.focus()
        link.dispatch_event("mouseover")
        # A preview would first fetch its JSON: once the network is idle, none was asked for
        page.wait_for_load_state("networkidle")
        assert page.locator("#note-preview").count() == 0
        assert not any("/previews/" in url for url in requests)
    finally:
        context.close()


def test_the_page_reads_the_same_without_javascript(browser, site_server):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        open_note(page, site_server, "notes/generative-models/ddim.html")
        text = page.locator(".note-web").inner_text()
        assert "Linked from · 被引用" in text and "Denoising Diffusion Probabilistic Models" in text
        assert "Related notes · 相关笔记" in text
    finally:
        context.close()


def test_a_preview_says_how_many_of_your_notes_cite_the_note(page, site_server, example_site):
    """Links in a note's citation lists preview too, and a preview tells the note's place in the
    citation web of the user's notes (from data/references.json)."""
    import json
    import posixpath

    from bs4 import BeautifulSoup

    citing = next(p for p in sorted((example_site / "notes").rglob("*.html"))
                  if BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser").select("section.citations li a"))
    rel = citing.relative_to(example_site).as_posix()
    page.goto(site_server + rel)
    link = page.locator("section.citations li a").first
    href = link.get_attribute("href")
    target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), href))
    data = site_previews(example_site)[target.removeprefix("notes/").removesuffix(".html")]
    assert data["cites"] or data["cited_by"]
    link.hover()
    preview = visible_preview(page)
    assert preview.locator(".note-preview-title").inner_text() == data["title"]
    assert preview.locator(".note-preview-citations").inner_text() == (
        f"Cites {data['cites']} · cited by {data['cited_by']} of your notes · "
        f"引用 {data['cites']} 篇 · 被引 {data['cited_by']} 篇")


def test_previews_come_from_the_right_file_on_a_site_with_many_notes(tmp_path, browser_context, serve_directory,
                                                                    papernotes_cli):
    """150 notes spread over several preview files (by a hash of the page name, computed again in
    the browser): links to notes with English, Chinese and mixed page names all preview their own note."""
    notes = tmp_path / "notes"
    notes.mkdir()
    names = [f"paper-{i:03d}" for i in range(140)] + [f"论文{i}" for i in range(6)] + ["混合 Mixed 名字", "C++ 笔记",
                                                                                   "x%20y", "über-café"]
    for name in names:
        (notes / f"{name}.md").write_text(f"---\ntitle: Title of {name}\nstatus: read\n---\nFirst words of {name}.\n",
                                          encoding="utf-8")
    links = "\n".join(f"- [[{name}]]" for name in names)
    (notes / "hub.md").write_text(f"---\ntitle: Hub\nstatus: read\n---\n{links}\n", encoding="utf-8")
    assert papernotes_cli("build", "--root", tmp_path, "--no-search", cwd=tmp_path).returncode == 0
    site = tmp_path / "site"
    previews = site_previews(site)
    files = len([p for p in (site / "previews").iterdir() if p.name != "index.json"])
    assert files >= 3 and len(previews) == len(names) + 1
    base = serve_directory(site)
    page = browser_context.new_page()
    open_note(page, base, "notes/hub.html")
    for index in [0, 1, 2, 70, *range(140, len(names))]:
        name = names[index]
        link = page.locator(".note-body li a.wikilink").nth(index)
        link.hover()
        preview = visible_preview(page)
        title = preview.locator(".note-preview-title")
        title.wait_for(state="visible", timeout=10_000)
        page.wait_for_function("([el, want]) => el.textContent === want",
                               arg=[title.element_handle(), f"Title of {name}"], timeout=10_000)
        assert preview.locator(".note-preview-text").inner_text() == f"First words of {name}."
        page.mouse.move(5, 5)
        preview.wait_for(state="hidden", timeout=10_000)
