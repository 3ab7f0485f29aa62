"""Server-Sent Events to every open page: what the last rebuild changed, and the current errors."""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RebuildEvent:
    pages: tuple[str, ...]  # HTML pages written ("notes/a.html"): those reload
    full: bool  # a full rebuild: every page reloads
    errors: tuple[str, ...]  # "file:line: error: message" lines for the overlay
    serial: int = 0
    removed: tuple[str, ...] = ()  # HTML pages removed: they reload to the 404 page unless there are errors

    def to_sse(self) -> bytes:
        data = json.dumps({"pages": list(self.pages), "removed": list(self.removed), "full": self.full,
                           "errors": list(self.errors), "serial": self.serial}, ensure_ascii=False)
        return f"event: rebuild\ndata: {data}\n\n".encode("utf-8")


_CLOSED = object()


@dataclass
class EventHub:
    """Fans events out to subscribers; each has a small queue, so a stalled client costs little."""

    max_queue: int = 16
    _subscribers: set[queue.Queue] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _state: RebuildEvent = field(default_factory=lambda: RebuildEvent((), False, ()))
    _closed: bool = False

    def subscribe(self) -> queue.Queue:
        client: queue.Queue = queue.Queue(self.max_queue)
        with self._lock:
            if self._closed:
                client.put(_CLOSED)
            else:
                self._subscribers.add(client)
            # A page that connects learns the current errors at once (no pages to reload).
            client.put(RebuildEvent((), False, self._state.errors, self._state.serial))
        return client

    def unsubscribe(self, client: queue.Queue) -> None:
        with self._lock:
            self._subscribers.discard(client)

    def publish(self, event: RebuildEvent) -> None:
        with self._lock:
            self._state = event
            for client in list(self._subscribers):
                try:
                    client.put_nowait(event)
                except queue.Full:
                    # A client that stopped reading: drop its backlog, keep the newest event.
                    _drain(client)
                    client.put_nowait(RebuildEvent(event.pages, True, event.errors, event.serial, event.removed))

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for client in self._subscribers:
                _drain(client)
                client.put_nowait(_CLOSED)
            self._subscribers.clear()

    @staticmethod
    def is_closed(item: object) -> bool:
        return item is _CLOSED


def _drain(client: queue.Queue) -> None:
    try:
        while True:
            client.get_nowait()
    except queue.Empty:
        pass
