"""`papernotes serve` under load: many live-reload clients, a thousand rapid saves of mixed styles.

    python scripts/serve_load.py --clients 50 --saves 1000 --notes 200 --seed 1

The preview server runs as its own process (`python -m papernotes.cli serve --port 0
--no-search`, with TMPDIR pointing into the work folder so its preview folder can be found), over
a site of generated notes (benchmarks/generate_notes.py). Then:

* ``--clients`` simulated browser tabs on 127.0.0.1 each hold a Server-Sent Events connection
  to /__papernotes/events and look at one page (the home page or one of the edited notes' pages);
  like the live-reload script, a tab fetches its page again whenever an event names it (or says
  ``full``, or that it was removed);
* ``--saves`` saves hit ``--edited`` notes nearly back to back (a random pause of 0–8 ms between
  saves, and one in ten times of 20–100 ms, so rebuilds start in the middle of bursts), each in one
  of four styles: write in place (VS Code), atomic rename of a temporary
  file (JetBrains, Sublime), vim's backup-rename-write-delete with its ``4913`` probe file, and
  delete-then-create; every save changes the body, every fourth also the title (list pages
  change too), and a last save of each edited note writes a unique final text;
* the server's resident memory (VmRSS from /proc/PID/status) is sampled every 0.2 s.

At the end it checks: the server process is still running and answers; its output holds no
traceback or failed rebuild; every client's last event has a serial at least that of the last
rebuild (the one a new connection is told about) and its last fetch of its page is byte-for-byte
what the server serves now; the served folder equals a fresh ``build(BuildOptions(..., search=False,
cache=False))`` of the same notes byte for byte (ignoring ``pagefind/``); memory is bounded (the
peak over the last third of the run is within 25 % + 30 MB of the peak over the first third).
Prints a summary (memory numbers in MB); exit status 1 on any failure. Stops the server it
started (SIGINT, then SIGKILL by pid if needed) and removes its work folder unless --keep.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "benchmarks"))

from generate_notes import generate  # noqa: E402

EVENTS_PATH = "/__papernotes/events"
INJECTED = b'<script src="/__papernotes/livereload.js" defer></script>'
STYLES = ("in-place", "atomic-rename", "vim", "delete-create")


# -- the server ------------------------------------------------------------------------------------
class Server:
    def __init__(self, root: Path, tmp: Path) -> None:
        env = dict(os.environ, TMPDIR=str(tmp), PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
        self.tmp = tmp
        self.process = subprocess.Popen(
            [sys.executable, "-m", "papernotes.cli", "serve", "--root", str(root), "--port", "0", "--no-search"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8", env=env)
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.url = ""
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(120):
            self.stop()
            raise RuntimeError("the server did not start:\n" + "\n".join(self.lines))
        host_port = self.url.split("//", 1)[1].rstrip("/")
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)
        found = sorted(tmp.glob("papernotes-serve-*"))
        if len(found) != 1:
            raise RuntimeError(f"expected one preview folder in {tmp}, found {found}")
        self.site = found[0]

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("serving "):
                self.url = line.split()[1]
                self._ready.set()

    def rss_kb(self) -> int | None:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None

    def fetch(self, path: str, timeout: float = 20) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def current_serial(self) -> int:
        """The serial a newly connected page is told about: that of the last rebuild."""
        with socket.create_connection((self.host, self.port), timeout=10) as sock:
            sock.sendall(f"GET {EVENTS_PATH} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
            stream = sock.makefile("rb")
            for event in read_events(stream):
                return event["serial"]
        raise RuntimeError("no event from a new connection")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def read_events(stream):
    """Parse a Server-Sent Events stream (after the HTTP head): yields each rebuild event's data."""
    for raw in stream:  # the HTTP head
        if raw in (b"\r\n", b"\n"):
            break
    data: list[str] = []
    for raw in stream:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            yield json.loads("\n".join(data))
            data = []


# -- the clients -------------------------------------------------------------------------------------
@dataclass
class Client:
    server: Server
    page: str  # site path this tab shows, e.g. "/notes/batch-000/paper-000003.html"
    events: int = 0
    last_serial: int = -1
    fetches: int = 0
    body: bytes = b""
    error: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _sock: socket.socket | None = None

    def start(self) -> None:
        self._sock = socket.create_connection((self.server.host, self.server.port), timeout=60)
        self._sock.sendall(f"GET {EVENTS_PATH} HTTP/1.1\r\nHost: {self.server.host}\r\n\r\n".encode())
        self._load()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _load(self) -> None:
        status, body = self.server.fetch(self.page)
        self.fetches += 1
        if status == 200:
            self.body = body

    def _run(self) -> None:
        assert self._sock is not None
        stream = self._sock.makefile("rb")
        rel = self.page.lstrip("/")
        try:
            for event in read_events(stream):
                self.events += 1
                self.last_serial = event["serial"]
                if event["full"] or rel in event["pages"] or rel in event.get("removed", []):
                    self._load()
        except (OSError, ValueError) as exc:
            if not self._stop.is_set():
                self.error = f"{type(exc).__name__}: {exc}"

    def close(self) -> None:
        self._stop.set()
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()


# -- the saves ----------------------------------------------------------------------------------------
def save(path: Path, text: str, style: str, n: int) -> None:
    if style == "in-place":
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    elif style == "atomic-rename":
        temporary = path.with_name(f".{path.name}.{n}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    elif style == "vim":
        probe = path.parent / "4913"
        probe.write_text("")
        probe.unlink()
        backup = path.with_name(path.name + "~")
        os.replace(path, backup)
        path.write_text(text, encoding="utf-8")
        backup.unlink()
    else:  # delete-then-create
        path.unlink()
        path.write_text(text, encoding="utf-8")


def edited_text(original: str, n: int, retitle: bool, final: bool = False) -> str:
    head, sep, body = original.partition("\n---\n")
    if retitle:
        lines = head.split("\n")
        lines = [f'title: "Saved {n} {"final" if final else "title"}"' if line.startswith("title:") else line
                 for line in lines]
        head = "\n".join(lines)
    marker = f"FINAL-{n}" if final else f"save {n}"
    return f"{head}{sep}{body}\nEdit: {marker} — 第 {n} 次保存, $x_{{{n % 10}}}$.\n"


# -- comparing -----------------------------------------------------------------------------------------
def tree(folder: Path, skip: tuple[str, ...] = ("pagefind",)) -> dict[str, str]:
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        rel_dir = os.path.relpath(dirpath, folder)
        dirnames[:] = [d for d in dirnames if (d if rel_dir == "." else f"{rel_dir}/{d}") not in skip]
        for name in filenames:
            path = Path(dirpath) / name
            found[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@dataclass
class Result:
    clients: int
    saves: int
    styles: dict[str, int]
    seconds_saving: float
    rebuilds: int
    rss_mb: list[tuple[float, float]]  # (seconds since the saves started, MB)
    failures: list[str]
    listen_overflows: int | None = None  # connections the kernel dropped: the accept queue was full

    def memory(self) -> tuple[float, float, float, float]:
        """(before the saves, peak, at the end, peak over the last third − peak over the first third)."""
        values = [mb for _t, mb in self.rss_mb]
        third = max(1, len(values) // 3)
        return values[0], max(values), values[-1], max(values[-third:]) - max(values[:third])

    def lines(self) -> list[str]:
        start, peak, end, growth = self.memory()
        return [
            f"{self.clients} clients, {self.saves} saves in {self.seconds_saving:.1f} s "
            f"({', '.join(f'{n} {s}' for s, n in sorted(self.styles.items()))}); {self.rebuilds} rebuilds",
            f"server memory (VmRSS): {start:.1f} MB before the saves, peak {peak:.1f} MB, {end:.1f} MB at the end; "
            f"last third's peak − first third's peak: {growth:+.1f} MB",
            "memory over the run (s: MB): " + ", ".join(
                f"{t:.0f}: {mb:.0f}" for t, mb in self.rss_mb[:: max(1, len(self.rss_mb) // 10)]),
            "connections dropped for a full accept queue (TcpExt ListenOverflows, whole machine): "
            f"{'?' if self.listen_overflows is None else self.listen_overflows}",
            f"failures: {len(self.failures)}",
            *[f"  FAIL {f}" for f in self.failures],
        ]


def listen_overflows() -> int | None:
    """The kernel's count of connections dropped because a listening socket's queue was full."""
    try:
        lines = [line.split() for line in Path("/proc/net/netstat").read_text().splitlines() if line.startswith("TcpExt:")]
        names, values = lines[0], lines[1]
        return int(values[names.index("ListenOverflows")])
    except (OSError, IndexError, ValueError):
        return None


def run(clients: int = 50, saves: int = 1000, notes: int = 200, edited: int = 20, seed: int = 1,
        work: Path | None = None, log=print) -> Result:
    from papernotes.build import BuildOptions, build

    rng = random.Random(seed)
    own = work is None
    work = work or Path(tempfile.mkdtemp(prefix="papernotes-serve-load-"))
    root, tmp = work / "root", work / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    generate(notes, root)
    paths = sorted((root / "notes").rglob("*.md"))
    targets = rng.sample(paths, min(edited, len(paths)))
    originals = {p: p.read_text(encoding="utf-8") for p in targets}
    failures: list[str] = []
    overflows_before = listen_overflows()
    server = Server(root, tmp)
    tabs: list[Client] = []
    samples: list[tuple[float, float]] = []
    sampling = threading.Event()
    t0 = time.monotonic()

    def sample() -> None:
        while not sampling.is_set():
            kb = server.rss_kb()
            if kb is not None:
                samples.append((time.monotonic() - t0, kb / 1024))
            sampling.wait(0.2)

    try:
        pages = ["/index.html"] + ["/notes/" + p.relative_to(root / "notes").with_suffix(".html").as_posix()
                                  for p in targets]
        for i in range(clients):
            tab = Client(server, pages[i % len(pages)])
            tab.start()
            tabs.append(tab)
        time.sleep(0.5)
        sampler = threading.Thread(target=sample, daemon=True)
        t0 = time.monotonic()
        sampler.start()
        log(f"{clients} clients connected; saving")

        styles: dict[str, int] = {}
        started = time.monotonic()
        for n in range(saves):
            path = rng.choice(targets)
            style = rng.choice(STYLES)
            styles[style] = styles.get(style, 0) + 1
            save(path, edited_text(originals[path], n, retitle=n % 4 == 0), style, n)
            # mostly back to back; now and then a pause long enough for a rebuild to start mid-burst
            time.sleep(rng.uniform(0.02, 0.1) if rng.random() < 0.1 else rng.uniform(0, 0.008))
            if (n + 1) % 250 == 0:
                log(f"{n + 1}/{saves} saves")
        for k, path in enumerate(targets):  # the final text of every edited note
            save(path, edited_text(originals[path], saves + k, retitle=True, final=True), "in-place", saves + k)
        seconds_saving = time.monotonic() - started

        # wait until the last note's final text is served and the server has been quiet for a while
        last_page = pages[-1]
        marker = f"FINAL-{saves + len(targets) - 1}".encode()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status, body = server.fetch(last_page)
            if status == 200 and marker in body:
                break
            time.sleep(0.1)
        else:
            failures.append("the last save never reached its page")
        quiet_since, last_seen = time.monotonic(), max((t.last_serial for t in tabs), default=-1)
        while time.monotonic() - quiet_since < 2.0 and time.monotonic() < deadline:
            time.sleep(0.1)
            now = max((t.last_serial for t in tabs), default=-1)
            if now != last_seen:
                quiet_since, last_seen = time.monotonic(), now
        final_serial = server.current_serial()

        # every tab has heard of the last rebuild and shows what the server serves now
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(t.last_serial < final_serial for t in tabs):
            time.sleep(0.1)
        current: dict[str, bytes] = {}
        for tab in tabs:
            if tab.error:
                failures.append(f"client on {tab.page}: connection failed: {tab.error}")
            if tab.last_serial < final_serial:
                failures.append(f"client on {tab.page}: last event serial {tab.last_serial} < final {final_serial}")
            if tab.page not in current:
                status, current[tab.page] = server.fetch(tab.page)
            if tab.body != current[tab.page]:
                failures.append(f"client on {tab.page}: its page is not the final content "
                                f"({tab.fetches} fetches, {tab.events} events)")
        for path in targets:
            page = "/notes/" + path.relative_to(root / "notes").with_suffix(".html").as_posix()
            if b"FINAL-" not in current.get(page, server.fetch(page)[1]):
                failures.append(f"{page} does not show its final text")

        # the server is up, said nothing alarming, and serves exactly what a fresh build writes
        if server.process.poll() is not None:
            failures.append(f"the server exited with status {server.process.returncode}")
        status, _ = server.fetch("/")
        if status != 200:
            failures.append(f"GET / answered {status}")
        alarming = [line for line in server.lines if "Traceback" in line or "rebuild failed" in line]
        if alarming:
            failures.append(f"server output: {alarming[:3]}")
        fresh = work / "fresh"
        result = build(BuildOptions(root=root, output=fresh, search=False, cache=False, jobs=1))
        if not result.written:
            failures.append("the fresh build failed")
        served, expected = tree(server.site), tree(fresh)
        if served != expected:
            differ = sorted(p for p in set(served) | set(expected) if served.get(p) != expected.get(p))
            failures.append(f"served folder differs from a fresh build in {len(differ)} files: {differ[:6]}")
        rebuilds = sum(1 for line in server.lines if " changed: " in line)
        sampling.set()
        sampler.join(2)
        if not samples:
            failures.append("no memory samples (is /proc mounted?)")
            samples.append((0.0, 0.0))
        res = Result(clients, saves + len(targets), styles, seconds_saving, rebuilds, list(samples), failures)
        overflows_after = listen_overflows()
        if overflows_before is not None and overflows_after is not None:
            res.listen_overflows = overflows_after - overflows_before
        first_peak = max(mb for _t, mb in samples[: max(1, len(samples) // 3)])
        last_peak = max(mb for _t, mb in samples[-max(1, len(samples) // 3):])
        if last_peak > first_peak * 1.25 + 30:
            failures.append(f"memory keeps growing: peak {first_peak:.1f} MB in the first third, "
                            f"{last_peak:.1f} MB in the last")
        return res
    finally:
        sampling.set()
        for tab in tabs:
            tab.close()
        server.stop()
        if own:
            shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--saves", type=int, default=1000)
    parser.add_argument("--notes", type=int, default=200, help="generated notes in the site")
    parser.add_argument("--edited", type=int, default=20, help="how many of them the saves hit")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    result = run(args.clients, args.saves, args.notes, args.edited, args.seed, work=args.keep,
                 log=lambda line: print(line, file=sys.stderr, flush=True))
    print("\n".join(result.lines()))
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
