"""The full-text search index: Pagefind's extended build (it segments Chinese), run over the
finished HTML as a separate step after the pages are written, in shards.

Only note pages are indexed: they mark their article with ``data-pagefind-body`` and carry
``status`` and ``category`` filters. A missing or failing engine is a warning; the site is
complete without it (the search box then says search is unavailable).

Sharding: a site of more than ``SHARD_PAGES`` note pages is split into ``shard_count()`` shards
(a power of two, at most ``MAX_SHARDS``) by a stable hash of each page's path; each shard is a
Pagefind bundle of its own (``pagefind/`` for shard 0, ``pagefind-shards/NN/`` for the others),
listed with the fingerprint of its pages in ``pagefind/shards.json``. The search box loads shard
0 and merges the others into it (Pagefind's ``mergeIndex``). A change re-indexes only the shards
whose fingerprint changed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Callable

from .pagefind_order import order_bundle

INDEX_DIR = "pagefind"
TIMEOUT_SECONDS = 1800
PAUSE_EVERY = 256  # pages between calls of update_index's ``pause``


@dataclass
class IndexResult:
    ok: bool
    seconds: float
    problem: str | None = None
    incomplete: bool = False  # Pagefind ran but its files are damaged (its writes failed)


def empty_files(bundle: Path) -> list[str]:
    """Files of an index bundle that are empty: Pagefind never writes one on purpose."""
    found = []
    for dirpath, _dirs, filenames in os.walk(bundle):
        for name in sorted(filenames):
            path = Path(dirpath) / name
            try:
                if path.stat().st_size == 0:
                    found.append(path.relative_to(bundle).as_posix())
            except OSError:
                found.append(path.relative_to(bundle).as_posix())
    return found


#: Left out of the index wherever they are: the "#" permalink the Markdown renderer puts in every
#: heading (it would show up in excerpts as "Method # Softmax ...") and the TeX source kept in
#: every formula's MathML ``<annotation>`` (excerpts read "ℒmlm\mathcal{L}_{\text"; the formula's
#: own symbols stay). What a note page leaves out of its own markup (meta line, buttons, tags,
#: breadcrumbs, Cite, pager) is marked in ``templates/note.html`` with ``data-pagefind-ignore``.
EXCLUDED_SELECTORS = (".header-anchor", "annotation")

#: Names a Pagefind executable to use instead of the one installed with papernotes.
ENGINE_VARIABLE = "PAPERNOTES_PAGEFIND"


#: The language the index is built in unless the site is Japanese or Korean. Pagefind splits text
#: into words by the language of each page (``<html lang>``, the site's ``language``); only for
#: Chinese, Japanese and Korean does it segment runs of Han characters. Notes mix Chinese and
#: English whatever the site's language, so an English site is indexed as Chinese too: English
#: words are still words (only English stemming is lost), and 蒸馏 finds 知识蒸馏.
INDEX_LANGUAGE = "zh-cn"
_SEGMENTED = ("zh", "ja", "ko")
_HTML_LANG = re.compile(rb"<html[^>]*\slang=[\"']?([A-Za-z0-9-]*)", re.IGNORECASE)


def site_language(site_dir: Path) -> str:
    """The ``lang`` of the built site's home page ("" if there is none)."""
    try:
        with open(site_dir / "index.html", "rb") as page:
            head = page.read(4096)
    except OSError:
        return ""
    found = _HTML_LANG.search(head)
    return found.group(1).decode("ascii").lower() if found else ""


def forced_language(site_dir: Path) -> str | None:
    """The language to index ``site_dir`` in, or None to let Pagefind read it from each page."""
    language = site_language(site_dir)
    if language.split("-")[0] in _SEGMENTED:
        return None
    return INDEX_LANGUAGE


@lru_cache(maxsize=1)
def _pagefind_version() -> str:
    try:
        return metadata.version("pagefind")
    except metadata.PackageNotFoundError:
        return "?"


def _pagefind_program() -> list[str]:
    """The Pagefind executable: the one named by ``$PAPERNOTES_PAGEFIND``, else the binary the
    ``pagefind`` package installed (found without starting ``python -m pagefind``, which costs
    a Python start-up per shard), else ``python -m pagefind`` (which says what is missing)."""
    engine = os.environ.get(ENGINE_VARIABLE)
    if engine:
        return [engine]
    try:
        from pagefind.service import _must_get_executable  # the package's own lookup
        return [str(_must_get_executable())]
    except Exception:  # not installed, or the package changed: let ``-m pagefind`` say why
        return [sys.executable, "-m", "pagefind"]


def index_command(source_dir: Path, output_dir: Path, language: str | None) -> list[str]:
    """Pagefind over the pages in ``source_dir``, its bundle written to ``output_dir``, the whole
    index in ``language`` (None: each page's own)."""
    program = _pagefind_program()
    excluded = [arg for selector in EXCLUDED_SELECTORS for arg in ("--exclude-selectors", selector)]
    forced = ["--force-language", language] if language else []
    return [*program, "--site", str(source_dir), "--output-path", str(output_dir), *excluded, *forced, "--silent"]


@dataclass
class Indexer:
    """Runs Pagefind, several runs at a time from several threads if asked; ``cancel()`` from
    another thread stops every run in progress (``serve`` on exit)."""

    niceness: int = 0  # added to Pagefind's nice value (serve: 10, so that rebuilds come first)
    _processes: set = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cancelled: bool = False

    def build(self, site_dir: Path, output_dir: Path | None = None, source_dir: Path | None = None,
              language: str | None = None) -> IndexResult:
        """Index the pages in ``source_dir`` (default: all of ``site_dir``); the bundle goes to
        ``output_dir`` (default ``site_dir/pagefind``); the language is ``site_dir``'s unless given."""
        started = time.perf_counter()
        output_dir = output_dir or site_dir / INDEX_DIR
        command = index_command(source_dir or site_dir, output_dir,
                                forced_language(site_dir) if language is None else language or None)
        process = None
        try:
            with self._lock:
                if self._cancelled:
                    return IndexResult(False, 0.0, "cancelled")
                process = subprocess.Popen(dying_with_this_process(command, self.niceness),
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                self._processes.add(process)
            out, err = process.communicate(timeout=TIMEOUT_SECONDS)
            code = process.returncode
        except (OSError, subprocess.TimeoutExpired) as exc:
            if process is not None:
                process.kill()
                process.wait()
            return IndexResult(False, time.perf_counter() - started, f"could not run Pagefind: {exc}")
        finally:
            with self._lock:
                self._processes.discard(process)
        seconds = time.perf_counter() - started
        if self._cancelled:
            return IndexResult(False, seconds, "cancelled")
        if code != 0:
            detail = (err or out).strip().splitlines()
            reason = detail[-1] if detail else f"exit status {code}"
            if "No module named pagefind" in (err or ""):
                reason = "Pagefind is not installed (pip install 'pagefind[extended]')"
            return IndexResult(False, seconds, reason)
        if not (output_dir / "pagefind.js").exists():
            return IndexResult(False, seconds, "Pagefind wrote no pagefind.js")
        empty = empty_files(output_dir)
        if empty:  # Pagefind exits 0 when its writes fail (a full disk): the files are left empty
            return IndexResult(False, seconds, f"Pagefind wrote {len(empty)} empty file(s) such as "
                               f"{empty[0]}; is the disk full?", incomplete=True)
        return IndexResult(True, seconds)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            processes = list(self._processes)
        for process in processes:
            process.kill()


#: Started in Pagefind's place: asks Linux to SIGKILL it when its parent (this process) dies, lowers
#: its priority by the niceness asked for — and, when one is asked for, puts it in Linux's idle
#: class (SCHED_IDLE: it runs only on a core nobody else wants, so serve's rebuilds, the browser and
#: the editor never wait for it; niceness alone still gave it a share of a busy core) — then becomes
#: Pagefind (all of it survives exec). A
#: ``preexec_fn`` would do the same, but is unsafe in a process with threads (the math engine runs
#: on one).
_DIE_WITH_PARENT = """
import ctypes, os, sys
try:
    ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
except (OSError, AttributeError):
    pass
if os.getppid() != int(sys.argv[1]):  # the parent died before that
    sys.exit(1)
if int(sys.argv[2]):
    os.nice(int(sys.argv[2]))
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        pass
os.execvp(sys.argv[3], sys.argv[3:])
"""


def dying_with_this_process(command: list[str], niceness: int = 0) -> list[str]:
    """``command``, wrapped so that it does not outlive this process — a killed build's Pagefind
    would write on into a staging folder that the next build removes — and runs ``niceness``
    steps below this process's priority."""
    if not sys.platform.startswith("linux"):
        return command
    if shutil.which(command[0]) is None:  # as Popen would say, not from inside the wrapper
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), command[0])
    return [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), str(niceness), *command]


# -- shards ------------------------------------------------------------------------------------------

#: A site of up to this many indexed pages is one shard; above it, shards are added (doubling) so
#: that each holds at most this many pages, up to ``MAX_SHARDS``. ``SHARD_PAGES_VARIABLE`` sets
#: another size (the tests use a tiny one to get many shards from a few notes).
SHARD_PAGES = 500
MAX_SHARDS = 32
SHARD_PAGES_VARIABLE = "PAPERNOTES_SEARCH_SHARD_PAGES"
SHARDS_DIR = "pagefind-shards"
SHARD_LIST = "shards.json"  # in INDEX_DIR: the bundles of the index, for the search box
NOTES_PREFIX = "notes/"


def shard_pages() -> int:
    try:
        return max(1, int(os.environ.get(SHARD_PAGES_VARIABLE, "")))
    except ValueError:
        return SHARD_PAGES


def shard_count(pages: int, per_shard: int = SHARD_PAGES) -> int:
    """1 up to ``per_shard`` pages, then the smallest power of two that keeps every shard at
    ``per_shard`` pages or fewer (on average), at most ``MAX_SHARDS``."""
    count = 1
    while count < MAX_SHARDS and pages > count * per_shard:
        count *= 2
    return count


def shard_of(rel: str, count: int) -> int:
    """The shard of the page at site path ``rel``: its SHA-1, modulo ``count`` (the same on every
    machine and run; a page stays in its shard as others come and go)."""
    return int.from_bytes(hashlib.sha1(rel.encode("utf-8")).digest()[:8], "big") % count


def bundle_of(shard: int) -> str:
    """The site folder of shard ``shard``'s bundle."""
    return INDEX_DIR if shard == 0 else f"{SHARDS_DIR}/{shard:02d}"


def is_index_path(rel: str) -> bool:
    """Whether the site path ``rel`` (a file or folder) is part of the search index or of its
    making (a bundle being built beside, a folder of pages being indexed)."""
    top = rel.split("/", 1)[0]
    return top in (INDEX_DIR, SHARDS_DIR) or top.startswith(f".{INDEX_DIR}-")


@dataclass
class PageDigests:
    """The SHA-1 of each indexed page's bytes, remembered by its modification time, size and
    inode, so that finding which shards changed reads only the pages written since the last time."""

    known: dict[str, list[str]] = field(default_factory=dict)  # site path -> [stamp, sha1]

    def digest(self, path: str, rel: str) -> str:
        st = os.stat(path)
        stamp = f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"
        seen = self.known.get(rel)
        if seen is not None and seen[0] == stamp:
            return seen[1]
        with open(path, "rb") as page:
            digest = hashlib.sha1(page.read()).hexdigest()
        self.known[rel] = [stamp, digest]
        return digest

    def keep_only(self, rels: set[str]) -> None:
        self.known = {rel: seen for rel, seen in self.known.items() if rel in rels}

    @classmethod
    def load(cls, path: Path) -> "PageDigests":
        try:
            known = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(known, dict):
            return cls()
        return cls({rel: seen for rel, seen in known.items()
                    if isinstance(seen, list) and len(seen) == 2 and all(isinstance(v, str) for v in seen)})

    def save(self, path: Path) -> None:
        try:
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(self.known, sort_keys=True), encoding="utf-8")
            os.replace(temporary, path)
        except OSError:
            pass  # a memo: without it the next build reads every page once more


@dataclass
class Shard:
    bundle: str  # site folder of its Pagefind bundle
    pages: list[str]  # site paths, sorted
    fingerprint: str  # of the index settings and of every page's bytes


def indexed_pages(site_dir: Path) -> tuple[list[str], bool]:
    """The site paths of the note pages, sorted; when there are none, every page of the site (as
    Pagefind indexes a site without ``data-pagefind-body``). The flag: every page."""
    def pages_below(folder: str, prefix: str) -> list[str]:
        found = []
        for dirpath, dirnames, filenames in os.walk(folder):
            base = prefix + os.path.relpath(dirpath, folder).replace(os.sep, "/") + "/"
            base = prefix if base == prefix + "./" else base
            if base == "":
                dirnames[:] = [d for d in dirnames if not is_index_path(d)]
            found += [base + name for name in filenames if name.endswith(".html")]
        return found

    notes = pages_below(str(site_dir / NOTES_PREFIX), NOTES_PREFIX)
    if notes:
        return sorted(notes), False
    return sorted(pages_below(str(site_dir), "")), True


def settings_key(language: str | None) -> str:
    engine = os.environ.get(ENGINE_VARIABLE) or f"pagefind {_pagefind_version()}"
    return json.dumps([engine, EXCLUDED_SELECTORS, language])


def plan_shards(site_dir: Path, digests: PageDigests, language: str | None,
                per_shard: int | None = None, pause: Callable[[], None] = lambda: None) -> tuple[list[Shard], bool]:
    """The shards ``site_dir``'s pages fall into, each with its fingerprint; empty shards left out
    (shard 0 is never empty). The flag: the index is of every page (a site without notes).
    ``pause`` is called every few hundred pages (serve: it waits while a rebuild runs)."""
    pages, whole_site = indexed_pages(site_dir)
    count = 1 if whole_site else shard_count(len(pages), per_shard or shard_pages())
    groups: list[list[str]] = [[] for _ in range(count)]
    for number, rel in enumerate(pages):
        if number % PAUSE_EVERY == 0:
            pause()
        groups[shard_of(rel, count)].append(rel)
    if not groups[0] and count > 1:  # a tiny shard size over a few pages: keep shard 0 filled
        first = next(i for i, g in enumerate(groups) if g)
        groups[0], groups[first] = groups[first], groups[0]
    settings = settings_key(language)
    shards = []
    base = str(site_dir) + os.sep
    for number, group in enumerate(groups):
        if not group and number:
            continue
        digest = hashlib.sha256(settings.encode())
        pause()
        for rel in group:
            try:
                page = digests.digest(base + rel, rel)
            except OSError:
                page = "-"  # gone since the walk: the rebuild that removed it asks again
            digest.update(f"\n{rel}\0{page}".encode())
        shards.append(Shard(bundle_of(number), group, digest.hexdigest()))
    digests.keep_only(set(pages))
    return shards, whole_site


def read_shard_list(site_dir: Path) -> dict[str, str]:
    """The bundles of the index in ``site_dir`` with their fingerprints ({} if none or damaged)."""
    try:
        listed = json.loads((site_dir / INDEX_DIR / SHARD_LIST).read_text(encoding="utf-8"))
        return {entry["path"].rstrip("/"): entry["fingerprint"] for entry in listed["bundles"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def shard_list(shards: list[Shard]) -> bytes:
    """``pagefind/shards.json``: the bundles, shard 0 first (the search box loads it and merges
    the others into it), each with its page count and fingerprint."""
    bundles = [{"path": shard.bundle + "/", "pages": len(shard.pages), "fingerprint": shard.fingerprint}
               for shard in shards]
    return (json.dumps({"version": 1, "bundles": bundles}, indent=1) + "\n").encode("utf-8")


@dataclass
class IndexUpdate:
    """What ``update_index`` did."""

    result: IndexResult
    shards: int = 0  # shards of the index now
    rebuilt: list[str] = field(default_factory=list)  # bundles re-indexed
    written: list[str] = field(default_factory=list)  # site paths of files written
    removed: list[str] = field(default_factory=list)  # site paths of files removed

    @property
    def touched(self) -> bool:
        return bool(self.written or self.removed)


def _files_below(site_dir: Path, rel: str) -> list[str]:
    found = []
    for dirpath, _dirs, filenames in os.walk(site_dir / rel):
        base = Path(dirpath).relative_to(site_dir).as_posix()
        found += [f"{base}/{name}" for name in filenames]
    return found


def _mirror(site_dir: Path, pages: list[str], folder: Path) -> None:
    """A folder holding ``pages`` at their site paths (hard links: no copy), for Pagefind to
    index exactly these."""
    made: set[str] = set()
    for rel in pages:
        target = folder / rel
        parent = str(target.parent)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        try:
            os.link(site_dir / rel, target)
        except FileNotFoundError:
            continue  # removed since: the rebuild that removed it asks for the index again
        except OSError:
            shutil.copyfile(site_dir / rel, target)


def update_index(site_dir: Path, indexer: Indexer | None = None, digests: PageDigests | None = None,
                 jobs: int = 0, per_shard: int | None = None, pause: Callable[[], None] = lambda: None) -> IndexUpdate:
    """Bring the index of ``site_dir`` up to date with its pages: re-index the shards whose
    fingerprint differs from ``pagefind/shards.json``'s (all of them when there is none), at most
    ``jobs`` Pagefind runs at a time (0: one per CPU). Each is built beside its bundle and all are
    swapped in once every one is complete, so the old index answers until then (``serve``); on a
    failure the old index is left as it was. ``pause``: called between steps and every few
    hundred pages; ``serve`` waits there while a save is being rebuilt, so that this thread does
    not hold the interpreter then."""
    indexer = indexer or Indexer()
    digests = digests if digests is not None else PageDigests()
    started = time.perf_counter()
    language = forced_language(site_dir)
    shards, whole_site = plan_shards(site_dir, digests, language, per_shard, pause)
    listed = read_shard_list(site_dir)
    present = listed if (site_dir / INDEX_DIR / "pagefind.js").is_file() else {}
    dirty = [s for s in shards if present.get(s.bundle) != s.fingerprint or not (site_dir / s.bundle).is_dir()]
    planned = {s.bundle for s in shards}
    stale = [bundle for bundle in _shard_folders(site_dir) if bundle not in planned]
    update = IndexUpdate(IndexResult(True, 0.0), shards=len(shards), rebuilt=[s.bundle for s in dirty])
    if not dirty and not stale and present:
        update.result.seconds = time.perf_counter() - started
        return update
    tag = f"{os.getpid()}-{threading.get_ident()}"
    fresh = {s.bundle: site_dir / _beside(s.bundle, f"new-{tag}") for s in dirty}
    sources = {s.bundle: site_dir / f".{INDEX_DIR}-pages-{tag}-{n}" for n, s in enumerate(dirty)}
    try:
        for path in list(fresh.values()) + list(sources.values()):
            shutil.rmtree(path, ignore_errors=True)
            path.parent.mkdir(parents=True, exist_ok=True)

        def run(shard: Shard) -> IndexResult:
            pause()
            if whole_site:
                result = indexer.build(site_dir, fresh[shard.bundle], site_dir, language or "")
            else:
                _mirror(site_dir, shard.pages, sources[shard.bundle])
                try:
                    result = indexer.build(site_dir, fresh[shard.bundle], sources[shard.bundle], language or "")
                finally:
                    shutil.rmtree(sources[shard.bundle], ignore_errors=True)
            if result.ok:
                pause()
                order_bundle(fresh[shard.bundle])  # the same pages: the same bytes
                if shard.bundle != INDEX_DIR:
                    _trim(fresh[shard.bundle])
            return result

        workers = max(1, min(jobs or os.cpu_count() or 1, len(dirty)))
        if workers == 1:
            results = [run(shard) for shard in dirty]
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="papernotes-pagefind") as pool:
                results = list(pool.map(run, dirty))
        failed = next((r for r in results if not r.ok), None)
        if failed is not None:
            failed.seconds = time.perf_counter() - started
            update.result = failed
            update.rebuilt = []
            return update
        listing = f".{SHARD_LIST}.{tag}.tmp"
        (fresh.get(INDEX_DIR) or site_dir / INDEX_DIR).joinpath(listing).write_bytes(shard_list(shards))
        for shard in dirty:
            if (site_dir / shard.bundle).exists():
                update.removed += _files_below(site_dir, shard.bundle)
            _swap(fresh[shard.bundle], site_dir / shard.bundle, tag)
        os.replace(site_dir / INDEX_DIR / listing, site_dir / INDEX_DIR / SHARD_LIST)
        update.written.append(f"{INDEX_DIR}/{SHARD_LIST}")
        for shard in dirty:
            update.written += _files_below(site_dir, shard.bundle)
        if len(shards) == 1 and (site_dir / SHARDS_DIR).exists():
            stale = [SHARDS_DIR]
        for bundle in stale:
            update.removed += _files_below(site_dir, bundle)
            shutil.rmtree(site_dir / bundle, ignore_errors=True)
        update.written = sorted(set(update.written))
        update.removed = sorted(set(update.removed) - set(update.written))
    finally:
        for path in list(fresh.values()) + list(sources.values()):
            shutil.rmtree(path, ignore_errors=True)
    update.result.seconds = time.perf_counter() - started
    return update


#: What a shard merged into shard 0 is read from (``mergeIndex`` uses shard 0's script, worker
#: and WebAssembly): the rest of what Pagefind writes in every bundle (its UI scripts and styles,
#: 600 KB) is left out of the other shards.
MERGED_FILES = ("pagefind-entry.json", "filter", "index", "fragment")


def _trim(bundle: Path) -> None:
    for name in os.listdir(bundle):
        if name not in MERGED_FILES and not name.endswith(".pf_meta"):
            path = bundle / name
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _shard_folders(site_dir: Path) -> list[str]:
    """The bundles in ``pagefind-shards/`` (its hidden folders aside: runs in progress)."""
    try:
        names = sorted(os.listdir(site_dir / SHARDS_DIR))
    except OSError:
        return []
    return [f"{SHARDS_DIR}/{name}" for name in names if not name.startswith(".")]


def _beside(bundle: str, what: str) -> str:
    """A hidden sibling of ``bundle``'s folder: ``.pagefind-new-…``, ``pagefind-shards/.03-new-…``."""
    parent, _, name = bundle.rpartition("/")
    return f"{parent}/.{name}-{what}" if parent else f".{name}-{what}"


def _swap(fresh: Path, current: Path, tag: str) -> None:
    """Put the complete bundle ``fresh`` where ``current`` is: in one step where Linux can
    exchange two folders (a request never finds the bundle missing), else in two renames."""
    if current.exists() and _exchange(fresh, current):
        shutil.rmtree(fresh, ignore_errors=True)  # now the old bundle
        return
    old = current.parent / f".{current.name}-old-{tag}"
    shutil.rmtree(old, ignore_errors=True)
    if current.exists():
        os.rename(current, old)
    os.rename(fresh, current)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(one: Path, other: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2`` with ``RENAME_EXCHANGE``); False where
    that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(one), at_fdcwd, os.fsencode(other), rename_exchange) == 0


def remove_index(site_dir: Path) -> IndexUpdate | None:
    """Remove every bundle of the index from ``site_dir`` (never publish half an index); what
    was removed (None: there was no index)."""
    try:
        found = sorted(rel for rel in os.listdir(site_dir) if is_index_path(rel))
    except OSError:
        return None
    if not found:
        return None
    removed = []
    for rel in found:
        removed += _files_below(site_dir, rel)
        shutil.rmtree(site_dir / rel, ignore_errors=True)
    return IndexUpdate(IndexResult(True, 0.0), removed=removed)
