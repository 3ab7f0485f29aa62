"""File names for new notes: readable (a slug of the title, Chinese kept), unique, and safe on
Linux, macOS and Windows (no ``< > : " / \\ | ? *``, no trailing dot or space, no reserved names)."""

from __future__ import annotations

from pathlib import Path

from ..urls import PART_BYTES, cut_bytes, slugify

_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
MAX_STEM = 80


def safe_stem(title: str, fallback: str = "note") -> str:
    # Short enough in bytes too (80 Chinese characters are 240) to be a page name as it is.
    stem = cut_bytes(slugify(title, fallback)[:MAX_STEM], PART_BYTES - 10).strip("-_. ")
    if not stem or stem.lower() in _RESERVED:
        stem = f"{stem or fallback}-note"
    return stem


def unique_path(folder: Path, stem: str, taken: set[Path]) -> Path:
    """``folder/stem.md``, or ``stem-2.md``, … — never an existing file or one already planned
    (compared without letter case, for case-insensitive file systems)."""
    lowered = {str(p).lower() for p in taken}
    n = 1
    while True:
        name = f"{stem}.md" if n == 1 else f"{stem}-{n}.md"
        candidate = folder / name
        if not candidate.exists() and not candidate.is_symlink() and str(candidate).lower() not in lowered:
            return candidate
        n += 1
