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
    _sent: dict[int, int] = field(default_factory=dict)  # id of a subscriber's queue -> serial last sent
    _delivered: threading.Condition = field(default_factory=threading.Condition)

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
        with self._delivered:
            self._sent.pop(id(client), None)
            self._delivered.notify_all()

    def sent(self, client: queue.Queue, event: RebuildEvent) -> None:
        """A subscriber's connection has sent ``event`` (called by the event stream)."""
        with self._delivered:
            self._sent[id(client)] = event.serial
            self._delivered.notify_all()

    def wait_sent(self, serial: int, timeout: float) -> bool:
        """Wait until every subscriber has sent the event numbered ``serial``, at most ``timeout``
        seconds: the rebuild's work that no page waits for (feeds, the comparison with the disk)
        then does not hold the interpreter while open pages are being told to reload."""
        with self._lock:
            waiting = [id(client) for client in self._subscribers]
        with self._delivered:
            return self._delivered.wait_for(
                lambda: all(self._sent.get(client, serial) >= serial for client in waiting), timeout)

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
