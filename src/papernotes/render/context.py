"""What the Markdown rules need to know about the note being rendered."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import Diagnostics
from .mathml import MathConverter
from ..model import Note
from .equations import EquationLabels
from .links import LinkTargets


@dataclass
class RenderContext:
    note: Note
    targets: LinkTargets
    math: MathConverter
    diagnostics: Diagnostics
    assets: list[Path] = field(default_factory=list)
    looked_at: set[Path] = field(default_factory=set)  # paths links tried, found or not
    machine_local: dict[str, int] = field(default_factory=dict)  # paths only the author has -> first line
    equations: EquationLabels = field(default_factory=EquationLabels)  # \label -> \tag, for \eqref
    wiki_names: set[str] = field(default_factory=set)  # folded names its wikilinks looked up
    #: only the links are wanted (a parallel build learns them before writing pages): no math
    links_only: bool = False

    def warn(self, body_line: int, message: str) -> None:
        """``body_line`` is 0-based within the body, as markdown-it counts."""
        self.diagnostics.warn(self.note.rel_path, self.note.body_line + body_line, message)
