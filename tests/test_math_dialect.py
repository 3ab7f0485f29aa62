"""Formulas written for MathJax convert: one test per construct notes written for MathJax use."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from conftest import run_papernotes
from papernotes.render.mathml import MathConverter, MathError


@pytest.fixture(scope="module")
def conv() -> MathConverter:
    return MathConverter()


def drawn(mathml: str) -> BeautifulSoup:
    soup = BeautifulSoup(mathml, "html.parser")
    for annotation in soup.find_all("annotation"):
        annotation.decompose()
    return soup


def text_of(mathml: str) -> str:
    return drawn(mathml).get_text("", strip=True)


def test_array_without_a_column_specification(conv):
    for tex in (r"\begin{array} a & b & c \\ d & e & f \end{array}", r"\begin{array}{} a & b \\ c & d \end{array}"):
        soup = drawn(conv.to_mathml(tex, display=True))
        rows = soup.find_all("mtr")
        assert len(rows) == 2 and len(rows[0].find_all("mtd")) == len(rows[1].find_all("mtd")) >= 2


def test_eqnarray_is_an_rcl_array_and_says_so(conv):
    for env in ("eqnarray", "eqnarray*"):
        result = conv.convert(rf"\begin{{{env}}} a &=& b + c \\ &=& d \nonumber \end{{{env}}}", display=True)
        soup = drawn(result.mathml)
        rows = soup.find_all("mtr")
        assert len(rows) == 2 and [len(r.find_all("mtd")) for r in rows] == [3, 3]
        assert "nonumber" not in text_of(result.mathml)
        assert any("eqnarray" in n for n in result.notices)


def test_mbox_is_text(conv):
    soup = drawn(conv.to_mathml(r"x \mbox{ if } y > 0", display=False))
    assert soup.find("mtext") is not None and "if" in soup.find("mtext").get_text()


def test_require_is_ignored(conv):
    mathml = conv.to_mathml(r"\require{cancel} \require{mhchem} \cancel{x} + y", display=False)
    assert "require" not in text_of(mathml) and "cancel" not in text_of(mathml)


@pytest.mark.parametrize("tex, expected", [
    (r"\ce{H2O}", "H2O"),
    (r"\ce{2H2 + O2 -> 2H2O}", "2H2+O2⟶2H2O"),
    (r"\ce{SO4^2-}", "SO42−"),
    (r"\ce{Fe^{3+} + e- <=> Fe^{2+}}", "Fe3++e−⇌Fe2+"),
    (r"\ce{NaCl(aq)}", "NaCl(aq)"),
])
def test_mhchem_formulas(conv, tex, expected):
    mathml = conv.to_mathml(tex, display=False)
    assert text_of(mathml).replace("\u2061", "") == expected
    assert drawn(mathml).find(["msub", "msup", "msubsup"]) is not None or "(aq)" in expected


def test_mhchem_counts_are_subscripts_and_charges_superscripts(conv):
    soup = drawn(conv.to_mathml(r"\ce{SO4^2-}", display=False))
    assert soup.find(["msubsup", "msup"]) is not None and soup.find(["msubsup", "msub"]) is not None


def test_mhchem_units(conv):
    assert text_of(conv.to_mathml(r"\pu{123 kJ/mol}", display=False)) == "123kJ/mol"


@pytest.mark.parametrize("notation", ["box", "circle", "roundedbox", "updiagonalstrike", "top"])
def test_enclose(conv, notation):
    mathml = conv.to_mathml(rf"\enclose{{{notation}}}{{x + y}}", display=False)
    # (\overline draws its bar as a combining U+0332 after the base)
    assert text_of(mathml).replace("\u0332", "") == "x+y" and "enclose" not in mathml.split("<annotation")[0]


def test_enclose_with_attributes(conv):
    assert text_of(conv.to_mathml(r"\enclose{box}[mathcolor=red]{x}", display=False)) == "x"


@pytest.mark.parametrize("tex, rows", [
    (r"\begin{equation} E = mc^2 \end{equation}", 0),
    (r"\begin{equation*} E = mc^2 \end{equation*}", 0),
    (r"\begin{align} a &= b \\ c &= d \end{align}", 2),
    (r"\begin{align*} a &= b \\ c &= d \end{align*}", 2),
    (r"\begin{gather} a = b \\ c = d \end{gather}", 2),
])
def test_display_environments_in_inline_math(conv, tex, rows):
    soup = drawn(conv.to_mathml(tex, display=False))
    assert len(soup.find_all("mtr")) == rows
    assert "=" in soup.get_text()


def test_tag_boxed_cancel_still_work(conv):
    assert "(1)" in text_of(conv.to_mathml(r"a = b \tag{1}", display=True))
    assert text_of(conv.to_mathml(r"\boxed{a}", display=False)) == "a"
    assert text_of(conv.to_mathml(r"\cancel{a}", display=False)) == "a"


def test_an_unknown_command_is_shown_in_red_and_the_rest_is_drawn(conv):
    result = conv.convert(r"\frac{\part f}{\part x}", display=True)
    soup = drawn(result.mathml)
    assert soup.find("mfrac") is not None
    assert "\\part" in soup.get_text() and 'mathcolor="#d1242f"' in result.mathml
    assert result.notices == ("unknown command \\part is shown in red; did you mean \\partial?",)
    # the author's TeX stays in the annotation
    assert BeautifulSoup(result.mathml, "html.parser").find("annotation").get_text() == r"\frac{\part f}{\part x}"


def test_a_formula_that_still_fails_is_an_error(conv):
    with pytest.raises(MathError):
        conv.to_mathml(r"\frac{a}{b", display=True)
    with pytest.raises(MathError):  # more unknown commands than a typo explains
        conv.to_mathml(r"\qa \qb \qc \qd \qe", display=False)


def test_build_and_check_report_rewrites_and_typos_with_file_and_line(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "m.md").write_text("---\ntitle: M\n---\n第一段。\n\n$$\n\\begin{eqnarray} a &=& b \\end{eqnarray}\n$$\n\n"
                                "偏导 $\\frac{\\part f}{\\part x}$ 和化学 $\\ce{H2O}$。\n", encoding="utf-8")
    for command in ("check", "build"):
        result = run_papernotes(command, "--root", tmp_path, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        out = result.stdout + result.stderr
        assert "notes/m.md:6:" in out and "eqnarray is rendered as an rcl array" in out
        assert "notes/m.md:10:" in out and "did you mean \\partial?" in out
    page = BeautifulSoup((tmp_path / "site" / "notes" / "m.html").read_text(encoding="utf-8"), "html.parser")
    assert not page.select(".math-error") and len(page.find_all("math")) == 3


def test_newcommand_of_a_command_katex_already_has(conv):
    # MathJax has no \R, so notes define it; KaTeX has one and refuses \newcommand for it
    mathml = conv.to_mathml(r"\newcommand{\R}{\mathbb{R}} x \in \R^d", display=False)
    assert "ℝ" in text_of(mathml)
    assert "𝔼" in text_of(conv.to_mathml(r"\newcommand\E[1]{\mathbb{E}[#1]} \E{x}", display=False))


def test_eqref_shows_the_tag_of_the_labelled_formula_anywhere_in_the_note(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "eq.md").write_text(
        "---\ntitle: Eq\n---\n由 $\\eqref{eq:elbo}$ 和 $\\ref{eq:elbo}$ 可知；$\\eqref{eq:none}$ 不存在。\n\n"
        "$$\n\\begin{equation}\n\\log p(x) \\ge \\mathcal{L} \\label{eq:elbo} \\tag{2.1}\n\\end{equation}\n$$\n",
        encoding="utf-8")
    result = run_papernotes("build", "--root", tmp_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "notes/eq.md:4: warning: \\eqref{eq:none}: no formula of this note has \\label{eq:none}" in result.stderr
    page = BeautifulSoup((tmp_path / "site" / "notes" / "eq.html").read_text(encoding="utf-8"), "html.parser")
    # a formula that is only a reference is a link to the equation (no links inside MathML)
    links = [(a.get_text(), a["href"]) for a in page.select("a.eqref")]
    assert links == [("(2.1)", "#eq-eq-elbo"), ("2.1", "#eq-eq-elbo"), ("(???)", "#eq-eq-none")]
    assert page.select_one("#eq-eq-elbo").find("math") is not None
    assert text_of(str(page.select_one("#eq-eq-elbo math"))).endswith("(2.1)")
    # inside a larger formula the reference is text
    assert "@@" not in page.get_text() and not page.select(".math-error")


def test_eqref_inside_a_formula_is_its_tag(conv, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "eq.md").write_text("---\ntitle: Eq\n---\n$$\na = b \\label{one} \\tag{A}\n$$\n\n"
                                 "所以 $x = y \\text{ by } \\eqref{one}$。\n", encoding="utf-8")
    assert run_papernotes("build", "--root", tmp_path, cwd=tmp_path).returncode == 0
    page = BeautifulSoup((tmp_path / "site" / "notes" / "eq.html").read_text(encoding="utf-8"), "html.parser")
    assert text_of(str(page.find_all("math")[1])).replace("\xa0", " ") == "x=yby (A)"


def test_tags_in_align_rows_are_shown_at_the_end_of_their_rows(conv):
    mathml = conv.to_mathml(r"\begin{align} a &= \frac{1}{2} \tag{1} \\ c &= \begin{pmatrix}1\\2\end{pmatrix} \\"
                            r" e &= f \tag*{B} \end{align}", display=True)
    rows = drawn(mathml).find("mtable").find_all("mtr", recursive=False)
    assert [r.find_all("mtd", recursive=False)[-1].get_text() for r in rows] == ["(1)", "", "B"]
    # the matrix inside the second row keeps its own rows and gets no tag cell
    inner = rows[1].find("mtable").find_all("mtr")
    assert len(inner) == 2 and all(len(r.find_all("mtd")) == 1 for r in inner)


def test_eqref_to_a_row_of_align(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "eq.md").write_text("---\ntitle: Eq\n---\n$$\n\\begin{align}\na &= b \\label{first} \\tag{3.1} \\\\\n"
                                 "c &= d \\label{second} \\tag{3.2}\n\\end{align}\n$$\n\n见 $\\eqref{second}$。\n",
                                 encoding="utf-8")
    assert run_papernotes("build", "--root", tmp_path, cwd=tmp_path).returncode == 0
    page = BeautifulSoup((tmp_path / "site" / "notes" / "eq.html").read_text(encoding="utf-8"), "html.parser")
    assert [(a.get_text(), a["href"]) for a in page.select("a.eqref")] == [("(3.2)", "#eq-second")]
    assert page.select_one("#eq-second") is not None and page.select_one("#eq-first").find("math") is not None
    assert "(3.1)" in text_of(str(page.find("math"))) and "(3.2)" in text_of(str(page.find("math")))
