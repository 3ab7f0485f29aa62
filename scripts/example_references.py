"""Write the example notes' data/references.json with ``papernotes refs`` against the fake
Semantic Scholar API (tests/fake_s2.py) serving the hand-written recordings in
tests/fixtures/s2/papers.json: no network. Run from the repository: python scripts/example_references.py"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from fake_s2 import FakeScholar  # noqa: E402


def main() -> int:
    fake = FakeScholar()
    api = fake.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            shutil.copytree(REPO / "notes", root / "notes")
            result = subprocess.run([sys.executable, "-m", "papernotes.cli", "refs", "--root", str(root), "--api", api],
                                    text=True)
            if result.returncode != 0:
                return result.returncode
            target = REPO / "data" / "references.json"
            target.parent.mkdir(exist_ok=True)
            text = (root / "data" / "references.json").read_text(encoding="utf-8")
            # one fetch date for the whole example, so that running this again changes nothing
            import re
            text = re.sub(r'"fetched": "\d{4}-\d{2}-\d{2}"', '"fetched": "2026-12-01"', text)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(REPO)}")
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
