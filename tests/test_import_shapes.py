"""Every shape of notes `papernotes import` reads, detected by itself from the command line and
built into a site: the kind it names, the notes in and out, and nothing lost on the way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import run_papernotes
from papernotes.diagnostics import Diagnostics
from papernotes.load.notes import load_notes

FIXTURES = Path(__file__).parent / "fixtures"

# (source below tests/fixtures, the kind detected, papers written)
SHAPES = [
    ("readme/seed-README.md", "readme", 64),
    ("survey/survey-list.md", "survey", 12),
    ("blogindex/blog-index.txt", "blog-index", 7),
    ("awesome/awesome-list.md", "awesome", 18),
    ("awesome/paper-table.md", "awesome", 13),
    ("notes-folder", "notes", 7),
]


@pytest.mark.parametrize("source, kind, written", SHAPES, ids=[s[1] + ":" + Path(s[0]).name for s in SHAPES])
def test_each_shape_is_detected_imported_and_built(tmp_path, source, kind, written):
    original = FIXTURES / source
    copy = tmp_path / "source" / original.name
    if original.is_dir():
        shutil.copytree(original, copy)
    else:
        shutil.copytree(original.parent, copy.parent)
    site = tmp_path / "site"
    site.mkdir()
    imported = run_papernotes("import", copy, "--root", site, cwd=site)
    assert imported.returncode == 0, imported.stderr
    assert f"{copy}: {kind}," in imported.stdout
    assert f"wrote {written} notes" in imported.stdout.strip().splitlines()[-1]
    diagnostics = Diagnostics()
    notes = [n for n in load_notes(site, site / "notes", diagnostics).notes if not n.describes_category]
    assert len(notes) == written and diagnostics.errors == []
    built = run_papernotes("build", "--root", site, "--no-search", cwd=site)
    assert built.returncode == 0, built.stdout + built.stderr
    home = BeautifulSoup((site / "site" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert len(home.select(".note-row")) == written
    assert not home.select(".math-error")
    # a second import of the same source writes nothing and changes nothing
    before = {p: p.read_bytes() for p in (site / "notes").rglob("*") if p.is_file()}
    again = run_papernotes("import", copy, "--root", site, cwd=site)
    assert again.returncode == 0 and "wrote 0 notes" in again.stdout.strip().splitlines()[-1]
    assert {p: p.read_bytes() for p in (site / "notes").rglob("*") if p.is_file()} == before


def test_format_names_the_shape_when_detection_is_unsure(tmp_path):
    # a survey list read as an awesome list when the user says so
    site = tmp_path / "site"
    site.mkdir()
    result = run_papernotes("import", FIXTURES / "survey" / "survey-list.md", "--format", "awesome", "--dry-run",
                            "--root", site, cwd=site)
    assert result.returncode == 0, result.stderr
    assert "survey-list.md: awesome," in result.stdout and not (site / "notes").exists()
    wrong = run_papernotes("import", FIXTURES / "notes-folder", "--format", "readme", "--root", site, cwd=site)
    assert wrong.returncode == 2 and "must be a file" in wrong.stderr
