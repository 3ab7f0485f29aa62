"""Equation labels of one note: ``\\label{key}`` in a formula with a ``\\tag{…}`` names that tag,
and ``\\eqref{key}`` / ``\\ref{key}`` anywhere in the note's math show it, as MathJax does (a
reference to a label no tagged formula has shows "(???)" and is reported)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LABEL_RE = re.compile(r"\\label\s*\{([^{}]*)\}")
_TAG_RE = re.compile(r"\\tag\*?\s*\{([^{}]*)\}")
_MARK_RE = re.compile("@@papernotes-(eqref|ref):(.*?)@@")


@dataclass
class EquationLabels:
    tags: dict[str, str] = field(default_factory=dict)  # label key -> its formula's tag

    def read(self, tex: str) -> None:
        """Remember the labels of one formula (only a tagged formula has a number to show)."""
        if "\\label" not in tex:
            return
        tag = _TAG_RE.search(tex)
        for key in _LABEL_RE.findall(tex):
            if tag:
                self.tags[re.sub(r"[^\w:.\-]", "_", key.strip())] = tag.group(1).strip()

    def resolve(self, html: str) -> tuple[str, list[str]]:
        """``html`` with every reference replaced by its tag, and the keys no formula has."""
        if "@@papernotes-" not in html:
            return html, []
        missing: list[str] = []

        def replace(m: re.Match) -> str:
            kind, key = m.group(1), m.group(2)
            tag = self.tags.get(key)
            if tag is None:
                missing.append(key)
                tag = "???"
            return f"({tag})" if kind == "eqref" else tag

        return _MARK_RE.sub(replace, html), list(dict.fromkeys(missing))
