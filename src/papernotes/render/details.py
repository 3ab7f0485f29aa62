"""Collapsible blocks.

GitHub READMEs write ``<details>``, ``<summary>`` and ``<blockquote>`` on lines of their own and
often leave no blank line before the Markdown inside, which CommonMark would then swallow into one
raw HTML block. This block rule takes such a line of structural tags by itself, so what follows is
parsed as Markdown; a ``<summary>`` line's text is parsed as inline Markdown. The ``::: details
Title`` container is the Markdown-only form of the same thing.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin

_STRUCTURAL = r"</?(?:details|blockquote|div|center|section)(?:\s[^<>]*)?>|<br\s*/?>|<hr\s*/?>"
_STRUCTURAL_LINE = re.compile(rf"^(?:(?:{_STRUCTURAL})[ \t]*)+$", re.IGNORECASE)
_SUMMARY_START = re.compile(rf"^((?:(?:{_STRUCTURAL})[ \t]*)*)(<summary(?:\s[^<>]*)?>)(.*)$", re.IGNORECASE | re.DOTALL)
_SUMMARY_END = re.compile(r"</summary\s*>", re.IGNORECASE)
_TRAILING_TAGS = re.compile(rf"^[ \t]*(?:(?:{_STRUCTURAL})[ \t]*)*$", re.IGNORECASE)
MAX_SUMMARY_LINES = 12


def _line(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def structural_html(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if state.is_code_block(start) or not state.md.options.get("html"):
        return False
    text = _line(state, start)
    if not text.startswith("<"):
        return False
    if _STRUCTURAL_LINE.match(text):
        if silent:
            return True
        token = state.push("html_block", "", 0)
        token.map = [start, start + 1]
        token.content = text + "\n"
        state.line = start + 1
        return True
    match = _SUMMARY_START.match(text)
    if not match:
        return False
    # Gather the summary up to its closing tag (it may wrap over a few lines).
    inner_lines = [match.group(3)]
    last = start
    while not _SUMMARY_END.search(inner_lines[-1]):
        last += 1
        if last >= end or last - start > MAX_SUMMARY_LINES or state.isEmpty(last):
            return False
        inner_lines.append(_line(state, last))
    inner = "\n".join(inner_lines)
    close = _SUMMARY_END.search(inner)
    assert close is not None
    after = inner[close.end():]
    if not _TRAILING_TAGS.match(after):
        return False
    if silent:
        return True
    before = state.push("html_block", "", 0)
    before.map = [start, last + 1]
    before.content = match.group(1) + match.group(2)
    inline = state.push("inline", "", 0)
    inline.map = [start, last + 1]
    inline.content = inner[: close.start()].strip()
    inline.children = []
    after_token = state.push("html_block", "", 0)
    after_token.map = [start, last + 1]
    after_token.content = inner[close.start():].strip() + "\n"
    state.line = last + 1
    return True


def details_containers(state: StateCore) -> None:
    """``::: details Title`` … ``:::`` becomes ``<details><summary>Title</summary>`` … ``</details>``.

    The title becomes an inline token, so it is parsed like any other Markdown text.
    """
    tokens: list[Token] = []
    for token in state.tokens:
        if token.type == "container_details_open":
            title = token.info.strip()[len("details"):].strip()
            is_open = title == "open" or title.startswith("open ")
            if is_open:
                title = title[4:].strip()
            opening = Token("html_block", "", 0, content=f"<details{' open' if is_open else ''}>\n<summary>")
            opening.map = token.map
            inline = Token("inline", "", 0, content=title or "Details", children=[])
            inline.map = token.map
            tokens += [opening, inline, Token("html_block", "", 0, content="</summary>\n")]
        elif token.type == "container_details_close":
            tokens.append(Token("html_block", "", 0, content="</details>\n"))
        else:
            tokens.append(token)
    state.tokens = tokens


def details_plugin(md: MarkdownIt) -> None:
    md.block.ruler.before(
        "html_block", "structural_html", structural_html,
        {"alt": ["paragraph", "reference", "blockquote", "list"]},
    )
    container_plugin(md, "details", validate=lambda params, *args: params.strip().split(" ", 1)[0] == "details")
    index = md.block.ruler.__find__("container_details")
    if index >= 0:
        rule = md.block.ruler.__rules__[index]
        md.block.ruler.at("container_details", _without_empty_last_line(rule.fn), {"alt": list(rule.alt)})
    md.core.ruler.before("inline", "details_containers", details_containers)


def _without_empty_last_line(container_rule):
    """The container plugin reads the first character of every line up to its end: a last line
    that is empty where the rule looks (``> ::: details x`` then ``> `` at the very end of the
    note) makes it read past the text and raise IndexError (found by fuzzing, scripts/fuzz.py).
    That line holds nothing for the container anyway, so it is left out of what the rule sees."""

    def rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        if state.bMarks[start] + state.tShift[start] >= len(state.src):
            return False
        if end > start + 1 and state.bMarks[end - 1] + state.tShift[end - 1] >= len(state.src):
            end -= 1
        return container_rule(state, start, end, silent)

    return rule
