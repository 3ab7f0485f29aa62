"""The search index in shards: every shard searched as one index in the browser, filter counts
over all of them, and only the shards whose pages changed indexed again (``build`` and ``serve``).

A tiny shard size (``PAPERNOTES_SEARCH_SHARD_PAGES``) splits the 24 example notes into several
shards. Real builds through the command line, the real Pagefind (wrapped by a script that logs
each run, to tell which shards were indexed), a real HTTP server and headless Chromium.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import EXAMPLE_DATA, EXAMPLE_NOTES
from test_search_facets import search

SHARD_PAGES = "4"  # 24 notes -> 8 shards (one may be empty)
RUN_LOG = "pagefind-runs.log"
#: The bundle a logged run wrote: its output folder is built beside the bundle.
OUTPUT = re.compile(r"--output-path (\S*?)(pagefind-shards/)?\.(pagefind|\d\d)-new-")

LOGGING_ENGINE = """#!/bin/sh
# Pagefind, each run logged (its arguments) to $PAGEFIND_LOG first
echo "$@" >> "$PAGEFIND_LOG"
exec "{python}" -m pagefind "$@"
"""


def engine_env(root: Path, **extra: str) -> dict[str, str]:
    engine = root / "logging-pagefind"
    engine.write_text(LOGGING_ENGINE.format(python=sys.executable))
    engine.chmod(0o755)
    return {"PAPERNOTES_PAGEFIND": str(engine), "PAGEFIND_LOG": str(root / RUN_LOG),
            "PAPERNOTES_SEARCH_SHARD_PAGES": SHARD_PAGES, **extra}


def indexed_bundles(root: Path) -> list[str]:
    """The bundles Pagefind wrote, run by run, as logged so far (and the log emptied)."""
    log = root / RUN_LOG
    if not log.exists():
        return []
    found = []
    for line in log.read_text(encoding="utf-8").splitlines():
        match = OUTPUT.search(line)
        assert match, line
        found.append("pagefind" if match.group(3) == "pagefind" else f"pagefind-shards/{match.group(3)}")
    log.unlink()
    return sorted(found)


def build(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "papernotes.cli", "build", "--root", str(root), *args],
                            cwd=root, env={**os.environ, "PYTHONIOENCODING": "utf-8", **env},
                            capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def shard_list(site: Path) -> dict[str, dict]:
    listed = json.loads((site / "pagefind" / "shards.json").read_text(encoding="utf-8"))
    return {entry["path"].rstrip("/"): entry for entry in listed["bundles"]}


def bundle_files(site: Path, bundle: str) -> dict[str, str]:
    """Each file of a bundle with the SHA-1 of its bytes (``shards.json`` aside: it lists all)."""
    folder = site / bundle
    return {p.relative_to(folder).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "shards.json"}


def shard_of_page(site: Path, rel: str) -> str:
    """The bundle that indexes the page at site path ``rel``, found in the bundles' own files:
    the page's URL is in its fragment."""
    url = "/" + rel
    for bundle in shard_list(site):
        for fragment in (site / bundle / "fragment").glob("*.pf_fragment"):
            import gzip
            if f'"url":"{url}"'.encode() in gzip.decompress(fragment.read_bytes()):
                return bundle
    raise AssertionError(f"no shard indexes {rel}")


def note_pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in (site / "notes").rglob("*.html"))


def page_digests(site: Path) -> dict[str, str]:
    return {rel: hashlib.sha1((site / rel).read_bytes()).hexdigest() for rel in note_pages(site)}


def title_of(site: Path, rel: str) -> str:
    page = (site / rel).read_text(encoding="utf-8")
    import html
    return html.unescape(re.search(r'<h1 class="note-title"[^>]*>(.*?)</h1>', page, re.S).group(1))


def status_options(page) -> list[str]:
    page.focus("#search-input")
    page.wait_for_function("document.querySelectorAll('select[data-filter=status] option').length > 1", timeout=20000)
    return page.eval_on_selector_all("select[data-filter=status] option", "os => os.map(o => o.textContent)")


def cold_index(root: Path, env: dict[str, str], output: Path) -> Path:
    """The site a cold build (no cache) of ``root``'s notes writes to ``output``."""
    build(root, env, "--no-cache", "--output", str(output))
    indexed_bundles(Path(env["PAGEFIND_LOG"]).parent)  # its runs are not the ones under test
    return output


def assert_same_index(site: Path, cold: Path) -> None:
    """``site``'s search index is byte for byte the one a cold build wrote to ``cold``."""
    assert shard_list(site) == shard_list(cold)
    assert (site / "pagefind" / "shards.json").read_bytes() == (cold / "pagefind" / "shards.json").read_bytes()
    for bundle in shard_list(cold):
        assert bundle_files(site, bundle) == bundle_files(cold, bundle), bundle


@pytest.fixture(scope="module")
def sharded_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sharded-root")
    shutil.copytree(EXAMPLE_NOTES, root / "notes")
    shutil.copytree(EXAMPLE_DATA, root / "data")
    build(root, engine_env(root))
    return root


def test_the_notes_are_split_into_shards_each_its_own_bundle(sharded_root):
    site = sharded_root / "site"
    listed = shard_list(site)
    assert len(listed) >= 4 and next(iter(listed)) == "pagefind"
    assert sorted(indexed_bundles(sharded_root)) == sorted(listed)  # a cold build: each shard once
    assert sum(entry["pages"] for entry in listed.values()) == len(note_pages(site)) == 24
    assert (site / "pagefind" / "pagefind.js").is_file()
    for bundle in listed:  # the others are merged into shard 0: its script, worker and WebAssembly serve all
        assert (site / bundle / "pagefind-entry.json").is_file() and any((site / bundle / "fragment").iterdir())
        if bundle != "pagefind":
            assert not list((site / bundle).glob("*.js")), bundle


def test_every_shard_is_searched_and_filter_counts_are_totals(browser, sharded_root, serve_directory, site_server):
    site = sharded_root / "site"
    by_shard: dict[str, str] = {}
    for rel in note_pages(site):
        by_shard.setdefault(shard_of_page(site, rel), rel)
    assert len(by_shard) == len(shard_list(site))
    page = browser.new_page()
    page.goto(serve_directory(site) + "notes/vision/resnet.html")
    for bundle, rel in by_shard.items():
        title = title_of(site, rel)
        assert title in search(page, title), (bundle, rel)
    # the counts in the status filter are those of one index over all the notes
    single = browser.new_page()
    single.goto(site_server + "notes/vision/resnet.html")
    assert status_options(page) == status_options(single)
    counts = [int(re.search(r"\((\d+)\)$", o).group(1)) for o in status_options(page) if o.endswith(")")]
    assert sum(counts) == 24
    # a query across shards: the same notes as one index
    for query in ("知识蒸馏", "参数高效微调", "hinton", "diffusion"):
        assert sorted(search(page, query)) == sorted(search(single, query)), query
    page.close()
    single.close()


def test_an_edit_build_indexes_only_the_changed_shard_and_nothing_changed_runs_none(tmp_path, browser, serve_directory):
    root = tmp_path / "root"
    shutil.copytree(EXAMPLE_NOTES, root / "notes")
    env = engine_env(tmp_path)
    build(root, env)
    site = root / "site"
    cold = indexed_bundles(tmp_path)
    assert len(cold) == len(shard_list(site)) >= 4
    before = {bundle: bundle_files(site, bundle) for bundle in shard_list(site)}

    result = build(root, env)
    assert "nothing changed" in result.stderr + result.stdout
    assert indexed_bundles(tmp_path) == []  # Pagefind did not run

    edited = root / "notes" / "adam.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nQuixotically zanthoxylum wordplay.\n", encoding="utf-8")
    build(root, env)
    shard = shard_of_page(site, "notes/adam.html")
    assert indexed_bundles(tmp_path) == [shard]
    after = {bundle: bundle_files(site, bundle) for bundle in shard_list(site)}
    assert [b for b in before if before[b] != after[b]] == [shard]

    assert_same_index(site, cold_index(root, env, tmp_path / "cold"))  # as a cold build writes it

    page = browser.new_page()
    page.goto(serve_directory(site) + "index.html")
    assert search(page, "zanthoxylum") == ["Adam: A Method for Stochastic Optimization"]

    # a removed note: its shard is indexed again and the note is no longer found
    removed = root / "notes" / "vision" / "resnet.md"
    title = title_of(site, "notes/vision/resnet.html")
    shard = shard_of_page(site, "notes/vision/resnet.html")
    assert title in search(page, title)
    pages_before = page_digests(site)
    removed.unlink()
    build(root, env)
    # its shard, and those of the pages that changed with it (a note that linked to it)
    changed = [rel for rel, digest in page_digests(site).items() if pages_before.get(rel) != digest]
    assert sorted(indexed_bundles(tmp_path)) == sorted({shard} | {shard_of_page(site, rel) for rel in changed})
    page.goto(page.url)  # a fresh page: the index as it is now
    assert title not in search(page, title)
    assert sum(entry["pages"] for entry in shard_list(site).values()) == 23
    page.close()


def test_two_cold_builds_write_the_same_index(tmp_path):
    """Byte for byte, filters included (Pagefind itself writes them in a different order each run)."""
    sites = []
    for name in ("one", "two"):
        root = tmp_path / name
        shutil.copytree(EXAMPLE_NOTES, root / "notes")
        build(root, engine_env(tmp_path))
        sites.append(root / "site")
    first, second = (shard_list(site) for site in sites)
    assert first == second  # the same shards, pages and fingerprints
    for bundle in first:  # Pagefind's filters come in hash-map order: papernotes sorts them
        assert bundle_files(sites[0], bundle) == bundle_files(sites[1], bundle), bundle


def test_serve_reindexes_only_the_edited_notes_shard(tmp_path, preview_server, browser, monkeypatch):
    for name, value in engine_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    root = tmp_path / "root"
    shutil.copytree(EXAMPLE_NOTES, root / "notes")
    served = preview_server(root, search=True)
    site = served.site_dir

    def wait_for(condition, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not within {timeout} s; server output:\n{served.out.getvalue()}")
            time.sleep(0.05)

    wait_for(lambda: served.server.index_runs >= 1, "the first index")
    listed = shard_list(site)
    assert len(listed) >= 4 and sorted(indexed_bundles(tmp_path)) == sorted(listed)
    before = {bundle: bundle_files(site, bundle) for bundle in listed}
    shard = shard_of_page(site, "notes/adam.html")

    since = served.rebuilds
    edited = root / "notes" / "adam.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nQuixotically zanthoxylum wordplay.\n", encoding="utf-8")
    served.settle(since)
    wait_for(lambda: shard_list(site)[shard]["fingerprint"] != listed[shard]["fingerprint"], "the edited shard re-indexed")
    assert indexed_bundles(tmp_path) == [shard]
    after = {bundle: bundle_files(site, bundle) for bundle in shard_list(site)}
    assert [b for b in before if before[b] != after[b]] == [shard]

    assert_same_index(site, cold_index(root, engine_env(tmp_path), tmp_path / "cold"))

    page = browser.new_page()
    page.goto(served.url + "index.html")
    assert search(page, "zanthoxylum") == ["Adam: A Method for Stochastic Optimization"]
    page.close()


PRIORITY_ENGINE = """#!/bin/sh
# Pagefind, the scheduling class and niceness it runs with logged to $PAGEFIND_PRIORITY_LOG first
"{python}" -c "import os; print(os.sched_getscheduler(0), os.nice(0))" >> "$PAGEFIND_PRIORITY_LOG"
exec "{python}" -m pagefind "$@"
"""


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux's idle scheduling class")
def test_serve_indexes_in_the_idle_class_and_a_build_at_full_priority(tmp_path, preview_server, monkeypatch):
    """In ``serve`` the search index waits for every other program: rebuilds, the browser and the
    editor never share a core with it. A build's index runs at the build's own priority."""
    engine = tmp_path / "priority-pagefind"
    engine.write_text(PRIORITY_ENGINE.format(python=sys.executable))
    engine.chmod(0o755)
    log = tmp_path / "priority.log"
    env = {"PAPERNOTES_PAGEFIND": str(engine), "PAGEFIND_PRIORITY_LOG": str(log)}
    root = tmp_path / "root"
    shutil.copytree(EXAMPLE_NOTES, root / "notes")
    own = os.nice(0)

    build(root, env)
    runs = [tuple(map(int, line.split())) for line in log.read_text(encoding="utf-8").splitlines()]
    assert runs and all(run == (os.SCHED_OTHER, own) for run in runs), runs
    log.unlink()

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    served = preview_server(root, search=True)
    deadline = time.monotonic() + 60
    while served.server.index_runs < 1:
        assert time.monotonic() < deadline, f"no index within 60 s; server output:\n{served.out.getvalue()}"
        time.sleep(0.05)
    runs = [tuple(map(int, line.split())) for line in log.read_text(encoding="utf-8").splitlines()]
    assert runs and all(run == (os.SCHED_IDLE, min(own + 10, 19)) for run in runs), runs


def test_the_old_index_answers_while_a_shard_is_indexed_again(tmp_path, browser, serve_directory, monkeypatch):
    """While an edited page's shard is being indexed again (its new bundle written beside the
    old one, the swap not done yet), searches are answered by the old index, whole; once the new
    bundle is swapped in, by the new one. The update is held at that moment through its pause hook."""
    import threading

    from papernotes.search import PageDigests, update_index

    env = engine_env(tmp_path)
    root = tmp_path / "root"
    shutil.copytree(EXAMPLE_NOTES, root / "notes")
    build(root, env)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    site = root / "site"
    adam = site / "notes" / "adam.html"
    text = adam.read_text(encoding="utf-8")
    assert text.count('<div class="note-body">') == 1
    adam.write_text(text.replace('<div class="note-body">',
                                 '<div class="note-body"><p>Quixotically zanthoxylum wordplay.</p>'), encoding="utf-8")

    held, go_on = threading.Event(), threading.Event()

    def pause() -> None:  # held once a new bundle is complete beside the old one
        if any(site.glob(".pagefind-new-*/pagefind-entry.json")) or \
                any(site.glob("pagefind-shards/.*-new-*/pagefind-entry.json")):
            held.set()
            go_on.wait(120)

    updates: list = []
    worker = threading.Thread(target=lambda: updates.append(update_index(site, digests=PageDigests(), pause=pause)),
                              daemon=True)
    worker.start()
    try:
        assert held.wait(120), "the shard was not indexed"
        page = browser.new_page()
        page.goto(serve_directory(site) + "index.html")
        assert search(page, "zanthoxylum") == []  # the old index …
        assert "Adam: A Method for Stochastic Optimization" in search(page, "Adam")  # … answers, whole
        assert len(search(page, "learning")) > 1
    finally:
        go_on.set()
        worker.join(120)
    assert updates and updates[0].result.ok and len(updates[0].rebuilt) == 1, updates
    page.goto(serve_directory(site) + "index.html")
    assert search(page, "zanthoxylum") == ["Adam: A Method for Stochastic Optimization"]
    page.close()
