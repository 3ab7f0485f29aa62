"""A stand-in for the Semantic Scholar Graph API's batch endpoint, on 127.0.0.1 (no network).

It answers ``POST /graph/v1/paper/batch`` from recordings written by hand in the documented shape
(``tests/fixtures/s2/papers.json``: request id -> paper, with ``externalIds``, ``title``,
``citationCount`` and ``references``); an id it has no recording of is ``null``, as the real API
answers an unknown id. ``script`` makes the next requests misbehave, one word per request: "429"
(with ``Retry-After``), "drop" (the connection closed without an answer), "html" (an error page
with status 200), "truncated" (the JSON cut in the middle), "slow" (answers after ``slow_seconds``).
``limits`` simulates the documented limits: more than ``batch_limit`` ids is a 400, and a request
sooner than ``1 / rate`` seconds after the previous one is a 429 with ``Retry-After: 1``.

Used by tests/test_refs.py, scripts/example_references.py (the example site's data file) and
benchmarks/refs_fetch.py.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

RECORDINGS = Path(__file__).parent / "fixtures" / "s2" / "papers.json"


def recordings() -> dict:
    return json.loads(RECORDINGS.read_text(encoding="utf-8"))


@dataclass
class FakeScholar:
    papers: dict = field(default_factory=recordings)
    script: list[str] = field(default_factory=list)
    retry_after: str = "1"
    slow_seconds: float = 0.0
    limits: bool = False
    batch_limit: int = 500
    rate: float = 1.0
    requests: list[list[str]] = field(default_factory=list)  # the ids of each answered request
    attempts: int = 0  # every request, answered or not
    api_keys: list[str | None] = field(default_factory=list)
    _last: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                ids = body.get("ids", [])
                with fake._lock:
                    fake.attempts += 1
                    fake.api_keys.append(self.headers.get("x-api-key"))
                    action = fake.script.pop(0) if fake.script else "ok"
                    now = time.monotonic()
                    too_soon = fake.limits and fake._last is not None and now - fake._last < 1.0 / fake.rate
                    if fake.limits:
                        fake._last = now
                if not self.path.startswith("/graph/v1/paper/batch"):
                    return self._send(404, b'{"error": "Not found"}')
                if fake.limits and len(ids) > fake.batch_limit:
                    return self._send(400, json.dumps({"error": f"Too many ids: {len(ids)} > {fake.batch_limit}"}).encode())
                if action == "429" or too_soon:
                    return self._send(429, b'{"message": "Too Many Requests"}', {"Retry-After": fake.retry_after})
                if action == "drop":
                    self.close_connection = True
                    return
                if action == "html":
                    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
                    return self._send(200, page, content_type="text/html")
                if action == "slow":
                    time.sleep(fake.slow_seconds)
                answer = json.dumps([fake.papers.get(i) for i in ids]).encode()
                if action == "truncated":
                    answer = answer[: len(answer) // 2]
                with fake._lock:
                    fake.requests.append(list(ids))
                self._send(200, answer)

            def _send(self, status, body, headers=None, content_type="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/graph/v1"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def asked(self) -> list[str]:
        """Every id answered, in order."""
        return [i for ids in self.requests for i in ids]
