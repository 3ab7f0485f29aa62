"""Cold-build time of papernotes on the example notes and on generated sites.

    python benchmarks/build_time.py --sizes 1000 --runs 5

Each run is a fresh process (`papernotes build -q --no-search --no-cache`: a cold build) into an empty output folder; the table shows
the median and the spread of wall time, CPU time and peak memory (max RSS of the child process).
As a peer measured in the same runs, the same notes are rendered by a bare markdown-it-py
loop (parse + render only, no math, no templates, nothing written): the ratio says what the
whole pipeline costs over plain Markdown rendering.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate_notes import generate  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

PEER = """
import sys, pathlib
from markdown_it import MarkdownIt
md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.md")):
    text = path.read_text(encoding="utf-8")
    md.render(text.split("---", 2)[-1])
"""


MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024]))
"""


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one command, measured by a fresh wrapper
    process so that the peak memory is that command's own (its children's maximum included)."""
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], cwd=cwd, check=True,
                         capture_output=True, text=True).stdout
    wall, cpu, rss = json.loads(out)
    return wall, cpu, rss


def bench(label: str, root: Path, runs: int) -> list[str]:
    rows = []
    results = {"papernotes": [], "markdown-it-py (peer)": []}
    for _ in range(runs):
        shutil.rmtree(root / "site", ignore_errors=True)
        results["papernotes"].append(timed([sys.executable, "-m", "papernotes.cli", "build", "-q", "--no-search", "--no-cache"], root))
        results["markdown-it-py (peer)"].append(timed([sys.executable, "-c", PEER, str(root / "notes")], root))
    base = statistics.median(w for w, _, _ in results["papernotes"])
    for tool, samples in results.items():
        walls = [w for w, _, _ in samples]
        wall = statistics.median(walls)
        cpu = statistics.median(c for _, c, _ in samples)
        rss = max(r for _, _, r in samples)
        rows.append(f"| {label} | {tool} | {wall:.2f} | {min(walls):.2f}–{max(walls):.2f} | {cpu:.2f} | {rss:.0f} | {wall / base:.2f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="papernotes cold-build benchmark")
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("| notes | tool | wall s (median) | wall range | CPU s | peak RSS MB (max) | ratio to papernotes |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        example = Path(tmp) / "example"
        shutil.copytree(REPO / "notes", example / "notes")
        for row in bench(f"example ({len(list((example / 'notes').rglob('*.md')))})", example, args.runs):
            print(row, flush=True)
        for size in args.sizes:
            root = generate(size, Path(tmp) / f"gen-{size}")
            for row in bench(str(size), root, args.runs):
                print(row, flush=True)


if __name__ == "__main__":
    main()
