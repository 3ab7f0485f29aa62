"""Search index time, size and memory, time to first result in Chromium, and what Chinese and
English queries find, on generated sites.

    python benchmarks/search_index.py --sizes 1000 10000 --runs 3

For each size: the site is built once without search (`--no-search`), then Pagefind is run over it
`--runs` times in a fresh wrapper process (wall time, peak RSS of the indexer); the index's size on
disk; then the site is served on 127.0.0.1 and, in headless Chromium, each query is typed into the
search box and the time until results show is measured (first query: includes loading the index).
Each query's result count is compared with the number of notes whose text contains every word.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate_notes import generate  # noqa: E402

QUERIES = ["知识蒸馏", "蒸馏", "参数高效微调", "参数 高效 微调", "扩散模型", "提示推理", "注意力", "teacher student",
           "gradient", "lora", "xyzzy"]
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([time.perf_counter() - start, usage.ru_maxrss / 1024]))
"""


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def expected(notes: Path, query: str) -> int:
    words = query.lower().split()
    count = 0
    for path in notes.rglob("*.md"):
        text = path.read_text(encoding="utf-8").lower()
        if all(w in text for w in words):
            count += 1
    return count


def browser_queries(site: Path, queries: list[str]) -> list[tuple[str, float, str]]:
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
            for query in queries:
                page.fill("#search-input", "")
                page.evaluate("document.querySelector('.search-status').textContent = ''")
                start = time.perf_counter()
                page.fill("#search-input", query)
                page.wait_for_function("document.querySelector('.search-status').textContent.length > 0", timeout=60000)
                elapsed = time.perf_counter() - start
                rows.append((query, elapsed, page.text_content(".search-status") or ""))
            browser.close()
    finally:
        server.shutdown()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| notes | index wall s (median) | indexer peak RSS MB | index size MB |")
    print("| --- | --- | --- | --- |")
    query_tables = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            root = generate(size, Path(tmp) / f"s{size}")
            subprocess.run([sys.executable, "-m", "papernotes.cli", "build", "-q", "--no-search", "--no-cache"],
                           cwd=root, check=True)
            site = root / "site"
            walls, peaks = [], []
            for _ in range(args.runs):
                out = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m", "pagefind", "--site",
                                      str(site), "--silent"], capture_output=True, text=True, check=True).stdout
                wall, rss = json.loads(out)
                walls.append(wall)
                peaks.append(rss)
            print(f"| {size} | {statistics.median(walls):.2f} | {max(peaks):.0f} | {size_mb(site / 'pagefind'):.1f} |",
                  flush=True)
            rows = browser_queries(site, QUERIES)
            table = [f"\n{size} notes — time to results in Chromium and counts\n",
                     "| query | ms to results | shown | notes containing every word |", "| --- | --- | --- | --- |"]
            for query, elapsed, status in rows:
                shown = re.match(r"[\d+]+", status)
                table.append(f"| {query} | {elapsed * 1000:.0f} | {shown.group(0) if shown else 0} | {expected(root / 'notes', query)} |")
            query_tables.append("\n".join(table))
    print("\n".join(query_tables))


if __name__ == "__main__":
    main()
