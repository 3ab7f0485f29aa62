"""The preview's HTTP server: files under the output folder only, live-reload script injected
into HTML responses (never written to disk), and a Server-Sent Events stream."""

from __future__ import annotations

import ipaddress
import mimetypes
import os
import queue
import socket
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from .events import EventHub

EVENTS_PATH = "/__papernotes/events"
SCRIPT_PATH = "/__papernotes/livereload.js"
HEARTBEAT_SECONDS = 10.0

_TEXT_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".css": "text/css", ".js": "text/javascript",
    ".mjs": "text/javascript", ".json": "application/json", ".xml": "application/xml",
    ".svg": "image/svg+xml", ".txt": "text/plain", ".md": "text/plain", ".bib": "text/plain",
    ".atom": "application/atom+xml", ".webmanifest": "application/manifest+json",
}


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    kind = _TEXT_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or suffix in _TEXT_TYPES:
        return f"{kind}; charset=utf-8"
    return kind


def safe_path(root: Path, request_path: str) -> Path | None:
    """The file a request path names below ``root``, or None for anything that could leave it:
    ``..`` (also percent-encoded), backslashes, NUL, absolute URLs, and symlinks leading out."""
    raw = request_path.split("?", 1)[0].split("#", 1)[0]
    if not raw.startswith("/") or "\\" in raw or "\x00" in raw:
        return None
    decoded = unquote(raw, errors="strict") if "%" in raw else raw
    if "\\" in decoded or "\x00" in decoded or "%" in decoded and "%2" in decoded.lower():
        return None  # double-encoded input: refuse rather than guess
    parts = [p for p in decoded.split("/") if p not in ("", ".")]
    if any(p == ".." or p.startswith("..") and set(p) == {"."} for p in parts):
        return None
    candidate = root.joinpath(*parts)
    try:
        real = Path(os.path.realpath(candidate))
    except (OSError, ValueError):
        return None
    real_root = Path(os.path.realpath(root))
    if real != real_root and real_root not in real.parents:
        return None
    return candidate


_LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost", "ip6-loopback"}


def host_name(value: str) -> str:
    """The name of a ``Host`` header or an ``Origin``'s authority, without the port and brackets."""
    value = value.strip().lower()
    if "://" in value:
        value = value.split("://", 1)[1].split("/", 1)[0]
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def host_allowed(name: str, bound: str) -> bool:
    """DNS rebinding needs a domain name that resolves to us: IP addresses, the loopback names and
    the name the server was started with (``--host``) are safe; any other name is refused."""
    if name in _LOOPBACK_NAMES or name.endswith(".localhost") or name == bound.lower():
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class PreviewHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog is 5: when a rebuild makes dozens of open pages reload at once
    # while the rebuild holds the CPU, connections overflowed it and waited seconds for SYN retries.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], root: Path, hub: EventHub, script: bytes) -> None:
        self.bound_name = address[0]  # what --host named
        self.site_root = root
        self.hub = hub
        self.script = script
        super().__init__(address, PreviewHandler)

    def handle_error(self, request, client_address) -> None:
        """A client that went away mid-response is normal for a preview server: no traceback."""


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "papernotes"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _refused(self) -> bool:
        """Answer 403 to a request for another host name (DNS rebinding) or, on the event stream,
        from a page of another origin."""
        host = self.headers.get("Host")
        origin = self.headers.get("Origin")
        bad = host is not None and not host_allowed(host_name(host), self.server.bound_name)
        if not bad and origin is not None and self.path.split("?", 1)[0] == EVENTS_PATH:
            bad = origin == "null" or not host_allowed(host_name(origin), self.server.bound_name)
        if bad:
            self._send(HTTPStatus.FORBIDDEN, b"papernotes serve answers only for its own address\n",
                       "text/plain; charset=utf-8", True)
        return bad

    def _respond(self, send_body: bool) -> None:
        if self._refused():
            return
        path_only = self.path.split("?", 1)[0]
        if path_only == EVENTS_PATH:
            if send_body:
                self._events()
            else:
                self._send(HTTPStatus.OK, b"", "text/event-stream", send_body=False)
            return
        if path_only == SCRIPT_PATH:
            self._send(HTTPStatus.OK, self.server.script, "text/javascript; charset=utf-8", send_body)
            return
        try:
            target = safe_path(self.server.site_root, self.path)
        except UnicodeDecodeError:
            target = None
        if target is not None and target.is_dir():
            if not path_only.endswith("/"):
                # Relative links inside an index page need the trailing slash.
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", path_only + "/" + self.path[len(path_only):])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            target = target / "index.html"
        if target is None or not target.is_file():
            self._not_found(send_body)
            return
        try:
            body = target.read_bytes()
        except OSError:
            self._not_found(send_body)
            return
        kind = content_type(target)
        if kind.startswith("text/html"):
            body = self._inject(body)
        self._send(HTTPStatus.OK, body, kind, send_body)

    def _not_found(self, send_body: bool) -> None:
        page = self.server.site_root / "404.html"
        body = page.read_bytes() if page.is_file() else b"<!doctype html><title>Not found</title><h1>404 Not found</h1>"
        self._send(HTTPStatus.NOT_FOUND, self._inject(body), "text/html; charset=utf-8", send_body)

    def _inject(self, body: bytes) -> bytes:
        tag = f'<script src="{SCRIPT_PATH}" defer></script>'.encode()
        index = body.rfind(b"</body>")
        return body[:index] + tag + body[index:] if index >= 0 else body + tag

    def _send(self, status: HTTPStatus, body: bytes, kind: str, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _events(self) -> None:
        hub = self.server.hub
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        client = hub.subscribe()
        try:
            self.wfile.write(b"retry: 500\n\n")
            self.wfile.flush()
            while True:
                try:
                    item = client.get(timeout=HEARTBEAT_SECONDS)
                except queue.Empty:
                    self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
                    continue
                if hub.is_closed(item):
                    return
                self.wfile.write(item.to_sse())
                self.wfile.flush()
                hub.sent(client, item)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout, OSError):
            return
        finally:
            hub.unsubscribe(client)
