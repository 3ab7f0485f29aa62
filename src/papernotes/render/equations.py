"""Equation labels of one note: ``\\label{key}`` in a formula with a ``\\tag{…}`` names that tag,
and ``\\eqref{key}`` / ``\\ref{key}`` anywhere in the note's math show it, as MathJax does (a
reference to a label no tagged formula has shows "(???)" and is reported)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LABEL_RE = re.compile(r"\\label\s*\{([^{}]*)\}")
_TAG_RE = re.compile(r"\\tag\*?\s*\{([^{}]*)\}")
_ONLY_REFERENCE_RE = re.compile(r"\A\s*\\(eqref|ref)\s*\{([^{}]*)\}\s*\Z")
_MARK_RE = re.compile("@@papernotes-(eqref|ref):(.*?)@@")


def plain_key(key: str) -> str:
    """A label key as it may stand in an id and in the reference placeholder."""
    return re.sub(r"[^\w:.\-]", "_", key.strip())


def anchor(key: str) -> str:
    """The id of the display formula labelled ``key`` (``#eq-…`` links to it)."""
    return "eq-" + plain_key(key).replace(":", "-")


def only_reference(tex: str) -> tuple[str, str] | None:
    """(kind, key) when the formula is nothing but ``\\eqref{key}`` or ``\\ref{key}``: it is written
    as a link to the equation instead of as math."""
    m = _ONLY_REFERENCE_RE.match(tex)
    return (m.group(1), plain_key(m.group(2))) if m else None


def labels_of(tex: str) -> list[str]:
    return [plain_key(key) for key in _LABEL_RE.findall(tex)] if "\\label" in tex else []


@dataclass
class EquationLabels:
    tags: dict[str, str] = field(default_factory=dict)  # label key -> its formula's tag

    def read(self, tex: str) -> None:
        """Remember the labels of one formula (only a tagged formula has a number to show)."""
        if "\\label" not in tex:
            return
        from .mathjax import row_tags  # (mathjax imports this module)

        rows = row_tags(tex)
        if rows:  # align/gather: each row's labels name that row's tag
            for row in rows:
                for key in row.labels if row is not None else ():
                    self.tags[key] = row.value
            return
        tag = _TAG_RE.search(tex)
        for key in labels_of(tex):
            if tag:
                self.tags[key] = tag.group(1).strip()

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
