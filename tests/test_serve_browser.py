"""``papernotes serve`` in headless Chromium: a saved note shows up in the open page without a
manual reload, at the same scroll position; other pages are left alone; build errors are shown
on top of the page and go away when fixed.

Edits add text, never new formulas (see test_serve.test_cli_renders_math_added_while_serving).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from conftest import EXAMPLE_NOTES

LONG_NOTE_PARAGRAPHS = 80


@pytest.fixture
def served(tmp_path: Path, preview_server):
    """A preview of a few example notes; adam.md made long enough to scroll far."""
    notes = tmp_path / "root" / "notes"
    notes.mkdir(parents=True)
    adam = (EXAMPLE_NOTES / "adam.md").read_text(encoding="utf-8")
    filler = "\n\n".join(f"Filler paragraph {i}: reading notes go on and on." for i in range(LONG_NOTE_PARAGRAPHS))
    (notes / "adam.md").write_text(adam + "\n\n" + filler + "\n", encoding="utf-8")
    shutil.copytree(EXAMPLE_NOTES / "peft", notes / "peft")
    (notes / "vision").mkdir()
    shutil.copy2(EXAMPLE_NOTES / "vision" / "resnet.md", notes / "vision" / "resnet.md")
    return preview_server(tmp_path / "root")


@pytest.fixture
def open_page(served, browser_context):
    """``page = open_page(path)``: a tab on the preview, returned once its live-reload stream is
    connected; console errors and uncaught exceptions of every tab end up in ``open_page.errors``."""
    errors: list[str] = []

    def open_(path: str):
        page = browser_context.new_page()
        page_url = served.url + path.lstrip("/")

        def console(message) -> None:
            own_status = message.location.get("url") == page_url and "status of 404" in message.text
            if message.type == "error" and not (path.endswith("no-such-page.html") and own_status):
                errors.append(f"{path}: console {message.type}: {message.text} ({message.location})")

        page.on("console", console)
        page.on("pageerror", lambda exc: errors.append(f"{path}: page error: {exc}"))
        clients = served.server.hub.clients
        page.goto(page_url, wait_until="load")
        wait_until(lambda: served.server.hub.clients > clients, f"{path} never connected to the event stream")
        return page

    open_.errors = errors
    return open_


def wait_until(condition, message: str, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.02)


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n\n{text}\n", encoding="utf-8")


def test_a_saved_note_reloads_its_page_at_the_same_scroll_position(served, open_page):
    page = open_page("/notes/adam.html")
    assert page.locator("h1.note-title").inner_text().startswith("Adam")
    page.evaluate("window.scrollTo(0, 2000)")
    page.wait_for_function("window.scrollY > 1500")
    before = page.evaluate("window.scrollY")
    page.evaluate("window.__marker = 1")

    append(served.root / "notes" / "adam.md", "Appended while the page was open.")
    page.wait_for_function("document.body.innerText.includes('Appended while the page was open.')", timeout=8000)
    assert page.evaluate("window.__marker") is None, "the page changed without a reload?"
    page.wait_for_load_state("load")
    page.wait_for_function(f"Math.abs(window.scrollY - {before}) <= 40", timeout=3000)
    assert abs(page.evaluate("window.scrollY") - before) <= 40
    assert open_page.errors == []


def test_a_page_whose_note_did_not_change_is_not_reloaded(served, open_page):
    adam = open_page("/notes/adam.html")
    lora = open_page("/notes/peft/lora.html")
    adam.evaluate("window.__marker = 1")
    lora.evaluate("window.__marker = 1")
    adam_text = adam.locator("article").inner_text()

    since = served.rebuilds
    append(served.root / "notes" / "peft" / "lora.md", "A new thought about low-rank updates.")
    lora.wait_for_function("document.body.innerText.includes('A new thought about low-rank updates.')",
                           timeout=8000)
    assert lora.evaluate("window.__marker") is None  # that one did reload
    served.settle(since)
    time.sleep(0.3)
    assert adam.evaluate("window.__marker") == 1, "an unrelated edit reloaded this page"
    assert adam.locator("article").inner_text() == adam_text
    assert open_page.errors == []


def test_the_error_overlay_shows_and_goes_away(served, open_page):
    page = open_page("/notes/adam.html")
    note = served.root / "notes" / "adam.md"
    good = note.read_text(encoding="utf-8")
    assert good.splitlines()[2].startswith("status:")

    note.write_text(good.replace('status: ":white_check_mark:"', "status: reed", 1), encoding="utf-8")
    overlay = page.locator("#papernotes-errors")
    overlay.wait_for(state="visible", timeout=8000)
    text = overlay.inner_text()
    assert "notes/adam.md:3:" in text and "reed" in text
    # the last good page stays readable under the overlay
    assert page.locator("h1.note-title").inner_text().startswith("Adam")
    box = overlay.bounding_box()
    assert box is not None and box["height"] > 20

    note.write_text(good, encoding="utf-8")
    overlay.wait_for(state="detached", timeout=8000)
    assert page.locator("h1.note-title").inner_text().startswith("Adam")
    assert open_page.errors == []


def test_no_console_errors_on_served_pages(served, open_page):
    """(The 404 page's own "status of 404" message is the one expected error.)"""
    for path in ("/", "/notes/adam.html", "/notes/peft/lora.html", "/tags/", "/no-such-page.html"):
        page = open_page(path)
        page.wait_for_timeout(200)
        if path == "/no-such-page.html":
            assert "Page not found" in page.locator("h1").inner_text()
        page.close()
    assert open_page.errors == []
