"""A cold build, an incremental build and a ``papernotes serve`` session write the same bytes.

The same edits — a body edit, a status change, a title change, a note added, a note removed, a
tag renamed in every note that has it — are made one after another to 38 notes (30 of
``generate_notes.py``'s default mix, 8 of its heavy mix: code in several languages, many
formulas), which are built by ``papernotes build`` after every edit (incrementally: cache and
previous site kept); a second copy is built once before the edits and once after all of them
(as after a ``git pull``). A third copy of the notes is watched by a real ``papernotes serve`` child
process on 127.0.0.1 (port 0), whose preview folder (``$TMPDIR/papernotes-serve-<pid>-…``) is
read from disk; each edit reaches it as a copy of the edited file with the same modification
time, renamed into place (feeds and the sitemap show file times, in whole seconds: editing both
copies separately could put them a second apart).
After every edit both must hold exactly the files a cold single-process build of the same notes
writes, byte for byte.

Left out of the comparison, and only that: the preview's search index (``pagefind/``, and the
``.pagefind-new-*`` / ``.pagefind-old-*`` folders it is built in and swapped through). ``serve``
refreshes it in a background thread after the pages are written, so at any instant it may be
mid-refresh, and the builds compared against are ``--no-search``. The live-reload script is not
left out: ``serve`` adds it to pages as it sends them, never to the files (checked below on one
page: the bytes served are the file's with the one script tag added).
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from papernotes.build import BuildOptions, build

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from generate_notes import generate  # noqa: E402

SEARCH_INDEX = ("pagefind/", ".pagefind-")
LIVE_RELOAD_TAG = b'<script src="/__papernotes/livereload.js" defer></script>'
DEADLINE = 60.0  # seconds for the preview to catch up with an edit (a slow, loaded machine)


def snapshot(folder: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel.startswith(SEARCH_INDEX) or not path.is_file():
            continue
        try:
            files[rel] = path.read_bytes()
        except FileNotFoundError:  # removed while we read: the next look sees the new state
            continue
    return files


def cold_build(root: Path, out: Path) -> dict[str, bytes]:
    """What a clean single-process build without cache writes for ``root``'s notes."""
    shutil.rmtree(out, ignore_errors=True)
    result = build(BuildOptions(root=root, output=out, search=False, jobs=1, cache=False))
    assert result.written and not result.diagnostics.errors, result.diagnostics.items
    assert not result.diagnostics.warnings, [str(d) for d in result.diagnostics.warnings]
    return snapshot(out)


def differences(actual: dict[str, bytes], expected: dict[str, bytes]) -> str:
    """'' when equal; else which files are missing, extra or different, and the first diff."""
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    changed = sorted(k for k in set(actual) & set(expected) if actual[k] != expected[k])
    if not (missing or extra or changed):
        return ""
    text = f"missing {missing[:8]}, extra {extra[:8]}, different {changed[:8]}"
    if changed:
        first = changed[0]
        diff = difflib.unified_diff(expected[first].decode(errors="replace").splitlines(),
                                    actual[first].decode(errors="replace").splitlines(),
                                    f"cold/{first}", f"other/{first}", lineterm="", n=1)
        text += "\n" + "\n".join(list(diff)[:40])
    return text


# -- the notes and the edits --------------------------------------------------------------------------
def make_notes(root: Path, tmp: Path) -> None:
    generate(30, root)
    heavy = generate(8, tmp / "heavy", "heavy")
    (root / "notes" / "heavy").mkdir()
    for path in sorted((heavy / "notes").rglob("*.md")):
        shutil.copy2(path, root / "notes" / "heavy" / path.name.replace("paper-", "long-"))


def note(root: Path, i: int) -> Path:
    return root / "notes" / "batch-000" / f"paper-{i:06d}.md"


def edit_body(root: Path) -> None:
    path = note(root, 3)
    path.write_text(path.read_text(encoding="utf-8") + "\nA closing thought with $\\beta_2 = 0.999$ 新的想法.\n",
                    encoding="utf-8")


def change_status(root: Path) -> None:
    path = note(root, 4)
    text = path.read_text(encoding="utf-8")
    status = re.search(r"^status: (.*)$", text, re.M).group(1)
    path.write_text(text.replace(f"status: {status}\n", f"status: {'unread' if status == 'read' else 'read'}\n", 1),
                    encoding="utf-8")


def change_title(root: Path) -> None:
    path = note(root, 5)
    path.write_text(re.sub(r'^title: ".*"$', 'title: "A Retitled Paper"', path.read_text(encoding="utf-8"),
                           count=1, flags=re.M), encoding="utf-8")


def add_note(root: Path) -> None:
    (root / "notes" / "batch-000" / "paper-added.md").write_text(
        "---\ntitle: \"An Added Paper\"\nstatus: skimmed\ncategory: Generative Models/Flows\n"
        "tags: [flows, 生成]\nvenue: ICML 2024\nauthors: [New Author]\ndate: 2024-06-01\n---\n\n"
        "## 方法\n\nChange of variables $p_x(x) = p_z(f(x)) \\lvert \\det J_f(x) \\rvert$:\n\n"
        "$$\n\\log p_x(x) = \\log p_z(z) + \\sum_{k=1}^{K} \\log \\lvert \\det J_{f_k} \\rvert\n$$\n\n"
        "```python\ndef flow(x):\n    return x * 2\n```\n", encoding="utf-8")


def remove_note(root: Path) -> None:
    note(root, 6).unlink()


def rename_tag(root: Path) -> None:
    """``kd`` becomes ``distillation`` in every note that has it (a search-and-replace)."""
    renamed = 0
    for path in sorted((root / "notes").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        new = re.sub(r"^(tags: \[.*?)\bkd\b", r"\1distillation", text, count=1, flags=re.M)
        if new != text:
            path.write_text(new, encoding="utf-8")
            renamed += 1
    assert renamed >= 2


EDITS = [edit_body, change_status, change_title, add_note, remove_note, rename_tag]


def mirror(source: Path, target: Path, stage: Path) -> None:
    """Make ``target``'s notes those of ``source``, files and modification times: a changed file
    is copied beside (in ``stage``, on the same file system) and renamed over the old one."""
    stage.mkdir(exist_ok=True)
    wanted = {p.relative_to(source): p for p in (source / "notes").rglob("*.md")}
    for rel, path in wanted.items():
        dest = target / rel
        if dest.exists() and dest.read_bytes() == path.read_bytes() and dest.stat().st_mtime_ns == path.stat().st_mtime_ns:
            continue
        copy = stage / rel.name
        shutil.copy2(path, copy)
        os.replace(copy, dest)
    for path in (target / "notes").rglob("*.md"):
        if path.relative_to(target) not in wanted:
            path.unlink()


# -- papernotes serve, a child process ----------------------------------------------------------------
class Serve:
    def __init__(self, root: Path, tmpdir: Path) -> None:
        env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1", TMPDIR=str(tmpdir))
        self.tmpdir = tmpdir
        self.process = subprocess.Popen([sys.executable, "-m", "papernotes.cli", "serve", "--root", str(root),
                                         "--port", "0"], cwd=root, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, encoding="utf-8")
        self.lines: list[str] = []
        self.url: str | None = None
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            found = re.search(r"serving (http://127\.0\.0\.1:\d+/)", line)
            if found:
                self.url = found.group(1)
                self.ready.set()

    def folder(self) -> Path:
        assert self.ready.wait(DEADLINE), f"serve did not start: {self.lines}"
        folders = sorted(self.tmpdir.glob("papernotes-serve-*"))
        assert len(folders) == 1, folders
        return folders[0]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_until_same(folder: Path, expected: dict[str, bytes], serve: Serve, context: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while True:
        problem = differences(snapshot(folder), expected)
        if not problem:
            return
        if time.monotonic() > deadline or serve.process.poll() is not None:
            log = "\n".join(serve.lines[-20:])
            raise AssertionError(f"{context}: the serve preview differs from a cold build after {DEADLINE:.0f} s: "
                                 f"{problem}\nserve said:\n{log}")
        time.sleep(0.1)


@pytest.fixture
def serve_factory(tmp_path):
    started: list[Serve] = []

    def start(root: Path) -> Serve:
        tmpdir = tmp_path / "TMPDIR"
        tmpdir.mkdir()
        started.append(Serve(root, tmpdir))
        return started[-1]

    yield start
    for serve in started:
        serve.stop()


def run_build(root: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "papernotes.cli", "build", "--no-search", "-q"], cwd=root,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cold_incremental_and_serve_write_the_same_bytes(tmp_path, serve_factory):
    built, served, pulled = tmp_path / "built", tmp_path / "served", tmp_path / "pulled"
    make_notes(built, tmp_path / "gen")
    shutil.copytree(built / "notes", served / "notes")
    shutil.copytree(built / "notes", pulled / "notes")
    run_build(pulled)

    expected = cold_build(built, tmp_path / "cold")
    assert len([p for p in expected if p.startswith("notes/") and p.endswith(".html")]) == 38
    run_build(built)  # the first build of the incremental copy: cold too, through the command line
    assert not differences(snapshot(built / "site"), expected), differences(snapshot(built / "site"), expected)
    serve = serve_factory(served)
    preview = serve.folder()
    wait_until_same(preview, expected, serve, "first build")

    for edit in EDITS:
        edit(built)
        mirror(built, served, tmp_path / "stage")
        expected = cold_build(built, tmp_path / "cold")
        run_build(built)
        problem = differences(snapshot(built / "site"), expected)
        assert not problem, f"after {edit.__name__}: the incremental build differs from a cold build: {problem}"
        wait_until_same(preview, expected, serve, f"after {edit.__name__}")

    # all the edits at once (a `git pull`), then one incremental build
    mirror(built, pulled, tmp_path / "stage")
    run_build(pulled)
    problem = differences(snapshot(pulled / "site"), expected)
    assert not problem, f"one incremental build after all the edits differs from a cold build: {problem}"

    # what the preview sends is its file plus the live-reload script, nothing else
    page = "notes/batch-000/paper-000003.html"
    with urllib.request.urlopen(serve.url + page, timeout=10) as response:
        sent = response.read()
    assert sent.count(LIVE_RELOAD_TAG) == 1 and sent.replace(LIVE_RELOAD_TAG, b"") == expected[page]
    assert not [p for p, data in snapshot(preview).items() if b"livereload" in data]
