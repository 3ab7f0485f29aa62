"""Compare LaTeX -> MathML converters for papernotes: speed, failures and Chromium rendering.

Usage (from the repository root, with the dev virtualenv active):

    python benchmarks/math_converters.py                 # timing + error table
    python benchmarks/math_converters.py --screenshots   # also writes docs/math/*.png

Converters compared (all produce MathML that the browser renders natively, no JS/CSS/fonts):

* ``latex2mathml``               latex2mathml.converter.convert
* ``pykatex (raw)``              KaTeX 0.16 in QuickJS, output="mathml", wrapper stripped only
* ``markdown-katex-rs (raw)``    katex-rs (Rust port of KaTeX); the <math> part of its HTML+MathML
* ``markdown-katex-rs + post``   the same, through papernotes.render.mathml's TeX preparation + rewrites
* ``pykatex + post (chosen)``    papernotes.render.mathml.MathConverter (uncached)

"Errors" are formulas the converter rejects. "Wrong" are formulas whose output is known to render
wrong in Chromium (checked on the MathML text: see ``problems()``; the screenshots confirm them).
The time is the median over the corpus of each formula's median over ``--repeat`` runs, and
includes the post-processing where there is one.
"""

from __future__ import annotations

import argparse
import html
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from papernotes.render import mathml as pn_mathml  # noqa: E402

# (id, display, TeX): formulas as they appear in ML paper notes
CORPUS: list[tuple[str, bool, str]] = [
    ("softmax", True, r"\operatorname{softmax}(z)_i = \frac{\exp(z_i)}{\sum_{j=1}^{K} \exp(z_j)}"),
    ("kl", True, r"D_{\mathrm{KL}}(p \,\|\, q) = \int p(x) \log \frac{p(x)}{q(x)} \, dx"),
    ("kl-discrete", False, r"\mathrm{KL}(P \| Q) = \sum_{x} P(x) \log \frac{P(x)}{Q(x)}"),
    ("attention", True, r"\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\left(\frac{Q K^\top}{\sqrt{d_k}}\right) V"),
    ("multihead", True, r"\mathrm{MultiHead}(Q,K,V) = \mathrm{Concat}(\mathrm{head}_1, \dots, \mathrm{head}_h) W^O"),
    ("lora", True, r"h = W_0 x + \Delta W x = W_0 x + B A x, \quad B \in \mathbb{R}^{d \times r},\; A \in \mathbb{R}^{r \times k}"),
    ("lora-inline", False, r"W_0 + BA"),
    ("elbo", True, r"\log p_\theta(x) \ge \mathbb{E}_{z \sim q_\phi(z \mid x)}\left[\log p_\theta(x \mid z)\right] - D_{\mathrm{KL}}\big(q_\phi(z \mid x) \,\|\, p(z)\big)"),
    ("elbo-def", True, r"\mathcal{L}(\theta, \phi; x) = \mathbb{E}_{q_\phi(z|x)}[\log p_\theta(x|z)] - \mathrm{KL}(q_\phi(z|x) \| p(z))"),
    ("expectation", False, r"\mathbb{E}_{x\sim p}[f(x)]"),
    ("argmin-underset", True, r"\theta^* = \underset{\theta}{\arg\min}\; \frac{1}{N}\sum_{i=1}^{N} \ell(f_\theta(x_i), y_i)"),
    ("argmax-opstar", True, r"\hat{y} = \operatorname*{argmax}_{y \in \mathcal{Y}} p(y \mid x)"),
    ("overset", True, r"x \overset{\text{def}}{=} \sum_i w_i \quad a \stackrel{?}{=} b"),
    ("norm-lvert", False, r"\lVert \mathbf{W} \rVert_F^2 = \sum_{i,j} W_{ij}^2"),
    ("norm-bars", False, r"\|x - y\|_2 \le \epsilon"),
    ("big", True, r"\big( a + b \big) \Big[ c \Big] \bigg\{ d \bigg\} \Bigg| e \Bigg|"),
    ("mid", False, r"p(x \mid y) = \frac{p(y \mid x)\, p(x)}{p(y)}"),
    ("prime", False, r"f'(x) = \lim_{h \to 0} \frac{f(x+h) - f(x)}{h}, \quad g^{\prime}"),
    ("hat-tilde", False, r"\hat{\mu} = \frac{1}{n}\sum_i x_i, \quad \tilde{x} = x + \epsilon"),
    ("top", False, r"x^\top A x \ge 0"),
    ("log-exp", False, r"\log \sum_i \exp(x_i)"),
    ("mathcal", False, r"\mathcal{L} + \mathcal{D} + \mathcal{N}(\mu, \sigma^2 I)"),
    ("mathbb", False, r"x \in \mathbb{R}^d,\ \mathbb{E}[X],\ \mathbb{N},\ \mathbb{Z},\ \mathbb{P}"),
    ("mathbf", False, r"\mathbf{A}\mathbf{x} = \mathbf{b}"),
    ("boldsymbol", False, r"\boldsymbol{h}_t = \tanh(\boldsymbol{W} \boldsymbol{h}_{t-1} + \boldsymbol{\theta})"),
    ("bm", False, r"\bm{x}^\top \bm{\Sigma}^{-1} \bm{x}"),
    ("mathrm-U", False, r"\mathrm{U}(0, 1), \ \mathrm{d}x"),
    ("text", True, r"y = \begin{cases} 1 & \text{if } x > 0 \\ 0 & \text{otherwise} \end{cases}"),
    ("relu", False, r"\mathrm{ReLU}(x) = \max(0, x)"),
    ("gelu", True, r"\mathrm{GELU}(x) = x\,\Phi(x) = \frac{x}{2}\left[1 + \operatorname{erf}\left(\frac{x}{\sqrt{2}}\right)\right]"),
    ("layernorm", True, r"\mathrm{LN}(x) = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta"),
    ("cross-entropy", True, r"\mathcal{L}_{\mathrm{CE}} = -\sum_{c=1}^{C} y_c \log \hat{y}_c"),
    ("adam", True, r"\begin{aligned} m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\ v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\ \theta_t &= \theta_{t-1} - \eta \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon} \end{aligned}"),
    ("aligned-derivation", True, r"\begin{aligned} \nabla_\theta J(\theta) &= \nabla_\theta \mathbb{E}_{\tau \sim \pi_\theta}[R(\tau)] \\ &= \mathbb{E}_{\tau \sim \pi_\theta}\left[\sum_{t=0}^{T} \nabla_\theta \log \pi_\theta(a_t \mid s_t) R(\tau)\right] \end{aligned}"),
    ("align-env", True, r"\begin{align} a &= b + c \\ d &= e \label{eq:de} \end{align}"),
    ("align-star", True, r"\begin{align*} f(x) &= (x+1)^2 \\ &= x^2 + 2x + 1 \end{align*}"),
    ("equation-env", True, r"\begin{equation} E = mc^2 \label{eq:emc} \end{equation}"),
    ("equation-tag", True, r"\begin{equation} \nabla \cdot \mathbf{E} = \frac{\rho}{\varepsilon_0} \tag{1} \end{equation}"),
    ("tag", True, r"a^2 + b^2 = c^2 \tag{2.1}"),
    ("split", True, r"\begin{equation} \begin{split} (a+b)^2 &= a^2 + 2ab + b^2 \\ &\ge 4ab \end{split} \end{equation}"),
    ("cases-piecewise", True, r"\ell_\delta(a) = \begin{cases} \frac{1}{2} a^2 & |a| \le \delta, \\ \delta (|a| - \frac{1}{2}\delta) & \text{otherwise.} \end{cases}"),
    ("bmatrix", True, r"\mathbf{R} = \begin{bmatrix} \cos\theta & -\sin\theta \\ \sin\theta & \cos\theta \end{bmatrix}"),
    ("pmatrix", True, r"\Sigma = \begin{pmatrix} \sigma_1^2 & \rho \sigma_1 \sigma_2 \\ \rho \sigma_1 \sigma_2 & \sigma_2^2 \end{pmatrix}"),
    ("array", True, r"\left[\begin{array}{cc|c} 1 & 0 & a \\ 0 & 1 & b \end{array}\right]"),
    ("gaussian", True, r"\mathcal{N}(x \mid \mu, \Sigma) = \frac{1}{(2\pi)^{d/2} |\Sigma|^{1/2}} \exp\left(-\frac{1}{2}(x-\mu)^\top \Sigma^{-1} (x-\mu)\right)"),
    ("diffusion-forward", True, r"q(x_t \mid x_{t-1}) = \mathcal{N}\big(x_t; \sqrt{1 - \beta_t}\, x_{t-1}, \beta_t \mathbf{I}\big)"),
    ("diffusion-loss", True, r"L_{\text{simple}} = \mathbb{E}_{t, x_0, \epsilon}\left[\left\| \epsilon - \epsilon_\theta\big(\sqrt{\bar\alpha_t} x_0 + \sqrt{1 - \bar\alpha_t}\,\epsilon, t\big) \right\|^2\right]"),
    ("ppo", True, r"L^{\mathrm{CLIP}}(\theta) = \hat{\mathbb{E}}_t\left[\min\left(r_t(\theta)\hat{A}_t, \operatorname{clip}(r_t(\theta), 1-\epsilon, 1+\epsilon)\hat{A}_t\right)\right]"),
    ("bellman", True, r"Q^*(s, a) = \mathbb{E}_{s'}\left[r + \gamma \max_{a'} Q^*(s', a') \,\middle|\, s, a\right]"),
    ("dpo", True, r"\mathcal{L}_{\mathrm{DPO}} = -\mathbb{E}_{(x, y_w, y_l) \sim \mathcal{D}}\left[\log \sigma\left(\beta \log \frac{\pi_\theta(y_w \mid x)}{\pi_{\mathrm{ref}}(y_w \mid x)} - \beta \log \frac{\pi_\theta(y_l \mid x)}{\pi_{\mathrm{ref}}(y_l \mid x)}\right)\right]"),
    ("contrastive", True, r"\ell_{i,j} = -\log \frac{\exp(\mathrm{sim}(z_i, z_j)/\tau)}{\sum_{k=1}^{2N} \mathbb{1}_{[k \ne i]} \exp(\mathrm{sim}(z_i, z_k)/\tau)}"),
    ("rope", True, r"f(\boldsymbol{x}_m, m) = \boldsymbol{R}_{\Theta, m}^d \boldsymbol{W} \boldsymbol{x}_m"),
    ("sgd", False, r"\theta \leftarrow \theta - \eta \nabla_\theta \mathcal{L}(\theta)"),
    ("jensen", False, r"f\left(\mathbb{E}[X]\right) \le \mathbb{E}\left[f(X)\right]"),
    ("integral", True, r"p(x) = \int_{-\infty}^{\infty} p(x \mid z)\, p(z)\, \mathrm{d}z"),
    ("double-sum", True, r"\sum_{i=1}^{n} \sum_{j=1}^{m} a_{ij} = \prod_{k=1}^{K} \left(1 + \frac{1}{k}\right)"),
    ("lipschitz", False, r"|f(x) - f(y)| \le L \|x - y\|"),
    ("batchnorm", True, r"\hat{x}_i = \frac{x_i - \mu_{\mathcal{B}}}{\sqrt{\sigma_{\mathcal{B}}^2 + \epsilon}}, \quad y_i = \gamma \hat{x}_i + \beta"),
    ("wasserstein", True, r"W(P_r, P_g) = \inf_{\gamma \in \Pi(P_r, P_g)} \mathbb{E}_{(x, y) \sim \gamma}\big[\|x - y\|\big]"),
    ("mutual-info", False, r"I(X; Y) = H(X) - H(X \mid Y)"),
    ("xrightarrow", False, r"x_n \xrightarrow{n \to \infty} x"),
    ("widehat", False, r"\widehat{f}(\xi) = \int f(x) e^{-2\pi i x \xi} dx"),
    ("boxed", False, r"\boxed{a = b}"),
    ("operatorname-rank", False, r"\operatorname{rank}(BA) \le r \ll \min(d, k)"),
    ("trace", False, r"\operatorname{tr}(A^\top B) = \langle A, B \rangle_F"),
    ("greek-bold", False, r"\boldsymbol{\mu} + \boldsymbol{\sigma} \odot \boldsymbol{\epsilon}, \ \boldsymbol{\epsilon} \sim \mathcal{N}(\mathbf{0}, \mathbf{I})"),
]

# what each formula must show, checked on the MathML with the annotation removed
EXPECT: dict[str, list[str | re.Pattern[str]]] = {
    "mathbb": ["ℝ", "𝔼"],
    "expectation": ["𝔼"],
    "mathcal": ["ℒ", "𝒟", "𝒩"],
    "mathbf": ["𝐀", "𝐱", "𝐛"],
    "boldsymbol": ["𝒉", "𝑾", "𝜽"],
    "bm": ["𝒙", "𝚺"],
    "greek-bold": ["𝝁", "𝝈", "𝝐", "𝟎", "𝐈"],
    "rope": ["𝒙", "𝑹", "𝑾"],
    "contrastive": ["𝟙"],
    "mathrm-U": [re.compile(r'<mi mathvariant="normal">U</mi>')],
    "argmin-underset": [re.compile(r"<munder>.*arg.*min.*</munder>")],
    "argmax-opstar": [re.compile(r"<munder>.*argmax.*</munder>")],
    "overset": [re.compile(r"<mover>(?:(?!</mover>).)*def")],
    "adam": [re.compile(r"(<mtr>.*){3}")],
    "aligned-derivation": [re.compile(r"(<mtr>.*){2}")],
    "align-env": [re.compile(r"(<mtr>.*){2}")],
    "align-star": [re.compile(r"(<mtr>.*){2}")],
    "split": [re.compile(r"(<mtr>.*){2}")],
    "text": [re.compile(r"(<mtr>.*){2}")],
    "cases-piecewise": [re.compile(r"(<mtr>.*){2}")],
    "bmatrix": [re.compile(r"(<mtr>.*){2}")],
    "pmatrix": [re.compile(r"(<mtr>.*){2}")],
    "array": [re.compile(r"(<mtr>.*){2}"), re.compile(r"border-right:")],
    "equation-tag": ["(1)"],
    "tag": ["(2.1)"],
    "boxed": [re.compile(r"border:")],
}

_ANNOTATION_RE = re.compile(r"<annotation[^>]*>.*?</annotation>", re.S)
_TOKEN_RE = re.compile(r"<(mi|mo|mn|mtext)(\s[^>]*)?>([^<]*)</\1>")


def problems(fid: str, out: str) -> list[str]:
    """Why this MathML renders wrong in Chromium (empty list: no known problem)."""
    s = _ANNOTATION_RE.sub("", out)
    found = []
    texts = [html.unescape(m.group(3)) for m in _TOKEN_RE.finditer(s)]
    if any(re.search(r"\\[A-Za-z]", t) for t in texts):
        found.append("a TeX command shown as text")
    if any(t == "&" for t in texts):
        found.append("a literal '&' (no table)")
    if re.search(r'mathvariant="(?!normal")', s):
        found.append("mathvariant other than normal (ignored by Chromium)")
    if re.search(r"<(mi|mo|mn|mtext)(\s[^>]*)?><m", s):
        found.append("a token element holding elements (laid out flat)")
    if re.search(r"<menclose|columnlines=|rowlines=|frame=", s):
        found.append("menclose / table rules (not drawn by Chromium)")
    if re.search(r"mathcolor=\"#cc0000\"", s):
        found.append("error text in red")
    decoded = html.unescape(s)
    for want in EXPECT.get(fid, []):
        if isinstance(want, str):
            if want not in decoded:
                found.append(f"missing {want!r}")
        elif not want.search(decoded):
            found.append(f"missing /{want.pattern}/")
    return found


# ----------------------------------------------------------------------- converters

_MATH_RE = re.compile(r"<math.*?</math>", re.S)


def conv_latex2mathml(tex: str, display: bool) -> str:
    import latex2mathml.converter

    return latex2mathml.converter.convert(tex, display="block" if display else "inline")


def conv_pykatex_raw(tex: str, display: bool) -> str:
    import pykatex

    out = pykatex.renderToString(tex, output=pykatex.OUTPUT_MATHML, displayMode=display,
                                 throwOnError=True, strict=pykatex.STRICT_IGNORE)
    return _MATH_RE.search(out).group(0)


def conv_katex_rs_raw(tex: str, display: bool) -> str:
    from markdown_katex_rs._rust import render_math

    return _MATH_RE.search(render_math(tex, display)).group(0)


def conv_katex_rs_post(tex: str, display: bool) -> str:
    from markdown_katex_rs._rust import render_math

    source = pn_mathml._prepare_tex(tex, display)
    return pn_mathml._postprocess(render_math(source, display))


def conv_chosen(tex: str, display: bool) -> str:
    return pn_mathml.MathConverter().to_mathml(tex, display=display)  # fresh: no cache


CONVERTERS: dict[str, Callable[[str, bool], str]] = {
    "latex2mathml": conv_latex2mathml,
    "pykatex (raw)": conv_pykatex_raw,
    "markdown-katex-rs (raw)": conv_katex_rs_raw,
    "markdown-katex-rs + post": conv_katex_rs_post,
    "pykatex + post (chosen)": conv_chosen,
}


def run(name: str, fn: Callable[[str, bool], str], repeat: int) -> dict:
    outputs: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    wrong: dict[str, list[str]] = {}
    per_formula: list[float] = []
    for fid, display, tex in CORPUS:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            try:
                out = fn(tex, display)
            except Exception as exc:  # noqa: BLE001 - we count them
                out = None
                err = " ".join(str(exc).split())[:90]
            times.append(time.perf_counter() - t0)
        per_formula.append(statistics.median(times))
        outputs[fid] = out
        if out is None:
            errors[fid] = err
        else:
            p = problems(fid, out)
            if p:
                wrong[fid] = p
    return {
        "name": name,
        "outputs": outputs,
        "errors": errors,
        "wrong": wrong,
        "median_us": statistics.median(per_formula) * 1e6,
        "mean_us": statistics.fmean(per_formula) * 1e6,
    }


def postprocess_us(repeat: int) -> float:
    import pykatex

    per_formula = []
    for _fid, display, tex in CORPUS:
        source = pn_mathml._prepare_tex(tex, display)
        raw = pykatex.renderToString(source, output=pykatex.OUTPUT_MATHML, displayMode=display,
                                     throwOnError=True, strict=pykatex.STRICT_IGNORE)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            pn_mathml._postprocess(raw)
            times.append(time.perf_counter() - t0)
        per_formula.append(statistics.median(times))
    return statistics.median(per_formula) * 1e6


def print_table(results: list[dict], verbose: bool) -> None:
    n = len(CORPUS)
    print(f"{len(CORPUS)} formulas\n")
    print(f"| converter | formulas | errors | wrong in Chromium | median µs/formula | mean µs/formula |")
    print(f"|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['name']} | {n} | {len(r['errors'])} | {len(r['wrong'])} | "
              f"{r['median_us']:.0f} | {r['mean_us']:.0f} |")
    if verbose:
        for r in results:
            print(f"\n## {r['name']}")
            for fid, e in r["errors"].items():
                print(f"  error  {fid}: {e}")
            for fid, p in r["wrong"].items():
                print(f"  wrong  {fid}: {'; '.join(p)}")


# ---------------------------------------------------------------------- screenshots

SHOTS: dict[str, list[str]] = {
    # file stem -> formula ids (same rows for every converter)
    "fonts-and-scripts": ["mathbb", "mathcal", "mathbf", "boldsymbol", "greek-bold", "mathrm-U",
                          "argmin-underset", "argmax-opstar", "overset", "elbo"],
    "environments": ["adam", "align-env", "split", "cases-piecewise", "bmatrix", "array",
                     "equation-tag", "boxed"],
}
SHOT_CONVERTERS = ["latex2mathml", "pykatex (raw)", "markdown-katex-rs (raw)", "pykatex + post (chosen)"]

PAGE_CSS = """
body { margin: 0; padding: 8px; background: #fff; color: #000;
       font: 13px/1.3 "DejaVu Sans", sans-serif; }
math { font-family: math, "Latin Modern Math", "STIX Two Math", "Cambria Math", serif;
       font-size: 15px; }
table { border-collapse: collapse; }
td, th { border: 1px solid #bbb; padding: 3px 6px; vertical-align: middle; }
th { font-weight: 600; background: #f2f2f2; }
td.id { font: 12px monospace; color: #444; }
td.err { color: #b00; font: 12px monospace; max-width: 16em; }
"""


def page(results: dict[str, dict], ids: list[str], names: list[str]) -> str:
    rows = ["<tr><th>formula</th>" + "".join(f"<th>{html.escape(n)}</th>" for n in names) + "</tr>"]
    for fid in ids:
        cells = [f'<td class="id">{fid}</td>']
        for n in names:
            out = results[n]["outputs"][fid]
            if out is None:
                cells.append(f'<td class="err">error: {html.escape(results[n]["errors"][fid][:60])}</td>')
            else:
                cells.append(f"<td>{out}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{PAGE_CSS}</style></head>"
            f"<body><table id='t'>{''.join(rows)}</table></body></html>")


LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", "--disable-sync"]


def png_to_gray(path: Path, levels: int = 16) -> None:
    """Rewrite an 8-bit RGB(A) PNG as 4-bit grayscale (the pages are black text on white)."""
    import struct
    import zlib

    data = path.read_bytes()
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        return
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    step = 255 / (levels - 1)
    out = bytearray()
    for line in rows:
        g = [round(((line[i] + line[i + 1] + line[i + 2]) / 3) / step) for i in range(0, stride, bpp)]
        if len(g) % 2:
            g.append(0)
        out.append(0)  # filter: none
        out.extend((g[i] << 4) | g[i + 1] for i in range(0, len(g), 2))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 4, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(bytes(out), 9)) + chunk(b"IEND", b""))


def screenshots(results: dict[str, dict], outdir: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 800}, device_scale_factor=1)
        for stem, ids in SHOTS.items():
            pg.set_content(page(results, ids, SHOT_CONVERTERS))
            path = outdir / f"{stem}.png"
            pg.locator("#t").screenshot(path=str(path))
            written.append(path)
        # the whole corpus with the chosen converter, two columns
        chosen = "pykatex + post (chosen)"
        half = (len(CORPUS) + 1) // 2
        ids = [c[0] for c in CORPUS]
        left, right = ids[:half], ids[half:]
        rows = []
        for i in range(half):
            row = ""
            for col in (left, right):
                if i < len(col):
                    fid = col[i]
                    out = results[chosen]["outputs"][fid]
                    shown = out if out is not None else f"error: {html.escape(results[chosen]['errors'][fid])}"
                    row += f'<td class="id">{fid}</td><td>{shown}</td>'
            rows.append(f"<tr>{row}</tr>")
        pg.set_content(f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{PAGE_CSS}"
                       f"math {{ font-size: 14px; }}</style></head><body>"
                       f"<table id='t'>{''.join(rows)}</table></body></html>")
        path = outdir / "corpus-chosen.png"
        pg.locator("#t").screenshot(path=str(path))
        written.append(path)
        browser.close()
    for path in written:
        png_to_gray(path)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=15, help="runs per formula (default 15)")
    ap.add_argument("--screenshots", action="store_true", help="write docs/math/*.png")
    ap.add_argument("--outdir", type=Path, default=ROOT / "docs" / "math")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every error / wrong formula")
    ap.add_argument("--only", action="append", help="run only this converter (repeatable)")
    args = ap.parse_args(argv)

    names = args.only or list(CONVERTERS)
    for fn in CONVERTERS.values():  # warm up imports and engines
        try:
            fn("x", False)
        except Exception:  # noqa: BLE001
            pass
    results = [run(n, CONVERTERS[n], args.repeat) for n in names]
    print_table(results, args.verbose)
    if "pykatex + post (chosen)" in names:
        print(f"\npost-processing alone (papernotes.render.mathml rewrites of the pykatex output): "
              f"median {postprocess_us(args.repeat):.0f} µs/formula")
    if args.screenshots:
        by_name = {r["name"]: r for r in results}
        missing = [n for n in SHOT_CONVERTERS if n not in by_name]
        if missing:
            ap.error(f"--screenshots needs all of: {', '.join(SHOT_CONVERTERS)}")
        for path in screenshots(by_name, args.outdir):
            print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
