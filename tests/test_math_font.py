"""The site's own math font: subset to the site's formulas, used by every <math>, in Chromium.

The machine running the tests may have math fonts installed (Debian's Chromium brings DejaVu
Math TeX Gyre): the browser tests check the font Chromium actually drew with (CDP
``CSS.getPlatformFontsForNode``) is the site's web font, so what they see is what a phone with
no math font sees.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from conftest import run_papernotes

GALLERY = r"""---
title: 公式一览 Formula gallery
status: read
---
注意力：$\mathrm{softmax}\left( \frac{QK^\top}{\sqrt{d_k}} \right)V$，导数 $f'(x)$。

$$
M = \begin{pmatrix} a \\ b \\ c \end{pmatrix}
\quad
b = \begin{bmatrix} b_1 \\ b_2 \\ b_3 \end{bmatrix}
$$

$$
\underbrace{a + b + c + d + e}_{5}
$$

$$
\begin{aligned}
\mathcal{L}(\theta) &= \mathbb{E}_{q}\left[ \log p_\theta(x \mid z) \right] \\
x + y + z &= \widehat{xyz} + \oint_C \omega
\end{aligned}
$$
"""


def build(root: Path) -> Path:
    result = run_papernotes("build", "--root", root, cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "site"


def cmap_of(data: bytes) -> set[str]:
    return {chr(code) for code in TTFont(io.BytesIO(data)).getBestCmap()}


@pytest.fixture(scope="module")
def gallery_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("math-font")
    (root / "notes").mkdir()
    (root / "notes" / "gallery.md").write_text(GALLERY, encoding="utf-8")
    return build(root)


def test_the_site_carries_a_woff2_math_font_with_its_licence(gallery_site):
    data = (gallery_site / "assets" / "math.woff2").read_bytes()
    assert data[:4] == b"wOF2"
    font = TTFont(io.BytesIO(data))
    assert "MATH" in font  # the table that makes parentheses and braces stretch
    assert font["name"].getDebugName(1) == "STIX Two Math"
    licence = (gallery_site / "assets" / "math-font-OFL.txt").read_text(encoding="utf-8")
    assert "SIL Open Font License" in licence
    css = (gallery_site / "assets" / "style.css").read_text(encoding="utf-8")
    assert 'url("math.woff2")' in css and '"papernotes math"' in css


def test_the_subset_holds_what_the_formulas_draw_and_not_the_whole_font(gallery_site):
    data = (gallery_site / "assets" / "math.woff2").read_bytes()
    chars = cmap_of(data)
    # drawn by the formulas (∮ only by this note), the radical <msqrt> draws, the minus <mo> draws
    assert {"∮", "⏟", "√", "−", "ℒ", "𝔼", "θ", "(", "⏞"} - {"⏞"} <= chars
    assert "⏞" not in chars and "∯" not in chars  # no formula of this site uses them
    assert len(data) < 150_000  # the full font is 1.5 MB


def test_a_new_character_in_a_formula_rewrites_the_font_and_others_leave_it(tmp_path):
    (tmp_path / "notes").mkdir()
    note = tmp_path / "notes" / "a.md"
    note.write_text("---\ntitle: A\n---\n$x + y$\n", encoding="utf-8")
    font = build(tmp_path) / "assets" / "math.woff2"
    first = font.read_bytes()
    assert "∯" not in cmap_of(first)

    note.write_text("---\ntitle: A\n---\n$x + y$ and some prose\n", encoding="utf-8")
    build(tmp_path)
    assert font.read_bytes() == first  # same characters: same font

    note.write_text("---\ntitle: A\n---\n$\\oiint_S F$\n", encoding="utf-8")
    build(tmp_path)
    assert "∯" in cmap_of(font.read_bytes())


def test_serve_rewrites_the_font_when_a_saved_note_draws_a_new_character(tmp_path, preview_server):
    (tmp_path / "notes").mkdir()
    note = tmp_path / "notes" / "a.md"
    note.write_text("---\ntitle: A\n---\n$x$\n", encoding="utf-8")
    preview = preview_server(tmp_path)
    status, _headers, body = preview.fetch("/assets/math.woff2")
    assert status == 200 and "∯" not in cmap_of(body)
    since = preview.rebuilds
    note.write_text("---\ntitle: A\n---\n$\\oiint_S F$\n", encoding="utf-8")
    preview.settle(since)
    status, _headers, body = preview.fetch("/assets/math.woff2")
    assert status == 200 and "∯" in cmap_of(body)


# ---------------------------------------------------------------------------------- in Chromium

@pytest.fixture
def gallery_page(browser, gallery_site, serve_directory):
    base = serve_directory(gallery_site)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(base + "notes/gallery.html")
    # the web font is fetched when layout first needs it: wait until it is there and laid out
    page.wait_for_function("document.fonts.check('16px \"papernotes math\"', '\u2211')"
                           " && [...document.fonts].some(f => f.family.includes('papernotes math')"
                           " && f.status === 'loaded')", timeout=15_000)
    page.evaluate("document.fonts.ready")
    page.requests = requests  # type: ignore[attr-defined]
    page.base = base  # type: ignore[attr-defined]
    yield page
    page.close()


def fonts_drawn(page, selector: str) -> list[dict]:
    """The fonts Chromium drew the first element matching ``selector`` with."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


def test_math_is_drawn_with_the_shipped_font_on_a_chinese_page(gallery_page):
    assert gallery_page.evaluate("document.documentElement.lang") == "zh-CN"
    for selector in ("math mi", "math mo", "mtable mo"):
        fonts = fonts_drawn(gallery_page, selector)
        assert fonts and all(f["familyName"] == "STIX Two Math" and f["isCustomFont"] for f in fonts), fonts
    assert gallery_page.evaluate("document.fonts.check('16px \"papernotes math\"')")
    assert any(url.endswith("/assets/math.woff2") for url in gallery_page.requests)


def test_the_site_makes_no_request_to_another_host(gallery_page):
    assert gallery_page.requests and all(url.startswith(gallery_page.base) for url in gallery_page.requests)


def box(page, script: str) -> dict:
    return page.evaluate("(() => { const e = " + script + "; const r = e.getBoundingClientRect();"
                         " return {x: r.x, y: r.y, width: r.width, height: r.height,"
                         " em: parseFloat(getComputedStyle(e).fontSize)}; })()")


def test_three_row_matrix_parentheses_stretch(gallery_page):
    paren = box(gallery_page, "[...document.querySelectorAll('math[display=block] mo')]"
                              ".find(m => m.textContent === '(' && m.closest('mrow').querySelector('mtable'))")
    table = box(gallery_page, "document.querySelector('math[display=block] mtable')")
    assert paren["height"] >= 2.5 * paren["em"] and paren["height"] >= 0.95 * table["height"], (paren, table)
    bracket = box(gallery_page, "[...document.querySelectorAll('math[display=block] mo')]"
                                ".find(m => m.textContent === '[' && m.closest('mrow').querySelector('mtable'))")
    assert bracket["height"] >= 2.5 * bracket["em"], bracket


def inked_columns(page, png: bytes) -> float:
    """The share of the image's pixel columns that hold any dark pixel (read in a canvas)."""
    return page.evaluate(
        """async (b64) => { const img = new Image(); img.src = 'data:image/png;base64,' + b64;
           await img.decode(); const c = document.createElement('canvas');
           c.width = img.width; c.height = img.height; const g = c.getContext('2d'); g.drawImage(img, 0, 0);
           const d = g.getImageData(0, 0, c.width, c.height).data; let inked = 0;
           for (let x = 0; x < c.width; x++) { for (let y = 0; y < c.height; y++) {
             const i = (y * c.width + x) * 4; if (d[i] + d[i + 1] + d[i + 2] < 300) { inked++; break; } } }
           return inked / c.width; }""", base64.b64encode(png).decode())


def test_underbrace_spans_its_argument(gallery_page):
    # Chromium reports a stretched <mo>'s box at its unstretched size: look at the pixels instead,
    # the band between the argument's bottom and the script below the brace
    find = "[...document.querySelectorAll('mo')].find(m => m.textContent === '\u23df')"
    argument = box(gallery_page, find + ".previousElementSibling")
    pair = box(gallery_page, find + ".parentElement")
    band = {"x": argument["x"], "y": argument["y"] + argument["height"],
            "width": argument["width"], "height": pair["y"] + pair["height"] - argument["y"] - argument["height"]}
    assert band["height"] > 2
    assert inked_columns(gallery_page, gallery_page.screenshot(clip=band)) >= 0.9


def test_aligned_rows_line_up_at_the_ampersand(gallery_page):
    xs = gallery_page.evaluate(
        "[...document.querySelectorAll('mtable')].at(-1) ? [...[...document.querySelectorAll('mtable')].at(-1)"
        ".querySelectorAll('mtr')].map(r => r.querySelectorAll('mtd')[1].getBoundingClientRect().x) : []")
    assert len(xs) == 2 and abs(xs[0] - xs[1]) < 1, xs


def test_the_font_is_found_whatever_the_working_folder(tmp_path):
    # the font comes from the installed ziamath package, not from a path relative to the checkout
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("---\ntitle: A\n---\n$a$\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_papernotes("build", "--root", tmp_path, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert os.path.getsize(tmp_path / "site" / "assets" / "math.woff2") > 10_000


def test_a_display_formula_that_fails_shows_its_source_and_the_engine_message(tmp_path, browser, serve_directory):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "e.md").write_text("---\ntitle: E\n---\nText.\n\n$$\n\\frac{a}{b\n$$\n\nAfter.\n",
                                             encoding="utf-8")
    base = serve_directory(build(tmp_path))
    page = browser.new_page(viewport={"width": 390, "height": 800})
    try:
        page.goto(base + "notes/e.html")
        box = page.locator("pre.math-error")
        assert box.inner_text().startswith("\\frac{a}{b")
        shown = page.evaluate("getComputedStyle(document.querySelector('pre.math-error'), '::after').content")
        assert "expected '}'" in shown
        assert page.get_by_text("After.").is_visible()
    finally:
        page.close()
