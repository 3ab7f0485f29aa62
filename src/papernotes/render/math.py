"""Math delimiters: ``$…$``, ``$$…$$`` (inline when inside a line, as kramdown does), ``\\(…\\)``,
``\\[…\\]`` and bare ``\\begin{align}…\\end{align}`` environments. The tokens they make are turned
into MathML by the post-processing rule in ``postprocess.py``."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.amsmath import amsmath_plugin
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
    end = src.find(closer, pos + 2)
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
    body = first[2:]
    line = start
    close = body.find("\\]")
    while close < 0:
        line += 1
        if line >= end:
            return False
        text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
        body += "\n" + text
        close = body.find("\\]")
    if body[close + 2 :].strip():
        return False  # text after ``\\]``: leave it to the inline rule
    if silent:
        return True
    token = state.push("math_block_bracket", "math", 0)
    token.content = body[:close].strip()
    token.map = [start, line + 1]
    token.markup = "\\["
    state.line = line + 1
    return True


def math_plugin(md: MarkdownIt) -> None:
    dollarmath_plugin(md, allow_labels=False, allow_space=True, allow_digits=False, double_inline=True)
    md.inline.ruler.at("math_inline", _dollar_inline)
    amsmath_plugin(md)
    md.inline.ruler.before("escape", "math_paren", _paren_inline)
    md.block.ruler.before("fence", "math_bracket", _bracket_block, {"alt": ["paragraph", "reference", "blockquote", "list"]})
