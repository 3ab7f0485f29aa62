"""The search index in 1, 8 and 32 shards against one index: cold index time and memory, the
cost of re-indexing one shard, query time in Chromium and whether the queries of
docs/search.md show the same notes in the same order.

    python benchmarks/search_shards.py --notes 1000 --shards 1 8 32 --runs 3

The generated site (``benchmarks/generate_notes.py``) is built once without search; then, for
each shard count, the index is built into a hard-linked copy of the site by ``papernotes.search``
(``update_index``, Pagefind runs one per CPU at a time; the shard size set so that the count is the
one asked for), ``--runs`` times from scratch: wall time and the peak of the summed RSS of all
Pagefind processes (sampled every 10 ms). One page is then edited and the index updated: the cost
of re-indexing its shard. Each site is served on 127.0.0.1 and every query is typed into the
search box in headless Chromium, ``--runs`` times on a fresh page (medians; the first query of a
page includes loading the index), and the pages found and listed are compared with the first
shard count's (see ``compare``). ``--serial``: also one Pagefind run at a time; ``--api-pages N``:
Pagefind's Python API over N pages; ``--serve-saves N``: N saves in ``papernotes serve`` (save to
page, save to index); ``--examples``: the repository's example notes instead of generated ones.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from generate_notes import generate  # noqa: E402

from papernotes.search import Indexer, PageDigests, indexed_pages, update_index  # noqa: E402

#: docs/search.md's queries: those measured on generated notes (they occur in them) first.
QUERIES = ["知识蒸馏", "蒸馏", "参数高效微调", "参数 高效 微调", "扩散模型", "提示推理", "注意力", "teacher student",
           "gradient", "lora", "xyzzy", "hinton", "survey", "low-rank", "chain of thought"]


def rss_of_descendants(pid: int) -> int:
    """The summed resident memory (bytes) of every process below ``pid``."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        child = int(entry)
        children.setdefault(int(fields[1]), []).append(child)
        rss[child] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, list(children.get(pid, []))
    while todo:
        child = todo.pop()
        total += rss.get(child, 0)
        todo += children.get(child, [])
    return total


class PeakMemory:
    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_of_descendants(os.getpid()))
            self._stop.wait(0.01)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def index_site(site: Path, shards: int, jobs: int = 0) -> tuple[float, float, int, float]:
    """Index ``site`` from scratch in ``shards`` shards, ``jobs`` Pagefind runs at a time (0: one
    per CPU): (seconds, peak MB, shards made, CPU seconds of the Pagefind processes)."""
    for name in os.listdir(site):
        if name.startswith("pagefind"):
            shutil.rmtree(site / name)
    pages = len(indexed_pages(site)[0])
    per_shard = max(1, math.ceil(pages / shards))
    cpu = child_cpu()
    with PeakMemory() as memory:
        started = time.perf_counter()
        update = update_index(site, Indexer(), PageDigests(), jobs=jobs, per_shard=per_shard)
        seconds = time.perf_counter() - started
    assert update.result.ok, update.result.problem
    return seconds, memory.peak / 1e6, update.shards, child_cpu() - cpu


def api_seconds(site: Path, pages: int) -> float:
    """Seconds a page when Pagefind's Python API (``PagefindIndex.add_html_file``, one process)
    indexes the first ``pages`` note pages and writes the bundle."""
    import asyncio

    from pagefind.index import IndexConfig, PagefindIndex

    chosen = indexed_pages(site)[0][:pages]

    async def run(out: str) -> float:
        started = time.perf_counter()
        config = IndexConfig(force_language="zh-cn", exclude_selectors=[".header-anchor", "annotation"], output_path=out)
        async with PagefindIndex(config=config) as index:  # writes the bundle to ``out`` on leaving
            for rel in chosen:
                await index.add_html_file(content=(site / rel).read_text(encoding="utf-8"), source_path=rel)
        return (time.perf_counter() - started) / len(chosen)

    with tempfile.TemporaryDirectory() as out:
        return asyncio.run(run(out))


def reindex_one(site: Path, shards: int, digests: PageDigests) -> tuple[float, int]:
    """Edit one note page, update the index: (seconds, shards re-indexed)."""
    page = site / indexed_pages(site)[0][0]
    edited = page.with_name(page.name + ".new")  # a new file: the sites are hard-linked copies
    edited.write_bytes(page.read_bytes().replace(b"</article>", b"<p>edited zanthoxylum</p></article>", 1))
    os.replace(edited, page)
    pages = len(indexed_pages(site)[0])
    started = time.perf_counter()
    update = update_index(site, Indexer(), digests, per_shard=max(1, math.ceil(pages / shards)))
    return time.perf_counter() - started, len(update.rebuilt)


#: Every result of a query, as the search box's own Pagefind (the module is loaded once per page,
#: shards merged) ranks them: page ids (the hash of the page's fragment: the same in every
#: bundle that indexes the page) in order.
ALL_RESULTS = """async q => {
  const pagefind = await import(new URL(document.querySelector('.search').dataset.pagefind, location.href).href);
  const found = await pagefind.search(q.replace(/[\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff]{5,}/g,
                                                  run => run.match(/[\\s\\S]{1,2}/g).join(' ')));
  const first = await Promise.all(found.results.slice(0, 200).map(r => r.data()));
  return [found.results.map(r => r.id), first.map(d => decodeURIComponent(d.url)), found.results.slice(0, 200).map(r => r.score)];
}"""


def serve_latency(root: Path, saves: int) -> tuple[list[float], list[float], int]:
    """``papernotes serve`` (in this process) on ``root``: for each of ``saves`` edits of one note,
    the seconds from the save to its page on disk having the edit, and to the index of its shard
    having it (``shards.json``'s fingerprint changed). Also the shard count."""
    import io

    from papernotes.serve import PreviewServer, ServeOptions
    from papernotes.search import read_shard_list

    server = PreviewServer(ServeOptions(root=root, host="127.0.0.1", port=0), out=io.StringIO())
    server.start()
    site = server.site_dir
    assert site is not None

    def wait(condition, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError
            time.sleep(0.002)

    try:
        wait(lambda: server.index_runs >= 1)
        rels = indexed_pages(site)[0]
        note, page = next((note, site / rel) for note in sorted((root / "notes").rglob("*.md"))
                          for rel in rels if rel.endswith(f"/{note.stem}.html"))
        pages, indexes = [], []
        for n in range(saves):
            time.sleep(0.5)  # the previous save settled
            listed = read_shard_list(site)
            marker = f"zanthoxylum{n}"
            started = time.monotonic()
            note.write_text(note.read_text(encoding="utf-8") + f"\n{marker}\n", encoding="utf-8")
            wait(lambda: marker in page.read_text(encoding="utf-8", errors="replace"))
            pages.append(time.monotonic() - started)
            wait(lambda: read_shard_list(site) not in (listed, {}))
            indexes.append(time.monotonic() - started)
        return pages, indexes, len(read_shard_list(site))
    finally:
        server.stop()


def browser_runs(site: Path, queries: list[str], runs: int) -> dict[str, tuple]:
    """Per query: the times to results over ``runs`` fresh pages, the pages the box lists, its
    status line, and (ids of all Pagefind's results, URLs of the first 200) in order."""
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    found: dict[str, tuple] = {q: ([], [], "", ([], [], [])) for q in queries}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            for _ in range(runs):
                context = browser.new_context()  # nothing cached from the run before
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
                for query in queries:
                    page.fill("#search-input", "")
                    start = time.perf_counter()
                    page.fill("#search-input", query)
                    page.wait_for_function(
                        "q => document.querySelector('#search-results').dataset.query === q && "
                        "document.querySelector('.search-status').textContent.length > 0", arg=query, timeout=120000)
                    elapsed = time.perf_counter() - start
                    titles = page.eval_on_selector_all(".search-results a", "els => els.map(e => decodeURIComponent(new URL(e.href).pathname))")
                    found[query][0].append(elapsed)
                    ids = page.evaluate(ALL_RESULTS, query)
                    found[query] = (found[query][0], titles, page.text_content(".search-status") or "", ids)
                context.close()
            browser.close()
    finally:
        server.shutdown()
    return found


def compare(found: tuple, reference: tuple) -> str:
    """How a query's results compare with one index's: "same" (the same pages, in the same
    order, and the same listed), else whether Pagefind found the same pages ("+1 page": one it
    did not), how many of the pages the box lists it lists too ("listed 17/20"), and where they
    are in its order ("in its first 31": all among its first 31 results, "+2 not in its first
    200")."""
    _times, shown, _status, (ids, _urls, _scores) = found
    _times, ref_shown, _status, (ref_ids, ref_urls, ref_scores) = reference
    if ids == ref_ids and shown == ref_shown:
        if len(ref_scores) >= 20 and ref_scores[0]:
            return f"same (its 20th score: {ref_scores[19] / ref_scores[0]:.0%} of the 1st)"
        return "same"
    more = len(set(ids) - set(ref_ids))
    fewer = len(set(ref_ids) - set(ids))
    pages = "same pages" if not more and not fewer else \
        " ".join(part for part in (f"+{more} page{'s' if more > 1 else ''}" if more else "",
                                   f"-{fewer} page{'s' if fewer > 1 else ''}" if fewer else "") if part)
    if not shown and not ref_shown:
        return pages
    rank = {url: i for i, url in enumerate(ref_urls)}
    known = [rank[url] for url in shown if url in rank]
    outside = len(shown) - len(known)
    where = (f"in its first {max(known) + 1}" if known else "") + (f" +{outside} not in its first 200" if outside else "")
    both = len(set(shown) & set(ref_shown))
    return f"{pages}; listed {both}/{len(ref_shown)} {where.strip()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--shards", type=int, nargs="*", default=[1, 8, 32])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--serial", action="store_true", help="also index each shard count one Pagefind run at a time")
    parser.add_argument("--api-pages", type=int, default=0, help="also time Pagefind's Python API over this many pages")
    parser.add_argument("--serve-saves", type=int, default=0, help="also time this many saves in papernotes serve")
    parser.add_argument("--examples", action="store_true", help="the repository's example notes instead of generated ones")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.examples:
            root = Path(tmp) / "root"
            shutil.copytree(Path(__file__).resolve().parent.parent / "notes", root / "notes")
        else:
            root = generate(args.notes, Path(tmp) / "root")
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")}
        subprocess.run([sys.executable, "-m", "papernotes.cli", "build", "-q", "--no-search", "--no-cache"],
                       cwd=root, check=True, env=env)
        notes = len(indexed_pages(root / "site")[0])
        print(f"{notes} {'example' if args.examples else 'generated'} notes, {os.cpu_count()} CPUs\n")
        print("| shards | cold index s (median) | Pagefind CPU s | peak RSS of all Pagefind processes MB | "
              "one edit: s to re-index | shards re-indexed |")
        print("| --- | --- | --- | --- | --- | --- |")
        sites = {}
        for shards in args.shards:
            site = Path(tmp) / f"site-{shards}"
            subprocess.run(["cp", "-al", str(root / "site"), str(site)], check=True)
            times, peaks, cpus = [], [], []
            made = 0
            for _ in range(args.runs):
                seconds, peak, made, cpu = index_site(site, shards)
                times.append(seconds)
                peaks.append(peak)
                cpus.append(cpu)
            digests = PageDigests()
            update_index(site, Indexer(), digests, per_shard=max(1, math.ceil(len(indexed_pages(site)[0]) / shards)))
            edit_seconds, rebuilt = reindex_one(site, shards, digests)
            print(f"| {made} | {statistics.median(times):.2f} | {statistics.median(cpus):.2f} | {max(peaks):.0f} | "
                  f"{edit_seconds:.2f} | {rebuilt} |", flush=True)
            if args.serial and made > 1:
                serial = [index_site(site, shards, jobs=1) for _ in range(args.runs)]
                print(f"| {made}, one run at a time | {statistics.median(r[0] for r in serial):.2f} | "
                      f"{statistics.median(r[3] for r in serial):.2f} | {max(r[1] for r in serial):.0f} | | |", flush=True)
                index_site(site, shards)
            sites[shards] = site
        if args.api_pages:
            per_page = api_seconds(root / "site", args.api_pages)
            print(f"\nPagefind's Python API, one process: {per_page * 1000:.0f} ms a page over {args.api_pages} pages "
                  f"(so {per_page * notes:.0f} s for {notes} notes)")
        if args.serve_saves:
            pages, indexes, count = serve_latency(root, args.serve_saves)
            print(f"\npapernotes serve, {count} shard(s), {args.serve_saves} saves: page has the edit after "
                  f"{statistics.median(pages) * 1000:.0f} ms (median; max {max(pages) * 1000:.0f}), the index after "
                  f"{statistics.median(indexes) * 1000:.0f} ms (max {max(indexes) * 1000:.0f})", flush=True)
        if args.no_browser:
            return
        results = {shards: browser_runs(site, QUERIES, args.runs) for shards, site in sites.items()}
        reference = results[args.shards[0]]
        head = " | ".join(f"{s} shard{'s' if s > 1 else ''}: ms (first page) / shown / against {args.shards[0]}"
                          for s in args.shards)
        print(f"\n| query | {head} |")
        print("| --- |" + " --- |" * len(args.shards))
        for query in QUERIES:
            cells = []
            for shards in args.shards:
                times, _shown, status, _ids = results[shards][query]
                shown = status.split(" ")[0] if status[:1].isdigit() else "0"
                cells.append(f"{statistics.median(times) * 1000:.0f} ({times[0] * 1000:.0f}) / {shown} / "
                             f"{compare(results[shards][query], reference[query])}")
            print(f"| {query} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
