"""Math delimiters: ``$…$``, ``$$…$$`` (inline when inside a line, as kramdown does), ``\\(…\\)``,
``\\[…\\]`` and bare ``\\begin{align}…\\end{align}`` environments. The tokens they make are turned
into MathML by the post-processing rule in ``postprocess.py``."""

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


def _dollar_block_closed(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """False when a ``$$`` block opened on this line cannot close: no later line ends with ``$$``
    (the plugin's rule would scan every line up to the end of the note to find that out)."""
    begin = state.bMarks[start] + state.tShift[start]
    if not state.src.startswith("$$", begin):
        return True
    text = state.src[begin : state.eMarks[start]].strip()
    if len(text) > 3 and text.endswith("$$"):
        return True  # closed on its own line
    return _first_line_after(_source_lines(state, "$$", "ends"), start, end) >= 0


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
    _guard_block_rule(md, "math_block", _dollar_block_closed)
    amsmath_plugin(md)
    _guard_block_rule(md, "amsmath", _amsmath_closed)
    md.inline.ruler.before("escape", "math_paren", _paren_inline)
    md.block.ruler.before("fence", "math_bracket", _bracket_block, {"alt": ["paragraph", "reference", "blockquote", "list"]})
