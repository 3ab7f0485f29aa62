"""Shared fixtures: real builds of the example notes, a real HTTP server, a real headless Chromium.

Nothing here replaces a part of papernotes: builds go through the command line
(``python -m papernotes.cli build``), pages are served by ``http.server`` and loaded by Chromium.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

#: The repository checkout these tests belong to (tests/ is directly below it).
REPO_ROOT = Path(__file__).resolve().parent.parent
#: The example notes shipped with the repository; the repository root is itself a site root.
EXAMPLE_NOTES = REPO_ROOT / "notes"
EXAMPLE_DATA = REPO_ROOT / "data"

def theme_script() -> str:
    """The one inline script of every page: the theme's (it applies the reader's light/dark choice
    before the first paint), exactly as templates/base.html writes it."""
    import re

    base = (REPO_ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    return re.search(r"<script>(.*?)</script>", base).group(1)


CHROMIUM = os.environ.get("PAPERNOTES_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def site_previews(site: Path) -> dict[str, dict]:
    """Every note's hover preview in a built site, by page name (``peft/lora``), from the preview
    files that ``previews/index.json`` counts (none left over beyond them)."""
    count = json.loads((site / "previews" / "index.json").read_text(encoding="utf-8"))["files"]
    names = {p.name for p in (site / "previews").iterdir()}
    assert names == {"index.json", *(f"{n}.json" for n in range(count))} - {
        f"{n}.json" for n in range(count) if not (site / "previews" / f"{n}.json").exists()}
    found: dict[str, dict] = {}
    for n in range(count):
        path = site / "previews" / f"{n}.json"
        if path.exists():
            found.update(json.loads(path.read_text(encoding="utf-8")))
    return found


def run_papernotes(*args: str | os.PathLike, cwd: str | os.PathLike | None = None,
                   timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m papernotes.cli ARGS`` in a child process; output captured as text."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "papernotes.cli", *map(str, args)],
        cwd=str(cwd) if cwd is not None else None,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def papernotes_cli() -> Callable[..., subprocess.CompletedProcess]:
    """``papernotes_cli("build", "--root", dir, cwd=...)``: the real command line in a subprocess."""
    return run_papernotes


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's example notes built once by the real CLI; returns the output folder."""
    root = tmp_path_factory.mktemp("example-root")
    shutil.copytree(EXAMPLE_NOTES, root / "notes")
    shutil.copytree(EXAMPLE_DATA, root / "data")  # data/references.json: the citation lists
    result = run_papernotes("build", "--root", root, cwd=root)
    assert result.returncode == 0, f"building the example notes failed:\n{result.stdout}\n{result.stderr}"
    site = root / "site"
    assert (site / "index.html").is_file(), f"no index.html in {site}:\n{result.stdout}\n{result.stderr}"
    return site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - signature from the base class
        pass


class StaticServer:
    """A real ``ThreadingHTTPServer`` on 127.0.0.1 (free port) serving one folder from a thread."""

    def __init__(self, directory: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        host, port = self.httpd.server_address[:2]
        #: Always ends with "/", so ``url.startswith(base_url)`` cannot match another port.
        self.base_url = f"http://{host}:{port}/"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"static-server-{port}", daemon=True)

    def __enter__(self) -> "StaticServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def serve_directory() -> Iterator[Callable[[Path], str]]:
    """Factory: ``base_url = serve_directory(folder)``; every server is shut down after the test."""
    servers: list[StaticServer] = []

    def start(directory: Path) -> str:
        server = StaticServer(Path(directory)).__enter__()
        servers.append(server)
        return server.base_url

    yield start
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def site_server(example_site: Path) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT/``) of a real HTTP server serving the example site."""
    with StaticServer(example_site) as server:
        yield server.base_url


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright (sync API) for the whole session: only one may run per thread."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_driver):
    """Headless Debian Chromium, shared by all tests; give each test its own context or page."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (set PAPERNOTES_CHROMIUM)")
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def browser_context(browser):
    """A fresh browser context (own cookies, cache, storage) per test."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    yield context
    context.close()


# -- papernotes serve: a real in-process preview server -------------------------------------------
import http.client  # noqa: E402 - kept with the fixtures that use them
import io  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402


class PreviewHarness:
    """A real ``PreviewServer`` (real watchdog, real HTTP on 127.0.0.1, free port) plus helpers to
    wait until it has caught up with file edits and to fetch pages exactly as a browser would."""

    def __init__(self, root: Path, **options) -> None:
        from papernotes.serve import PreviewServer, ServeOptions

        self.root = Path(root)
        self.out = io.StringIO()
        if "search" in ServeOptions.__dataclass_fields__:
            # The background search index (a Pagefind child process) has its own tests; here
            # it would only slow the rebuilds under test down. Pass search=True to keep it.
            options.setdefault("search", False)
        self.server = PreviewServer(ServeOptions(root=self.root, host="127.0.0.1", port=0, **options), out=self.out)
        self._cond = threading.Condition()
        self._count = 0
        self._last = time.monotonic()
        self._last_seconds = 0.0
        self.reports: list = []
        self.server.on_rebuild(self._record)  # before start(): the initial build counts as 1
        self.url = self.server.start()
        parsed = urllib.parse.urlsplit(self.url)
        self.host, self.port = parsed.hostname, parsed.port

    def _record(self, report) -> None:
        with self._cond:
            self._count += 1
            self._last = time.monotonic()
            self._last_seconds = report.seconds
            self.reports.append(report)
            self._cond.notify_all()

    @property
    def rebuilds(self) -> int:
        with self._cond:
            return self._count

    @property
    def site_dir(self) -> Path:
        assert self.server.site_dir is not None
        return self.server.site_dir

    def settle(self, since: int, quiet: float = 0.3, timeout: float = 15.0) -> int:
        """Wait for a rebuild after ``since`` (a ``rebuilds`` value taken before the edit), then
        until no further rebuild came for ``quiet`` seconds (longer after a slow rebuild, so a
        rebuild still running is not mistaken for calm). Returns the rebuild count."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._count <= since:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no rebuild within {timeout} s after the edit; server output:\n"
                                         + self.out.getvalue())
                self._cond.wait(left)
            while True:
                calm_until = self._last + max(quiet, 2 * self._last_seconds + 0.1)
                now = time.monotonic()
                # calm: no rebuild for a while, none running and no change waiting to be built
                if now >= calm_until and self.server.idle:
                    return self._count
                if now >= deadline:
                    raise AssertionError(f"still rebuilding after {timeout} s; server output:\n" + self.out.getvalue())
                self._cond.wait(max(0.05, min(calm_until, deadline) - now))

    def fetch(self, path: str, method: str = "GET", headers: dict | None = None,
              timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
        """(status, headers with lower-case names, body) for ``path``; redirects are not followed."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            connection.close()

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def preview_server() -> Iterator[Callable[..., PreviewHarness]]:
    """Factory: ``harness = preview_server(root)`` starts ``papernotes serve`` in-process on
    127.0.0.1 (port 0) for a site root; every server is stopped after the test."""
    started: list[PreviewHarness] = []

    def start(root: Path, **options) -> PreviewHarness:
        harness = PreviewHarness(root, **options)
        started.append(harness)
        return harness

    yield start
    for harness in reversed(started):
        harness.stop()


@contextlib.contextmanager
def fake_arxiv_api(answer: Callable[[list[str]], bytes]) -> Iterator[str]:
    """A local stand-in for the arXiv API on 127.0.0.1: ``answer(ids)`` gives the Atom document
    for the ids a request asks for (``id_list=a,b``). Yields the API's base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            body = answer(query.get("id_list", [""])[0].split(","))
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()
