"""The user's cache folder ($XDG_CACHE_HOME/papernotes/): compiled templates are kept there between
builds, and a damaged, foreign or unwritable cache never changes or breaks a build."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import run_papernotes


def site_with_note(root: Path) -> None:
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "a.md").write_text("---\ntitle: Alpha 论文\nstatus: read\n---\nBody text.\n", encoding="utf-8")


def build(root: Path, cache: Path) -> str:
    env_before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(cache)
    try:
        result = run_papernotes("build", "--root", root, "--no-search", "--no-cache", cwd=root)
    finally:
        if env_before is None:
            del os.environ["XDG_CACHE_HOME"]
        else:
            os.environ["XDG_CACHE_HOME"] = env_before
    assert result.returncode == 0, result.stderr
    return (root / "site" / "notes" / "a.html").read_text(encoding="utf-8")


def test_compiled_templates_are_kept_and_a_damaged_cache_changes_nothing(tmp_path):
    root, cache = tmp_path / "site-root", tmp_path / "cache"
    site_with_note(root)
    first = build(root, cache)
    kept = sorted((cache / "papernotes" / "templates").iterdir())
    assert kept, "the theme's compiled templates are kept"
    assert build(root, cache) == first
    for path in kept:  # truncated, garbage, empty
        path.write_bytes([b"", b"\x00garbage", path.read_bytes()[:20]][kept.index(path) % 3])
    assert build(root, cache) == first


def test_a_template_edited_between_builds_is_used_not_its_compiled_copy(tmp_path):
    root, cache = tmp_path / "site-root", tmp_path / "cache"
    site_with_note(root)
    (root / "templates").mkdir()
    base = Path(__file__).resolve().parents[1] / "templates" / "base.html"
    text = base.read_text(encoding="utf-8")
    (root / "templates" / "base.html").write_text(text.replace("<body", "<!-- first -->\n<body", 1), encoding="utf-8")
    assert "<!-- first -->" in build(root, cache)
    (root / "templates" / "base.html").write_text(text.replace("<body", "<!-- second -->\n<body", 1), encoding="utf-8")
    page = build(root, cache)
    assert "<!-- second -->" in page and "<!-- first -->" not in page


def test_a_cache_folder_that_cannot_be_made_is_not_used(tmp_path):
    root = tmp_path / "site-root"
    site_with_note(root)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    assert "Alpha 论文" in build(root, blocked)
    assert blocked.read_text(encoding="utf-8") == "a file where the cache folder would be"
