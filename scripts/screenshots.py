#!/usr/bin/env python3
"""Screenshots of every kind of page of the example site, for the docs (docs/screenshots/).

    python scripts/screenshots.py [OUTPUT_FOLDER]

Builds the repository's example notes (``notes/``) with the real command line into a temporary
folder, serves the site on 127.0.0.1 (a free port) and photographs each page kind with headless
Chromium (Playwright; ``PAPERNOTES_CHROMIUM`` or /usr/bin/chromium) at 390 px (a phone) and
1280 px (a laptop), light and dark. Each PNG is one window high, so the files stay small.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("PAPERNOTES_CHROMIUM") or "/usr/bin/chromium"

#: name -> (page, what to do before the picture); one window high each
PAGES = {
    "home": "index.html",
    "note": "notes/peft/lora.html",
    "category": "categories/knowledge-distillation.html",
    "categories": "categories/index.html",
    "tag": "tags/distillation.html",
    "tags": "tags/index.html",
    "venue": "venues/iclr-2023.html",
    "year": "years/2021.html",
    "status": "status/read.html",
    "dashboard": "dashboard.html",
    "404": "404.html",
}
WIDTHS = {390: 844, 1280: 800}
SCHEMES = ("light", "dark")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


def build(root: Path) -> Path:
    shutil.copytree(REPO / "notes", root / "notes")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-m", "papernotes.cli", "build", "--root", str(root)],
                            cwd=root, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"building the example notes failed:\n{result.stdout}\n{result.stderr}")
    return root / "site"


def shoot(site: Path, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    written = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for width, height in WIDTHS.items():
                for scheme in SCHEMES:
                    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
                    page = context.new_page()
                    for name, path in PAGES.items():
                        page.goto(base + path, wait_until="networkidle")
                        if name == "home":
                            # one row open, as a reader would have it
                            page.locator(".note-row summary").first.click()
                        target = out / f"{name}-{width}-{scheme}.png"
                        page.screenshot(path=str(target))
                        written.append(target)
                    if width >= 1200:
                        # a long note scrolled down: the header and the contents stay in view
                        page.goto(base + PAGES["note"], wait_until="networkidle")
                        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight * 0.45)")
                        page.wait_for_function("document.querySelector('.toc li:not(:first-child) a[aria-current]') !== null")
                        target = out / f"note-scrolled-{width}-{scheme}.png"
                        page.screenshot(path=str(target))
                        written.append(target)
                    else:
                        # the filters open on a phone
                        page.goto(base + "index.html?status=read", wait_until="networkidle")
                        page.locator("details.filters > summary").click()
                        target = out / f"home-filters-{width}-{scheme}.png"
                        page.screenshot(path=str(target))
                        written.append(target)
                    context.close()
            browser.close()
    finally:
        server.shutdown()
    return written


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else REPO / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="papernotes-shots-") as tmp:
        site = build(Path(tmp))
        for path in shoot(site, out):
            print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
