"""Emit stage: each kind of output is one small emitter that lists the files it writes and the
notes each file depends on (which is what makes incremental rebuilds correct)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Protocol

from .context import EmitContext


@dataclass(frozen=True)
class Output:
    path: str  # site-relative, "/"-separated
    depends_on: frozenset[str] | None  # note keys; None means "every note" (e.g. the home page)
    render: Callable[[], bytes] | None = None  # produces the content ...
    source: Path | None = None  # ... or a file copied as it is
    body_of: str | None = None  # the note whose whole body the page shows (its own page)


class Emitter(Protocol):
    name: str

    def outputs(self, ctx: EmitContext) -> Iterable[Output]: ...


def default_emitters() -> list[Emitter]:
    from .pages import CategoryPages, HomePage, IndexPages, NotFoundPage, NotePages, TermPages
    from .static import NoteAssets, ThemeAssets

    return [NotePages(), HomePage(), CategoryPages(), TermPages(), IndexPages(), NotFoundPage(),
            ThemeAssets(), NoteAssets()]


__all__ = ["EmitContext", "Emitter", "Output", "default_emitters"]
