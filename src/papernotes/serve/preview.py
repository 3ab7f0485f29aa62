"""The preview loop: build once, serve, and on every settled burst of file changes rebuild
incrementally, then tell the open pages which of them changed."""

from __future__ import annotations

import errno
import ipaddress
import os
import shutil
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

from ..console import printable
from ..diagnostics import Diagnostics
from ..load.notes import is_ignored
from ..load.static import STATIC_DIR, is_static_leftover
from ..output import SiteDirectory
from ..project import Project, RefreshReport
from ..search import Indexer, refresh_index
from .events import EventHub, RebuildEvent
from .http import PreviewHTTPServer
from .watcher import ChangeCollector, start_observer

SCRIPT = (Path(__file__).parent / "livereload.js").read_bytes()
PORT_ATTEMPTS = 20


class ServeError(Exception):
    pass


@dataclass
class ServeOptions:
    root: Path
    host: str = "127.0.0.1"
    port: int = 8000
    strict: bool = False  # warnings count as errors (overlay and terminal)
    quiet: float = 0.02  # seconds of calm that end a burst of file events
    search: bool = True  # keep the Pagefind index fresh, in the background
    safe: bool = False  # sanitise the raw HTML of note bodies (--safe)


@dataclass
class PreviewServer:
    options: ServeOptions
    out: TextIO
    hub: EventHub = field(default_factory=EventHub)
    project: Project | None = None
    site_dir: Path | None = None
    httpd: PreviewHTTPServer | None = None
    rebuilds: int = 0
    _collector: ChangeCollector | None = None
    _observer: object | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _serial: int = 0
    _on_rebuild: list[Callable[[RefreshReport], None]] = field(default_factory=list)
    _indexer: Indexer = field(default_factory=Indexer)
    _index_wanted: threading.Condition = field(default_factory=threading.Condition)
    _index_dirty: bool = False
    _stopping: bool = False
    index_runs: int = 0  # finished search-index refreshes
    _busy: bool = False  # a rebuild is running

    # -- life cycle ------------------------------------------------------------------------------
    def start(self) -> str:
        """Build, bind, start watching; returns the URL. Raises ServeError when it cannot."""
        self.site_dir = Path(tempfile.mkdtemp(prefix="papernotes-serve-"))
        try:
            writer = SiteDirectory.create(self.site_dir)
            self.project = Project(self.options.root, output=self.site_dir, check_output=False, long_lived=True,
                                   safe=self.options.safe)
            self._writer = writer
            started = time.perf_counter()
            report = self._refresh(None)
            self._say(f"built {report.notes} notes, {report.pages} pages in {(time.perf_counter() - started) * 1000:.0f} ms")
            self.httpd = self._bind()
            self._collector = ChangeCollector(self._relevant, quiet=self.options.quiet)
            assert self.project.config is not None
            folders = [p for p in self.project.watched_paths() if p != self.project.root]
            self._observer = start_observer(self._collector, folders, [self.project.root])
        except BaseException:
            self.stop()
            raise
        serve = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                 name="papernotes-http", daemon=True)
        loop = threading.Thread(target=self._loop, name="papernotes-rebuild", daemon=True)
        self._threads = [serve, loop]
        if self.options.search:
            self._threads.append(threading.Thread(target=self._index_loop, name="papernotes-search", daemon=True))
            self._request_index()
        for thread in self._threads:
            thread.start()
        return self.url

    @property
    def idle(self) -> bool:
        """No rebuild running and no change waiting (file events still on their way aside)."""
        return not self._busy and not (self._collector is not None and self._collector.pending)

    @property
    def url(self) -> str:
        assert self.httpd is not None
        host, port = self.httpd.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"

    def stop(self) -> None:
        """Stop watching and serving, close every event stream, remove the temporary site."""
        with self._index_wanted:
            self._stopping = True
            self._index_wanted.notify_all()
        self._indexer.cancel()
        if self._collector is not None:
            self._collector.stop()
        if self._observer is not None:
            try:
                self._observer.stop()  # type: ignore[attr-defined]
                self._observer.join(timeout=2)  # type: ignore[attr-defined]
            except RuntimeError:
                pass
        self.hub.close()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=2)
        if self.site_dir is not None:
            shutil.rmtree(self.site_dir, ignore_errors=True)

    # -- binding ---------------------------------------------------------------------------------
    def _bind(self) -> PreviewHTTPServer:
        host, port = self.options.host, self.options.port
        if not _is_loopback(host):
            self._say(f"warning: serving on {host}, reachable from other machines on your network; "
                      "use --host 127.0.0.1 to keep it private")
        last_error: OSError | None = None
        for attempt in range(PORT_ATTEMPTS if port else 1):
            try:
                assert self.site_dir is not None
                server = PreviewHTTPServer((host, port + attempt if port else 0), self.site_dir, self.hub, SCRIPT)
            except OSError as exc:
                last_error = exc
                if exc.errno != errno.EADDRINUSE:
                    raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
                continue
            if attempt:
                self._say(f"port {port} is in use; serving on port {port + attempt} instead")
            return server
        raise ServeError(f"ports {port}–{port + PORT_ATTEMPTS - 1} on {host} are all in use "
                         f"({last_error.strerror if last_error else 'in use'}); choose one with --port")

    # -- rebuilding ------------------------------------------------------------------------------
    def _relevant(self, path: Path) -> bool:
        project = self.project
        if project is None or project.config is None:
            return False
        if self.site_dir is not None and (path == self.site_dir or self.site_dir in path.parents):
            return False
        static = project.root / STATIC_DIR
        if path == static or static in path.parents:  # dotfiles too (.nojekyll); editor leftovers not
            return not is_static_leftover(path.name)
        if is_ignored(path.name):
            return False
        if path.parent == project.root:
            return path == Path(os.path.normpath(project.config.config_path)) or path.name in ("templates", "assets")
        return any(path == w or w in path.parents for w in project.watched_paths())

    def _loop(self) -> None:
        assert self._collector is not None
        while True:
            changed = self._collector.wait()
            if changed is None:
                return
            started = time.perf_counter()
            self._busy = True
            try:
                report = self._refresh(changed)
            except Exception as exc:  # a bug must not stop the preview: show it, keep serving
                self._say("error: rebuild failed: " + "".join(traceback.format_exception_only(type(exc), exc)).strip())
                self._say(traceback.format_exc().rstrip())
                self._publish_failure(f"rebuild failed: {type(exc).__name__}: {exc}")
                continue
            finally:
                # Events can come late or be lost (a busy machine, a folder created and filled at
                # once): compare with the disk now, and rebuild what differs.
                if not self._collector.pending:
                    try:
                        stale = self.project.stale_paths() if self.project is not None else set()
                    except OSError:
                        stale = set()
                    if stale:
                        self._collector.add(stale)
                self._busy = False
            elapsed = (time.perf_counter() - started) * 1000
            names = sorted(_shown(p, self.project.root) for p in changed)  # type: ignore[union-attr]
            what = names[0] if len(names) == 1 else f"{len(names)} files"
            kind = "full rebuild" if report.full else "rebuilt"
            self._say(f"{time.strftime('%H:%M:%S')} {what} changed: {kind}, {len(report.written)} written, "
                      f"{len(report.removed)} removed, {report.rendered_notes} notes rendered in {elapsed:.0f} ms")

    def _refresh(self, changed: set[Path] | None) -> RefreshReport:
        assert self.project is not None
        report = self.project.refresh(self._writer, changed)
        self.rebuilds += 1
        problems = self._problems(report.diagnostics)
        for line in problems:
            self._say(line)
        self._serial += 1
        pages = tuple(p for p in report.written if p.endswith(".html"))
        removed = tuple(p for p in report.removed if p.endswith(".html"))
        self.hub.publish(RebuildEvent(pages, report.full, tuple(problems), self._serial, removed))
        for callback in self._on_rebuild:
            callback(report)
        if report.written or report.removed:
            self._request_index()
        return report

    # -- search index, refreshed after rebuilds without delaying them -------------------------------
    def _request_index(self) -> None:
        with self._index_wanted:
            self._index_dirty = True
            self._index_wanted.notify_all()

    def _index_loop(self) -> None:
        assert self.site_dir is not None
        first = True
        while True:
            with self._index_wanted:
                while not self._index_dirty and not self._stopping:
                    self._index_wanted.wait()
                if self._stopping:
                    return
                self._index_dirty = False
            result = refresh_index(self.site_dir, self._indexer)
            if self._stopping:
                return
            self.index_runs += 1
            if not result.ok:
                self._say(f"warning: search index not refreshed: {result.problem}")
            elif first:
                self._say(f"search index built in {result.seconds:.1f} s")
            first = False

    def _problems(self, diagnostics: Diagnostics) -> list[str]:
        shown = diagnostics.items if self.options.strict else diagnostics.errors
        return [str(d) for d in shown]

    def _publish_failure(self, message: str) -> None:
        self._serial += 1
        self.hub.publish(RebuildEvent((), False, (f"papernotes: error: {message}",), self._serial))

    def on_rebuild(self, callback: Callable[[RefreshReport], None]) -> None:
        self._on_rebuild.append(callback)

    def _say(self, line: str) -> None:
        print(printable(line), file=self.out, flush=True)  # a note's text can hold ESC or BEL


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
