"""The preview loop: build once, serve, and on every settled burst of file changes rebuild
incrementally, then tell the open pages which of them changed.

After each rebuild (once its pages have been announced) every file the site is made of (notes and
their files, templates, theme assets, static/, papernotes.yaml) is compared with the previous
comparison: a change no file event told of (a folder unwatched for a moment, an event still on
its way on a busy machine) starts the next rebuild, so events only make the preview quicker."""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import shutil
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

from ..cache import file_stamp
from ..console import printable
from ..diagnostics import Diagnostics
from ..load.notes import is_ignored, is_category_intro, is_note_file, walk
from ..load.static import STATIC_DIR, is_static_leftover, scan_static
from ..output import MARKER, SiteDirectory, _in_use, _lock, _release
from ..project import Project, RefreshReport
from ..search import Indexer, PageDigests, is_index_path, update_index
from ..theme import default_theme_dir
from .events import EventHub, RebuildEvent
from .http import PreviewHTTPServer
from .watcher import ChangeCollector, Watches

SCRIPT = (Path(__file__).parent / "livereload.js").read_bytes()
PORT_ATTEMPTS = 20
#: The preview folder: ``papernotes-serve-<pid>-<8 letters of mkdtemp>`` in the temporary folder.
FOLDER_PREFIX = "papernotes-serve-"


class Interrupted(Exception):
    """A comparison with the disk gave way to a rebuild."""

#: After a rebuild, how long the work no page waits for (feeds, the sitemap, the comparison with
#: the disk) waits for the open pages' event streams to have sent the reload event.
EVENT_SENT_SECONDS = 0.25
_FOLDER_NAME = re.compile(re.escape(FOLDER_PREFIX) + r"(\d+)-[a-z0-9_]{8}")


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
    _watches: Watches | None = None
    _writer: _PreviewWriter | None = None
    _folder_lock: int | None = None  # a lock on the preview folder while this server lives
    _seen: dict[Path, str | None] = field(default_factory=dict)  # the inputs at the last comparison
    _seen_lock: threading.Lock = field(default_factory=threading.Lock)
    _recover: bool = False  # a rebuild failed half-way: the next one is a full one
    _threads: list[threading.Thread] = field(default_factory=list)
    _serial: int = 0
    _on_rebuild: list[Callable[[RefreshReport], None]] = field(default_factory=list)
    #: Pagefind at a lower priority: on a busy machine the rebuild after a save (the page reload)
    #: gets the CPU first, the index follows
    _indexer: Indexer = field(default_factory=lambda: Indexer(niceness=10))
    _digests: PageDigests = field(default_factory=PageDigests)  # of the indexed pages, by stamp
    _index_wanted: threading.Condition = field(default_factory=threading.Condition)
    _index_dirty: bool = False
    #: the comparison with the disk after rebuilds, on its own thread: what the rebuilds since the
    #: last comparison read (a save that comes meanwhile is rebuilt first, compared afterwards)
    _disk_wanted: threading.Condition = field(default_factory=threading.Condition)
    _disk_handled: set[Path] | None = None
    _stopping: bool = False
    index_runs: int = 0  # finished search-index refreshes

    # -- life cycle ------------------------------------------------------------------------------
    def start(self) -> str:
        """Build, bind, start watching; returns the URL. Raises ServeError when it cannot."""
        remove_stale_folders(Path(tempfile.gettempdir()))
        self.site_dir = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
        self._folder_lock = _lock(self.site_dir)
        try:
            self._writer = _PreviewWriter(SiteDirectory.create(self.site_dir))
            self.project = Project(self.options.root, output=self.site_dir, check_output=False, long_lived=True,
                                   safe=self.options.safe)
            self.project.prepare()  # the config: which folders the site is read from
            self._seen = self._inputs()
            started = time.perf_counter()
            report = self._refresh(None)
            self._say(f"built {report.notes} notes, {report.pages} pages in {(time.perf_counter() - started) * 1000:.0f} ms")
            self.httpd = self._bind()
            self._collector = ChangeCollector(self._relevant, quiet=self.options.quiet)
            self._watches = Watches(self._collector, self.project.root)
            self._check_disk()  # what changed during the first build, before anything was watched
        except BaseException:
            self.stop()
            raise
        serve = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                 name="papernotes-http", daemon=True)
        loop = threading.Thread(target=self._loop, name="papernotes-rebuild", daemon=True)
        self._threads = [serve, loop, threading.Thread(target=self._disk_loop, name="papernotes-disk", daemon=True)]
        if self.options.search:
            self._threads.append(threading.Thread(target=self._index_loop, name="papernotes-search", daemon=True))
            self._request_index()
        for thread in self._threads:
            thread.start()
        return self.url

    @property
    def idle(self) -> bool:
        """No rebuild running or waiting, and every file the site is made of is as the last
        comparison found it. (A difference, such as a change whose file event is still on its
        way, starts a rebuild.) Costs a walk of the site's folders."""
        collector = self._collector
        if collector is None or collector.pending:
            return False
        generation = collector.generation
        try:
            if self._check_disk(watch=False):
                return False
        except OSError:
            return False
        return not collector.pending and collector.generation == generation

    @property
    def url(self) -> str:
        assert self.httpd is not None
        host, port = self.httpd.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"

    def stop(self) -> None:
        """Stop watching and serving, close every event stream, remove the temporary site."""
        for wanted in (self._index_wanted, self._disk_wanted):
            with wanted:
                self._stopping = True
                wanted.notify_all()
        self._indexer.cancel()
        if self._collector is not None:
            self._collector.stop()
        if self._watches is not None:
            self._watches.stop()
        self.hub.close()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=2)
        if self.site_dir is not None:
            shutil.rmtree(self.site_dir, ignore_errors=True)
        self._folder_lock = _release(self._folder_lock)

    # -- binding ---------------------------------------------------------------------------------
    def _bind(self) -> PreviewHTTPServer:
        host, port = self.options.host, self.options.port
        if not _is_loopback(host):
            self._say(f"warning: serving on {host}, reachable from other machines on your network; "
                      "use --host 127.0.0.1 to keep it private")
        last_error: OSError | None = None
        attempts = min(PORT_ATTEMPTS, 65536 - port) if port else 1  # never past the last port
        for attempt in range(attempts):
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
        if attempts == 1:
            raise ServeError(f"port {port} on {host} is in use; choose another with --port")
        raise ServeError(f"ports {port}–{port + attempts - 1} on {host} are all in use "
                         f"({last_error.strerror if last_error else 'in use'}); choose one with --port")

    # -- what is watched and read -------------------------------------------------------------------
    def _read_folders(self) -> list[tuple[Path, Callable[[str], bool]]]:
        """The folders the site is read from, each with the rule for the names it leaves out."""
        assert self.project is not None and self.project.config is not None
        root = self.project.root
        folders = [self.project.notes_dir, root / "templates", root / "assets",
                   default_theme_dir("templates"), default_theme_dir("assets")]
        found = [(Path(os.path.normpath(f)), is_ignored) for f in folders]
        return list(dict.fromkeys(found + [(root / STATIC_DIR, is_static_leftover)]))

    def _outside_folders(self) -> list[Path]:
        """Folders the root's watch does not see into: outside the root, or a link to a folder."""
        assert self.project is not None
        root = self.project.root
        return [f for f, _ in self._read_folders() if not (f == root or root in f.parents) or os.path.islink(f)]

    def _relevant(self, path: Path) -> bool:
        project = self.project
        if project is None or project.config is None:
            return True
        if self.site_dir is not None and (path == self.site_dir or self.site_dir in path.parents):
            return False
        if path == Path(os.path.normpath(project.config.config_path)):
            return True
        references = Path(os.path.normpath(project.references_path))  # data/references.json
        if path == references or path == references.parent:
            return True
        for folder, left_out in self._read_folders():
            if path == folder or folder in path.parents:
                return not any(left_out(part) for part in path.relative_to(folder).parts)
            if path in folder.parents and path != project.root:
                return True  # a folder above it (content/ of content/notes) came or went
        return False

    def _inputs(self, stop: Callable[[], bool] = lambda: False) -> dict[Path, str | None]:
        """Every file the site is made of, with its size and modification time. Raises
        ``Interrupted`` when ``stop()`` says so (it is asked every few hundred files)."""
        project = self.project
        assert project is not None and project.config is not None
        follow = project.config.follow_symlinks
        notes_dir = project.notes_dir
        notes, assets = walk(notes_dir, within=notes_dir, follow_symlinks=follow)
        files = [Path(os.path.normpath(p)) for p in notes + assets]
        for folder, left_out in self._read_folders():  # templates and theme assets
            if folder in (notes_dir, project.root / STATIC_DIR):
                continue
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = [d for d in dirnames if not left_out(d)]
                files += [Path(dirpath) / name for name in filenames if not left_out(name)]
        files += scan_static(project.root, follow).files.values()
        files.append(Path(os.path.normpath(project.config.config_path)))
        files.append(Path(os.path.normpath(project.references_path)))
        stamps: dict[Path, str | None] = {}
        for count, path in enumerate(files):
            if count % 256 == 0 and stop():
                raise Interrupted
            stamps[path] = file_stamp(path)
        return stamps

    def _check_disk(self, handled: set[Path] = frozenset(), watch: bool = True,
                    stop: Callable[[], bool] = lambda: False) -> bool:
        """Compare every file the site is made of with the last comparison and hand what differs
        to the next rebuild, but for ``handled``: the changes (files, and what is below folders)
        the rebuild that just ran read — a later change of them is an event of its own. Files that
        vanished while they were copied are changes too. ``watch``: first watch the folders that
        are to be watched now. Returns whether anything is handed on; raises ``Interrupted`` (the
        comparison left for later) when ``stop()`` says so."""
        if self._collector is None or self._watches is None or self.project is None:
            return False
        with self._seen_lock:
            if watch:
                self._watches.update(self._outside_folders())
            now = self._inputs(stop)
            changed = {p for p in _differing(self._seen, now)
                       if not ((p in handled or any(folder in handled for folder in p.parents))
                               and self._read_as_now(p, now.get(p)))}
            self._seen = now
        if self._writer is not None:
            changed |= self._writer.take_vanished()
        if changed:
            self._collector.add(changed)
        return bool(changed)

    def _read_as_now(self, path: Path, stamp: str | None) -> bool:
        """Whether the rebuild that handled a change of ``path`` saw it as it is now. For a note
        the project knows the stamp it read; a file under the notes folder that it does not know
        (a note saved, or deleted, after the rebuild read the folder) was not seen. Other files
        (assets, templates) were read as they were when the rebuild ran."""
        assert self.project is not None
        record = self.project.records.get(path)
        if record is not None:
            return record.stamp == stamp
        return not (stamp is not None and is_note_file(path.name) and not is_category_intro(path.name)
                    and self.project.notes_dir in path.parents)

    # -- rebuilding ------------------------------------------------------------------------------
    def _loop(self) -> None:
        assert self._collector is not None and self._watches is not None and self.project is not None
        while True:
            changed = self._collector.wait()
            if changed is None:
                return
            started = time.perf_counter()
            try:
                full = self._recover
                report = self._refresh(changed)
            except Exception as exc:  # a bug must not stop the preview: show it, keep serving
                self._recover = True  # the site is half-updated: the next rebuild builds it all again
                self._say("error: rebuild failed: " + "".join(traceback.format_exception_only(type(exc), exc)).strip())
                self._say(traceback.format_exc().rstrip())
                self._publish_failure(f"rebuild failed: {type(exc).__name__}: {exc}")
                continue
            finally:
                # Events can come late or never (a busy machine, a folder made and filled at once):
                # compare with the disk after this rebuild, and rebuild what differs.
                self._collector.done()
                with self._disk_wanted:
                    self._disk_handled = (self._disk_handled or set()) | changed
                    self._disk_wanted.notify_all()
            elapsed = (time.perf_counter() - started) * 1000
            names = sorted(_shown(p, self.project.root) for p in changed)
            what = names[0] if len(names) == 1 else f"{len(names)} files"
            kind = "full rebuild" if report.full else "rebuilt"
            after = " (after the failed one)" if full else ""
            self._say(f"{time.strftime('%H:%M:%S')} {what} changed: {kind}{after}, {len(report.written)} written, "
                      f"{len(report.removed)} removed, {report.rendered_notes} notes rendered in {elapsed:.0f} ms")

    def _refresh(self, changed: set[Path] | None) -> RefreshReport:
        """Rebuild what ``changed`` touched (None, or after a failed rebuild: everything)."""
        assert self.project is not None and self._writer is not None
        recovering = self._recover
        later: list = []  # feeds, the sitemap, papers.bib, preview files: written after the event
        told: set[str] = set()  # pages open pages were told of before the refresh returned

        def shown(written: list[str], diagnostics: Diagnostics) -> None:
            # The changed notes' pages are written; the site's lists are still to be worked out.
            pages = tuple(p for p in written if p.endswith(".html"))
            self.hub.wait_sent(self._publish(pages, self._problems(diagnostics)), timeout=EVENT_SENT_SECONDS)
            told.update(pages)

        report = self.project.refresh(self._writer, None if recovering else changed, later=later, shown=shown)
        if recovering:
            # The failed rebuild may have written files it never recorded: only outputs stay.
            report.removed.extend(self._sweep())
            self._recover = False
        self.rebuilds += 1
        problems = self._problems(report.diagnostics)
        for line in problems:
            self._say(line)
        pages = tuple(p for p in report.written if p.endswith(".html") and p not in told)
        removed = tuple(p for p in report.removed if p.endswith(".html"))
        self.hub.wait_sent(self._publish(pages, problems, report.full, removed), timeout=EVENT_SENT_SECONDS)
        if later:
            # The changed notes' own pages first (above), then the lists and other pages showing them.
            failed = report.template_failed
            collector = self._collector
            self.project.write_later(self._writer, later, report,
                                     stop=(lambda: collector.waiting) if collector is not None else (lambda: False))
            if report.template_failed and not failed:
                printed, problems = problems, self._problems(report.diagnostics)
                for line in problems:
                    if line not in printed:
                        self._say(line)
            written = set(report.written)
            after = tuple(o.path for o in later if o.path.endswith(".html") and o.path in written)
            if after or report.template_failed != failed:
                self._publish(after, problems)
        self.project.prepare_lookups()
        for callback in self._on_rebuild:
            callback(report)
        if report.written or report.removed:
            self._request_index()
        return report

    def _sweep(self) -> list[str]:
        """Remove the files of the preview folder that are no output of the site (the search
        index and the folder's marker aside); returns their site paths."""
        assert self.project is not None and self.site_dir is not None and self._writer is not None
        removed = []
        for dirpath, dirnames, filenames in os.walk(self.site_dir):
            base = Path(dirpath).relative_to(self.site_dir)
            if base == Path("."):
                dirnames[:] = [d for d in dirnames if not is_index_path(d)]
            for name in filenames:
                rel = (base / name).as_posix()
                if rel != MARKER and rel not in self.project.outputs:
                    self._writer.remove(rel)
                    removed.append(rel)
        return sorted(removed)

    # -- search index, refreshed after rebuilds without delaying them -------------------------------
    def _request_index(self) -> None:
        with self._index_wanted:
            self._index_dirty = True
            self._index_wanted.notify_all()

    def _disk_loop(self) -> None:
        """Compare with the disk after rebuilds — but not while a save waits to be rebuilt: a walk
        of a 10,000-note site takes a few hundred milliseconds, which the next page reload must
        not wait for. The rebuild of that save asks again."""
        assert self._collector is not None
        while True:
            with self._disk_wanted:
                while self._disk_handled is None and not self._stopping:
                    self._disk_wanted.wait()
                if self._stopping:
                    return
                if self._collector.pending:
                    self._disk_wanted.wait(0.1)  # the rebuild of what is pending asks again
                    continue
                handled, self._disk_handled = self._disk_handled, None
            try:
                # A save that comes meanwhile is rebuilt first: the comparison gives way, and the
                # rebuild of that save asks for it again.
                self._check_disk(handled, stop=lambda: self._collector.pending)
            except Interrupted:
                with self._disk_wanted:
                    self._disk_handled = (self._disk_handled or set()) | handled
            except OSError:
                pass

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
            # Only the shards whose pages changed, each built beside its bundle and swapped in
            # when complete: the old index answers until then.
            # Its Python steps (finding the changed shards of 10,000 pages: ~0.1 s) wait while a
            # save is rebuilt: they would hold the interpreter the rebuild needs.
            collector = self._collector
            update = update_index(self.site_dir, self._indexer, self._digests,
                                  pause=collector.wait_until_idle if collector is not None else lambda: None)
            if self._stopping:
                return
            self.index_runs += 1
            result = update.result
            if not result.ok:
                self._say(f"warning: search index not refreshed: {result.problem}")
            elif first:
                shards = f" ({update.shards} shards)" if update.shards > 1 else ""
                self._say(f"search index built in {result.seconds:.1f} s{shards}")
            first = False

    def _problems(self, diagnostics: Diagnostics) -> list[str]:
        shown = diagnostics.items if self.options.strict else diagnostics.errors
        return [str(d) for d in shown]

    def _publish(self, pages: tuple[str, ...], problems: list[str], full: bool = False,
                 removed: tuple[str, ...] = ()) -> int:
        """Tell open pages which pages to reload and which problems to show; returns the event's serial."""
        self._serial += 1
        self.hub.publish(RebuildEvent(pages, full, tuple(problems), self._serial, removed))
        return self._serial

    def _publish_failure(self, message: str) -> None:
        self._publish((), [f"papernotes: error: {message}"])

    def on_rebuild(self, callback: Callable[[RefreshReport], None]) -> None:
        self._on_rebuild.append(callback)

    def _say(self, line: str) -> None:
        print(printable(line), file=self.out, flush=True)  # a note's text can hold ESC or BEL


class _PreviewWriter:
    """Writes the preview folder. A file that vanished before its copy (an image deleted while a
    rebuild runs) fails nothing: its deletion is the next change, rebuilt next."""

    def __init__(self, writer: SiteDirectory) -> None:
        self.writer = writer
        self._vanished: set[Path] = set()

    def write(self, rel: str, data: bytes) -> None:
        self.writer.write(rel, data)

    def copy(self, rel: str, source: Path) -> None:
        try:
            self.writer.copy(rel, source)
        except FileNotFoundError:
            if os.path.lexists(source):
                raise
            self._vanished.add(Path(os.path.normpath(source)))

    def remove(self, rel: str) -> None:
        self.writer.remove(rel)

    def take_vanished(self) -> set[Path]:
        vanished, self._vanished = self._vanished, set()
        return vanished


def remove_stale_folders(folder: Path) -> None:
    """Remove the preview folders that servers which were killed left in ``folder``: only those
    named ``papernotes-serve-<pid>-<8 letters>``, owned by this user, holding papernotes' marker
    file, and whose server no longer runs (it holds a lock on its folder while it lives)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = _FOLDER_NAME.fullmatch(entry.name)
        if match is None or int(match.group(1)) == os.getpid():
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except OSError:
            continue
        path = Path(entry.path)
        if (path / MARKER).is_file() and not _in_use(path, int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)


def _differing(before: dict[Path, str | None], now: dict[Path, str | None]) -> set[Path]:
    return {path for path in before.keys() | now.keys() if before.get(path) != now.get(path)}


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
