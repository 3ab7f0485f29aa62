"""The full-text search index: Pagefind's extended build (it segments Chinese) run over the
finished HTML in one call, as a separate step after the pages are written.

Only note pages are indexed: they mark their article with ``data-pagefind-body`` and carry
``status`` and ``category`` filters. A missing or failing engine is a warning; the site is
complete without it (the search box then says search is unavailable).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

INDEX_DIR = "pagefind"
TIMEOUT_SECONDS = 1800


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


def index_command(site_dir: Path, output_dir: Path) -> list[str]:
    engine = os.environ.get(ENGINE_VARIABLE)
    program = [engine] if engine else [sys.executable, "-m", "pagefind"]
    excluded = [arg for selector in EXCLUDED_SELECTORS for arg in ("--exclude-selectors", selector)]
    language = forced_language(site_dir)
    forced = ["--force-language", language] if language else []
    return [*program, "--site", str(site_dir), "--output-path", str(output_dir), *excluded, *forced, "--silent"]


@dataclass
class Indexer:
    """Runs Pagefind; ``cancel()`` from another thread stops a run in progress (``serve`` on exit)."""

    _process: subprocess.Popen | None = None
    _cancelled: bool = False

    def build(self, site_dir: Path, output_dir: Path | None = None) -> IndexResult:
        """Index ``site_dir``; the bundle goes to ``output_dir`` (default ``site_dir/pagefind``)."""
        started = time.perf_counter()
        output_dir = output_dir or site_dir / INDEX_DIR
        try:
            self._process = subprocess.Popen(dying_with_this_process(index_command(site_dir, output_dir)),
                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if self._cancelled:
                self._process.kill()
            out, err = self._process.communicate(timeout=TIMEOUT_SECONDS)
            code = self._process.returncode
        except (OSError, subprocess.TimeoutExpired) as exc:
            if self._process is not None:
                self._process.kill()
            return IndexResult(False, time.perf_counter() - started, f"could not run Pagefind: {exc}")
        finally:
            self._process = None
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
        self._cancelled = True
        process = self._process
        if process is not None:
            process.kill()


#: Started in Pagefind's place: asks Linux to SIGKILL it when its parent (this process) dies, then
#: becomes Pagefind (the request survives exec). A ``preexec_fn`` would do the same, but is unsafe
#: in a process with threads (the math engine runs on one).
_DIE_WITH_PARENT = """
import ctypes, os, sys
try:
    ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
except (OSError, AttributeError):
    pass
if os.getppid() != int(sys.argv[1]):  # the parent died before that
    sys.exit(1)
os.execvp(sys.argv[2], sys.argv[2:])
"""


def dying_with_this_process(command: list[str]) -> list[str]:
    """``command``, wrapped so that it does not outlive this process — a killed build's Pagefind
    would write on into a staging folder that the next build removes."""
    if not sys.platform.startswith("linux"):
        return command
    if shutil.which(command[0]) is None:  # as Popen would say, not from inside the wrapper
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), command[0])
    return [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *command]


def build_index(site_dir: Path, output_dir: Path | None = None) -> IndexResult:
    return Indexer().build(site_dir, output_dir)


def refresh_index(site_dir: Path, indexer: Indexer | None = None) -> IndexResult:
    """Rebuild the index of a folder that is being served: build it beside, then swap it in, so
    the old index keeps answering until the new one is complete."""
    fresh = site_dir / f".{INDEX_DIR}-new-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    result = (indexer or Indexer()).build(site_dir, fresh)
    if not result.ok:
        shutil.rmtree(fresh, ignore_errors=True)
        return result
    current = site_dir / INDEX_DIR
    old = site_dir / f".{INDEX_DIR}-old-{os.getpid()}"
    if current.exists():
        os.rename(current, old)
    os.rename(fresh, current)
    shutil.rmtree(old, ignore_errors=True)
    return result
