"""Math delimiters, read as GitHub, Typora and Obsidian read them (docs/notes-format.md, "Math"):

* a line that starts with ``$$`` opens a display formula — also right after a line of text, in
  list items, blockquotes and ``<details>`` — that closes at the next line ending with ``$$``;
  a ``$$…$$`` that fills its line is display math wherever it stands;
* ``$$…$$`` inside a line of prose is inline math (kramdown's rule), as are ``$…$`` and ``\\(…\\)``;
* ``\\[…\\]`` is display math; so is ``\\begin{equation|align|gather|multline|eqnarray}`` (and
  their starred forms) wherever it stands, also inside a sentence;
* a ``$$`` that never closes, or whose closing ``$$`` would put paragraphs of prose inside the
  formula, is reported and shown as text: it never swallows what follows.

The tokens they make are turned into MathML by the post-processing rule in ``postprocess.py``."""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.amsmath import ENVIRONMENTS as AMSMATH_ENVIRONMENTS, amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

#: Stands in for ``|`` inside math on table rows, so the table rule does not split cells there.
PIPE_STAND_IN = "\ue0a0"
_MATH_SPAN = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$")

MATH_INLINE_TYPES = {"math_inline": False, "math_inline_double": False, "math_inline_display": True}
MATH_BLOCK_TYPES = {"math_block", "math_block_label", "amsmath", "math_block_bracket"}


def protect_table_pipes(source: str) -> str:
    """Hide ``|`` inside ``$…$`` on lines that look like table rows."""
    if "|" not in source or "$" not in source:
        return source
    lines = source.split("\n")
    for i, line in enumerate(lines):
        stripped = line.strip()
        if "$" in line and (stripped.startswith("|") or stripped.endswith("|")):
            lines[i] = _MATH_SPAN.sub(lambda m: m.group(0).replace("|", PIPE_STAND_IN), line)
    return "\n".join(lines)


def _dollar_inline(state: StateInline, silent: bool) -> bool:
    """``$…$`` and, inside a line, ``$$…$$`` (kramdown writes inline math that way).

    Money stays text: the first unescaped ``$`` after the opener is the only possible closer, and
    it may not be followed by a digit or another ``$``; when the opener is followed by a digit, the
    closer must also follow a non-space (``$5 and $10`` is text, ``$2^n$`` is math).
    """
    src, pos = state.src, state.pos
    if src[pos] != "$":
        return False
    if src.startswith("$$", pos):
        end = src.find("$$", pos + 2)
        while end > 0 and _escaped(src, end):
            end = src.find("$$", end + 1)
        if end < 0 or not src[pos + 2 : end].strip():
            return False
        if "\n" in src[pos:end] and not src[src.rfind("\n", 0, pos) + 1 : pos].strip():
            # A line that starts with $$ is a display formula's opening; the block rule said no
            # to it (never closed): it is text, and may not pair with a $$ lines further on.
            return False
        if not silent:
            token = state.push("math_inline_double", "math", 0)
            token.content = src[pos + 2 : end]
            token.markup = "$$"
        state.pos = end + 2
        return True
    start = pos + 1
    close = src.find("$", start)
    while close > 0 and _escaped(src, close):
        close = src.find("$", close + 1)
    if close < 0:
        return False
    after = src[close + 1 : close + 2]
    content = src[start:close]
    if not content.strip() or after == "$" or after.isdigit():
        return False
    if content[0].isdigit() and content[-1].isspace():
        return False
    if not silent:
        token = state.push("math_inline", "math", 0)
        token.content = content
        token.markup = "$"
    state.pos = close + 1
    return True


def _escaped(src: str, index: int) -> bool:
    backslashes = 0
    while index - 1 - backslashes >= 0 and src[index - 1 - backslashes] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _paren_inline(state: StateInline, silent: bool) -> bool:
    """``\\(…\\)`` inline and ``\\[…\\]`` written inside a line."""
    src, pos = state.src, state.pos
    if not src.startswith(("\\(", "\\["), pos):
        return False
    closer = "\\)" if src[pos + 1] == "(" else "\\]"
    end = _next_position(state, closer, pos + 2)
    if end < 0 or end == pos + 2:
        return False
    if not silent:
        token = state.push("math_inline" if closer == "\\)" else "math_inline_display", "math", 0)
        token.content = src[pos + 2 : end]
        token.markup = src[pos : pos + 2]
    state.pos = end + 2
    return True


def _bracket_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """``\\[`` at the start of a line, up to the line that holds ``\\]``."""
    if state.is_code_block(start):
        return False
    begin = state.bMarks[start] + state.tShift[start]
    first = state.src[begin : state.eMarks[start]]
    if not first.startswith("\\["):
        return False
    line = start
    last = first[2:]
    if "\\]" not in last:
        # the first later line holding ``\\]``, looked up (not scanned for: see _source_lines)
        line = _first_line_after(_source_lines(state, "\\]", "contains"), start, end)
        if line < 0:
            return False
        last = _line_text(state, line)
    if last[last.find("\\]") + 2 :].strip():
        return False  # text after ``\\]``: leave it to the inline rule
    if silent:
        return True
    body = "\n".join([first[2:]] + [_line_text(state, i) for i in range(start + 1, line + 1)])
    close = body.find("\\]")
    token = state.push("math_block_bracket", "math", 0)
    token.content = body[:close].strip()
    token.map = [start, line + 1]
    token.markup = "\\["
    state.line = line + 1
    return True


_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{4,}")
_WORD_RUN = re.compile(r"(?<![\\A-Za-z])(?:[A-Za-z]{2,}[,.;:]? ){3,}[A-Za-z]{2,}")
_TEXT_ARGUMENT = re.compile(r"\\(?:text\w*|mbox|hbox|mathrm|operatorname\*?|mathit|textrm|tag\*?|label|intertext)\s*\{[^{}]*\}")
_MARKDOWN_START = re.compile(r"^(?:#{1,6}\s|[-*+]\s+\S|\d{1,3}[.)]\s|>|```|~~~|<(?:details|summary|div|p)\b|!\[)")
_SENTENCE_END = re.compile(r"[。！？；：]\s*$")


def _looks_like_prose(line: str) -> bool:
    """A line of text rather than TeX: four or more Chinese characters in a row, four or more
    plain words, a sentence's end, or a Markdown block marker (outside ``\\text{…}`` and the like)."""
    bare = _TEXT_ARGUMENT.sub(" ", line)
    return bool(_CJK_RUN.search(bare) or _WORD_RUN.search(bare) or _SENTENCE_END.search(bare)
                or _MARKDOWN_START.match(bare.strip()))


def _unescaped_dollar(text: str) -> bool:
    index = text.find("$")
    while index >= 0:
        if not _escaped(text, index):
            return True
        index = text.find("$", index + 1)
    return False


def _inline_dollars_open(state: StateBlock, start: int) -> bool:
    """Whether the paragraph above line ``start`` leaves an inline ``$$`` open (then a ``$$`` at
    the start of this line closes it: ``Let $$a`` / ``$$ be…``). Counted from per-line tallies
    kept for the note, so a paragraph of many such lines costs a lookup per line, not a scan."""
    tallies = _cached(state, ("dollar pairs",), _dollar_tallies)
    blanks = _cached(state, ("blank lines",), _blank_lines)
    k = bisect_left(blanks, start)
    paragraph_start = blanks[k - 1] + 1 if k > 0 else 0
    return (tallies[start] - tallies[paragraph_start]) % 2 == 1


def _dollar_tallies(src: str) -> array:
    """``tallies[i]``: how many unescaped ``$$`` the source lines before line ``i`` hold."""
    tallies = array("l", [0])
    total = 0
    for text in src.split("\n"):
        if "$$" in text:
            index = text.find("$$")
            while index >= 0:
                if not _escaped(text, index):
                    total += 1
                index = text.find("$$", index + 2)
        tallies.append(total)
    return tallies


def _blank_lines(src: str) -> array:
    """Source lines with nothing but spaces and blockquote markers: where paragraphs end."""
    return array("l", (i for i, text in enumerate(src.split("\n")) if not text.replace(">", "").strip()))


_UNCLOSED = "papernotes_unclosed_display_math"


def _report_unclosed(state: StateBlock, line: int) -> None:
    if isinstance(state.env, dict):
        state.env.setdefault(_UNCLOSED, set()).add(line)


def unclosed_display_math(env: dict) -> list[int]:
    """The (0-based) lines where a ``$$`` opened a display formula that never closed."""
    return sorted(env.get(_UNCLOSED, ())) if isinstance(env, dict) else []


def _dollar_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """``$$`` at the start of a line: a display formula (see the module's docstring)."""
    if state.is_code_block(start):
        return False
    first = _line_text(state, start)
    if not first.startswith("$$"):
        return False
    rest = first[2:]
    close = rest.find("$$")
    while close >= 0 and _escaped(rest, close):
        close = rest.find("$$", close + 1)
    if close >= 0:  # closed on its own line: display only when nothing follows
        if rest[close + 2 :].strip() or not rest[:close].strip():
            return False
        if state.parentType == "paragraph" and _inline_dollars_open(state, start):
            return False
        last, content = start, rest[:close]
    else:
        if state.parentType == "paragraph" and _inline_dollars_open(state, start):
            return False
        last = _first_line_after(_source_lines(state, "$$", "ends"), start, end)
        while last >= 0 and _escaped(_line_text(state, last).rstrip(), len(_line_text(state, last).rstrip()) - 2):
            last = _first_line_after(_source_lines(state, "$$", "ends"), last, end)
        if last < 0:
            _report_unclosed(state, start)
            return False
        if not _formula_lines(state, start, last, rest):
            _report_unclosed(state, start)
            return False
        lines = [rest] + [_line_text(state, i) for i in range(start + 1, last + 1)]
        lines[-1] = lines[-1].rstrip()[:-2]
        content = "\n".join(lines)
    if silent:
        return True
    token = state.push("math_block", "math", 0)
    token.content = content
    token.map = [start, last + 1]
    token.markup = "$$"
    state.line = last + 1
    return True


def _formula_lines(state: StateBlock, start: int, last: int, first: str) -> bool:
    """Whether the lines from an opening ``$$`` (``first``: the rest of its line) to the closing
    one (line ``last``) can be one formula: no ``$`` inside (the closing ``$$`` would belong to
    another formula), and no prose when they hold a blank line (an opening never closed would
    swallow the paragraphs after it). Stops at the first sign of either, so a note of many
    openings is read once, not once per opening."""
    blank = prose = False
    for i in range(start, last + 1):
        text = first if i == start else _line_text(state, i)
        if i == last:
            text = text.rstrip()[:-2]
        if _unescaped_dollar(text):
            return False
        if start < i < last and state.isEmpty(i):
            blank = True
        elif not prose and _looks_like_prose(text):
            prose = True
        if blank and prose:
            return False
    return True


DISPLAY_ENVIRONMENTS = ("equation", "align", "gather", "multline", "eqnarray", "flalign", "alignat")
_ENV_OPEN = re.compile(r"\\begin\{(" + "|".join(DISPLAY_ENVIRONMENTS) + r")(\*?)\}")


def _environment_inline(state: StateInline, silent: bool) -> bool:
    """``\\begin{equation}…\\end{equation}`` (align, gather, multline, eqnarray …) inside a line
    of text: display math, as in LaTeX."""
    src, pos = state.src, state.pos
    if not src.startswith("\\begin{", pos):
        return False
    match = _ENV_OPEN.match(src, pos)
    if not match:
        return False
    closer = f"\\end{{{match.group(1)}{match.group(2)}}}"
    end = _next_position(state, closer, match.end())
    if end < 0:
        return False
    if not silent:
        token = state.push("math_inline_display", "math", 0)
        token.content = src[pos : end + len(closer)]
        token.markup = "\\begin"
    state.pos = end + len(closer)
    return True


# -- Closers looked up instead of scanned for -------------------------------------------------------
#
# A rule that starts at an opener (``\\[``, ``$$``, ``\\begin{align}``, ``\\(``) and scans the rest of
# the note for its closer makes a note of many openers and no closer take quadratic time (found by
# fuzzing: 12 KB of ``\\[`` lines took 145 s). So where each closer is, is computed once per
# source text (kept in the parser's ``env``) and looked up.

_CACHE = "papernotes_math_closers"


def _cached(state: StateBlock | StateInline, key: tuple, compute) -> array:
    cache = state.env.setdefault(_CACHE, {}) if isinstance(state.env, dict) else {}
    hit = cache.get(key)
    if hit is None or hit[0] is not state.src:
        hit = cache[key] = (state.src, compute(state.src))
    return hit[1]


def _source_lines(state: StateBlock, needle: str, how: str) -> array:
    """Indices of the source lines that contain ``needle`` ("contains") or end with it, trailing
    whitespace aside ("ends"); a block state's line i is source line i."""

    def compute(src: str) -> array:
        found = array("l")
        if needle in src:
            for i, text in enumerate(src.split("\n")):
                if needle in text if how == "contains" else text.rstrip().endswith(needle):
                    found.append(i)
        return found

    return _cached(state, (how, needle), compute)


def _first_line_after(lines: array, start: int, end: int, inclusive: bool = False) -> int:
    """The first of ``lines`` after (or at) ``start`` and before ``end``, else -1."""
    k = (bisect_left if inclusive else bisect_right)(lines, start)
    return lines[k] if k < len(lines) and lines[k] < end else -1


def _next_position(state: StateInline, needle: str, start: int) -> int:
    """``state.src.find(needle, start)``, in logarithmic time after the first call per source."""

    def compute(src: str) -> array:
        found = array("l")
        i = src.find(needle)
        while i >= 0:
            found.append(i)
            i = src.find(needle, i + 1)
        return found

    positions = _cached(state, ("find", needle), compute)
    k = bisect_left(positions, start)
    return positions[k] if k < len(positions) else -1


def _line_text(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def _amsmath_closed(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """False when no line from ``start`` on ends with the ``\\end{…}`` that the environment opened on
    this line needs: the plugin's rule would scan to the end of the note to find that out."""
    m = _AMSMATH_OPEN.match(_line_text(state, start))
    if m is None:
        return True  # not an environment: the plugin's rule says no at once
    closing = f"\\end{{{m.group(1)}{m.group(2)}}}"
    return _first_line_after(_source_lines(state, closing, "ends"), start, end, inclusive=True) >= 0


def _guard_block_rule(md: MarkdownIt, name: str, guard) -> None:
    """Run ``guard`` before the block rule ``name``; it returns False only where the rule would."""
    index = md.block.ruler.__find__(name)
    if index < 0:  # the plugin no longer has this rule: nothing to guard
        return
    rule = md.block.ruler.__rules__[index]
    original = rule.fn

    def guarded(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        return guard(state, start, end, silent) and original(state, start, end, silent)

    md.block.ruler.at(name, guarded, {"alt": list(rule.alt)})


_AMSMATH_OPEN = re.compile(r"\\begin\{(" + "|".join(AMSMATH_ENVIRONMENTS) + r")([\*]?)\}")


def math_plugin(md: MarkdownIt) -> None:
    dollarmath_plugin(md, allow_labels=False, allow_space=True, allow_digits=False, double_inline=True)
    md.inline.ruler.at("math_inline", _dollar_inline)
    md.block.ruler.at("math_block", _dollar_block, {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.inline.ruler.before("escape", "math_environment", _environment_inline)
    amsmath_plugin(md)
    _guard_block_rule(md, "amsmath", _amsmath_closed)
    md.inline.ruler.before("escape", "math_paren", _paren_inline)
    md.block.ruler.before("fence", "math_bracket", _bracket_block, {"alt": ["paragraph", "reference", "blockquote", "list"]})
