"""The MathJax dialect, rewritten into TeX that KaTeX converts.

Notes are written for MathJax (Jekyll, Typora, Obsidian, GitHub): what it showed the author must
show here. ``to_katex`` rewrites, before KaTeX sees the formula, what KaTeX does not accept
(the table in docs/math.md lists each with what is done):

* ``\\require{…}`` (MathJax loads an extension): removed;
* ``\\mbox{…}`` → ``\\text{…}``;
* ``eqnarray`` / ``eqnarray*`` → a display-style ``rcl`` array (``darray``), ``\\nonumber`` dropped;
* ``\\begin{array}`` with no column specification (or ``{}``): centred columns, as many as the
  widest row has;
* ``\\enclose{notation}[attributes]{…}`` → ``\\boxed``, ``\\cancel``, ``\\bcancel``, ``\\xcancel``,
  ``\\overline``, ``\\underline``;
* display environments in inline math: ``equation`` unwrapped, ``align`` → ``aligned``,
  ``gather``/``multline`` → ``gathered``, ``alignat`` → ``alignedat``;
* ``\\newcommand{\\R}[n]{…}`` → ``\\def\\R#1…{…}`` (KaTeX refuses to define a command it has);
* ``\\eqref{key}`` / ``\\ref{key}``: the ``\\tag`` of the formula with ``\\label{key}`` in the same
  note, as MathJax shows it ("(???)" when there is none), see ``equations.py``;
* mhchem's ``\\ce{…}`` and ``\\pu{…}`` in their common forms (formulas with counts and charges,
  states, reaction arrows with labels, quantities with units): see ``chemistry``.

Unknown commands are handled by the converter (``mathml.MathConverter``): like MathJax, the
command is shown in red and the rest of the formula is drawn, with a warning and a suggestion.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .equations import plain_key

_REQUIRE_RE = re.compile(r"\\require\s*\{[^{}]*\}")
_MBOX_RE = re.compile(r"\\mbox(?![A-Za-z])")
_EQNARRAY_RE = re.compile(r"\\(begin|end)\s*\{eqnarray\*?\}")
_NONUMBER_RE = re.compile(r"\\(?:nonumber|notag)(?![A-Za-z])")
_ARRAY_OPEN_RE = re.compile(r"\\begin\s*\{array\}(\s*\{\s*\})?(?!\s*\{)")
_ARRAY_CLOSE_RE = re.compile(r"\\end\s*\{array\}")
_ENCLOSE_RE = re.compile(r"\\enclose(?![A-Za-z])")
_INLINE_ENV_RE = re.compile(r"\\(begin|end)\s*\{(equation|align|gather|multline|alignat|flalign)(\*?)\}")
_INLINE_ENVS = {"align": "aligned", "flalign": "aligned", "gather": "gathered", "multline": "gathered",
                "alignat": "alignedat"}
_CHEM_RE = re.compile(r"\\(ce|pu)\s*\{")
_REFERENCE_RE = re.compile(r"\\(eqref|ref)\s*\{([^{}]*)\}")
#: What a reference becomes until the note's equations are all known (``equations.resolve``).
REFERENCE_MARK = "@@papernotes-{kind}:{key}@@"
_NEWCOMMAND_RE = re.compile(r"\\newcommand\s*(?:\{\s*\\([A-Za-z]+)\s*\}|\\([A-Za-z]+))\s*(?:\[\s*(\d)\s*\])?\s*(?=\{)")


def to_katex(tex: str, display: bool) -> tuple[str, list[str]]:
    """``tex`` with the MathJax-only constructs rewritten, and a note for each rewrite worth
    telling the author about (empty when nothing needed saying)."""
    notes: list[str] = []
    if "\\require" in tex:
        tex = _REQUIRE_RE.sub("", tex)
    if "\\mbox" in tex:
        tex = _MBOX_RE.sub(r"\\text", tex)
    if "eqnarray" in tex and _EQNARRAY_RE.search(tex):
        tex = _NONUMBER_RE.sub("", tex)
        tex = _EQNARRAY_RE.sub(lambda m: r"\begin{darray}{rcl}" if m.group(1) == "begin" else r"\end{darray}", tex)
        notes.append("eqnarray is rendered as an rcl array (without equation numbers)")
    if "\\begin" in tex and "array" in tex:
        tex = _array_columns(tex)
    if "\\enclose" in tex:
        tex = _enclose(tex)
    if not display and "\\begin" in tex:
        tex = _inline_environments(tex)
    if "\\ce" in tex or "\\pu" in tex:
        tex = _chemistry(tex)
    if "\\newcommand" in tex:
        tex = _NEWCOMMAND_RE.sub(_as_def, tex)
    if "ref" in tex and _REFERENCE_RE.search(tex):
        tex = _REFERENCE_RE.sub(lambda m: r"\text{" + REFERENCE_MARK.format(kind=m.group(1), key=plain_key(m.group(2))) + "}", tex)
    return tex, notes


def _as_def(m: re.Match) -> str:
    """``\\newcommand{\\R}[1]{…}`` → ``\\def\\R#1{…}``: MathJax lets a note define a command KaTeX
    already has (``\\R``, ``\\C``, ``\\N`` …); KaTeX refuses ``\\newcommand`` for those."""
    name = m.group(1) or m.group(2)
    count = int(m.group(3) or 0)
    return "\\def\\" + name + "".join(f"#{i}" for i in range(1, count + 1))


# --------------------------------------------------------------------------- groups

def _group_end(tex: str, start: int) -> int:
    """The index after the brace group opening at ``tex[start] == "{"`` (len(tex) if unclosed)."""
    depth, i = 0, start
    while i < len(tex):
        ch = tex[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(tex)


def _top_level_count(text: str, needle: str) -> int:
    depth = count = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if needle == "\\\\" and text.startswith("\\\\", i) and depth == 0:
                count += 1
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch == needle and depth == 0:
            count += 1
        i += 1
    return count


# --------------------------------------------------------------------------- rewrites

def _array_columns(tex: str) -> str:
    out, pos = [], 0
    for m in _ARRAY_OPEN_RE.finditer(tex):
        close = _ARRAY_CLOSE_RE.search(tex, m.end())
        body = tex[m.end(): close.start() if close else len(tex)]
        rows = re.split(r"\\\\", body)
        columns = max((_top_level_count(row, "&") + 1 for row in rows), default=1)
        out.append(tex[pos:m.start()] + r"\begin{array}{" + "c" * columns + "}")
        pos = m.end()
    return "".join(out) + tex[pos:] if out else tex


_ENCLOSE_AS = {"box": r"\boxed", "roundedbox": r"\boxed", "circle": r"\boxed", "updiagonalstrike": r"\cancel",
               "downdiagonalstrike": r"\bcancel", "horizontalstrike": r"\cancel", "top": r"\overline",
               "bottom": r"\underline", "left": r"\boxed", "right": r"\boxed", "actuarial": r"\boxed",
               "madruwb": r"\boxed", "radical": r"\sqrt", "longdiv": r"\boxed"}


def _enclose(tex: str) -> str:
    out, pos = [], 0
    for m in _ENCLOSE_RE.finditer(tex):
        if m.start() < pos:
            continue
        i = m.end()
        while i < len(tex) and tex[i].isspace():
            i += 1
        if i >= len(tex) or tex[i] != "{":
            continue
        notation_end = _group_end(tex, i)
        notations = {n.strip() for n in tex[i + 1: notation_end - 1].replace(",", " ").split()}
        j = notation_end
        while j < len(tex) and tex[j].isspace():
            j += 1
        if j < len(tex) and tex[j] == "[":  # [mathcolor=red, …]: attributes, not drawn
            close = tex.find("]", j)
            j = close + 1 if close >= 0 else j
            while j < len(tex) and tex[j].isspace():
                j += 1
        if j >= len(tex) or tex[j] != "{":
            continue
        body_end = _group_end(tex, j)
        body = tex[j: body_end]
        if {"updiagonalstrike", "downdiagonalstrike"} <= notations:
            wrapped = r"\xcancel" + body
        else:
            commands = [_ENCLOSE_AS[n] for n in sorted(notations) if n in _ENCLOSE_AS]
            wrapped = (commands[0] + body) if commands else body
        out.append(tex[pos:m.start()] + "{" + wrapped + "}")
        pos = body_end
    return "".join(out) + tex[pos:] if out else tex


def _inline_environments(tex: str) -> str:
    def replace(m: re.Match) -> str:
        kind, name = m.group(1), m.group(2)
        if name == "equation":
            return ""
        return "\\" + kind + "{" + _INLINE_ENVS[name] + "}"

    return _INLINE_ENV_RE.sub(replace, tex)


# --------------------------------------------------------------------------- mhchem

_ARROWS = {"->": r"\longrightarrow", "<-": r"\longleftarrow", "<->": r"\longleftrightarrow",
           "<=>": r"\rightleftharpoons", "<=>>": r"\rightleftharpoons", "<<=>": r"\rightleftharpoons",
           "=": "=", "+": "+"}
_X_ARROWS = {"->": r"\xrightarrow", "<-": r"\xleftarrow", "<->": r"\xleftrightarrow",
             "<=>": r"\xrightleftharpoons"}
_ARROW_RE = re.compile(r"^(<=>>|<<=>|<=>|<->|->|<-)(?:\[([^\]]*)\])?(?:\[([^\]]*)\])?$")
_STATE_RE = re.compile(r"\((?:s|l|g|aq|cr|sln)\)")
_SPECIES_RE = re.compile(r"(?P<coef>^\d+(?:/\d+)?|^\d*\.\d+)?(?P<rest>.*)$")


def _chemistry(tex: str) -> str:
    out, pos = [], 0
    for m in _CHEM_RE.finditer(tex):
        if m.start() < pos:
            continue
        brace = m.end() - 1
        end = _group_end(tex, brace)
        body = tex[brace + 1: end - 1]
        converted = chemistry(body) if m.group(1) == "ce" else quantity(body)
        out.append(tex[pos:m.start()] + "{" + converted + "}")
        pos = end
    return "".join(out) + tex[pos:] if out else tex


def chemistry(body: str) -> str:
    """mhchem's ``\\ce{…}`` in its common forms: ``2H2O + CO2 -> H2CO3``, ``SO4^2-``, ``Fe^{3+}``,
    ``Na+``, ``NaCl(aq)``, ``A ->[\\Delta] B``, ``CuSO4.5H2O``."""
    parts = []
    for token in body.split():
        arrow = _ARROW_RE.match(token)
        if arrow:
            above, below = arrow.group(2), arrow.group(3)
            if above is None and below is None:
                parts.append(_ARROWS[arrow.group(1)])
            else:
                command = _X_ARROWS.get(arrow.group(1), r"\xrightarrow")
                label = lambda text: _label(text or "")  # noqa: E731 - a two-line helper
                parts.append(command + (f"[{label(below)}]" if below else "") + "{" + label(above) + "}")
        elif token in _ARROWS:
            parts.append(_ARROWS[token])
        else:
            parts.append(_species(token))
    return r"\,".join(parts) if parts else ""


def _label(text: str) -> str:
    if "$" in text:
        return text.replace("$", "")
    return text if text.startswith("\\") else r"\text{" + text + "}"


def _species(token: str) -> str:
    m = _SPECIES_RE.match(token)
    coefficient = m.group("coef") or "" if m else ""
    rest = m.group("rest") if m else token
    pieces: list[str] = []
    i = 0
    while i < len(rest):
        ch = rest[i]
        state = _STATE_RE.match(rest, i)
        if state:
            pieces.append(r"\text{" + state.group(0) + "}")
            i = state.end()
        elif ch == "^":
            if rest[i + 1: i + 2] == "{":
                end = _group_end(rest, i + 1)
                pieces.append("^{" + rest[i + 2: end - 1] + "}")
                i = end
            else:
                charge = re.match(r"\^(\d*[+-]|\d+)", rest[i:])
                pieces.append("^{" + (charge.group(1) if charge else "") + "}")
                i += len(charge.group(0)) if charge else 1
        elif ch == "_" and rest[i + 1: i + 2] == "{":
            end = _group_end(rest, i + 1)
            pieces.append("_{" + rest[i + 2: end - 1] + "}")
            i = end
        elif ch.isdigit() and pieces:
            digits = re.match(r"\d+", rest[i:]).group(0)
            pieces.append("_{" + digits + "}")
            i += len(digits)
        elif ch in "+-" and pieces and i == len(rest) - 1:
            pieces.append("^{" + ch + "}")  # Na+, Cl-
            i += 1
        elif ch in ".*":
            pieces.append(r"\cdot ")
            i += 1
        else:
            pieces.append(ch)
            i += 1
    return coefficient + r"\mathrm{" + "".join(pieces) + "}"


def quantity(body: str) -> str:
    """mhchem's ``\\pu{…}``: ``123 kJ/mol``, ``1.2e-3 mol L^-1``, ``25 ^\\circ C``."""
    body = body.strip()
    m = re.match(r"^([-+]?\d[\d.,]*(?:[eE][-+]?\d+)?)\s*(.*)$", body)
    number, unit = (m.group(1), m.group(2)) if m else ("", body)
    number = re.sub(r"[eE]([-+]?\d+)$", r"\\times 10^{\1}", number)
    unit = re.sub(r"\^(-?\d+)", r"^{\1}", unit)
    unit = re.sub(r"\s*[.*]\s*|\s+", r"\\,", unit.strip())
    return (number + (r"\," if number and unit else "") + (r"\mathrm{" + unit + "}" if unit else "")).strip()


# --------------------------------------------------------------------------- unknown commands

#: Commands MathJax and KaTeX know, for "did you mean" (typos of these are common in notes).
KNOWN_COMMANDS = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi "
    "varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi "
    "Pi Sigma Upsilon Phi Psi Omega partial nabla infty sum prod int iint oint lim limsup liminf sup "
    "inf max min arg argmin argmax log ln exp sin cos tan sinh cosh tanh det dim ker frac dfrac tfrac "
    "sqrt left right big Big bigg Bigg cdot cdots ldots vdots ddots times div pm mp leq geq neq approx "
    "equiv sim simeq propto in notin subset subseteq supset supseteq cup cap setminus emptyset forall "
    "exists neg land lor to rightarrow leftarrow Rightarrow Leftarrow Leftrightarrow leftrightarrow "
    "mapsto implies iff mathbb mathcal mathbf mathrm mathit mathsf mathtt mathfrak boldsymbol bm "
    "text textbf textit operatorname hat widehat tilde widetilde bar overline underline vec dot ddot "
    "overbrace underbrace overset underset stackrel mid parallel perp top bot langle rangle lceil "
    "rceil lfloor rfloor lVert rVert vert Vert quad qquad mathop limits nolimits displaystyle "
    "textstyle boxed cancel color tag label begin end binom choose pmod bmod ell hbar imath jmath "
    "Re Im wp aleph prime circ bullet star ast oplus otimes odot wedge vee cong"
).split()


def suggestion(command: str) -> str | None:
    """The known command ``command`` (without its backslash) is most likely a typo of."""
    close = difflib.get_close_matches(command, KNOWN_COMMANDS, n=1, cutoff=0.6)
    if not close:
        prefixed = [c for c in KNOWN_COMMANDS if c.startswith(command) and len(command) >= 3]
        close = sorted(prefixed, key=len)[:1]
    return close[0] if close else None


# --------------------------------------------------------------------------- tags in rows

_ROWS_ENV_RE = re.compile(r"\\begin\s*\{(align|gather|alignat|flalign|multline|eqnarray)(\*?)\}")
_ROW_TAG_RE = re.compile(r"\\tag(\*?)\s*\{([^{}]*)\}")
_ROW_LABEL_RE = re.compile(r"\\label\s*\{([^{}]*)\}")


@dataclass(frozen=True)
class RowTag:
    text: str  # what is shown: "(1)", or the bare text of \tag*{…}
    value: str  # what \eqref shows in parentheses: "1"
    labels: tuple[str, ...]


def row_tags(tex: str) -> list[RowTag | None] | None:
    """For a formula that is one multi-row environment (``align``, ``gather`` …) with a ``\\tag``
    in some row: each row's tag (None for a row without one), in order. KaTeX's MathML drops tags
    inside these environments; the converter adds them back as a last column."""
    m = _ROWS_ENV_RE.search(tex)
    if not m or "\\tag" not in tex:
        return None
    close = re.compile(r"\\end\s*\{" + m.group(1) + re.escape(m.group(2)) + r"\}").search(tex, m.end())
    body = tex[m.end(): close.start() if close else len(tex)]
    if m.group(1) == "alignat":  # its {N} argument
        body = re.sub(r"^\s*\{[^{}]*\}", "", body)
    rows = _split_rows(body)
    tags: list[RowTag | None] = []
    for row in rows:
        tag = _ROW_TAG_RE.search(row)
        if tag is None:
            tags.append(None)
            continue
        shown = tag.group(2).strip() if tag.group(1) else f"({tag.group(2).strip()})"
        tags.append(RowTag(shown, tag.group(2).strip(), tuple(plain_key(k) for k in _ROW_LABEL_RE.findall(row))))
    return tags if any(tags) else None


def without_row_tags(tex: str) -> str:
    return _ROW_TAG_RE.sub("", tex)


def _split_rows(body: str) -> list[str]:
    rows, depth, start, i = [], 0, 0, 0
    while i < len(body):
        if body.startswith("\\begin", i):
            depth += 1
        elif body.startswith("\\end", i):
            depth -= 1
        if body[i] == "\\":
            if body.startswith("\\\\", i) and depth == 0:
                rows.append(body[start:i])
                start = i + 2
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(body[i], 0)
        i += 1
    rows.append(body[start:])
    if len(rows) > 1 and not rows[-1].strip():
        rows.pop()
    return rows
