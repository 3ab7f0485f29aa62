"""Hardening (issue #7): killed and failed builds, data safety, hostile front matter, ``--safe``,
the preview server under load, path traversal.

The long versions are scripts: ``scripts/kill_builds.py`` (≥ 100 kills) and
``scripts/serve_load.py`` (50 clients, 1,000 saves); here they run small. Results are in
docs/reliability.md.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import EXAMPLE_NOTES, REPO_ROOT, run_papernotes, theme_script

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
from generate_notes import generate  # noqa: E402


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def tree(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """rel path -> sha256 (symbolic links: 'link:' + target), without following links."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        rel_dir = os.path.relpath(dirpath, folder)
        keep = []
        for d in dirnames:
            rel = d if rel_dir == "." else f"{rel_dir}/{d}"
            if rel in skip:
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                found[rel] = "link:" + os.readlink(os.path.join(dirpath, d))
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in filenames:
            path = os.path.join(dirpath, name)
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if os.path.islink(path):
                found[rel] = "link:" + os.readlink(path)
            else:
                found[rel] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return found


def staging_left(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".papernotes-tmp-"))


def note(title: str, body: str = "Body.", **fields) -> str:
    lines = ["---", f"title: {json.dumps(title)}"]
    lines += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    return "\n".join(lines + ["---", body, ""])


def generated_site(tmp_path: Path, count: int) -> Path:
    root = tmp_path / "generated"
    generate(count, root)
    return root


# -- killed builds ---------------------------------------------------------------------------------
def test_ten_kills_leave_the_previous_site_and_the_next_build_is_right(tmp_path):
    """The fast version of scripts/kill_builds.py: SIGKILL at random moments of cold, cached,
    one-edit and template-change builds (two workers, some with the search index)."""
    kill_builds = load_script("kill_builds")
    summary = kill_builds.run(kills=10, notes=210, seed=7, search_share=0.2, jobs=(2,), work=tmp_path,
                              log=lambda line: None)
    assert summary.kills == 10 and summary.builds_completed == summary.attempts
    assert summary.failures == [], "\n".join(summary.lines())


def test_a_killed_full_build_does_not_pair_its_cache_rows_with_the_old_site(tmp_path):
    """A full build with workers stores note rows as it goes; killed after that, with the change
    that forced the full build undone, the next build must still see the edited note."""
    root = generated_site(tmp_path, 210)
    assert run_papernotes("build", "--root", root, "-q", "--no-search", "--jobs", "2").returncode == 0
    database = root / ".papernotes-cache" / "build.sqlite"
    query = "SELECT stamp FROM notes WHERE path LIKE '%paper-000008.md'"
    template = (REPO_ROOT / "templates" / "note.html").read_text(encoding="utf-8")
    edited = root / "notes" / "batch-000" / "paper-000008.md"
    killed = False
    for attempt in range(6):  # a fast machine may finish a build before its rows are seen: try again
        edited.write_text(edited.read_text(encoding="utf-8") + f"\nEDITED-BODY-MARKER-{attempt}\n", encoding="utf-8")
        (root / "templates").mkdir(exist_ok=True)
        (root / "templates" / "note.html").write_text(template + f"\n{{# changed {attempt} #}}\n", encoding="utf-8")
        before = sqlite3.connect(database).execute(query).fetchone()
        process = subprocess.Popen([sys.executable, "-m", "papernotes.cli", "build", "--root", str(root), "-q",
                                    "--no-search", "--jobs", "2"])
        row = before
        deadline = time.monotonic() + 60
        while row == before and process.poll() is None and time.monotonic() < deadline:
            try:
                row = sqlite3.connect(database, timeout=0.1).execute(query).fetchone()
            except sqlite3.Error:
                pass
            time.sleep(0.002)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            killed = True
            break
    assert killed, "six builds all finished before their cache rows could be seen"
    shutil.rmtree(root / "templates")  # back to the theme of the last completed build
    result = run_papernotes("build", "--root", root, "--no-search", "--jobs", "2")
    assert result.returncode == 0, result.stderr
    page = (root / "site" / "notes" / "batch-000" / "paper-000008.html").read_text(encoding="utf-8")
    assert f"EDITED-BODY-MARKER-{attempt}" in page
    assert staging_left(root) == []


@pytest.mark.parametrize("wait_for", ["worker", "pagefind"])
def test_workers_and_pagefind_die_with_a_killed_build(tmp_path, wait_for):
    """Without this, a killed build's workers (or Pagefind) write on into its staging folder, and
    print tracebacks, after the build is gone."""
    kill_builds = load_script("kill_builds")

    def family_of(pid: int) -> dict[int, str]:
        found = {}
        for child in kill_builds.descendants(pid):
            try:
                found[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                pass
        return found

    root = generated_site(tmp_path, 400)
    args = [sys.executable, "-m", "papernotes.cli", "build", "--root", str(root), "-q", "--jobs", "2", "--no-cache"]
    for _attempt in range(6):  # a fast machine may finish before the process is seen: try again
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        family: dict[int, str] = {}
        seen = False
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            family.update(family_of(process.pid))
            if any(("pagefind" in cmd) == (wait_for == "pagefind") for cmd in family.values()):
                seen = True
                break
            time.sleep(0.002)
        if seen and process.poll() is None:
            break
        process.wait()
        process.stderr.close()
    else:
        pytest.fail(f"six builds all finished before a {wait_for} was seen")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(0.3)
    survivors = [pid for pid in family if kill_builds.alive(pid)]
    for pid in survivors:  # started by the build this test started
        os.kill(pid, signal.SIGKILL)
    assert survivors == [], {pid: family[pid] for pid in survivors}
    assert b"Traceback" not in process.stderr.read()


def test_a_stale_staging_folder_is_removed_even_when_its_pid_was_recycled(tmp_path):
    root = tmp_path / "root"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "a.md").write_text(note("A"), encoding="utf-8")
    live_pid = os.getppid()  # a process that is alive, but is not a build
    stale = root / f".papernotes-tmp-site-{live_pid}"
    stale.mkdir()
    (stale / "junk.html").write_text("x")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    other_output = root / f".papernotes-tmp-site-2-{os.getpid()}"  # another output's: not ours
    other_output.mkdir()
    result = run_papernotes("build", "--root", root, "--no-search")
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert other_output.exists()


def test_a_running_builds_staging_folder_is_kept(tmp_path):
    """A folder locked by a live build is not removed by another build of the same site."""
    from papernotes.output import Staging

    root = tmp_path / "root"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "a.md").write_text(note("A"), encoding="utf-8")
    staging = Staging.create(root / "site")  # this process is the "running build"
    try:
        (staging.path / "half.html").write_text("half")
        old = time.time() - 3600
        os.utime(staging.path, (old, old))
        result = run_papernotes("build", "--root", root, "--no-search")
        assert result.returncode == 0, result.stderr
        assert (staging.path / "half.html").exists()
    finally:
        staging.discard()
    assert staging_left(root) == []


# -- full, unwritable and size-limited disks ---------------------------------------------------------
class Tmpfs:
    def __init__(self, folder: Path, size: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the RLIMIT_FSIZE test covers writes failing")

    def fill(self, leave: int) -> None:
        free = shutil.disk_usage(self.folder).free
        with open(self.folder / "filler", "wb") as f:
            f.truncate(0)
            f.write(b"\0" * max(0, free - leave))

    def remount(self, mode: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{mode}", str(self.folder)], check=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.folder)], capture_output=True)


def assert_clean_failure(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: cannot write the site to "), result.stderr
    assert words in lines[0] and "the previous site is as it was" in lines[0], lines[0]


@pytest.mark.parametrize("notes,jobs,cache", [("examples", "1", True), ("generated", "2", False)])
def test_a_full_disk_is_a_clear_error_and_keeps_the_previous_site(tmp_path, notes, jobs, cache):
    disk = Tmpfs(tmp_path / "disk", "24m")
    try:
        if notes == "examples":
            root = tmp_path / "root"
            shutil.copytree(EXAMPLE_NOTES, root / "notes")
        else:
            root = generated_site(tmp_path, 210)  # with --jobs 2: the pages are written by workers
        site = disk.folder / "site"
        first = run_papernotes("build", "--root", root, "-o", site, "--no-search", "--jobs", jobs)
        assert first.returncode == 0, first.stderr
        before = tree(site)
        disk.fill(leave=16 * 1024)
        edited = sorted((root / "notes").rglob("*.md"))[0]
        edited.write_text(edited.read_text(encoding="utf-8") + "\nMore text.\n", encoding="utf-8")
        args = ["build", "--root", root, "-o", site, "--no-search", "--jobs", jobs] + ([] if cache else ["--no-cache"])
        result = run_papernotes(*args)
        assert_clean_failure(result, "the disk is full")
        assert tree(site) == before
        assert staging_left(disk.folder) == []
        (disk.folder / "filler").unlink()
        again = run_papernotes(*args)
        assert again.returncode == 0, again.stderr
        assert any("More text." in page.read_text(encoding="utf-8") for page in (site / "notes").rglob("*.html"))
    finally:
        disk.unmount()


FAKE_PAGEFIND = """#!/bin/sh
# a search engine whose writes fail silently, as Pagefind's do on a full disk: empty files, exit 0
while [ $# -gt 0 ]; do
  if [ "$1" = "--output-path" ]; then out="$2"; fi
  shift
done
mkdir -p "$out/fragment" && : > "$out/pagefind.js" && : > "$out/pagefind-entry.json" && : > "$out/fragment/a.pf_fragment"
exit 0
"""


def _fake_pagefind(tmp_path: Path) -> dict:
    engine = tmp_path / "fake-pagefind"
    engine.write_text(FAKE_PAGEFIND)
    engine.chmod(0o755)
    return {**os.environ, "PAPERNOTES_PAGEFIND": str(engine), "PYTHONIOENCODING": "utf-8"}


def test_an_index_of_empty_files_is_never_published(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(EXAMPLE_NOTES, root / "notes")
    result = subprocess.run([sys.executable, "-m", "papernotes.cli", "build", "--root", str(root)],
                            env=_fake_pagefind(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "search: warning: search index not built: Pagefind wrote 3 empty file(s)" in result.stderr
    assert (root / "site" / "index.html").exists() and not (root / "site" / "pagefind").exists()


def test_an_index_that_failed_on_a_full_disk_fails_the_build(tmp_path):
    disk = Tmpfs(tmp_path / "disk", "8m")
    try:
        root = tmp_path / "root"
        shutil.copytree(EXAMPLE_NOTES, root / "notes")
        site = disk.folder / "site"
        assert run_papernotes("build", "--root", root, "-o", site, "--no-search").returncode == 0
        before = tree(site)
        disk.fill(leave=512 * 1024)  # room for the pages that change, not for an index
        edited = root / "notes" / "adam.md"
        edited.write_text(edited.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "papernotes.cli", "build", "--root", str(root), "-o", str(site)],
                                env=_fake_pagefind(tmp_path), capture_output=True, text=True, timeout=120)
        assert_clean_failure(result, "the disk is full")
        assert tree(site) == before
        assert staging_left(disk.folder) == []
    finally:
        disk.unmount()


def test_a_read_only_output_disk_is_a_clear_error(tmp_path):
    disk = Tmpfs(tmp_path / "disk", "8m")
    try:
        root = tmp_path / "root"
        shutil.copytree(EXAMPLE_NOTES, root / "notes")
        site = disk.folder / "site"
        assert run_papernotes("build", "--root", root, "-o", site, "--no-search").returncode == 0
        before = tree(site)
        (root / "notes" / "adam.md").write_text(note("Adam, changed"), encoding="utf-8")
        disk.remount("ro")
        for extra in ([], ["--no-cache", "--jobs", "2"]):
            result = run_papernotes("build", "--root", root, "-o", site, "--no-search", *extra)
            assert_clean_failure(result, "read-only file system")
            assert tree(site) == before
        disk.remount("rw")
        assert staging_left(disk.folder) == []
    finally:
        disk.unmount()


def test_writes_failing_with_a_file_size_limit_are_a_clear_error(tmp_path):
    """Works without root: RLIMIT_FSIZE makes every write past 4 KiB fail (EFBIG)."""
    root = tmp_path / "root"
    shutil.copytree(EXAMPLE_NOTES, root / "notes")
    assert run_papernotes("build", "--root", root, "--no-search").returncode == 0
    before = tree(root / "site")
    (root / "notes" / "adam.md").write_text(note("Adam, changed", "x " * 5000), encoding="utf-8")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    for extra in ([], ["--no-cache"]):
        result = subprocess.run([sys.executable, "-m", "papernotes.cli", "build", "--root", str(root), "--no-search",
                                 *extra], preexec_fn=limit, capture_output=True, text=True, timeout=120)
        assert_clean_failure(result, "file too large")
        assert tree(root / "site") == before
        assert staging_left(root) == []


# -- data safety ---------------------------------------------------------------------------------------
README_LIST = """# Reading list

## PEFT

<details>
<summary>✅ <a href="https://arxiv.org/abs/2106.09685">LoRA: Low-Rank Adaptation of Large Language Models</a></summary>

**ICLR 2022**
Low-rank updates.
</details>

<details>
<summary>❌ A Paper Only In This List</summary>

**NeurIPS 2023**
Imported body.
</details>
"""


def test_no_command_changes_a_file_outside_the_output_and_the_cache(tmp_path):
    world = tmp_path / "world"
    root = world / "root"
    shutil.copytree(EXAMPLE_NOTES, root / "notes")
    (root / "notes" / "warned.md").write_text(note("Warned", "![missing](no-such.png)"), encoding="utf-8")
    (root / "README.md").write_text("# My own README\n", encoding="utf-8")
    (root / "papernotes.yaml").write_text("title: Mine\n", encoding="utf-8")
    (world / "other").mkdir()
    (world / "other" / "important.txt").write_text("keep me", encoding="utf-8")
    os.symlink("../../other/important.txt", root / "notes" / "linked.png")  # leads outside: not followed
    os.symlink(world / "nowhere.md", root / "notes" / "dangling.md")
    source = world / "source" / "README.md"
    source.parent.mkdir()
    source.write_text(README_LIST, encoding="utf-8")
    skip = ("root/site", "root/.papernotes-cache")

    def run(*args, allowed=(), appends=(), code=None):
        """``appends``: files that may grow, their old text kept whole at their start."""
        before = tree(world, skip)
        old_texts = {p: (world / p).read_bytes() for p in appends}
        result = run_papernotes(*args, cwd=root)
        after = tree(world, skip)
        grown = [p for p in appends if (world / p).read_bytes().startswith(old_texts[p])]
        changed = sorted(p for p in before if after.get(p) != before[p] and p not in grown)
        added = sorted(p for p in after if p not in before)
        assert changed == [], f"{args} changed or removed {changed}"
        assert all(any(p.startswith(a) for a in allowed) for p in added), f"{args} added {added}"
        if code is not None:
            assert result.returncode == code, (args, result.stdout, result.stderr)
        return result, added

    run("build", code=0)
    run("build", "--strict", code=1)
    run("build", "--no-cache", "--jobs", "2", code=0)
    run("check", code=0)
    run("check", "--strict", code=1)
    # serve: start, then stop with Ctrl-C
    before = tree(world, skip)
    serve = subprocess.Popen([sys.executable, "-m", "papernotes.cli", "serve", "--root", str(root), "--port", "0",
                              "--no-search"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert serve.stdout is not None
    for line in serve.stdout:
        if line.startswith("serving "):
            break
    (root / "notes" / "adam.md").touch()  # a rebuild while serving
    time.sleep(1.0)
    serve.send_signal(signal.SIGINT)
    assert serve.wait(30) == 0
    after = tree(world, skip)
    assert {p: h for p, h in after.items() if p != "root/notes/adam.md"} == \
           {p: h for p, h in before.items() if p != "root/notes/adam.md"}
    # export: never over a README papernotes did not write; a new file is fine
    result, _ = run("export", "readme", "-o", "README.md", code=2)
    assert "not written by papernotes" in result.stderr
    run("export", "readme", "-o", "exported.md", allowed=("root/exported.md",), code=0)
    # import: new notes only; the paper already there is skipped, not overwritten; the list's
    # category order is added to papernotes.yaml, whose own text stays as it was
    config_before = (root / "papernotes.yaml").read_text(encoding="utf-8")
    result, added = run("import", source, allowed=("root/notes/",), appends=("root/papernotes.yaml",), code=0)
    assert len(added) == 1 and "skipped" in result.stdout
    config_after = (root / "papernotes.yaml").read_text(encoding="utf-8")
    assert config_after.startswith(config_before) and "category_order:" in config_after[len(config_before):]
    run("import", source, code=0)  # again: nothing changes
    # new: never over an existing note
    _, added = run("new", "A Brand New Paper", allowed=("root/notes/",), code=0)
    assert len(added) == 1
    _, added = run("new", "A Brand New Paper", allowed=("root/notes/",), code=0)  # beside it, as -2
    assert [Path(p).name for p in added] == ["a-brand-new-paper-2.md"]
    run("init", ".", code=2)  # a non-empty folder is refused
    run("init", world / "fresh", allowed=("fresh/",), code=0)
    run("clean", code=0)
    assert not (root / "site").exists() and not (root / ".papernotes-cache").exists()
    assert (world / "other" / "important.txt").read_text() == "keep me"
    assert not (world / "nowhere.md").exists()


def test_import_never_writes_through_a_symbolic_link(tmp_path):
    root = tmp_path / "root"
    (root / "notes" / "peft").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    # where the importer would put the list's new paper: a dangling link leading outside
    os.symlink(outside / "created-by-import.md", root / "notes" / "peft" / "a-paper-only-in-this-list.md")
    source = tmp_path / "README.md"
    source.write_text(README_LIST, encoding="utf-8")
    result = run_papernotes("import", source, cwd=root)
    assert result.returncode == 0, result.stderr
    assert list(outside.iterdir()) == []
    assert os.path.islink(root / "notes" / "peft" / "a-paper-only-in-this-list.md")
    written = sorted(p.name for p in (root / "notes").rglob("*.md") if not p.is_symlink())
    assert "a-paper-only-in-this-list-2.md" in written


def test_import_force_replaces_a_linked_note_not_the_file_it_points_to(tmp_path):
    root = tmp_path / "root"
    (root / "notes" / "peft").mkdir(parents=True)
    (root / "notes" / "shared").mkdir()
    target = root / "notes" / "shared" / "lora.md"
    target.write_text(note("LoRA: Low-Rank Adaptation of Large Language Models", "Mine.", arxiv="2106.09685"),
                      encoding="utf-8")
    original = target.read_bytes()
    os.symlink("../shared/lora.md", root / "notes" / "peft" / "alias.md")  # inside notes: a note too
    source = tmp_path / "README.md"
    source.write_text(README_LIST, encoding="utf-8")
    result = run_papernotes("import", source, "--force", cwd=root)
    assert result.returncode == 0, result.stderr
    replaced = [line for line in result.stdout.splitlines() if line.startswith("replaced ")]
    assert replaced
    for line in replaced:  # whichever of the two paths was matched, it is replaced by a new file
        path = root / line.split()[1] if not Path(line.split()[1]).is_absolute() else Path(line.split()[1])
        assert path.exists()
    if any("alias.md" in line for line in replaced):
        assert target.read_bytes() == original
        assert not os.path.islink(root / "notes" / "peft" / "alias.md")


def _symlinked_root(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "root"
    (root / "notes" / "sub").mkdir(parents=True)
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "id_rsa").write_text("SECRET-KEY-5f2c", encoding="utf-8")
    (outside / "dir" / "private.md").write_text(note("Private", "SECRET-NOTE-8a1b"), encoding="utf-8")
    (root / "notes" / "a.md").write_text(note("Inside", "See ![key](key.png)."), encoding="utf-8")
    os.symlink("../../outside/id_rsa", root / "notes" / "key.png")
    os.symlink("../../outside/dir", root / "notes" / "linked")
    os.symlink(outside / "dir" / "private.md", root / "notes" / "sub" / "private.md")
    os.symlink("../a.md", root / "notes" / "sub" / "alias.md")  # stays inside: kept
    return root, outside


def _secrets_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and (b"SECRET-KEY" in p.read_bytes() or b"SECRET-NOTE" in p.read_bytes()))


def test_symbolic_links_leading_outside_the_notes_are_not_followed(tmp_path):
    root, _ = _symlinked_root(tmp_path)
    result = run_papernotes("build", "--root", root, "--no-search")
    assert result.returncode == 0, result.stderr
    assert _secrets_in(root / "site") == []
    assert (root / "site" / "notes" / "sub" / "alias.html").exists()
    for link in ("notes/key.png", "notes/linked", "notes/sub/private.md"):
        assert f"{link}: warning: is a symbolic link to" in result.stderr, result.stderr
    assert "follow_symlinks: true" in result.stderr
    check = run_papernotes("check", "--root", root)
    assert "notes/sub/private.md: warning: is a symbolic link" in check.stdout
    # the cached build says the same
    again = run_papernotes("build", "--root", root, "--no-search")
    assert again.returncode == 0 and "notes/linked: warning" in again.stderr
    # and so does a build after an edit (restored from the cache, with the scan's walk of notes/)
    note_a = root / "notes" / "a.md"
    note_a.write_text(note_a.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
    edited = run_papernotes("build", "--root", root, "--no-search")
    assert edited.returncode == 0 and "notes/linked: warning" in edited.stderr, edited.stderr
    assert _secrets_in(root / "site") == []
    # and with follow_symlinks they are followed
    (root / "papernotes.yaml").write_text("follow_symlinks: true\n", encoding="utf-8")
    followed = run_papernotes("build", "--root", root, "--no-search")
    assert followed.returncode == 0, followed.stderr
    assert "symbolic link" not in followed.stderr
    assert {"notes/key.png", "notes/linked/private.html", "notes/sub/private.html"} <= set(_secrets_in(root / "site"))


def test_a_symbolic_link_made_while_serving_is_not_followed(tmp_path, preview_server):
    root, outside = _symlinked_root(tmp_path)
    served = preview_server(root)
    assert _secrets_in(served.site_dir) == []
    since = served.rebuilds
    os.symlink(outside / "dir" / "private.md", root / "notes" / "late.md")
    os.symlink(outside / "dir", root / "notes" / "late-dir")
    os.symlink("../../outside/id_rsa", root / "notes" / "sub" / "late.png")
    (root / "notes" / "touched.md").write_text(note("Touched"), encoding="utf-8")
    served.settle(since)
    assert served.fetch("/notes/touched.html")[0] == 200
    for path in ("/notes/late.html", "/notes/late-dir/private.html", "/notes/sub/late.png"):
        status, _, body = served.fetch(path)
        assert status == 404 and b"SECRET" not in body
    assert _secrets_in(served.site_dir) == []
    problems = "\n".join(str(d) for d in served.server.project.diagnostics().items)
    assert "notes/late.md: warning: is a symbolic link" in problems


# -- hostile front matter ---------------------------------------------------------------------------------
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS = "javascript:alert(1)"
JINJA = "{{ 7*7 }}"
RAW = "{% raw %}"
HOSTILE_TITLE = f"{SCRIPT} {IMG} {JINJA} {RAW} zqxhostile"
HOSTILE = note(
    HOSTILE_TITLE,
    f"Body text {JINJA} {RAW} and {JS} as text.",
    status="read",
    summary=f"{SCRIPT} {IMG} {JS} {JINJA}",
    category=f"{SCRIPT} {JINJA}",
    tags=[SCRIPT, IMG, JINJA, RAW, JS],
    venue=f"{IMG} ICLR 2023 {JINJA}",
    authors=[SCRIPT, f"Bob {IMG}", JINJA],
    links={SCRIPT: f"https://example.com/?q={IMG}", JINJA: "https://example.com/a'b\"c<d>"},
    doi=f"10.1234/{IMG}",
    rating=SCRIPT,
    reviewer=f"{IMG} {JINJA} {RAW}",
    date="2024-01-02",
)
JS_LINK = note("Has a javascript link", "Body.", links={"click": JS})


def html_problems(html: str, where: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    problems = []
    for script in soup.find_all("script"):
        if script.string == theme_script() and not script.get("src"):
            continue  # the theme's own, as the theme writes it
        if not re.fullmatch(r"(/|(\.\./)*)(assets/[a-z]+\.js|pagefind/pagefind[a-z-]*\.js)", script.get("src") or "") \
                or (script.string or "").strip():
            problems.append(f"{where}: {str(script)[:100]}")
    for element in soup.find_all(True):
        for name, value in element.attrs.items():
            values = value if isinstance(value, list) else [value]
            if name.lower().startswith("on"):
                problems.append(f"{where}: <{element.name} {name}=…>")
            if name.lower() in ("href", "src", "action", "formaction", "xlink:href", "data", "srcdoc") and any(
                    re.sub(r"[\s\x00-\x1f]", "", v).lower().startswith(("javascript:", "data:text")) for v in values):
                problems.append(f"{where}: <{element.name} {name}={values}>")
        if element.name in ("iframe", "object", "embed", "style") or (element.name == "img" and element.get("src") == "x"):
            problems.append(f"{where}: <{element.name}>")
    return problems


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    (root / "notes").mkdir()
    (root / "notes" / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    (root / "notes" / "js-link.md").write_text(JS_LINK, encoding="utf-8")
    (root / "notes" / "plain.md").write_text(note("A plain note", "Nothing to see.", status="read",
                                                   tags=["plain"]), encoding="utf-8")
    result = run_papernotes("build", "--root", root)  # with the search index
    assert result.returncode == 1  # the javascript: link is an error: that note is left out
    assert "notes/js-link.md" in result.stderr and "javascript:" in result.stderr
    assert "search index not built" not in result.stderr
    return root / "site"


def test_hostile_front_matter_is_text_in_every_html_page(hostile_site):
    problems = []
    pages = sorted(hostile_site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        text = page.read_text(encoding="utf-8")
        problems += html_problems(text, str(page.relative_to(hostile_site)))
        assert "Has a javascript link" not in text
    assert problems == []
    soup = BeautifulSoup((hostile_site / "notes" / "hostile.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.find("h1").get_text(strip=True) == HOSTILE_TITLE  # literal, template syntax untouched
    assert JINJA in soup.get_text() and "49" not in soup.find("h1").get_text()
    hrefs = [a["href"] for a in soup.find_all("a", href=True)]
    assert any(h.startswith("https://example.com/?q=") for h in hrefs)
    assert all(not h.lower().startswith("javascript") for h in hrefs)


def test_hostile_front_matter_in_feeds_sitemap_bibtex_and_search_index(hostile_site):
    import bibtexparser

    problems = []
    for path in sorted(hostile_site.rglob("*.xml")):
        root = ET.parse(path).getroot()  # well-formed
        for element in root.iter():
            if element.tag.endswith("content") and element.get("type") == "html" and element.text:
                problems += html_problems(element.text, f"{path.name} content")
            if element.tag.endswith("link") and element.get("href", "").lower().startswith("javascript"):
                problems.append(f"{path.name}: {element.get('href')}")
    atom = (hostile_site / "atom.xml").read_text(encoding="utf-8")
    assert ET.fromstring(atom).find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}title") \
        .text == HOSTILE_TITLE
    assert problems == []

    library = bibtexparser.parse_string((hostile_site / "papers.bib").read_text(encoding="utf-8"))
    assert library.failed_blocks == []
    titles = [entry.fields_dict["title"].value for entry in library.entries]
    assert any(SCRIPT in t and "onerror" in t for t in titles)
    assert all(t.count("{") == t.count("}") for t in titles)

    fragments = sorted((hostile_site / "pagefind" / "fragment").glob("*.pf_fragment"))
    assert fragments
    found = []
    for fragment in fragments:
        data = gzip.decompress(fragment.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        record = json.loads(data[len(b"pagefind_dcd"):])
        found.append(record["meta"]["title"])
    assert HOSTILE_TITLE in found  # as text: the search page escapes it (checked in the browser)


def test_hostile_front_matter_never_runs_in_the_browser_nor_in_search(browser, hostile_site, serve_directory):
    base = serve_directory(hostile_site)
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        visited = ["notes/hostile.html", "index.html", "dashboard.html", "tags/index.html", "categories/index.html",
                   "venues/index.html", "status/read.html"]
        for rel in visited:
            page.goto(base + rel)
            page.wait_for_load_state("load")
        page.goto(base + "notes/hostile.html")
        assert page.title().startswith(HOSTILE_TITLE)
        assert page.eval_on_selector("h1", "e => e.textContent").strip() == HOSTILE_TITLE
        page.fill("#search-input", "zqxhostile")
        page.wait_for_selector(".search-results li .result-title", timeout=15000)
        page.wait_for_timeout(500)
        titles = page.eval_on_selector_all(".search-results .result-title", "els => els.map(e => e.textContent)")
        assert HOSTILE_TITLE in titles
        assert page.eval_on_selector_all(".search-results img, .search-results script", "els => els.length") == 0
        for query in ("alert", "onerror", "script"):
            page.fill("#search-input", query)
            page.wait_for_timeout(800)
        assert page.eval_on_selector_all(".search-results img, .search-results script", "els => els.length") == 0
        assert dialogs == []
    finally:
        page.close()


# -- --safe -----------------------------------------------------------------------------------------------
SAFE_BODY = """<img src=x onerror="alert('body')">

Inline $\\frac{a}{b}$ and display:

$$
\\sum_{i=1}^{n} x_i^2
$$

<details>
<summary>More</summary>

**Hidden bold** text.
</details>

- [x] done
- [ ] todo

<a href="javascript:alert('link')">js link</a> <iframe src="https://example.com"></iframe>
<div onclick="alert('div')" style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</div>
<script>alert('script')</script><style>body { display: none }</style>
<svg><script>alert('svg')</script></svg><math><mi xlink:href="javascript:alert(1)">x</mi></math>
"""


def _safe_root(tmp_path: Path) -> Path:
    root = tmp_path / "safe-root"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "evil.md").write_text(note(f"{SCRIPT} {IMG}", SAFE_BODY), encoding="utf-8")
    return root


def _open(browser, url: str):
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    return page, dialogs


def test_the_note_body_is_trusted_without_safe_and_sanitised_with_it(browser, tmp_path, serve_directory):
    root = _safe_root(tmp_path)
    assert run_papernotes("build", "--root", root, "--no-search", "-o", root / "trusted").returncode == 0
    assert run_papernotes("build", "--root", root, "--no-search", "--safe", "-o", root / "safe").returncode == 0

    page, dialogs = _open(browser, serve_directory(root / "trusted") + "notes/evil.html")
    page.close()
    assert "body" in dialogs  # documented: the body's raw HTML is the author's own

    page, dialogs = _open(browser, serve_directory(root / "safe") + "notes/evil.html")
    try:
        page.click("text=js link")
        page.wait_for_timeout(200)
        assert dialogs == []
        assert page.eval_on_selector_all(".note-body script, .note-body iframe, .note-body style, .note-body [onclick], "
                                         ".note-body [onerror]", "els => els.length") == 0
        # what the renderer itself makes still works: MathML, <details>, task lists
        assert page.eval_on_selector_all("math mfrac", "els => els.length") == 1
        assert page.eval_on_selector_all("math munderover, math msubsup, math msup", "els => els.length") >= 1
        width = page.eval_on_selector("math mfrac", "e => e.getBoundingClientRect().width")
        assert width > 0
        assert not page.is_visible("text=Hidden bold")
        page.click("summary")
        assert page.is_visible("text=Hidden bold")
        assert page.eval_on_selector_all("input[type=checkbox][disabled]", "els => els.length") == 2
        assert page.is_visible("text=overlay")  # kept as text, without its fixed position
        assert page.eval_on_selector("text=overlay", "e => getComputedStyle(e).position") == "static"
    finally:
        page.close()


def test_safe_keeps_everything_the_renderer_makes(tmp_path):
    """The example notes (math, tables, code, footnotes, details, images, links) render to the same
    elements and attributes with and without --safe."""
    from papernotes.project import Project

    def structure(safe: bool) -> dict[str, list]:
        project = Project(REPO_ROOT, check_output=False, safe=safe)
        project.load_all()
        found = {}
        for record in project.records.values():
            if record.rendered is None:
                continue
            for kind, html in (("body", record.rendered.html), ("excerpt", record.rendered.excerpt_html)):
                soup = BeautifulSoup(html or "", "html.parser")
                found[f"{record.source.name}:{kind}"] = [
                    (e.name, sorted((k, " ".join(v) if isinstance(v, list) else v.replace(", ", ","))
                                    for k, v in e.attrs.items())) for e in soup.find_all(True)]
        return found

    plain, safe = structure(False), structure(True)
    assert plain.keys() == safe.keys() and len(plain) > 20
    differ = [key for key in plain if plain[key] != safe[key]]
    assert differ == []


MATH_CONSTRUCTS = [
    r"\frac{a}{b}", r"\sqrt[3]{x}", r"\sum_{i=1}^{n} x_i^2", r"\int_0^1 f(x)\,dx", r"\hat{x}\widehat{xy}\tilde{x}",
    r"\overbrace{a+b}^{n}", r"\underbrace{a+b}_{n}", r"\mathbb{R}\mathcal{L}\mathfrak{g}\mathbf{v}",
    r"\boxed{x}", r"\cancel{x}", r"\phantom{x}y", r"\colorbox{yellow}{x}", r"\textcolor{blue}{x}",
    r"\xrightarrow{f}", r"\left( \frac{a}{b} \right)", r"{}_a^b X_c^d", r"\text{abc}\texttt{x}",
    r"\begin{cases} a & b \\ c & d \end{cases}", r"\begin{pmatrix}1&2\\3&4\end{pmatrix}",
    r"\begin{array}{c|c} a & b \\ \hline c & d \end{array}", r"\begin{aligned} a &= b \\ &= c \end{aligned}",
    r"\operatorname*{arg\,max}_x f(x)", r"\underset{x}{\min}", r"\stackrel{?}{=}", r"\|x\|", r"\fbox{x}",
    r"\kern1em\hspace{2em}\,\;\quad x", r"\begin{align} a &= b \tag{1} \end{align}",
]


def test_safe_keeps_every_kind_of_math(tmp_path):
    from papernotes.render.mathml import MathConverter, MathError
    from papernotes.render.sanitize import sanitize

    def structure(html: str) -> list:
        soup = BeautifulSoup(html, "html.parser")
        return [(e.name, sorted((k, " ".join(v) if isinstance(v, list) else re.sub(r",\s*", ",", v))
                                for k, v in e.attrs.items())) for e in soup.find_all(True)]

    converter = MathConverter()
    changed = []
    for tex in MATH_CONSTRUCTS:
        for display in (False, True):
            try:
                html = converter.to_mathml(tex, display=display)
            except MathError:  # e.g. align outside display mode
                continue
            if structure(sanitize(html)) != structure(html):
                changed.append((tex, display))
    assert changed == []


def test_safe_and_trusted_renderings_never_share_the_cache(tmp_path):
    root = _safe_root(tmp_path)
    page = root / "site" / "notes" / "evil.html"
    for args, unsafe in ((["--safe"], False), ([], True), (["--safe"], False), ([], True)):
        result = run_papernotes("build", "--root", root, "--no-search", *args)
        assert result.returncode == 0, result.stderr
        assert ("onerror=\"alert('body')\"" in page.read_text(encoding="utf-8")) is unsafe, args


def test_serve_safe_sanitises_the_preview(tmp_path, preview_server):
    root = _safe_root(tmp_path)
    served = preview_server(root, safe=True)
    status, _, body = served.fetch("/notes/evil.html")
    assert status == 200
    assert b"onerror=\"alert('body')\"" not in body and b"alert('script')" not in body and b"<math" in body


# -- the preview server ---------------------------------------------------------------------------------
def test_preview_server_under_load_small(tmp_path):
    """The fast version of scripts/serve_load.py: 20 live-reload clients, 150 mixed saves."""
    serve_load = load_script("serve_load")
    result = serve_load.run(clients=20, saves=150, notes=60, edited=8, seed=3, work=tmp_path, log=lambda line: None)
    assert result.failures == [], "\n".join(result.lines())


SECRET = "TOP-SECRET-3e9a7c"
MORE_TRAVERSALS = [
    b"/%e0%80%ae%e0%80%ae/secret.txt",  # overlong UTF-8, three bytes
    b"/%c0%ae%c0%ae%c0%afsecret.txt",  # overlong '.' and '/'
    b"/..%c0%afsecret.txt",
    b"/..%c1%9csecret.txt",  # overlong backslash
    b"/\xc0\xae\xc0\xae/secret.txt",  # overlong, not percent-encoded
    b"/\xef\xbc\x8e\xef\xbc\x8e\xef\xbc\x8fsecret.txt",  # full-width dots and slash, raw
    b"/%ef%bc%8e%ef%bc%8e%ef%bc%8fsecret.txt",
    b"/..%255csecret.txt",  # double-encoded backslash
    b"/%25252e%25252e/secret.txt",  # triple-encoded
    b"/%2e%2e%2fsecret.txt",
    b"/%2e%2e%5csecret.txt",
    b"/notes/%2E%2E%5C%2E%2E%5Csecret.txt",
    b"/..%00/secret.txt",
    b"/%2500/../secret.txt",
    b"/index.html%00/../../secret.txt",
    b"/%u002e%u002e/secret.txt",
    b"/..;/secret.txt",
    b"/.../secret.txt",
    b"/./../secret.txt",
    b"/notes/./../../secret.txt",
    b"/%2e/%2e%2e/secret.txt",
    b"/escape/../escape/secret.txt",
    b"/escape/.%2e/secret.txt",
    b"/escape%5csecret.txt",
    b"/escape/%2e%2e/escape/secret.txt",
    b"/leak.txt%00",
    b"/leak.txt/",
    b"/escape/sub/../secret.txt",
    b"/linked-dir-in-site/secret.txt",
    b"/?../secret.txt",
    b"/#/../secret.txt",
    b"/../../../../../../../../../../etc/passwd",
    b"\\..\\secret.txt",
]


def raw_request(host: str, port: int, request_line: bytes) -> tuple[int, bytes]:
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(request_line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    data = b"".join(chunks)
    match = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return (int(match.group(1)) if match else 0), data


def test_more_path_traversal_payloads_never_leave_the_preview_folder(tmp_path, preview_server, monkeypatch):
    temp_root = tmp_path / "tmpdir"
    temp_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp_root))
    root = tmp_path / "root"
    shutil.copytree(EXAMPLE_NOTES, root / "notes")
    served = preview_server(root)
    (temp_root / "secret.txt").write_text(SECRET, encoding="utf-8")
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    os.symlink(outside, served.site_dir / "escape")
    os.symlink(outside, served.site_dir / "linked-dir-in-site")
    os.symlink(outside / "secret.txt", served.site_dir / "leak.txt")
    failures = []
    for payload in MORE_TRAVERSALS:
        status, data = raw_request(served.host, served.port, b"GET " + payload + b" HTTP/1.1")
        if SECRET.encode() in data or b"root:x:0:0" in data or status not in (200, 301, 400, 404):
            failures.append((payload, status, data[:100]))
        elif status == 200 and b"<!doctype html>" not in data.lower():
            failures.append((payload, status, "200 for something other than a site page"))
    assert failures == []
