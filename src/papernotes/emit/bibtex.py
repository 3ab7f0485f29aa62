"""papers.bib for the whole site (the per-note Cite block is in templates/_cite.html)."""

from __future__ import annotations

from typing import Iterable

from . import Output
from .context import EmitContext


class BibliographyFile:
    name = "BibliographyFile"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        return []
