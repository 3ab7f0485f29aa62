"""The Markdown body as a reader sees it: collapsible blocks, math, emoji, code, links."""

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


def render(tmp_path: Path, renderer: NoteRenderer, body: str, name: str = "paper.md", others: dict | None = None):
    notes = tmp_path / "notes"
    notes.mkdir(exist_ok=True)
    for rel, content in (others or {}).items():
        target = notes / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode())
    path = notes / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\ntitle: Test note\n---\n" + body, encoding="utf-8")
    by_source = {}
    assets = set()
    for file in notes.rglob("*"):
        if file.suffix == ".md":
            by_source[file] = load_note(file, tmp_path, notes)
        elif file.is_file():
            assets.add(file)
    note = by_source[path]
    diagnostics = Diagnostics()
    rendered = renderer.render(note, LinkTargets(tmp_path, notes, by_source, assets), diagnostics)
    return rendered, diagnostics, BeautifulSoup(rendered.html, "html.parser")


def test_details_without_blank_lines_renders_markdown_inside(tmp_path, renderer):
    body = "<details>\n<summary>Key **idea** :bulb:</summary>\n<blockquote>\n**ICLR 2023**\ntext with *emphasis*\n</blockquote>\n</details>\n"
    _, _, soup = render(tmp_path, renderer, body)
    details = soup.find("details")
    assert details.summary.strong.text == "idea"
    assert "💡" in details.summary.text
    quote = details.find("blockquote")
    assert quote.find("strong").text == "ICLR 2023"
    assert quote.find("em").text == "emphasis"


def test_nested_and_open_details(tmp_path, renderer):
    body = "<details open>\n<summary>Outer</summary>\n\n- a\n<details>\n<summary>Inner</summary>\n\n`code`\n\n</details>\n</details>\n\nAfter.\n"
    _, _, soup = render(tmp_path, renderer, body)
    outer = soup.find("details")
    assert outer.has_attr("open")
    inner = outer.find("details")
    assert inner is not None and not inner.has_attr("open")
    assert inner.find("code").text == "code"
    assert soup.find_all("p")[-1].text == "After."
    assert outer.find("li").text.strip() == "a"


def test_summary_on_one_line_with_details_and_wrapped_summary(tmp_path, renderer):
    body = "<details><summary>✅ <a href=\"https://arxiv.org/abs/1\">A Very Long\nTitle</a></summary>\n\nBody **bold**\n</details>\n"
    _, _, soup = render(tmp_path, renderer, body)
    summary = soup.find("details").summary
    assert summary.a["href"] == "https://arxiv.org/abs/1"
    assert "A Very Long" in summary.a.text
    assert soup.find("details").find("strong").text == "bold"


def test_markdown_only_details_container(tmp_path, renderer):
    body = "::: details 推导过程 (Derivation)\nSome **bold** and $x^2$.\n:::\n\n::: details open Shown\nvisible\n:::\n"
    _, _, soup = render(tmp_path, renderer, body)
    first, second = soup.find_all("details")
    assert first.summary.text == "推导过程 (Derivation)"
    assert first.find("strong").text == "bold" and first.find("math") is not None
    assert second.has_attr("open") and second.summary.text == "Shown"


def test_inline_and_display_math_forms(tmp_path, renderer):
    body = ("Inline $a_1 * b_2$ and \\(c\\), kramdown 令$$\\theta$$表示参数.\n\n"
            "$$\n\\sum_{i=1}^n x_i\n$$\n\n\\[\n\\frac{1}{2}\n\\]\n\n"
            "\\begin{align}\na &= b \\\\\nc &= d\n\\end{align}\n")
    rendered, diagnostics, soup = render(tmp_path, renderer, body)
    paragraph = soup.find("p")
    inline = paragraph.find_all("math")
    assert len(inline) == 3
    assert all(m.get("display") != "block" for m in inline)
    blocks = soup.select("div.math-display > math[display=block]")
    assert len(blocks) == 3
    assert blocks[2].find("mtable") is not None and len(blocks[2].find_all("mtr")) == 2
    assert "$" not in paragraph.text and "<em>" not in rendered.html
    assert not diagnostics.items


def test_money_is_not_math(tmp_path, renderer):
    _, _, soup = render(tmp_path, renderer, "It costs $5 and $10, or $20,000 and $30,000 in total.\n")
    assert soup.find("math") is None
    assert "$5 and $10" in soup.text and "$20,000 and $30,000" in soup.text


def test_math_in_table_cells_keeps_pipes_and_underscores(tmp_path, renderer):
    body = "| norm | cond |\n|---|---|\n| $\\|x\\|_2$ | $p(a|b)$ |\n| $a_1 * b_1$ | plain |\n"
    rendered, _, soup = render(tmp_path, renderer, body)
    rows = soup.find("tbody").find_all("tr")
    assert [len(r.find_all("td")) for r in rows] == [2, 2]
    assert rows[0].find_all("td")[0].find("annotation").text == "\\|x\\|_2"
    assert rows[0].find_all("td")[1].find("annotation").text == "p(a|b)"
    assert rows[1].td.find("annotation").text == "a_1 * b_1"
    assert "\ue0a0" not in rendered.html


def test_broken_formula_shows_source_and_warns_with_line(tmp_path, renderer):
    _, diagnostics, soup = render(tmp_path, renderer, "ok\n\nBad $\\frac{a$ here.\n\n$$\n\\left( x\n$$\n")
    inline = soup.select_one("code.math-error")
    block = soup.select_one("pre.math-error")
    assert inline.text == "\\frac{a" and block.text == "\\left( x"
    lines = sorted(d.line for d in diagnostics.warnings)
    assert lines == [6, 8]  # body starts on line 4 after 3 front-matter lines
    assert all(d.file == "notes/paper.md" for d in diagnostics.warnings)


def test_emoji_shortcodes_but_not_times_or_urls(tmp_path, renderer):
    _, _, soup = render(tmp_path, renderer, "Great :star: :warning: at 10:30:00, see https://example.org/a:x:b and `:x:` code.\n")
    text = soup.text
    assert "⭐" in text and "⚠" in text
    assert "10:30:00" in text
    assert soup.find("a")["href"] == "https://example.org/a:x:b"
    assert soup.find("code").text == ":x:"


def test_code_is_highlighted_with_classes(tmp_path, renderer):
    _, _, soup = render(tmp_path, renderer, "```python\ndef f(x):\n    return x\n```\n\n```nosuchlang\n<raw>\n```\n")
    first, second = soup.find_all("pre")
    assert "highlight" in first["class"] and first.code["class"] == ["language-python"]
    assert first.find("span", class_="k").text == "def"
    assert second.code.text == "<raw>\n"


def test_gfm_extensions(tmp_path, renderer):
    body = "- [x] done\n- [ ] todo\n\n~~old~~ www.example.com\n\nNote[^1].\n\n[^1]: The footnote.\n\n## 方法 Method\n\n## 方法 Method\n"
    rendered, _, soup = render(tmp_path, renderer, body)
    boxes = soup.find_all("input", type="checkbox")
    assert len(boxes) == 2 and boxes[0].has_attr("checked") and not boxes[1].has_attr("checked")
    assert soup.find("s").text == "old"
    assert soup.find("a", href="http://www.example.com") is not None
    assert soup.select_one("section.footnotes li").text.startswith("The footnote.")
    ids = [h["id"] for h in soup.find_all("h2")]
    assert ids[0] == "方法-method" and ids[1] != ids[0]
    assert rendered.headings[0][1:] == ("方法-method", "方法 Method")


def test_relative_links_images_and_case_hint(tmp_path, renderer):
    others = {"peft/lora.md": "---\ntitle: LoRA\n---\n", "images/Fig.PNG": b"\x89PNG", "images/a b.svg": "<svg/>"}
    body = ("[LoRA](peft/lora.md#method) ![fig](images/Fig.PNG) ![sp](images/a%20b.svg)\n\n"
            "![missing](images/fig.png) [gone](nowhere.md)\n\n<img src=\"images/Fig.PNG\" width=\"10\">\n")
    rendered, diagnostics, soup = render(tmp_path, renderer, body, name="paper.md", others=others)
    links = [a["href"] for a in soup.find_all("a")]
    assert "peft/lora.html#method" in links
    images = [img["src"] for img in soup.find_all("img")]
    assert images[0] == "images/Fig.PNG" and images[1] == "images/a%20b.svg"
    assert images[-1] == "images/Fig.PNG"
    messages = [d.message for d in diagnostics.warnings]
    assert any("images/fig.png" in m and "did you mean 'Fig.PNG'" in m for m in messages)
    assert any("nowhere.md" in m for m in messages)
    assert {p.name for p in rendered.assets} == {"Fig.PNG", "a b.svg"}


def test_link_from_nested_note_is_relative_to_its_page(tmp_path, renderer):
    others = {"Attention Is All You Need.md": "---\ntitle: Attention\n---\n"}
    _, _, soup = render(tmp_path, renderer, "[A](<../Attention Is All You Need.md>) [B](../Attention%20Is%20All%20You%20Need.md)\n",
                        name="nlp/bert.md", others=others)
    assert [a["href"] for a in soup.find_all("a")] == ["../attention-is-all-you-need.html"] * 2


def test_raw_html_is_kept(tmp_path, renderer):
    _, _, soup = render(tmp_path, renderer, '<div class="mine"><span style="color:red">red</span></div>\n')
    assert soup.find("div", class_="mine").span["style"] == "color:red"


def test_excerpt_is_summary_or_first_paragraph(tmp_path, renderer):
    rendered, _, _ = render(tmp_path, renderer, "## Heading\n\nFirst **para**.\n\nSecond.\n")
    assert rendered.excerpt_html.strip() == "<p>First <strong>para</strong>.</p>"
