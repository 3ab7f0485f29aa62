"""Markdown as text, for the importers: what is code (fences, code spans), and display math
written so that every reader of Markdown shows it as display math."""

from __future__ import annotations

import re
from urllib.parse import unquote

from ..urls import is_machine_local

_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def mask_code_spans(line: str) -> str:
    """``line`` with the insides of inline code spans blanked (same length, so offsets hold)."""
    return _CODE_SPAN.sub(lambda m: m.group(1) + " " * len(m.group(2)) + m.group(1), line)


class FenceTracker:
    """Feed lines one by one; ``feed`` says whether a line belongs to a fenced code block."""

    _OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
    _CLOSE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*$")

    def __init__(self) -> None:
        self.fence: str | None = None

    def feed(self, line: str) -> bool:
        if self.fence is None:
            match = self._OPEN.match(line)
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                self.fence = match.group(1)
                return True
            return False
        match = self._CLOSE.match(line)
        if match and match.group(1)[0] == self.fence[0] and len(match.group(1)) >= len(self.fence):
            self.fence = None
        return True

    @property
    def inside(self) -> bool:
        return self.fence is not None


_PREFIX = re.compile(r"^((?:[ \t]*>)*[ \t]*)(.*)$")


def _split_prefix(line: str) -> tuple[str, str]:
    """(leading spaces and blockquote markers, the rest)."""
    match = _PREFIX.match(line)
    assert match is not None
    return match.group(1), match.group(2)


def _is_blank(line: str) -> bool:
    return not _split_prefix(line)[1].strip()


def _quote_blank(prefix: str) -> str:
    """An empty line that stays inside the same blockquote."""
    return prefix.rstrip() if ">" in prefix else ""


def display_math_lines(lines: list[str]) -> list[tuple[int, int]]:
    """The display formulas of ``lines`` outside code: (first, last) line index of each — a
    ``$$…$$`` that fills its line, or a line that starts with ``$$`` up to the next line that
    ends with ``$$`` (the rules of docs/notes-format.md, "Math")."""
    found = []
    fences = FenceTracker()
    i = 0
    while i < len(lines):
        if fences.feed(lines[i]):
            i += 1
            continue
        content = _split_prefix(lines[i])[1].strip()
        if content.startswith("$$"):
            rest = content[2:]
            if "$$" not in rest:
                close = next((j for j in range(i + 1, len(lines)) if _split_prefix(lines[j])[1].rstrip().endswith("$$")
                              and "$" not in _split_prefix(lines[j])[1].rstrip()[:-2].replace("\\$", "")), None)
                if close is not None:
                    found.append((i, close))
                    i = close + 1
                    continue
            elif rest.rstrip().endswith("$$") and rest.count("$$") == 1 and rest[:-2].strip():
                found.append((i, i))
        i += 1
    return found


def separate_display_math(text: str) -> str:
    """Blank lines around display math written right after or before a line of text, so that
    renderers which need them (kramdown, many others) show it as display math too. Inside a
    blockquote the blank line keeps the ``>``; inside a list item it is empty (the item goes on)."""
    if "$$" not in text:
        return text
    lines = text.split("\n")
    blocks = display_math_lines(lines)
    if not blocks:
        return text
    before = {first for first, _ in blocks}
    after = {last for _, last in blocks}
    out: list[str] = []
    for index, line in enumerate(lines):
        prefix = _split_prefix(line)[0]
        if index in before and out and not _is_blank(out[-1]):
            out.append(_quote_blank(prefix))
        out.append(line)
        if index in after and index + 1 < len(lines) and not _is_blank(lines[index + 1]):
            out.append(_quote_blank(prefix))
    return "\n".join(out)


#: Image and link targets, also those with spaces that only Typora accepts.
_TARGETS = re.compile(r"""!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^<>\n]+>|[^()\n]+?)(?:\s+"[^"]*")?\s*\)"""
                      r"""|\b(?:src|href)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def machine_local_paths(body: str) -> list[str]:
    """Image and link targets of a body (outside code) that exist only on the author's machine,
    each once, as written (percent-escapes decoded)."""
    found: dict[str, None] = {}
    fences = FenceTracker()
    for line in body.split("\n"):
        if fences.feed(line):
            continue
        for match in _TARGETS.finditer(mask_code_spans(line)):
            target = next(g for g in match.groups() if g is not None).strip().strip("<>")
            if is_machine_local(target):
                found.setdefault(unquote(target), None)
    return list(found)


def drop_lines(lines: list[str], drop: set[int]) -> str:
    """``lines`` without the ones in ``drop``; where a dropped run stood between blank lines (or at
    the start), one of those blank lines goes too, so no double gap is left behind."""
    if not drop:
        return "\n".join(lines)
    kept: list[str] = []
    index = 0
    while index < len(lines):
        if index in drop:
            while index in drop:
                index += 1
            if index < len(lines) and not lines[index].strip() and (not kept or not kept[-1].strip()):
                index += 1
            continue
        kept.append(lines[index])
        index += 1
    return "\n".join(kept)
