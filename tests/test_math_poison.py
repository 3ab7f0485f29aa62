"""A formula that exhausts the math engine fails alone: the other notes keep their math, and
deleting it gives the site a clean build gives (nothing broken comes back from the cache)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import run_papernotes

# a macro that doubles \boxed at every level, used 14 levels deep: 16,384 boxes once expanded
BOMB = r"\def\a#1{\boxed{\boxed{#1}}}" + r"\a{" * 14 + "x" + "}" * 14


def write_site(root: Path) -> None:
    notes = root / "notes"
    notes.mkdir(parents=True)
    bombs = "\n\n".join(f"$$\n{BOMB} + {i}\n$$" for i in range(3))
    (notes / "bomb.md").write_text(f"---\ntitle: Bomb\n---\nBefore.\n\n{bombs}\n\nAfter $y$.\n", encoding="utf-8")
    for i in range(6):
        (notes / f"note{i}.md").write_text(
            f"---\ntitle: Note {i}\n---\n注意力 $\\frac{{a}}{{{i}}}$ and\n\n$$\n\\sum_{{k=1}}^{{{i}}} k^2\n$$\n",
            encoding="utf-8")


def math_of(page: Path) -> tuple[int, int]:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return len(soup.find_all("math")), len(soup.select(".math-error"))


def note_pages(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted((site / "notes").glob("*.html"))}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_macro_bomb_fails_alone_and_leaves_no_trace_once_deleted(tmp_path, jobs):
    root = tmp_path / "site-root"
    write_site(root)
    built = run_papernotes("build", "--root", root, "--jobs", jobs, "--no-search", cwd=root, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    site = root / "site"
    for i in range(6):
        assert math_of(site / "notes" / f"note{i}.html") == (2, 0), f"note{i} lost its math"
    maths, errors = math_of(site / "notes" / "bomb.html")
    assert errors == 3 and maths == 1  # the three bombs are error boxes, "After $y$" is math
    bomb_page = (site / "notes" / "bomb.html").read_text(encoding="utf-8")
    assert "\\boxed{\\boxed{#1}}" in bomb_page and "After" in bomb_page  # its source shown, no prose lost
    assert built.stderr.count("notes/bomb.md:") >= 3  # each one reported with its file and line
    assert "disabled" not in built.stdout + built.stderr

    (root / "notes" / "bomb.md").unlink()
    again = run_papernotes("build", "--root", root, "--jobs", jobs, "--no-search", cwd=root, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    clean_root = tmp_path / "clean"
    shutil.copytree(root / "notes", clean_root / "notes")
    clean = run_papernotes("build", "--root", clean_root, "--jobs", jobs, "--no-search", cwd=clean_root, timeout=600)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert note_pages(site) == note_pages(clean_root / "site")
    assert (site / "assets" / "math.woff2").read_bytes() == (clean_root / "site" / "assets" / "math.woff2").read_bytes()
