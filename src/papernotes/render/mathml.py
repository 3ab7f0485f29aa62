"""LaTeX -> MathML for the site build, rendered natively by the browser (no JS, no fonts).

The TeX is parsed by KaTeX (the ``pykatex`` wheel, KaTeX 0.16 running in QuickJS) with
``output="mathml"``; its MathML is then rewritten in one cheap pass so that it renders
correctly in Chromium's MathML Core implementation (see docs/math.md for the measurements):

* the ``<span class="katex">`` wrapper is dropped; the ``<annotation
  encoding="application/x-tex">`` with the TeX source is kept (copy/paste, accessibility);
* letters carrying a ``mathvariant`` other than "normal" (``\\mathbb``, ``\\mathcal``,
  ``\\mathbf``, ``\\boldsymbol``/``\\bm``, ``\\mathfrak``, ``\\mathsf``, ``\\mathtt``, ...)
  become the Unicode mathematical alphanumerics (ℝ ℒ 𝐀 𝒉 ...), which Chromium draws;
  ``<mtext mathvariant>`` (``\\textbf`` ...) becomes a CSS ``style``;
* token elements that KaTeX fills with elements (``<mi><munder>`` from ``\\underset``,
  ``<mo><mover>`` from ``\\overset``/``\\stackrel``, ``<mi><mrow>`` from
  ``\\boldsymbol{a+b}``) become ``<mrow>`` so the scripts are stacked, not flat;
* tables: KaTeX's empty ``mtr-glue``/``mml-eqn-num`` cells are removed, and
  ``columnalign``/``columnspacing``/``rowspacing``/``columnlines``/``rowlines``/``width``
  (ignored by Chromium) become inline CSS on the cells, so ``aligned``/``align`` line up
  on the ``&`` and ``array`` rules are drawn;
* ``<menclose>`` (``\\boxed``, ``\\fbox``, ``\\cancel``, array frames) becomes an
  ``<mrow>`` with a CSS border/background;
* text accents KaTeX splits into ``<mover>`` (``\\text{é}``) are recomposed;
* spacing and stretching that Chromium gets wrong: a thin space after ``\\log``/``\\max``...,
  primes beside their base, ``\\|``/``\\lVert`` as U+2016 fences, ``\\big(`` without operator
  spacing, ``\\xrightarrow``/``\\widehat``/``\\overline`` in forms Chromium stretches.

Errors: KaTeX runs with ``throwOnError=False`` and its error output (and the red text it
draws for unknown or untrusted commands) becomes ``MathError``; see ``_check_tex`` for the
pykatex 0.1.1 crash this avoids.

``\\label{...}`` is removed before parsing (there is no cross-referencing), and a whole-formula
``equation``/``equation*`` environment is unwrapped so that a ``\\tag`` inside it is kept.
"""

from __future__ import annotations

import concurrent.futures
import html
import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import pykatex

from .katex_child import ChildEngine, ChildFailure
from .mathjax import row_tags, suggestion, to_katex, without_row_tags

__all__ = ["MathError", "MathConverter", "MathResult"]


class MathError(Exception):
    """A formula that could not be converted; str(e) is a short human message (one line)."""


# --------------------------------------------------------------------------- TeX input

_LABEL_RE = re.compile(r"\\label\s*\{[^{}]*\}")
_EQUATION_RE = re.compile(r"\A\s*\\begin\s*\{(equation\*?)\}(.*)\\end\s*\{\1\}\s*\Z", re.S)


# pykatex 0.1.1 corrupts its heap when KaTeX *throws* anything but a ParseError: it frees
# the error's inherited `name` string twice, and the fourth such error in a process aborts
# the interpreter (malloc_consolidate). So: KaTeX is called with throwOnError=False (parse
# errors then come back inside the output, nothing is thrown), the inputs known to make
# KaTeX throw a plain Error are rejected here first, and _EngineGuard stops calling pykatex
# in a process after two thrown errors.
_ENV_RE = re.compile(r"\\(begin|end)(?![A-Za-z])\s*(\{[A-Za-z]+\*?\})?")
_ENV_ARG_RE = re.compile(r"\\begin\{(array|darray|subarray|alignat\*?|alignedat)\}\s*(\{[^{}]*\})?")
_COLSPEC_RE = re.compile(r"\{[lcr|: ]*\}")
_COUNT_RE = re.compile(r"\{\s*[0-9]+\s*\}")


def _check_tex(tex: str) -> None:
    if tex.count("{") > MAX_NESTING or tex.count("\\left") > MAX_NESTING or tex.count("\\begin") > MAX_NESTING:
        _check_nesting(tex)
    if "\\genfrac" in tex:
        _check_genfrac(tex)
    if "\\begin" not in tex and "\\end" not in tex:
        return
    for m in _ENV_RE.finditer(tex):
        if m.group(2) is None:
            raise MathError(f"\\{m.group(1)} must be followed by an environment name in braces, "
                            f"like \\{m.group(1)}{{aligned}}")
    for m in _ENV_ARG_RE.finditer(tex):
        env, arg = m.groups()
        if env.startswith("align"):
            if arg is None or not _COUNT_RE.fullmatch(arg):
                raise MathError(f"\\begin{{{env}}} must be followed by a number of columns, like {{2}}")
        elif arg is None or not _COLSPEC_RE.fullmatch(arg):
            raise MathError(f"\\begin{{{env}}} must be followed by its column specification "
                            f"made of l, c, r, | and :, like {{cc|c}}")
    for m in _CD_RE.finditer(tex):
        _check_cd(tex, m.end())


# Found by fuzzing (scripts/fuzz.py): deep nesting overflows QuickJS's stack, and KaTeX then throws
# "stack size exceeded" (an InternalError, not a ParseError). 27 nested \boxed{…} are enough (the
# costliest per level found; plain braces take 151, \left( 96, \frac 82), so the braces, \left and
# \begin open at once are limited to 20. Macros (\def) can still nest deeper than they look;
# _EngineGuard is the last line for those.
MAX_NESTING = 20
_NESTING_RE = re.compile(r"\\(?:left|right|begin|end)(?![A-Za-z])|\\.|[{}]", re.S)


def _check_nesting(tex: str) -> None:
    depth = deepest = 0
    for m in _NESTING_RE.finditer(tex):
        token = m.group(0)
        if token in ("{", "\\left", "\\begin"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in ("}", "\\right", "\\end"):
            depth = max(0, depth - 1)
    if deepest > MAX_NESTING:
        raise MathError(f"the formula nests {deepest} levels deep (braces, \\left, \\begin); "
                        f"at most {MAX_NESTING} are allowed")


# Found by fuzzing (scripts/fuzz.py): KaTeX also throws a plain Error for a \genfrac whose style
# argument does not start with a text character (``{ }``, ``{\,}``, ``{{}}``, ``\x``), and for an
# ``@`` in a CD diagram not followed by an arrow character (``@`` at the end of a row, ``@{``, ``@x^2``).
_CD_RE = re.compile(r"\\begin\s*\{CD\}")
_CD_END_RE = re.compile(r"\\end\s*\{CD\}")
_GENFRAC_RE = re.compile(r"\\genfrac(?![A-Za-z])")
_GENFRAC_STYLE_RE = re.compile(r"\{\}|\{[0-3][ \t\n]*\}|[0-3]")


def _tex_arguments(tex: str, pos: int, count: int) -> list[str] | None:
    """The next ``count`` macro arguments from ``pos`` (a braced group, braces kept, or one token);
    None when the formula ends first (KaTeX reports that itself)."""
    found: list[str] = []
    n = len(tex)
    for _ in range(count):
        while pos < n and tex[pos].isspace():
            pos += 1
        if pos >= n:
            return None
        start = pos
        if tex[pos] == "{":
            depth = 0
            while pos < n:
                if tex[pos] == "\\":
                    pos += 2
                    continue
                depth += {"{": 1, "}": -1}.get(tex[pos], 0)
                pos += 1
                if depth == 0:
                    break
            if depth:
                return None
        elif tex[pos] == "\\":
            m = re.compile(r"\\(?:[A-Za-z]+|.)", re.S).match(tex, pos)
            pos = m.end() if m else n
        else:
            pos += 1
        found.append(tex[start:pos])
    return found


def _check_genfrac(tex: str) -> None:
    for m in _GENFRAC_RE.finditer(tex):
        args = _tex_arguments(tex, m.end(), 4)
        if args is not None and not (args[2].startswith("{") and _GENFRAC_STYLE_RE.fullmatch(args[3])):
            raise MathError("\\genfrac takes {left}{right}{thickness}{style}{numerator}{denominator}, "
                            "the thickness in braces and the style empty or 0 to 3, like \\genfrac(){0pt}{1}{a}{b}")


def _check_cd(tex: str, pos: int) -> None:
    end = _CD_END_RE.search(tex, pos)
    body = tex[pos : end.start() if end else len(tex)]
    depth, i = 0, 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "{}":
            depth += 1 if ch == "{" else -1
        elif ch == "@" and depth == 0:
            rest = body[i + 1 :].lstrip()
            if not rest or rest[0] not in "<>AV=|.":
                raise MathError("in a CD diagram every @ starts an arrow and must be followed by one of "
                                "< > A V = | . (like @>>> or @VVV)")
        i += 1


class _EngineGuard:
    """Counts the errors pykatex let KaTeX throw in this process (each one damages its heap):
    after one, this process's engine is not used again; formulas go to a child process
    (``katex_child``), so the build goes on with its math.

    This is process state on purpose: the damage is to the one QuickJS runtime per process."""

    def __init__(self) -> None:
        self.thrown = 0


_GUARD = _EngineGuard()

#: Macro definitions: they can nest deeper than they look (a \def doubling \boxed 14 times
#: overflows KaTeX's stack), so such formulas are converted in a child process.
_MACRO_RE = re.compile(r"\\(?:def|gdef|edef|xdef|let|futurelet|newcommand|renewcommand|providecommand|"
                       r"DeclareRobustCommand|newenvironment|renewenvironment)(?![A-Za-z])")


def katex_options() -> dict:
    """How KaTeX is called, here and in the child process."""
    return {
        "output": pykatex.OUTPUT_MATHML,
        # KaTeX then reports a ParseError inside its output instead of throwing it
        # (see _ENV_RE about pykatex's handling of thrown errors)
        "throwOnError": False,
        "strict": pykatex.STRICT_IGNORE,
        "trust": False,
    }


class _EngineThread:
    """Runs every pykatex call on one thread of its own.

    pykatex 0.1.1's QuickJS runtime remembers the stack of the thread that first used it; called
    from another thread (the preview server rebuilds on one) it fails with "size exceeded". Like
    ``_GUARD``, this is process state on purpose: there is one runtime per process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._pid = 0

    @property
    def started(self) -> bool:
        return self._executor is not None and self._pid == os.getpid()

    def call(self, function, *args, **kwargs):
        with self._lock:
            if self._executor is None or self._pid != os.getpid():  # a forked child gets a new one
                self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="papernotes-katex")
                self._pid = os.getpid()
            executor = self._executor
        return executor.submit(function, *args, **kwargs).result()


_ENGINE = _EngineThread()


def engine_started() -> bool:
    """Whether this process has used the math engine. A process that has must not fork workers
    that convert math: the copy of the engine in a child fails on the child's threads."""
    return _ENGINE.started




#: KaTeX takes about 16 s and 450 MB per MB of TeX; no real formula is near this (an unclosed
#: ``$$`` swallowing the rest of a note is), so longer ones are refused at once (found by fuzzing).
MAX_TEX_LENGTH = 20_000


def _prepare_tex(tex: str, display: bool) -> str:
    if len(tex) > MAX_TEX_LENGTH:
        raise MathError(f"the formula is {len(tex):,} characters long, more than the {MAX_TEX_LENGTH:,} "
                        "allowed; is a $$ or \\begin left unclosed?")
    _check_tex(tex)
    if "\\label" in tex:
        tex = _LABEL_RE.sub("", tex)
    if display and "\\begin" in tex:
        m = _EQUATION_RE.match(tex)
        if m and "\\begin{equation" not in m.group(2):
            tex = m.group(2)
    return tex


_POSITION_RE = re.compile(r"^(.*? at position \d+):.*$", re.S)


def _error_message(exc: BaseException | str) -> str:
    msg = exc if isinstance(exc, str) else (str(exc) or exc.__class__.__name__)
    msg = _POSITION_RE.sub(r"\1", msg)
    msg = msg.replace("\u0332", "")  # KaTeX underlines the offending span with U+0332
    msg = " ".join(msg.split())
    if len(msg) > 200:
        msg = msg[:199] + "…"
    return msg


# ------------------------------------------------------------ mathvariant -> Unicode

# MathML mathvariant -> (name prefix in the Unicode Mathematical Alphanumeric Symbols
# block, prefix of the older Letterlike Symbols that fill its holes)
_VARIANT_NAMES = {
    "bold": ("MATHEMATICAL BOLD", None),
    "italic": ("MATHEMATICAL ITALIC", None),
    "bold-italic": ("MATHEMATICAL BOLD ITALIC", None),
    "script": ("MATHEMATICAL SCRIPT", "SCRIPT"),
    "bold-script": ("MATHEMATICAL BOLD SCRIPT", None),
    "fraktur": ("MATHEMATICAL FRAKTUR", "BLACK-LETTER"),
    "bold-fraktur": ("MATHEMATICAL BOLD FRAKTUR", None),
    "double-struck": ("MATHEMATICAL DOUBLE-STRUCK", "DOUBLE-STRUCK"),
    "sans-serif": ("MATHEMATICAL SANS-SERIF", None),
    "bold-sans-serif": ("MATHEMATICAL SANS-SERIF BOLD", None),
    "sans-serif-italic": ("MATHEMATICAL SANS-SERIF ITALIC", None),
    "sans-serif-bold-italic": ("MATHEMATICAL SANS-SERIF BOLD ITALIC", None),
    "monospace": ("MATHEMATICAL MONOSPACE", None),
}


def _char_suffix(ch: str) -> str | None:
    """'A' -> 'CAPITAL A', 'μ' -> 'SMALL MU', 'ϵ' -> 'EPSILON SYMBOL', '1' -> 'DIGIT ONE'."""
    name = unicodedata.name(ch, "")
    for prefix in ("LATIN ", "GREEK "):
        if name.startswith(prefix):
            name = name[len(prefix):]
    name = name.replace("LETTER ", "").replace("LUNATE ", "")
    return name or None


def _build_tables() -> Mapping[str, Mapping[int, str]]:
    sources = (
        [chr(c) for c in range(ord("A"), ord("Z") + 1)]
        + [chr(c) for c in range(ord("a"), ord("z") + 1)]
        + [chr(c) for c in range(ord("0"), ord("9") + 1)]
        + [chr(c) for c in range(0x391, 0x3AA) if c != 0x3A2]  # Α..Ω
        + [chr(c) for c in range(0x3B1, 0x3CA)]  # α..ω (with final sigma)
        + list("ϑϕϖϰϱϵϴ∇∂ıȷ")
    )
    tables: dict[str, Mapping[int, str]] = {}
    for variant, (new, old) in _VARIANT_NAMES.items():
        table: dict[int, str] = {}
        for ch in sources:
            suffix = _char_suffix(ch)
            if suffix is None:
                continue
            for prefix in (new, old):
                if prefix is None:
                    continue
                try:
                    table[ord(ch)] = unicodedata.lookup(f"{prefix} {suffix}")
                    break
                except KeyError:
                    pass
        if variant == "italic":
            table[ord("h")] = "\u210e"  # PLANCK CONSTANT fills the italic-h hole
        tables[variant] = MappingProxyType(table)
    return MappingProxyType(tables)


_TABLES = _build_tables()

_TEXT_STYLE = {
    "bold": "font-weight:bold",
    "italic": "font-style:italic",
    "bold-italic": "font-weight:bold;font-style:italic",
    "sans-serif": "font-family:sans-serif",
    "bold-sans-serif": "font-family:sans-serif;font-weight:bold",
    "sans-serif-italic": "font-family:sans-serif;font-style:italic",
    "sans-serif-bold-italic": "font-family:sans-serif;font-weight:bold;font-style:italic",
    "monospace": "font-family:monospace",
}

_VARIANT_TOKEN_RE = re.compile(
    r'<(mi|mn|mo|mtext)([^>]*?) mathvariant="([a-z-]+)"([^>]*)>([^<]*)</\1>'
)
_ENTITY_SPLIT_RE = re.compile(r"(&#?\w+;)")


def _map_text(text: str, table: Mapping[int, str]) -> str:
    if "&" not in text:
        return text.translate(table)
    parts = _ENTITY_SPLIT_RE.split(text)
    return "".join(p if i % 2 else p.translate(table) for i, p in enumerate(parts))


def _variant_token(m: re.Match[str]) -> str:
    tag, pre, variant, post, text = m.groups()
    if variant == "normal":
        return m.group(0)
    attrs = pre + post
    if tag == "mtext":
        style = _TEXT_STYLE.get(variant)
        if style is None:  # script/fraktur/double-struck text: use the letters
            table = _TABLES.get(variant)
            return f"<mtext{attrs}>{_map_text(text, table) if table else text}</mtext>"
        return f'<mtext{attrs} style="{style}">{text}</mtext>'
    table = _TABLES.get(variant)
    if table is None:
        return m.group(0)
    mapped = _map_text(text, table)
    if mapped == text and "bold" in variant:  # e.g. a bold '+': no Unicode form
        return f'<{tag}{attrs} style="font-weight:bold">{text}</{tag}>'
    return f"<{tag}{attrs}>{mapped}</{tag}>"


# ------------------------------------------------------------- structural rewrites

_TAG_RE = re.compile(r"<(/?)([a-z]+)((?:\s[^>]*?)?)(/?)>")
_ATTR_RE = re.compile(r'([a-z-]+)\s*=\s*"([^"]*)"')
_TOKENS = frozenset(("mi", "mo", "mn", "mtext", "ms"))
# a token element whose first child is an element (not allowed in MathML Core)
_NEEDS_PASS_RE = re.compile(
    r"<m(?:i|o|n|text)(?:\s[^>]*)?><m|<mtable|<menclose|<mpadded width=\"\+|<mo>\u2061</mo></mrow>"
)
_LINE = "0.06em"
_LINE_STYLES = {"solid": "solid", "dashed": "dashed"}

_ENCLOSE = {
    "box": f"border:{_LINE} solid;padding:0.2em 0.3em",
    "top": f"border-top:{_LINE} solid",
    "bottom": f"border-bottom:{_LINE} solid",
    "left": f"border-left:{_LINE} solid;padding-left:0.2em",
    "right": f"border-right:{_LINE} solid;padding-right:0.2em",
    "horizontalstrike": "background:linear-gradient(transparent 47%,currentColor 47%,currentColor 53%,transparent 53%)",
    "updiagonalstrike": "background:linear-gradient(to top right,transparent 46%,currentColor 46%,currentColor 54%,transparent 54%)",
    "downdiagonalstrike": "background:linear-gradient(to bottom right,transparent 46%,currentColor 46%,currentColor 54%,transparent 54%)",
}


def _attrs(s: str) -> dict[str, str]:
    return dict(_ATTR_RE.findall(s))


def _split(value: str | None) -> list[str]:
    return value.split() if value else []


def _pick(values: list[str], i: int, default: str) -> str:
    if not values:
        return default
    return values[i] if i < len(values) else values[-1]


def _half(length: str) -> str:
    m = re.fullmatch(r"(-?[0-9.]+)([a-z%]*)", length)
    if not m:
        return "0"
    value = float(m.group(1)) / 2
    return f"{value:g}{m.group(2) or 'em'}" if value else "0"


class _Table:
    __slots__ = ("align", "spacing", "rowspacing", "collines", "rowlines", "row", "col", "nrows",
                 "last_cell", "last_extra")

    def __init__(self, a: dict[str, str]) -> None:
        self.align = _split(a.get("columnalign"))
        self.spacing = _split(a.get("columnspacing"))
        self.rowspacing = _split(a.get("rowspacing"))
        self.collines = _split(a.get("columnlines"))
        self.rowlines = _split(a.get("rowlines"))
        self.row = -1
        self.col = -1
        self.nrows = 0
        self.last_cell = -1  # index in the output of the current row's latest <mtd>
        self.last_extra = ""


_STRUT = '<mspace height="0.75em" depth="0.3em"></mspace>'


def _cell_style(t: _Table, last_row: bool, last_col: bool) -> str:
    i, j = t.row, t.col
    rs = _half(_pick(t.rowspacing, i, "0.16em"))
    # half of each column gap on either side of it; none outside the first/last column
    left = _half(_pick(t.spacing, j - 1, "0.8em")) if j > 0 else "0"
    right = "0" if last_col else _half(_pick(t.spacing, j, "0.8em"))
    style = [f"padding:{rs} {right} {rs} {left}"]
    align = _pick(t.align, j, "center")
    if align in ("left", "right"):
        # Chromium centres mtd content by itself and left-aligns it for any author
        # text-align value except the legacy -webkit-left/-webkit-right/-webkit-center
        style.append(f"text-align:-webkit-{align}")
    if t.collines and j < len(t.collines) and t.collines[j] in _LINE_STYLES and not last_col:
        style.append(f"border-right:{_LINE} {_LINE_STYLES[t.collines[j]]}")
    if t.rowlines and not last_row:
        line = _pick(t.rowlines, i, "none")
        if line in _LINE_STYLES:
            style.append(f"border-bottom:{_LINE} {_LINE_STYLES[line]}")
    return ";".join(style)


def _restructure(s: str) -> str:
    """One left-to-right pass over the tags; see the module docstring."""
    out: list[str] = []
    # per open element: [name written out, number of element children, space-after flag]
    stack: list[list] = []
    tables: list[_Table] = []
    pos = 0
    tags = list(_TAG_RE.finditer(s))
    for k, m in enumerate(tags):
        closing, name, attr_text, selfclosing = m.groups()
        if m.start() > pos:
            out.append(s[pos:m.start()])
        pos = m.end()
        if selfclosing:
            if stack:
                stack[-1][1] += 1
            out.append(m.group(0))
            continue
        if closing:
            if not stack:
                out.append(m.group(0))
                continue
            written, _, space_after = stack.pop()
            if name == "mtable" and tables:
                tables.pop()
            elif name == "mtr" and tables and tables[-1].last_cell >= 0:
                t = tables[-1]  # now known to be the row's last cell: no gap on its right
                out[t.last_cell] = (f'<mtd style="{_cell_style(t, t.row >= t.nrows - 1, True)}{t.last_extra}">'
                                    + _STRUT)
                t.last_cell = -1
            # an operator name ending a script base (\max_a, \log^2, \operatorname*{x}_y)
            if (written == "mrow" and stack and stack[-1][0] in _SCRIPTS and stack[-1][1] == 1
                    and "".join(out[-3:]) == _FUNC_APPLY):
                stack[-1][2] = True
            out.append(f"</{written}>")
            if space_after and not _NEXT_NO_SPACE_RE.match(s, m.end()):
                out.append(_THIN)
            continue
        if stack:
            stack[-1][1] += 1
        written = name
        text = m.group(0)
        if name in _TOKENS and s.startswith("<m", m.end()):
            written = "mrow"
            text = "<mrow>"
        elif name == "mtable":
            a = _attrs(attr_text)
            t = _Table(a)
            t.nrows = _count_rows(tags, k)
            tables.append(t)
            style = []
            if a.get("width"):
                style.append(f"width:{a['width']}")
            frame = a.get("frame")
            if frame in _LINE_STYLES:
                style.append(f"border:{_LINE} {_LINE_STYLES[frame]}")
            # columnalign stays for engines that implement it (Firefox); spacing and
            # lines are now CSS on the cells
            align = f' columnalign="{a["columnalign"]}"' if a.get("columnalign") else ""
            text = f'<mtable{align} style="{";".join(style)}">' if style else f"<mtable{align}>"
        elif name == "mtr" and tables:
            tables[-1].row += 1
            tables[-1].col = -1
        elif name == "mtd" and tables:
            t = tables[-1]
            t.col += 1
            a = _attrs(attr_text)
            t.last_extra = f";width:{a['width']}" if a.get("width") else ""
            t.last_cell = len(out)
            # a strut, as TeX puts in every row of an array: a row of short letters (a, b, c) is
            # still 1.2em from baseline to baseline, and fences around the table stretch as in TeX
            text = (f'<mtd style="{_cell_style(t, t.row >= t.nrows - 1, False)}{t.last_extra}">'
                    + _STRUT)
        elif name == "menclose":
            notations = _split(_attrs(attr_text).get("notation"))
            styles = [_ENCLOSE[n] for n in notations if n in _ENCLOSE]
            if set(notations) >= {"top", "bottom", "left", "right"}:
                styles = [_ENCLOSE["box"]]
            written = "mrow"
            text = f'<mrow style="{";".join(styles)}">' if styles else "<mrow>"
        elif name == "mpadded" and 'width="+' in attr_text:
            # relative widths are not MathML Core: padding instead
            a = _attrs(attr_text)
            written = "mrow"
            if attr_text.strip() == 'width="+0.6em" lspace="0.3em"':
                # the label of \xrightarrow & co: 0.3em a side, the arrow at least 3em
                text = '<mrow style="padding:0 0.3em;min-width:2.4em">'
            else:  # \colorbox, \fcolorbox
                pad = a.get("lspace", "0")
                bg = a.get("mathbackground")
                bg_attr = f' mathbackground="{bg}"' if bg else ""
                text = f'<mrow{bg_attr} style="padding:{pad}">'
        stack.append([written, 0, False])
        out.append(text)
    out.append(s[pos:])
    return "".join(out)


def _count_rows(tags: list[re.Match[str]], start: int) -> int:
    depth = 0
    rows = 0
    for m in tags[start + 1:]:
        closing, name = m.group(1), m.group(2)
        if name == "mtable":
            if closing:
                if depth == 0:
                    break
                depth -= 1
            else:
                depth += 1
        elif name == "mtr" and not closing and depth == 0:
            rows += 1
    return rows


# KaTeX splits accented letters in \text into <mover accent> + a spacing accent
_TEXT_ACCENT_RE = re.compile(r'<mover accent="true"><(mtext|mi)>([A-Za-z])</\1><mo>([ˊˋ¨ˆ˜ˇˉ˘˙˚])</mo></mover>')
_COMBINING = {"ˊ": "\u0301", "ˋ": "\u0300", "¨": "\u0308", "ˆ": "\u0302", "˜": "\u0303",
              "ˇ": "\u030c", "ˉ": "\u0304", "˘": "\u0306", "˙": "\u0307", "˚": "\u030a"}


def _text_accent(m: re.Match[str]) -> str:
    tag, letter, accent = m.groups()
    if tag == "mi":  # \hat{x}, \bar{x} ... in math: keep the real accent
        return m.group(0)
    return f"<mtext>{unicodedata.normalize('NFC', letter + _COMBINING[accent])}</mtext>"


# \log p, \max_a Q: TeX puts a thin space after an operator name unless an opening
# delimiter, a big operator or a relation follows; Chromium gives U+2061 no space at all.
_FUNC_APPLY = "<mo>\u2061</mo>"
_FUNC_SPACED = '<mo rspace="0.1667em">\u2061</mo>'
_FUNC_RE = re.compile(
    "<mo>\u2061</mo>(?!(?:<(?:msub|msup|msubsup|munder|mover|munderover|mrow)>)*<mo[ >]|</)"
)
# the operator name is the base of a script: the space goes after the scripted element
_NEEDS_SPACE_AFTER = "<mo>\u2061</mo></mrow>"
_NEXT_NO_SPACE_RE = re.compile(r"(?:<(?:msub|msup|msubsup|munder|mover|munderover|mrow)>)*<mo[ >]|</")
_THIN = '<mspace width="0.1667em"/>'
# ... and before it when an ordinary symbol or a closing delimiter precedes (p(x) \log q, \gamma \max_a)
_FUNC_BEFORE_RE = re.compile(
    r'(</mi>|</mn>|</msub>|</msup>|</msubsup>|</mfrac>|<mo stretchy="false">[)\]]</mo>)'
    r'((?:<(?:msub|msup|msubsup|munder|mover|munderover)><mrow>)?'
    r'<mi(?: mathvariant="normal")?>[A-Za-z ]+</mi><mo(?: rspace="0.1667em")?>\u2061</mo>)'
)
# \big( \Big] ...: an infix "(" has no entry in the operator dictionary, so Chromium gives
# it the default 0.28em on both sides; TeX gives these delimiters none
_BIG_DELIM_RE = re.compile(r'<mo fence="false" stretchy="true" (minsize="[^"]*" maxsize="[^"]*")>')
_SCRIPTS = frozenset(("msub", "msup", "msubsup", "munder", "mover", "munderover"))

# f' : a prime as a superscript is drawn tiny and high by Chromium; U+2032 is already a
# raised glyph, so put it beside a one-token base instead (f′, s″ ...)
_PRIME_RE = re.compile(
    r'<(msup|msubsup)>(<(mi|mn)>[^<]*</\3>)(<(?:mi|mn)>[^<]*</(?:mi|mn)>)?'
    r'(?:<mo mathvariant="normal" lspace="0em" rspace="0em">(′)</mo>'
    r'|<mrow>((?:<mo mathvariant="normal">′</mo>){2,3})</mrow>)</\1>'
)
_PRIMES = {1: "′", 2: "″", 3: "‴"}


def _prime(m: re.Match[str]) -> str:
    tag, base, _, sub, single, several = m.groups()
    if (tag == "msubsup") != (sub is not None):
        return m.group(0)
    n = 1 if single else several.count("′")
    primed = f'<mrow>{base}<mo lspace="0em" rspace="0em">{_PRIMES[n]}</mo></mrow>'
    return f"<msub>{primed}{sub}</msub>" if sub else primed


# \| \lVert \left\| : KaTeX writes U+2225 PARALLEL TO, a relation with wide spacing in
# Chromium; U+2016 DOUBLE VERTICAL LINE is the fence (\parallel, a bare <mo>, is kept)
_DOUBLE_BAR_RE = re.compile(r"<(mo|mi)( [^>]+)>∥</\1>")


def _double_bar(m: re.Match[str]) -> str:
    tag, attrs = m.groups()
    if tag == "mo" and "lspace" not in attrs:
        attrs += ' lspace="0em" rspace="0em"'
    return f"<{tag}{attrs}>‖</{tag}>"


# stretchy accents Chromium does stretch with these code points (Latin Modern Math)
_STRETCHY = (
    ('<mo stretchy="true">^</mo>', '<mo stretchy="true">\u0302</mo>'),  # \widehat
    ('<mo stretchy="true">‾</mo>', '<mo stretchy="true">\u0332</mo>'),  # \overline
)
# \xrightarrow: Chromium does not stretch an arrow with minsize; KaTeX's relative
# mpadded width ("+0.6em") is not MathML Core: both become CSS
_ARROW_MINSIZE_RE = re.compile(r'(<mo stretchy="true") minsize="[^"]*">')


# KaTeX renders untrusted commands (\href, \url, \includegraphics, \htmlClass ...) as red text
_UNSUPPORTED_RE = re.compile(r'<mstyle mathcolor="#cc0000"><mtext[^>]*>(\\[A-Za-z]+)</mtext></mstyle>')
# with throwOnError=False: an unknown command is drawn as red text, a parse error replaces
# the whole output with <span class="katex-error" title="ParseError: KaTeX parse error: ...">
_KATEX_ERROR_RE = re.compile(r'<span class="katex-error" title="([^"]*)"')
_ERROR_PREFIX_RE = re.compile(r"^(?:ParseError: )?(?:KaTeX parse error: )?")
_TRUSTED_ONLY = frozenset(("\\href", "\\url", "\\includegraphics", "\\htmlClass", "\\htmlId",
                           "\\htmlStyle", "\\htmlData"))

_ANNOTATION_RE = re.compile(r'<annotation encoding="application/x-tex">.*?</annotation>', re.S)
_GLUE = ('<mtd class ="mtr-glue"></mtd>', '<mtd class ="mml-eqn-num"></mtd>')


def _postprocess(raw: str) -> str:
    if raw.startswith('<span class="katex-error"'):
        m = _KATEX_ERROR_RE.match(raw)
        message = html.unescape(m.group(1)) if m else "invalid formula"
        raise MathError(_error_message(_ERROR_PREFIX_RE.sub("", message)))
    start = raw.find("<math")
    end = raw.rfind("</math>")
    if start < 0 or end < 0:
        raise MathError("the math engine returned no MathML")
    s = raw[start:end + 7]
    m = _UNSUPPORTED_RE.search(s)
    if m:
        command = m.group(1)
        if command in _TRUSTED_ONLY:
            raise MathError(f"{command} is not allowed in formulas")
        raise MathError(f"Undefined control sequence: {command}")
    if 'mathvariant="' in s:
        s = _VARIANT_TOKEN_RE.sub(_variant_token, s)
        if "′" in s:
            s = _PRIME_RE.sub(_prime, s)
    if "<mover accent" in s and "<mtext>" in s:
        s = _TEXT_ACCENT_RE.sub(_text_accent, s)
    if "∥" in s:
        s = _DOUBLE_BAR_RE.sub(_double_bar, s)
    if 'stretchy="true"' in s:
        for old, new in _STRETCHY:
            s = s.replace(old, new)
        if "minsize" in s:
            s = _ARROW_MINSIZE_RE.sub(r"\1>", s)
    if "\u2061" in s:
        s = _FUNC_RE.sub(_FUNC_SPACED, s)
        s = _FUNC_BEFORE_RE.sub(r"\1" + _THIN + r"\2", s)
    if 'fence="false" stretchy="true" minsize' in s:
        s = _BIG_DELIM_RE.sub(r'<mo fence="false" stretchy="true" \1 lspace="0em" rspace="0em">', s)
    if "<mtable" in s:
        for glue in _GLUE:
            s = s.replace(glue, "")
    if _NEEDS_PASS_RE.search(s):
        s = _restructure(s)
    return s


# ------------------------------------------------------------------------ converter

@dataclass(frozen=True)
class MathResult:
    mathml: str  # one <math> element
    notices: tuple[str, ...] = ()  # for the author: what was rewritten or shown in red


#: Unknown commands shown in red in one formula before it is given up as an error.
MAX_UNKNOWN_COMMANDS = 3
_UNDEFINED_RE = re.compile(r"Undefined control sequence: (\\[A-Za-z]+)")


_TABLE_TAG_RE = re.compile(r"<mtable\b|</mtable>|</mtr>")


def _with_tag_column(mathml: str, rows: list) -> str:
    """A last cell in each row of the outermost table, holding that row's tag (flush right)."""
    out, pos, depth, row = [], 0, 0, 0
    for m in _TABLE_TAG_RE.finditer(mathml):
        token = m.group(0)
        if token == "</mtable>":
            depth -= 1
        elif token == "</mtr>" and depth == 1:
            tag = rows[row] if row < len(rows) else None
            cell = f"<mtext>{html.escape(tag.text)}</mtext>" if tag is not None else ""
            out.append(mathml[pos:m.start()] + '<mtd style="padding:0 0 0 2em;text-align:-webkit-right">' + cell + "</mtd>")
            pos = m.start()
            row += 1
        elif token.startswith("<mtable"):
            depth += 1
    out.append(mathml[pos:])
    return "".join(out)


def _with_annotation(mathml: str, tex: str) -> str:
    return _ANNOTATION_RE.sub(
        lambda _m: f'<annotation encoding="application/x-tex">{html.escape(tex)}</annotation>', mathml, count=1)


def _shown_in_red(command: str) -> str:
    return r"{\color{#d1242f}\texttt{\textbackslash " + command[1:] + "}}"


class MathConverter:
    """Converts TeX formulas to MathML elements; one instance per build (it caches)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, bool], MathResult] = {}
        self._child = ChildEngine()  # started only for a formula that needs it

    def to_mathml(self, tex: str, *, display: bool) -> str:
        """Return one '<math ...>...</math>' element (display="block" when display) for the TeX source.
        Raises MathError on a formula that cannot be converted. Results cached by (tex, display)."""
        return self.convert(tex, display=display).mathml

    def convert(self, tex: str, *, display: bool) -> "MathResult":
        """The MathML of ``tex`` and what the author should hear about it (a MathJax construct
        rewritten, an unknown command shown in red). Raises MathError when nothing can be drawn."""
        key = (tex, display)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        source, notices = to_katex(tex, display)
        rows = row_tags(source) if display else None
        if rows:  # KaTeX's MathML drops \tag inside align/gather: added back as a last column
            source = without_row_tags(source)
        shown: list[str] = []
        for _attempt in range(MAX_UNKNOWN_COMMANDS + 1):
            try:
                mathml = self._convert(source, display)
                break
            except MathError as exc:
                # as MathJax does: an unknown command is shown in red, the rest is drawn
                m = _UNDEFINED_RE.search(str(exc))
                if not m or len(shown) >= MAX_UNKNOWN_COMMANDS or m.group(1) in shown:
                    raise
                command = m.group(1)
                shown.append(command)
                source = re.sub(re.escape(command) + r"(?![A-Za-z])",
                                lambda _m: _shown_in_red(command), source)
        for command in shown:
            hint = suggestion(command[1:])
            notices.append(f"unknown command {command} is shown in red"
                           + (f"; did you mean \\{hint}?" if hint else ""))
        if rows:
            mathml = _with_tag_column(mathml, rows)
        if source != tex:  # the annotation shows what the author wrote
            mathml = _with_annotation(mathml, tex)
        result = MathResult(mathml, tuple(notices))
        self._cache[key] = result
        return result

    def _convert(self, tex: str, display: bool) -> str:
        source = _prepare_tex(tex, display)
        if not source.strip():
            raise MathError("empty formula")
        if _GUARD.thrown or _MACRO_RE.search(source):
            # in a child process: macros can nest deeper than they look, and once this process's
            # engine has thrown it is damaged (see _EngineGuard); a failure there is this formula's alone
            try:
                raw = self._child.convert(source, display)
            except ChildFailure as exc:
                message = _error_message(str(exc))
                if "size exceeded" in message:  # QuickJS's stack
                    message = "its macros expand too deeply; does a \\def or \\newcommand nest itself?"
                raise MathError(f"the formula could not be converted (math engine: {message})") from None
        else:
            try:
                raw = _ENGINE.call(pykatex.renderToString, source, displayMode=display, **katex_options())
            except pykatex.ParseError as exc:  # with throwOnError=False: a KaTeX-internal error
                _GUARD.thrown += 1
                # pykatex cuts the first 19 characters off the message (a ParseError's prefix)
                raise MathError(
                    f"the formula could not be converted (math engine: …{_error_message(exc)})"
                ) from None
            except (ValueError, UnicodeError) as exc:  # NUL characters, lone surrogates
                raise MathError(f"the formula could not be converted: {_error_message(exc)}") from None
        result = _postprocess(raw)
        return _with_annotation(result, tex) if source != tex else result
