"""Kill `papernotes build` with SIGKILL at random moments and check that nothing is ever lost.

    python scripts/kill_builds.py --kills 120 --notes 300 --seed 1

A site of generated notes (benchmarks/generate_notes.py) is built once; then, over and over:

1. a change is made: none (a *cached* build that finds nothing to do), a *cold* build (the build
   cache deleted first), or a *one-edit* build (one note appended to, retitled, added or deleted
   — the cache redoes only what it touches), or a *template* build (one edit plus a changed
   template, which makes it a full build; the template is put back before the next build); each
   build randomly with or without the search index and with one or two worker processes (`--jobs`);
2. `papernotes build` is started in a child process and sent SIGKILL after a random delay
   between 0 and 1.1 × that kind of build's measured duration (so kills land everywhere: in the
   interpreter's start-up, while notes render in workers, while Pagefind indexes, around the swap,
   while the cache is written);
3. checked right after the kill: the notes are byte-for-byte what they were before the build
   (SHA-256 of every file under notes/); the output folder is byte-for-byte the previous site —
   or, when the kill came after the atomic swap, byte-for-byte the site a clean build makes; no
   process the killed build started (workers, Pagefind) outlives it by more than 0.2 s;
4. the same build is run again to completion: it exits 0, its site equals a clean
   `papernotes build --no-cache` of the same notes in another folder (ignoring `pagefind/`, whose
   bundle names are not reproducible, but checking it is there exactly when search is on), and
   no `.papernotes-tmp-*` folder is left beside the output.

It goes on until ``--kills`` builds have been killed while running (a build that finishes before its
kill is checked the same way, but not counted). Every failure is printed at once with the
iteration's seed-reproducible details; the summary counts kills by build kind and by where they
landed. Exit status 1 if anything failed. Works in a temporary
folder (removed at the end, unless --keep) and only ever kills processes it started, by pid.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "benchmarks"))

from generate_notes import generate  # noqa: E402

STAGING_PREFIX = ".papernotes-tmp-"
KINDS = ("cold", "cached", "one-edit", "template")
THEME_NOTE_TEMPLATE = HERE.parent / "templates" / "note.html"


@dataclass
class Summary:
    kills: int = 0  # builds killed while running
    attempts: int = 0  # builds started to be killed (some finish before their kill comes)
    by_kind: Counter = field(default_factory=Counter)
    landed: Counter = field(default_factory=Counter)  # "previous site kept" / "new site swapped in" / "no site yet"
    failures: list[str] = field(default_factory=list)
    orphans: int = 0
    seconds: float = 0.0
    builds_completed: int = 0

    def lines(self) -> list[str]:
        out = [f"{self.kills} builds killed mid-run ({self.attempts} started; the others finished before "
               f"their kill) in {self.seconds:.0f} s; killed: "
               + ", ".join(f"{n} {k}" for k, n in sorted(self.by_kind.items())),
               "after the kill: " + ", ".join(f"{n} {k}" for k, n in sorted(self.landed.items())),
               f"{self.builds_completed} builds run to completion after a kill, each compared with a clean build",
               f"processes outliving a killed build: {self.orphans}",
               f"failures: {len(self.failures)}"]
        out += [f"  FAIL {f}" for f in self.failures]
        return out


def tree_hashes(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    found: dict[str, str] = {}
    if not folder.exists():
        return found
    for dirpath, dirnames, filenames in os.walk(folder):
        rel_dir = Path(dirpath).relative_to(folder).as_posix()
        dirnames[:] = [d for d in dirnames if (f"{rel_dir}/{d}" if rel_dir != "." else d) not in skip]
        for name in filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(folder).as_posix()
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def papernotes(*args: str, **kwargs) -> list[str]:
    return [sys.executable, "-m", "papernotes.cli", *args]


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (via /proc/PID/task/*/children)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class Harness:
    def __init__(self, work: Path, notes: int, seed: int, search_share: float, jobs: tuple[int, ...],
                 log=print, kinds: tuple[str, ...] = KINDS) -> None:
        self.kinds = kinds
        self.work = work
        self.root = work / "site-root"
        self.reference_root = work / "reference"
        self.site = self.root / "site"
        self.rng = random.Random(seed)
        self.search_share = search_share
        self.jobs = jobs
        self.log = log
        self.summary = Summary()
        self.durations: dict[tuple[str, bool, int], float] = {}
        self.counter = 0
        self._references: dict[tuple[str, bool], dict[str, str]] = {}
        generate(notes, self.root)

    # -- building --------------------------------------------------------------------------------
    def build_args(self, search: bool, jobs: int) -> list[str]:
        args = ["build", "--root", str(self.root), "-q", "--jobs", str(jobs)]
        return args if search else [*args, "--no-search"]

    def run_build(self, search: bool, jobs: int) -> subprocess.CompletedProcess:
        return subprocess.run(papernotes(*self.build_args(search, jobs)), capture_output=True, text=True,
                              timeout=600)

    def reference(self, search: bool) -> dict[str, str]:
        """What a clean build (no cache) of the current notes writes, ignoring pagefind/."""
        notes_hash = hashlib.sha256(repr(sorted(tree_hashes(self.root / "notes").items())).encode()).hexdigest()
        key = (notes_hash, search)
        if key not in self._references:
            shutil.rmtree(self.reference_root, ignore_errors=True)
            shutil.copytree(self.root / "notes", self.reference_root / "notes")  # keeps mtimes
            args = ["build", "--root", str(self.reference_root), "-q", "--no-cache", "--jobs", "1"]
            result = subprocess.run(papernotes(*args, *([] if search else ["--no-search"])), capture_output=True,
                                    text=True, timeout=600)
            if result.returncode != 0:
                raise RuntimeError(f"clean reference build failed: {result.stderr}")
            found = tree_hashes(self.reference_root / "site", skip=("pagefind",))
            self._references = {key: found}  # keep only the latest state
        return self._references[key]

    def site_matches_clean_build(self, search: bool) -> str | None:
        expected = self.reference(search)
        got = tree_hashes(self.site, skip=("pagefind",))
        if got != expected:
            differ = sorted(p for p in set(got) | set(expected) if got.get(p) != expected.get(p))
            return f"{len(differ)} files differ from a clean build: {differ[:5]}"
        if search != (self.site / "pagefind" / "pagefind.js").is_file():
            return f"search index {'missing' if search else 'present'}"
        return None

    def leftovers(self) -> list[str]:
        return sorted(p.name for p in self.site.parent.iterdir() if p.name.startswith(STAGING_PREFIX))

    # -- changes ---------------------------------------------------------------------------------
    def change(self, kind: str) -> str:
        if kind == "cold":
            shutil.rmtree(self.root / ".papernotes-cache", ignore_errors=True)
            return "cache removed"
        if kind == "cached":
            return "nothing changed"
        if kind == "template":
            # A note edited and a template changed (a comment: the pages stay the same) force a full
            # build, whose workers store note rows as they go; the template is put back before the
            # next build, which then must not take those rows for the last build's state.
            what = self.change("one-edit")
            override = self.root / "templates" / "note.html"
            override.parent.mkdir(exist_ok=True)
            override.write_text(THEME_NOTE_TEMPLATE.read_text(encoding="utf-8") + f"\n{{# change {self.counter} #}}\n",
                                encoding="utf-8")
            return what + " + templates/note.html"
        notes = sorted((self.root / "notes").rglob("*.md"))
        self.counter += 1
        how = self.rng.choice(["append", "retitle", "add", "delete"] if len(notes) > 50 else ["append", "add"])
        target = self.rng.choice(notes)
        if how == "append":
            with target.open("a", encoding="utf-8") as f:
                f.write(f"\nEdit {self.counter}: 一处修改 with $x^{self.counter % 9}$.\n")
        elif how == "retitle":
            text = target.read_text(encoding="utf-8")
            lines = text.split("\n")
            for i, line in enumerate(lines):
                if line.startswith("title:"):
                    lines[i] = f'title: "Retitled {self.counter} {target.stem}"'
                    break
            target.write_text("\n".join(lines), encoding="utf-8")
        elif how == "add":
            new = target.parent / f"added-{self.counter}.md"
            new.write_text(f"---\ntitle: Added {self.counter}\nstatus: unread\ncategory: Added\n---\nNew note "
                           f"{self.counter}.\n", encoding="utf-8")
            target = new
        else:
            target.unlink()
        return f"{how} {target.relative_to(self.root)}"

    # -- one kill --------------------------------------------------------------------------------
    def calibrate(self) -> None:
        """Measure each kind of build once (its duration bounds the kill delays)."""
        searches = [s for s, share in ((False, 1 - self.search_share), (True, self.search_share)) if share > 0]
        for search in searches:
            for jobs in self.jobs:
                for kind in self.kinds:
                    self.change(kind)
                    started = time.perf_counter()
                    result = self.run_build(search, jobs)
                    if result.returncode != 0:
                        raise RuntimeError(f"calibration build failed: {result.stderr}")
                    self.durations[(kind, search, jobs)] = time.perf_counter() - started
                    if kind == "template":
                        shutil.rmtree(self.root / "templates")
                        self.run_build(search, jobs)
        self.log("build durations (s): " + ", ".join(
            f"{k}{'+search' if s else ''} j{j}: {d:.2f}" for (k, s, j), d in sorted(self.durations.items())))

    def one(self, iteration: int) -> None:
        kind = self.rng.choice(self.kinds)
        search = self.rng.random() < self.search_share
        jobs = self.rng.choice(self.jobs)
        what = self.change(kind)
        notes_before = tree_hashes(self.root / "notes")
        site_before = tree_hashes(self.site)
        delay = self.rng.uniform(0, 1.1 * self.durations[(kind, search, jobs)])
        label = f"#{iteration} {kind} ({what}), search={'on' if search else 'off'}, jobs={jobs}, kill after {delay:.3f} s"

        process = subprocess.Popen(papernotes(*self.build_args(search, jobs)), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + delay
        family: set[int] = set()
        while time.monotonic() < deadline and process.poll() is None:
            family |= descendants(process.pid)
            time.sleep(min(0.01, max(0.0, deadline - time.monotonic())))
        family |= descendants(process.pid)
        finished_first = process.poll() is not None
        if not finished_first:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        self.summary.attempts += 1
        if not finished_first:
            self.summary.kills += 1
            self.summary.by_kind[kind] += 1

        # nothing the killed build started may live on (and write into a folder later)
        grace = time.monotonic() + 0.2
        while time.monotonic() < grace and any(alive(p) for p in family):
            time.sleep(0.02)
        survivors = [p for p in family if alive(p)]
        if survivors:
            self.summary.orphans += len(survivors)
            self.summary.failures.append(f"{label}: {len(survivors)} child process(es) outlived the killed build")
            for pid in survivors:  # ours: started by the build this script started
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

        if tree_hashes(self.root / "notes") != notes_before:
            self.summary.failures.append(f"{label}: the notes changed")
        site_after = tree_hashes(self.site)
        if finished_first:
            self.summary.landed["build finished before the kill"] += 1
        elif site_after == site_before:
            self.summary.landed["previous site kept"] += 1
        else:
            problem = self.site_matches_clean_build(search)
            if problem is None:
                self.summary.landed["new site swapped in"] += 1
            else:
                self.summary.failures.append(f"{label}: after the kill the site is neither the previous one nor "
                                             f"a complete new one ({problem})")

        if kind == "template":
            shutil.rmtree(self.root / "templates")
        result = self.run_build(search, jobs)
        self.summary.builds_completed += 1
        if result.returncode != 0:
            self.summary.failures.append(f"{label}: the next build failed ({result.returncode}): "
                                         f"{result.stderr.strip()[-300:]}")
            return
        problem = self.site_matches_clean_build(search)
        if problem:
            self.summary.failures.append(f"{label}: the next build is wrong: {problem}")
        left = self.leftovers()
        if left:
            self.summary.failures.append(f"{label}: temporary folders left after the next build: {left}")


def run(kills: int, notes: int, seed: int, search_share: float = 0.3, jobs: tuple[int, ...] = (1, 2),
        work: Path | None = None, log=print, kinds: tuple[str, ...] = KINDS) -> Summary:
    started = time.perf_counter()
    own = work is None
    work = work or Path(tempfile.mkdtemp(prefix="papernotes-kill-"))
    try:
        harness = Harness(work, notes, seed, search_share, jobs, log, kinds)
        first = harness.run_build(False, 1)
        if first.returncode != 0:
            raise RuntimeError(f"first build failed: {first.stderr}")
        harness.calibrate()
        i = 0
        while harness.summary.kills < kills and i < 3 * kills:  # until that many builds were killed mid-run
            i += 1
            known, before = len(harness.summary.failures), harness.summary.kills
            harness.one(i)
            for failure in harness.summary.failures[known:]:
                log(f"FAIL {failure}")
            if harness.summary.kills != before and harness.summary.kills % 10 == 0:
                log(f"{harness.summary.kills}/{kills} kills, {len(harness.summary.failures)} failures")
        harness.summary.seconds = time.perf_counter() - started
        return harness.summary
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=120, help="builds to kill mid-run (default: 120)")
    parser.add_argument("--notes", type=int, default=300, help="generated notes (≥ 200 uses worker processes)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--search-share", type=float, default=0.3, help="share of builds with the search index")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"build kinds to kill (default: {','.join(KINDS)})")
    parser.add_argument("--jobs", default="1,2", help="worker counts to pick from (default: 1,2)")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    kinds = tuple(k for k in args.kinds.split(",") if k)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds {sorted(unknown)}; choose from {', '.join(KINDS)}")
    summary = run(args.kills, args.notes, args.seed, args.search_share, tuple(int(j) for j in args.jobs.split(",")),
                  work=args.keep, log=lambda line: print(line, file=sys.stderr, flush=True), kinds=kinds)
    print("\n".join(summary.lines()))
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
