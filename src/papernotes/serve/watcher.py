"""File events from watchdog, coalesced: a burst of saves (an editor's atomic save, a ``git
checkout`` of hundreds of files) becomes one set of changed paths, and nothing saved during a
rebuild is lost — it starts the next one.

What is watched never vanishes while serving: the site root, recursively (one watch that sees
``notes/`` deleted and made again, ``templates/`` or ``static/`` created, a new ``notes_dir``),
and the few folders outside it that a site may read (the packaged theme, a ``notes_dir`` such as
``../shared``), which ``Watches.update`` follows when they come, go or are replaced."""

from __future__ import annotations

import os
import threading
import time
import warnings
from pathlib import Path
from typing import Callable

from watchdog.events import (
    DirModifiedEvent,
    DirMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

# watchdog warns when a folder made and filled at once (``cp -a``) is registered twice by its own
# two ways of noticing it; the second registration replaces the first, nothing is lost.
warnings.filterwarnings("ignore", message=r"Callback with id .* already exists", category=RuntimeWarning)


class ChangeCollector(FileSystemEventHandler):
    """Collects changed paths; ``wait()`` returns them once events have been quiet for a moment."""

    def __init__(self, relevant: Callable[[Path], bool], quiet: float = 0.02, longest: float = 0.5) -> None:
        self.relevant = relevant
        self.quiet = quiet  # seconds without events that end a burst
        self.longest = longest  # a burst that goes on longer is handled anyway
        self._paths: set[Path] = set()
        self._first = 0.0
        self._last = 0.0
        self._condition = threading.Condition()
        self._stopped = False
        self._working = False  # paths were handed out by wait() and done() was not called yet
        self.generation = 0  # how many times wait() handed out paths

    def on_any_event(self, event: FileSystemEvent) -> None:
        if isinstance(event, DirModifiedEvent) or event.event_type in ("opened", "closed_no_write"):
            return  # a folder's listing changed: the file events say what
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        found = {Path(os.path.normpath(os.fsdecode(p))) for p in paths if p}
        try:
            found = {p for p in found if self.relevant(p)}
        except Exception:  # noqa: BLE001 - an exception here would stop watchdog's thread for good
            pass  # when in doubt, rebuild: the rebuild compares with the disk
        if found:
            self.add(found)

    def add(self, paths: set[Path]) -> None:
        with self._condition:
            now = time.monotonic()
            if not self._paths:
                self._first = now
            self._paths |= paths
            self._last = now
            self._condition.notify_all()

    def wait(self) -> set[Path] | None:
        """Block until a burst of changes has settled; None once stopped. The caller calls
        ``done()`` when it has dealt with them."""
        with self._condition:
            while True:
                if self._stopped:
                    return None
                if not self._paths:
                    self._condition.wait()
                    continue
                now = time.monotonic()
                settle = min(self._last + self.quiet, self._first + self.longest)
                if now >= settle:
                    paths, self._paths = self._paths, set()
                    self._working = True
                    self.generation += 1
                    return paths
                self._condition.wait(settle - now)

    def done(self) -> None:
        with self._condition:
            self._working = False
            self._condition.notify_all()

    @property
    def waiting(self) -> bool:
        """Changes came that no rebuild has taken yet."""
        with self._condition:
            return bool(self._paths)

    @property
    def pending(self) -> bool:
        """Changes wait for a rebuild, or the last ones handed out are still being rebuilt."""
        with self._condition:
            return bool(self._paths) or self._working

    def wait_until_idle(self) -> None:
        """Block while changes wait for a rebuild or are being rebuilt (until ``stop()``)."""
        with self._condition:
            while (self._paths or self._working) and not self._stopped:
                self._condition.wait()

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify_all()


def _identity(path: Path) -> tuple[int, int, int] | None:
    """A folder's device, inode and change time: a folder deleted and made again may get the same
    inode at once (``rm -rf x && cp -a backup x`` on ext4 or tmpfs), but not the same change
    time, and its old watch died with it. (Entries added or removed change it too: the folder is
    then watched anew, and the comparison with the disk that follows covers the moment between.)"""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_ctime_ns)


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class _FolderMoves(FileSystemEventHandler):
    """Notices folders renamed within the root's watch (``mv incoming notes``)."""

    def __init__(self) -> None:
        self.seen = threading.Event()

    def on_moved(self, event: FileSystemEvent) -> None:
        if isinstance(event, DirMovedEvent):
            self.seen.set()


class Watches:
    """One observer: the site root recursively, and folders outside it (see ``update``).

    watchdog (7.1) sometimes loses the watches of the subfolders of a folder renamed inside a
    recursive watch — about one ``mv incoming notes`` in five, and from then on nothing saved
    in ``notes/peft/`` is an event. So after a folder was renamed, ``update`` watches the root
    anew."""

    def __init__(self, handler: FileSystemEventHandler, root: Path) -> None:
        self.handler = handler
        self.root = root
        self.observer = Observer()
        self._moves = _FolderMoves()
        self._root_watch = self._watch_root()
        self._outside: dict[tuple[Path, bool], tuple[object, tuple[int, int, int] | None]] = {}
        self._lock = threading.Lock()
        self.observer.daemon = True
        self.observer.start()

    def _watch_root(self) -> object:
        watch = self.observer.schedule(self.handler, str(self.root), recursive=True)
        self.observer.add_handler_for_watch(self._moves, watch)
        return watch

    def _renew_root(self) -> None:
        """Watch the root anew if a folder was renamed in it since the last time."""
        if not self._moves.seen.is_set():
            return
        self._moves.seen.clear()
        try:
            self.observer.unschedule(self._root_watch)  # type: ignore[arg-type]
        except (KeyError, RuntimeError):
            pass
        self._root_watch = self._watch_root()

    def update(self, folders: list[Path]) -> None:
        """Watch ``folders``, those the root's watch does not see into (outside the root, or a
        link to a folder): an existing one recursively, a missing one through its nearest existing
        parent (its creation is an event), one replaced by another (a new inode) anew; and the
        root anew after a folder was renamed in it. Call it before comparing with the disk: what
        changed before a watch existed, the comparison finds."""
        wanted: dict[tuple[Path, bool], tuple[int, int, int] | None] = {}
        for folder in folders:
            target, recursive = folder, True
            while not target.is_dir() and target.parent != target:
                target, recursive = target.parent, False
            wanted[(target, recursive)] = _identity(target)
        for key in list(wanted):  # a folder inside another watched recursively
            if any(other != key and other[1] and _under(key[0], other[0]) for other in wanted):
                del wanted[key]
        with self._lock:
            self._renew_root()
            for key, (watch, identity) in list(self._outside.items()):
                if key not in wanted or wanted[key] != identity:
                    try:
                        self.observer.unschedule(watch)  # type: ignore[arg-type]
                    except (KeyError, RuntimeError):
                        pass
                    del self._outside[key]
            for key, identity in wanted.items():
                if key in self._outside or identity is None:
                    continue
                try:
                    watch = self.observer.schedule(self.handler, str(key[0]), recursive=key[1],
                                                   follow_symlink=os.path.islink(key[0]))
                except OSError:
                    continue  # gone again: the next update tries again
                self._outside[key] = (watch, identity)

    def stop(self) -> None:
        try:
            self.observer.stop()
            self.observer.join(timeout=2)
        except RuntimeError:
            pass
