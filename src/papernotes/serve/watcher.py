"""File events from watchdog, coalesced: a burst of saves (an editor's atomic save, a ``git
checkout`` of hundreds of files) becomes one set of changed paths, and nothing saved during a
rebuild is lost — it starts the next one."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable

from watchdog.events import (
    DirModifiedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer


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

    def on_any_event(self, event: FileSystemEvent) -> None:
        if isinstance(event, DirModifiedEvent) or event.event_type in ("opened", "closed_no_write"):
            return  # a folder's listing changed: the file events say what
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        found = {Path(os.path.normpath(os.fsdecode(p))) for p in paths if p}
        found = {p for p in found if self.relevant(p)}
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
        """Block until a burst of changes has settled; None once stopped."""
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
                    return paths
                self._condition.wait(settle - now)

    @property
    def pending(self) -> bool:
        with self._condition:
            return bool(self._paths)

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify_all()


def start_observer(handler: ChangeCollector, folders: list[Path], files_in: list[Path]) -> Observer:
    """Watch ``folders`` recursively and ``files_in`` (folders whose direct files matter) flatly."""
    observer = Observer()
    watched: set[Path] = set()
    for folder in folders:
        if folder.is_dir() and not any(folder == w or w in folder.parents for w in watched):
            observer.schedule(handler, str(folder), recursive=True)
            watched.add(folder)
    for folder in files_in:
        if folder.is_dir() and folder not in watched:
            observer.schedule(handler, str(folder), recursive=False)
    observer.daemon = True
    observer.start()
    return observer
