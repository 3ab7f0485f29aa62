"""How many formulas written for MathJax convert, and how fast: prints a table.

The corpus: the 66 formulas of ``math_converters.py``, a MathJax-style corpus written the way
Jekyll / Typora / Obsidian notes use MathJax (eqnarray derivations, arrays without column
specifications, \\mbox, \\require, mhchem, \\enclose, align in inline math, typos of common
commands, \\tag, \\boxed, \\cancel …), and, with ``--site DIR``, every formula of a built site
(read back from the TeX annotations of its pages).

    python benchmarks/mathjax_dialect.py --site site          # this checkout
    PYTHONPATH=/path/to/older/checkout/src python benchmarks/mathjax_dialect.py --site site

A formula counts as converted when the converter returns MathML without raising (an unknown
command shown in red counts as converted: MathJax shows it the same way).
"""

from __future__ import annotations

import argparse
import html
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from math_converters import CORPUS  # noqa: E402

MATHJAX_STYLE: list[tuple[str, bool]] = [
    (r"\begin{eqnarray} \mathcal{L} &=& \mathbb{E}_q[\log p(x|z)] - D_{KL}(q\|p) \\ &\le& \log p(x) \end{eqnarray}", True),
    (r"\begin{eqnarray*} f(x) &=& (x+1)^2 \\ &=& x^2 + 2x + 1 \end{eqnarray*}", True),
    (r"\begin{eqnarray} a &=& b \nonumber \\ c &=& d \end{eqnarray}", True),
    (r"\begin{array} 1 & 0 \\ 0 & 1 \end{array}", True),
    (r"\left[ \begin{array}{} a & b \\ c & d \end{array} \right]", True),
    (r"\begin{array} x & y & z \end{array}", False),
    (r"f(x) = \mbox{softmax}(Wx + b)", False),
    (r"\mbox{loss} = \sum_i \ell_i", True),
    (r"\require{cancel} \frac{\cancel{a} b}{\cancel{a}}", True),
    (r"\require{mhchem} \ce{CO2 + H2O -> H2CO3}", False),
    (r"\ce{2H2 + O2 -> 2H2O}", False),
    (r"\ce{SO4^2-}", False),
    (r"\ce{Fe^{3+} + e- <=> Fe^{2+}}", False),
    (r"\ce{NaCl(aq) -> Na+ + Cl-}", False),
    (r"\ce{A ->[\Delta] B}", False),
    (r"\pu{123 kJ/mol}", False),
    (r"\pu{1.2e-3 mol L^-1}", False),
    (r"\enclose{circle}{1}", False),
    (r"\enclose{box}[mathcolor=red]{x^2}", False),
    (r"\enclose{updiagonalstrike}{x} + y", False),
    (r"\enclose{updiagonalstrike downdiagonalstrike}{z}", False),
    (r"\begin{equation} E = mc^2 \end{equation}", False),
    (r"\begin{align} a &= b \\ c &= d \end{align}", False),
    (r"\begin{align*} \nabla_\theta J &= \mathbb{E}[\nabla \log \pi] \end{align*}", False),
    (r"\begin{gather} x = 1 \\ y = 2 \end{gather}", False),
    (r"\frac{\part L}{\part w}", False),
    (r"\frac{\partial L}{\partial w} = \alpah x", False),
    (r"\mathbb{E}_{x \sim p} [\lgo p(x)]", False),
    (r"a = b \tag{1}", True),
    (r"x = \boxed{42}", False),
    (r"\cancel{x} + \bcancel{y} + \xcancel{z}", False),
    (r"\begin{equation} \label{eq:loss} L = \sum_i (y_i - \hat{y}_i)^2 \end{equation}", True),
    (r"\begin{aligned} p(x) &= \int p(x|z)p(z)\,dz \\ &\approx \frac{1}{K}\sum_k p(x|z_k) \end{aligned}", True),
    (r"\operatorname{KL}(q \| p) \geq 0", False),
    (r"\mathop{\arg\min}_\theta \; \mathcal{L}(\theta)", True),
    (r"\left\{ \begin{array}{ll} 1 & x>0 \\ 0 & \mbox{otherwise} \end{array} \right.", True),
    (r"\newcommand{\R}{\mathbb{R}} x \in \R^d", False),
    (r"\def\E{\mathbb{E}} \E[x]", False),
    (r"\overbrace{1+\cdots+1}^{n}", True),
    (r"\underbrace{x_1 + \dots + x_n}_{n}", True),
]

_ANNOTATION_RE = re.compile(r'<math([^>]*)>.*?<annotation encoding="application/x-tex">(.*?)</annotation>', re.S)


def site_formulas(site: Path) -> list[tuple[str, bool]]:
    found = []
    for page in sorted((site / "notes").rglob("*.html")):
        for attrs, tex in _ANNOTATION_RE.findall(page.read_text(encoding="utf-8")):
            found.append((html.unescape(tex), 'display="block"' in attrs))
    return found


def measure(name: str, formulas: list[tuple[str, bool]], repeat: int) -> dict:
    from papernotes.render.mathml import MathConverter, MathError

    failed = []
    for tex, display in formulas:
        try:
            MathConverter().to_mathml(tex, display=display)
        except MathError as exc:
            failed.append((tex, str(exc)))
    times = []
    for tex, display in formulas:
        runs = []
        for _ in range(repeat):
            converter = MathConverter()  # no cache between runs
            start = time.perf_counter()
            try:
                converter.to_mathml(tex, display=display)
            except MathError:
                pass
            runs.append(time.perf_counter() - start)
        times.append(statistics.median(runs))
    return {"name": name, "total": len(formulas), "failed": failed,
            "median_us": statistics.median(times) * 1e6 if times else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site whose formulas to add")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("-v", "--verbose", action="store_true", help="list the formulas that failed")
    args = parser.parse_args()
    import papernotes

    corpora = [("math_converters.py corpus", [(tex, display) for _id, display, tex in CORPUS]),
               ("MathJax-style corpus", MATHJAX_STYLE)]
    if args.site:
        corpora.append((f"site {args.site}", site_formulas(args.site)))
    print(f"papernotes {papernotes.__version__} from {Path(papernotes.__file__).parent}")
    print(f"| corpus | formulas | converted | failed | median µs per formula |")
    print(f"|---|---|---|---|---|")
    for name, formulas in corpora:
        result = measure(name, formulas, args.repeat)
        ok = result["total"] - len(result["failed"])
        print(f"| {name} | {result['total']} | {ok} | {len(result['failed'])} | {result['median_us']:.0f} |")
        if args.verbose:
            for tex, message in result["failed"]:
                print(f"    {tex!r}: {message}")


if __name__ == "__main__":
    main()
