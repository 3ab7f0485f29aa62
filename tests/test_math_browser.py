"""The converter's MathML laid out by headless Chromium (native MathML, no JS, no math CSS)."""

from __future__ import annotations

import html

import pytest

from papernotes.render.mathml import MathConverter

# the required command list and environments (issue), one display formula each
FORMULAS: dict[str, str] = {
    "plain": r"x",
    "single": r"a = b",
    "frac": r"\frac{a}{b}",
    "sum": r"\sum_{i=1}^{n} x_i",
    "int": r"\int_0^1 f(x)\,dx",
    "underset": r"\underset{\theta}{\arg\min}\, L(\theta)",
    "overset": r"a \overset{\text{def}}{=} b",
    "operatorname": r"\operatorname{softmax}(z)",
    "operatorname-star": r"\operatorname*{argmax}_{y} p(y \mid x)",
    "mathrm": r"\mathrm{KL}(p \| q) + \mathrm{U}",
    "mathbf": r"\mathbf{A}\mathbf{x}",
    "boldsymbol": r"\boldsymbol{h}_t + \boldsymbol{\theta}",
    "bm": r"\bm{x}",
    "mathcal": r"\mathcal{L}(\theta)",
    "mathbb": r"x \in \mathbb{R}^d, \mathbb{E}_{x \sim p}[f(x)]",
    "text": r"x \text{ if } y",
    "left-right": r"\left( \frac{a}{b} \right)",
    "big": r"\big( a \big) \Big[ b \Big]",
    "norm": r"\| x \| + \lVert y \rVert",
    "mid": r"p(x \mid y)",
    "prime": r"f'(x) + g^{\prime}",
    "hat-tilde": r"\hat{x} + \tilde{y}",
    "top": r"x^\top y",
    "log-exp": r"\log \sum_i \exp(x_i)",
    "aligned": r"\begin{aligned} a &= b + c \\ dd &= e \end{aligned}",
    "align": r"\begin{align} a &= b \label{eq:1} \\ c &= d \end{align}",
    "cases": r"f(x) = \begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}",
    "bmatrix": r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}",
    "pmatrix": r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}",
    "array": r"\begin{array}{c|c} a & b \\ \hline c & d \end{array}",
    "equation": r"\begin{equation} E = mc^2 \tag{1} \end{equation}",
    "split": r"\begin{equation}\begin{split} a &= b \\ &= c \end{split}\end{equation}",
    "boxed": r"\boxed{a = b}",
    "xrightarrow": r"x \xrightarrow{n \to \infty} y",
}


@pytest.fixture(scope="module")
def page(browser):
    conv = MathConverter()
    blocks = "\n".join(
        f'<div id="{html.escape(name)}">{conv.to_mathml(tex, display=True)}</div>'
        for name, tex in FORMULAS.items()
    )
    doc = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
        'math { font-family: math, "Latin Modern Math", "STIX Two Math", "Cambria Math", serif;'
        " font-size: 20px; }</style></head><body>" + blocks + "</body></html>"
    )
    pg = browser.new_page(viewport={"width": 1000, "height": 800})
    pg.set_content(doc)
    yield pg
    pg.close()


def rect(page, selector: str) -> dict:
    return page.eval_on_selector(
        selector,
        "e => { const r = e.getBoundingClientRect();"
        " return {x: r.x, y: r.y, width: r.width, height: r.height}; }",
    )


def test_math_is_native_mathml(page):
    # the browser built MathML elements, not unknown HTML elements
    assert page.evaluate("document.querySelector('math').namespaceURI") == "http://www.w3.org/1998/Math/MathML"
    assert page.evaluate("document.querySelector('math') instanceof MathMLElement")


@pytest.mark.parametrize("name", list(FORMULAS))
def test_every_display_formula_has_a_box(page, name):
    assert page.get_attribute(f"#{name} > math", "display") == "block"
    r = rect(page, f"#{name} > math")
    assert r["width"] > 0 and r["height"] > 0


def test_frac_is_taller_than_x(page):
    assert rect(page, "#frac > math")["height"] > rect(page, "#plain > math")["height"] * 1.4


@pytest.mark.parametrize("name", ["aligned", "align", "cases", "bmatrix", "pmatrix", "array", "split"])
def test_two_row_environments_are_not_on_one_line(page, name):
    assert rect(page, f"#{name} > math")["height"] > rect(page, "#single > math")["height"] * 1.6


def test_aligned_rows_line_up_on_the_ampersand(page):
    xs = page.eval_on_selector_all(
        "#aligned mo", "els => els.filter(e => e.textContent === '=').map(e => e.getBoundingClientRect().x)"
    )
    assert len(xs) == 2
    assert abs(xs[0] - xs[1]) < 1.0


def test_underset_script_is_below_the_operator(page):
    arg = rect(page, "#underset munder > :first-child")
    script = rect(page, "#underset munder > :last-child")
    assert script["y"] >= arg["y"] + arg["height"] * 0.7  # stacked, not beside
    assert script["x"] < arg["x"] + arg["width"]


def test_operatorname_star_script_is_below(page):
    base = rect(page, "#operatorname-star munder > :first-child")
    script = rect(page, "#operatorname-star munder > :last-child")
    assert script["y"] >= base["y"] + base["height"] * 0.7


def test_boxed_and_array_rules_are_drawn(page):
    width = page.eval_on_selector(
        "#boxed math mrow[style]", "e => parseFloat(getComputedStyle(e).borderTopWidth)"
    )
    assert width > 0
    rule = page.eval_on_selector(
        "#array mtd", "e => parseFloat(getComputedStyle(e).borderRightWidth)"
    )
    assert rule > 0
