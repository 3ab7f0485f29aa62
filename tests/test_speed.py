"""Parallel and cached builds write exactly what a clean single-process build writes."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from papernotes.build import BuildOptions, build
from test_incremental import Workspace, snapshot

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from generate_notes import generate  # noqa: E402


def clean_build(root: Path, out: Path) -> dict[str, bytes]:
    shutil.rmtree(out, ignore_errors=True)
    result = build(BuildOptions(root=root, output=out, search=False, jobs=1, cache=False))
    assert result.written
    return without_marker(snapshot(out))


def assert_same(actual: dict[str, bytes], expected: dict[str, bytes], context: str = "") -> None:
    """Equal trees; on a difference, show the first differing file's diff."""
    import difflib

    differing = sorted(k for k in set(actual) | set(expected) if actual.get(k) != expected.get(k))
    if differing:
        first = differing[0]
        diff = difflib.unified_diff(expected.get(first, b"").decode(errors="replace").splitlines(),
                                    actual.get(first, b"").decode(errors="replace").splitlines(), lineterm="", n=1)
        raise AssertionError(f"{context} {len(differing)} files differ: {differing[:8]}\n" + "\n".join(list(diff)[:40]))


def without_marker(files: dict[str, bytes]) -> dict[str, bytes]:
    files.pop(".papernotes-site", None)  # holds the build's id
    return files


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate(300, tmp_path_factory.mktemp("generated"))


def test_parallel_build_is_identical_to_single_process(generated, tmp_path):
    single = clean_build(generated, tmp_path / "single")
    result = build(BuildOptions(root=generated, output=tmp_path / "parallel", search=False, jobs=2, cache=False))
    assert result.notes == 300
    assert_same(without_marker(snapshot(tmp_path / "parallel")), single)


def test_nothing_changed_writes_nothing(generated, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(generated / "notes", root / "notes")
    first = build(BuildOptions(root=root, search=False, jobs=2))
    assert first.written and not first.up_to_date
    page = root / "site" / "notes" / "batch-000" / "paper-000001.html"
    before = page.stat()
    second = build(BuildOptions(root=root, search=False, jobs=2))
    assert second.up_to_date and second.notes == 300 and second.pages == first.pages
    after = page.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_one_edit_rewrites_only_what_it_touches(generated, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(generated / "notes", root / "notes")
    build(BuildOptions(root=root, search=False, jobs=2))
    untouched = root / "site" / "notes" / "batch-000" / "paper-000007.html"
    inode = untouched.stat().st_ino
    edited = root / "notes" / "batch-000" / "paper-000003.md"
    edited.write_text(edited.read_text() + "\nA new closing thought 新的想法.\n")
    result = build(BuildOptions(root=root, search=False, jobs=2))
    assert result.written and not result.up_to_date
    assert "notes/batch-000/paper-000003.html" in result.paths
    assert len(result.paths) < 20, result.paths  # its page, feeds, sitemap … not 400 files
    assert untouched.stat().st_ino == inode  # an unchanged file is the same file, not rewritten
    assert "新的想法" in (root / "site" / "notes" / "batch-000" / "paper-000003.html").read_text()
    assert_same(without_marker(snapshot(root / "site")), clean_build(root, tmp_path / "clean"))
    # the manifest that build left (updated, not re-walked) matches the site: the next build has
    # nothing to do, and a page changed by hand afterwards is still noticed
    assert build(BuildOptions(root=root, search=False, jobs=2)).up_to_date
    page = root / "site" / "notes" / "batch-000" / "paper-000003.html"
    page.write_text(page.read_text() + "<!-- by hand -->")
    assert not build(BuildOptions(root=root, search=False, jobs=2)).up_to_date
    assert "by hand" not in page.read_text()


@pytest.mark.parametrize("seed", range(3))
def test_cached_builds_after_random_edits_equal_clean_builds(tmp_path, seed):
    rng = random.Random(seed)
    root = tmp_path / "root"
    (root / "notes").mkdir(parents=True)
    work = Workspace(root, rng)
    for _ in range(5):
        work.edit()
    for step in range(8):
        build(BuildOptions(root=root, search=False, jobs=1))
        assert_same(without_marker(snapshot(root / "site")), clean_build(root, tmp_path / "clean"), f"seed {seed} step {step}")
        for _ in range(rng.randint(1, 3)):
            work.edit()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "payload", "last build"])
def test_a_damaged_cache_is_never_trusted(generated, tmp_path, damage):
    root = tmp_path / "root"
    shutil.copytree(generated / "notes", root / "notes")
    build(BuildOptions(root=root, search=False, jobs=1))
    cache = root / ".papernotes-cache" / "build.sqlite"
    edited = root / "notes" / "batch-000" / "paper-000005.md"
    edited.write_text(edited.read_text().replace("## 思考", "## 思考 changed"))
    if damage == "garbage":
        for extra in cache.parent.glob("build.sqlite-*"):
            extra.unlink()
        cache.write_bytes(b"not a database at all" * 100)
    elif damage == "truncated":
        for extra in cache.parent.glob("build.sqlite-*"):
            extra.unlink()
        cache.write_bytes(cache.read_bytes()[:3000])
    elif damage == "last build":  # the record of the last build, its text changed under its digest
        import sqlite3
        db = sqlite3.connect(cache)
        (value,) = db.execute("SELECT value FROM meta WHERE key = 'last_build'").fetchone()
        assert '"notes": 300' in value
        db.execute("UPDATE meta SET value = ? WHERE key = 'last_build'", (value.replace('"notes": 300', '"notes": 3'),))
        db.commit()
        db.close()
    else:  # a row whose payload no longer matches its checksum: poison it with another note's data
        import sqlite3
        db = sqlite3.connect(cache)
        rows = db.execute("SELECT path, payload FROM notes ORDER BY path LIMIT 2").fetchall()
        db.execute("UPDATE notes SET payload = ? WHERE path = ?", (rows[1][1][:-5] + b"xxxxx", rows[0][0]))
        db.commit()
        db.close()
    result = build(BuildOptions(root=root, search=False, jobs=1))
    assert result.written
    assert_same(without_marker(snapshot(root / "site")), clean_build(root, tmp_path / "clean"))


def test_a_hand_edited_site_is_rebuilt(generated, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(generated / "notes", root / "notes")
    build(BuildOptions(root=root, search=False, jobs=1))
    (root / "site" / "index.html").unlink()
    result = build(BuildOptions(root=root, search=False, jobs=1))
    assert not result.up_to_date and (root / "site" / "index.html").exists()


def test_clean_removes_cache_and_site_but_no_note(generated, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(generated / "notes", root / "notes")
    build(BuildOptions(root=root, search=False, jobs=1))
    done = subprocess.run([sys.executable, "-m", "papernotes.cli", "clean"], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0
    assert sorted(p.name for p in root.iterdir()) == ["notes"]
    assert len(list((root / "notes").rglob("*.md"))) == 300


def test_killed_build_leaves_the_previous_site(generated, tmp_path):
    import time

    root = tmp_path / "root"
    shutil.copytree(generated / "notes", root / "notes")
    build(BuildOptions(root=root, search=False, jobs=1))
    before = without_marker(snapshot(root / "site"))
    (root / "notes" / "batch-000" / "paper-000002.md").write_text("---\ntitle: Changed\n---\nnew\n")
    killed = False
    for _attempt in range(6):  # killed as soon as its staging folder exists; a very fast build is tried again
        process = subprocess.Popen([sys.executable, "-m", "papernotes.cli", "build", "--no-search", "--no-cache",
                                    "-j", "1"], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while process.poll() is None and not any(p.name.startswith(".papernotes-tmp") for p in root.iterdir()):
            time.sleep(0.001)
        if process.poll() is None:
            process.kill()
            process.wait()
            killed = True
            break
        shutil.rmtree(root / "site")  # that build finished: put the previous site back and try again
        shutil.rmtree(root / ".papernotes-cache", ignore_errors=True)
        (root / "notes" / "batch-000" / "paper-000002.md").write_text(
            (generated / "notes" / "batch-000" / "paper-000002.md").read_text())
        build(BuildOptions(root=root, search=False, jobs=1))
        (root / "notes" / "batch-000" / "paper-000002.md").write_text("---\ntitle: Changed\n---\nnew\n")
    assert killed, "six builds all finished before their staging folder was seen"
    assert without_marker(snapshot(root / "site")) == before
    result = build(BuildOptions(root=root, search=False, jobs=1))
    assert result.written and "Changed" in (root / "site" / "notes" / "batch-000" / "paper-000002.html").read_text()
    assert not [p for p in root.iterdir() if p.name.startswith(".papernotes-tmp")]


def test_a_process_that_converted_math_builds_without_workers_and_math_still_works(tmp_path):
    """pykatex copied into a forked child fails off its first thread; such a process builds alone."""
    from papernotes.render.mathml import MathConverter

    root = tmp_path / "root"
    generate(250, root)
    MathConverter().to_mathml(r"\frac{a}{b}", display=False)  # this process has used the engine
    result = build(BuildOptions(root=root, search=False, jobs=2, cache=False))
    assert result.written and not result.diagnostics.warnings
    page = (root / "site" / "notes" / "batch-000" / "paper-000000.html").read_text()
    assert "<math" in page and "math-error" not in page


def test_parallel_cold_build_leaves_citation_keys_and_feed_times_for_the_next_build(generated, tmp_path):
    """The workers of a parallel build each used to compute every citation key and feed time and
    drop them; the parent computes them once now, and the build cache keeps them, so the first
    edit build after a clone does not compute 10,000 keys again."""
    from papernotes.build import CACHE_DIR
    from papernotes.cache import BuildCache
    from papernotes.project import FEED_MEMO, KEY_MEMO

    root = tmp_path / "root"
    shutil.copytree(generated / "notes", root / "notes")
    build(BuildOptions(root=root, search=False, jobs=2))
    cache = BuildCache(root / CACHE_DIR)
    assert cache.open()
    try:
        keys, times = cache.load_derived(KEY_MEMO), cache.load_derived(FEED_MEMO)
    finally:
        cache.close()
    bib = (root / "site" / "papers.bib").read_text()
    assert len(keys.keys) == 300 and all("{" + key + "," in bib for key in keys.keys.values())
    sitemap = (root / "site" / "sitemap.xml").read_text()
    assert times.updated and {iso for _, iso, _ in times.updated.values()} <= set(re.findall(r"<lastmod>([^<]+)<", sitemap))
