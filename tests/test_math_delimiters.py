"""Where display math starts and ends, as GitHub, Typora and Obsidian read `$$`: every placement a
user writes, and never a paragraph of prose swallowed into a formula."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from papernotes.diagnostics import Diagnostics
from papernotes.load.notes import load_note
from papernotes.render import NoteRenderer
from papernotes.render.links import LinkTargets


@pytest.fixture(scope="module")
def renderer():
    return NoteRenderer()


def render(tmp_path: Path, renderer: NoteRenderer, body: str):
    notes = tmp_path / "notes"
    notes.mkdir(exist_ok=True)
    path = notes / "paper.md"
    path.write_text("---\ntitle: Math placement\n---\n" + body, encoding="utf-8")
    note = load_note(path, tmp_path, notes)
    diagnostics = Diagnostics()
    rendered = renderer.render(note, LinkTargets(tmp_path, notes, {path: note}), diagnostics)
    return BeautifulSoup(rendered.html, "html.parser"), diagnostics


def displays(soup: BeautifulSoup) -> list[str]:
    """The TeX of every display formula, in order."""
    return [m.find("annotation").text.strip() for m in soup.find_all("math") if m.get("display") == "block"]


def inlines(soup: BeautifulSoup) -> list[str]:
    return [m.find("annotation").text.strip() for m in soup.find_all("math") if m.get("display") != "block"]


def assert_no_prose_in_math(soup: BeautifulSoup) -> None:
    assert not soup.select(".math-error"), soup.select(".math-error")
    for math in soup.find_all("math"):
        tex = math.find("annotation").text
        assert "。" not in tex and "$" not in tex, tex


TYPORA = """作者还分析了和 VAE 的差别。VAE 的推导是：
$$
\\begin{aligned} \\log p(x) &\\ge \\mathbb{E}_{q}[\\log p(x|z)] \\\\ &- \\mathrm{KL}(q \\| p) \\end{aligned}
$$
实际上，这里的下界就是 $\\mathcal{L}$，训练时最大化它。

第二段还有行内公式 $z_t$ 和 $\\epsilon$，都不该进入公式块。

扩散模型的目标可以写成：
$$
\\mathcal{L}_{simple} = \\| \\epsilon - \\epsilon_\\theta(x_t, t) \\|^2
$$
所以两者是相通的。
"""


def test_typora_blocks_right_after_a_sentence_stay_two_formulas(tmp_path, renderer):
    soup, diagnostics = render(tmp_path, renderer, TYPORA)
    assert len(displays(soup)) == 2
    assert displays(soup)[0].startswith("\\begin{aligned}") and displays(soup)[1].startswith("\\mathcal{L}_{simple}")
    assert inlines(soup) == ["\\mathcal{L}", "z_t", "\\epsilon"]
    paragraphs = [p.get_text() for p in soup.find_all("p")]
    assert any(p.startswith("第二段还有行内公式") for p in paragraphs)
    assert any(p.startswith("实际上") for p in paragraphs) and any(p.startswith("所以两者") for p in paragraphs)
    assert_no_prose_in_math(soup)
    assert diagnostics.items == []


def test_one_line_display_under_a_list_item_and_a_paragraph(tmp_path, renderer):
    body = ("- 交叉熵：\n  $$ H(p, q) = -\\sum_i p_i \\log q_i $$\n- 温度：\n  $$\n  q_i = \\frac{e^{z_i/T}}{\\sum_j e^{z_j/T}}\n  $$\n\n"
            "The objective is\n$$ L = \\alpha L_{soft} + (1-\\alpha) L_{hard} $$\nwhere alpha weighs the two.\n")
    soup, diagnostics = render(tmp_path, renderer, body)
    items = soup.find_all("li")
    assert [len(displays(item)) for item in items] == [1, 1]
    assert displays(soup)[2] == "L = \\alpha L_{soft} + (1-\\alpha) L_{hard}"
    assert "where alpha weighs the two." in soup.get_text()
    assert_no_prose_in_math(soup)
    assert diagnostics.items == []


def test_blockquote_and_details(tmp_path, renderer):
    body = ("> 引用里的推导：\n> $$\n> a^2 + b^2 = c^2\n> $$\n> 引用继续。\n\n"
            "<details>\n<summary>展开推导</summary>\n前面一句话：\n$$\n\\sum_{i=1}^n i = \\frac{n(n+1)}{2}\n$$\n后面一句话。\n</details>\n")
    soup, diagnostics = render(tmp_path, renderer, body)
    assert displays(soup.find("blockquote")) == ["a^2 + b^2 = c^2"]
    assert "引用继续。" in soup.find("blockquote").get_text()
    assert displays(soup.find("details")) == ["\\sum_{i=1}^n i = \\frac{n(n+1)}{2}"]
    assert "后面一句话。" in soup.find("details").get_text()
    assert diagnostics.items == []


def test_double_dollars_inside_prose_stay_inline(tmp_path, renderer):
    soup, diagnostics = render(tmp_path, renderer, "令$$\\theta$$表示参数，$$x_i$$ 是输入。\n\n$$y$$ starts this line and goes on.\n")
    assert inlines(soup) == ["\\theta", "x_i", "y"] and displays(soup) == []
    assert diagnostics.items == []


def test_an_unclosed_block_is_reported_and_swallows_nothing(tmp_path, renderer):
    body = ("先写一个没有闭合的公式：\n$$\na + b = c\n\n"
            "然后是很多段正常的文字，这里有行内公式 $x$ 和说明。\n\n"
            "Another paragraph in English with several plain words.\n\n"
            "再来一个正常的块：\n$$\nE = mc^2\n$$\n结束。\n")
    soup, diagnostics = render(tmp_path, renderer, body)
    assert displays(soup) == ["E = mc^2"]
    assert inlines(soup) == ["x"]
    text = soup.get_text()
    assert "$$\na + b = c" in text  # shown as written
    assert "然后是很多段正常的文字" in text and "Another paragraph in English" in text
    assert_no_prose_in_math(soup)
    [warning] = diagnostics.items
    assert (warning.file, warning.line) == ("notes/paper.md", 5)  # the line of the opening $$
    assert "never closed" in warning.message


def test_a_block_left_open_at_the_end_of_the_note(tmp_path, renderer):
    soup, diagnostics = render(tmp_path, renderer, "Text.\n\n$$\n\\frac{a}{b}\n")
    assert displays(soup) == [] and "\\frac{a}{b}" in soup.get_text()
    assert [d.line for d in diagnostics.items] == [6]


def test_blank_lines_inside_a_formula_are_allowed_when_it_holds_no_prose(tmp_path, renderer):
    soup, diagnostics = render(tmp_path, renderer, "$$\n\\begin{aligned}\na &= b \\\\\n\nc &= d\n\\end{aligned}\n$$\n")
    assert len(displays(soup)) == 1 and diagnostics.items == []


def test_environments_are_display_math_wherever_they_stand(tmp_path, renderer):
    body = ("The update is \\begin{equation} w_{t+1} = w_t - \\eta g_t \\end{equation} for every step.\n\n"
            "对齐写法：\\begin{align*} a &= 1 \\\\ b &= 2 \\end{align*} 结束。\n\n"
            "\\begin{gather}\nx = 1\n\\end{gather}\n\n"
            "Also \\begin{eqnarray} a &=& b \\end{eqnarray} here.\n")
    soup, _ = render(tmp_path, renderer, body)
    tex = [m.find("annotation").text for m in soup.find_all("math")]
    assert all(m.get("display") == "block" for m in soup.find_all("math"))
    assert any("w_{t+1}" in t for t in tex) and any("a &= 1" in t for t in tex) and any("x = 1" in t for t in tex)
    assert "for every step." in soup.get_text() and "结束。" in soup.get_text()
    # eqnarray is display math too; whether it converts is the converter's business (a red box
    # with its source, never lost): here only that it is taken as one display formula
    eqnarray = [e for e in soup.select(".math-error, math") if "a &=& b" in e.get_text()]
    assert len(eqnarray) == 1


def test_dollars_in_code_and_money_are_not_math(tmp_path, renderer):
    body = "```\n$$\nnot math\n$$\n```\n\nIt costs $5 and $10.\n\n    $$\n    indented code\n    $$\n"
    soup, diagnostics = render(tmp_path, renderer, body)
    assert soup.find_all("math") == [] and diagnostics.items == []
