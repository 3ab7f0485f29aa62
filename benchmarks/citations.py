"""What the citation web costs: ``papernotes refs`` against the fake Semantic Scholar API with the
documented limits simulated (500 ids per request, one request per second), and the build time of
the citation lists and graphs at N notes.

    python benchmarks/citations.py fetch --sizes 1000 10000
    python benchmarks/citations.py build --notes 10000

``fetch`` writes N notes with (made-up) arXiv ids, serves a recorded answer for each (30
references, a third of them to other notes) from tests/fake_s2.py and times ``papernotes refs``.
``build`` generates N notes (benchmarks/generate_notes.py), gives them arXiv ids and a data file
in which each paper cites 20 others, and times a cold build without and with the data file, and
the join alone. No network.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from fake_s2 import FakeScholar  # noqa: E402
from generate_notes import generate  # noqa: E402


def arxiv_id(i: int) -> str:
    return f"3{i // 99999 % 10:01d}{(i // 99999) // 10 % 12 + 1:02d}.{i % 99999 + 1:05d}"


def add_ids(root: Path) -> list[Path]:
    """Give every generated note an arXiv id (in file order); returns the notes."""
    notes = sorted((root / "notes").rglob("*.md"))
    notes = [p for p in notes if p.name != "_index.md"]
    for i, path in enumerate(notes):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("---\n", f"---\narxiv: {arxiv_id(i)}\n", 1), encoding="utf-8")
    return notes


def recorded(n: int, rng: random.Random) -> dict:
    papers = {}
    for i in range(n):
        refs = [{"paperId": f"o{i}-{k}", "externalIds": {"DOI": f"10.9999/outside.{i}.{k}"}, "title": f"Outside {i} {k}"}
                for k in range(20)]
        refs += [{"paperId": f"p{j}", "externalIds": {"ArXiv": arxiv_id(j)}, "title": f"Paper {j}"}
                 for j in rng.sample(range(n), min(10, n))]
        papers[f"ARXIV:{arxiv_id(i)}"] = {"paperId": f"p{i}", "externalIds": {"ArXiv": arxiv_id(i)}, "title": f"Paper {i}",
                                          "citationCount": 0, "references": refs}
    return papers


def fetch(sizes: list[int]) -> None:
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "notes").mkdir()
            for i in range(n):
                (root / "notes" / f"n{i}.md").write_text(f"---\ntitle: Paper {i}\nstatus: read\narxiv: {arxiv_id(i)}\n---\n",
                                                          encoding="utf-8")
            fake = FakeScholar(papers=recorded(n, random.Random(n)), limits=True, batch_limit=500, rate=1.0)
            api = fake.start()
            try:
                started = time.perf_counter()
                result = subprocess.run([sys.executable, "-m", "papernotes.cli", "refs", "--root", str(root), "--api", api],
                                        capture_output=True, text=True)
                seconds = time.perf_counter() - started
            finally:
                fake.stop()
            size = (root / "data" / "references.json").stat().st_size
            print(json.dumps({"ids": n, "requests": fake.attempts, "answered": len(fake.requests), "seconds": round(seconds, 2),
                              "exit": result.returncode, "data_file_bytes": size, "summary": result.stdout.strip()}))


def build(n: int) -> None:
    from papernotes.citations import join
    from papernotes.load.references import PaperEntry, Reference, write_references
    from papernotes.project import Project
    import datetime as dt

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site-root"
        generate(n, root)
        notes = add_ids(root)
        rng = random.Random(7)
        count = len(notes)
        papers = {}
        for i in range(count):
            refs = tuple(Reference(arxiv=arxiv_id(j), title=f"Paper {j}") for j in rng.sample(range(count), 20))
            refs += tuple(Reference(doi=f"10.9999/outside.{rng.randrange(2000)}", title="Outside") for _ in range(10))
            papers[f"arxiv:{arxiv_id(i)}"] = PaperEntry(f"arxiv:{arxiv_id(i)}", dt.date(2026, 12, 1), title=f"Paper {i}",
                                                        references=refs)
        data_file = root / "data" / "references.json"
        write_references(data_file, papers)
        stored = data_file.read_bytes()
        results = {"notes": count}
        for label in ("without data file", "with data file"):
            if label == "without data file":
                data_file.unlink()
            else:
                data_file.write_bytes(stored)
            shutil.rmtree(root / "site", ignore_errors=True)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "papernotes.cli", "build", "--root", str(root), "--no-search", "--no-cache", "-q"],
                           check=True)
            results[label] = round(time.perf_counter() - started, 2)
        project = Project(root, check_output=False)
        project.load_all(render=False)
        started = time.perf_counter()
        from papernotes.load.site import build_site
        site = build_site(project.config, [r.note for r in project.records.values() if r.note is not None])
        web = join(site.notes, project.references)
        results["join seconds"] = round(time.perf_counter() - started, 3)
        results["joined links"] = sum(len(v) for v in web.cites.values())
        results["data file bytes"] = len(stored)
        sizes = [p.stat().st_size for p in (root / "site" / "notes").rglob("*.html")]
        results["mean note page bytes"] = round(sum(sizes) / len(sizes))
        print(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="what", required=True)
    p = commands.add_parser("fetch")
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    p = commands.add_parser("build")
    p.add_argument("--notes", type=int, default=10000)
    args = parser.parse_args()
    if args.what == "fetch":
        fetch(args.sizes)
    else:
        build(args.notes)


if __name__ == "__main__":
    main()
