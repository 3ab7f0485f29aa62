"""Where a build's time goes, by stage, from a py-spy profile of all its processes.

    py-spy record --subprocesses --rate 100 --format raw -o cold.txt -- papernotes build --no-search
    python benchmarks/profile_stages.py cold.txt

Each sample (a stack of one process) is put in the first stage whose marker appears in it, in the
order below; the table gives each stage's share of all samples (idle waits of the parent for its
workers included: they are samples too) and the functions most often on top of the stack.
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

#: (stage, markers): the first stage whose marker is in a sample's stack takes the sample.
STAGES = [
    ("search index (Pagefind)", ("pagefind",)),
    ("write files", ("Staging.write", "SiteDirectory.write", "output.py", "_unlink")),
    ("highlight code (Pygments)", ("pygments",)),
    ("formulas to MathML", ("mathml.py", "katex", "render/math.py")),
    ("Markdown parse", ("parser_block", "parser_inline", "parser_core", "rules_block", "rules_inline")),
    ("Markdown render", ("markdown_it/renderer",)),
    ("page templates (Jinja)", ("render_page", "jinja2", "templates/")),
    ("read and check notes", ("load_note", "_read ", "frontmatter", "fields.py")),
    ("build cache", ("cache.py",)),
    ("site model, outputs and dependencies", ("build_site", "_collect_outputs", "outputs (papernotes/emit",
                                              "build_web", "_related", "category_nav")),
    ("start-up (imports)", ("_find_and_load",)),
    ("the parent waiting for its workers", ("_PollLikeSelector.select", "Condition.wait", "_worker (concurrent")),
    ("workers: pickling and pipes", ("reduction.py", "connection.py", "queues.py")),
]


def stage_of(stack: str) -> str:
    for stage, markers in STAGES:
        if any(marker in stack for marker in markers):
            return stage
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path, help="py-spy's --format raw output")
    parser.add_argument("--top", type=int, default=12, help="functions listed (default 12)")
    args = parser.parse_args()
    stages: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    total = 0
    for line in args.profile.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        stages[stage_of(stack)] += samples
        leaves[stack.split(";")[-1][:100]] += samples
    print(f"{total:,} samples\n\n| stage | share |\n| --- | ---: |")
    for stage, samples in stages.most_common():
        print(f"| {stage} | {samples / total * 100:.1f}% |")
    print("\n| function on top of the stack | share |\n| --- | ---: |")
    for leaf, samples in leaves.most_common(args.top):
        print(f"| `{leaf}` | {samples / total * 100:.1f}% |")


if __name__ == "__main__":
    main()
