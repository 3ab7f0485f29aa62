"""Page names and list rows that stay bounded whatever the names (issue 12): a tag, category,
venue or note file name of any length and any spelling gets its own page, within every file
system's limits, and a note with thousands of tags does not repeat them on thousands of pages."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

from conftest import run_papernotes


def write_note(root: Path, relative: str, front: str, body: str = "A sentence. 一句话。") -> Path:
    path = root / "notes" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front.strip()}\n---\n\n{body}\n", encoding="utf-8")
    return path


def build(root: Path, *args: str):
    result = run_papernotes("build", "--root", root, *args, cwd=root, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_a_note_with_thousands_of_tags_shows_a_bounded_number_on_each_list(tmp_path):
    tags = [f"t{i:04d}" for i in range(1200)]
    write_note(tmp_path, "many.md", "title: Many tags\nstatus: read\ntags: [" + ", ".join(tags) + "]")
    write_note(tmp_path, "few.md", "title: Few tags\nstatus: read\ntags: [t0000, 少]")
    build(tmp_path)
    site = tmp_path / "site"

    page = soup(site / "tags" / "t0500.html")
    row = page.select_one("li.note-row")
    assert row.select_one(".row-title").get_text() == "Many tags"
    assert [t.get_text() for t in row.select(".tag")] == [f"#{t}" for t in tags[:8]]
    more = row.select_one(".tag-more")
    assert more.get_text().startswith("+1,192 more")
    assert more["href"].endswith("many.html")
    assert not row.has_attr("data-tags"), "only the home page's filters need every tag"
    # Each of the 1,200 tag pages stays small: it no longer lists 1,200 tags.
    assert (site / "tags" / "t0500.html").stat().st_size < 20_000
    total = sum(p.stat().st_size for p in (site / "tags").iterdir())
    assert total < 1200 * 20_000

    # The home page's rows keep every tag for the tag filter, and the note page lists them all.
    home = soup(site / "index.html")
    rows = {r.select_one(".row-title").get_text(): r for r in home.select("li.note-row")}
    assert len(eval_json(rows["Many tags"]["data-tags"])) == 1200
    assert eval_json(rows["Few tags"]["data-tags"]) == ["t0000", "少"]
    assert not rows["Few tags"].select(".tag-more")
    note = soup(site / "notes" / "many.html")
    assert len(note.select("p.tags a.tag")) == 1200


def eval_json(text: str):
    import json
    return json.loads(text)
