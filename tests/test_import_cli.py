"""`papernotes import` and `papernotes export readme` from the command line: real files in,
real notes out, a site built from them, and nothing lost or overwritten without --force."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "papernotes.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def readme_source(tmp_path: Path) -> Path:
    folder = tmp_path / "old-list"
    folder.mkdir()
    shutil.copy(FIXTURES / "readme" / "messy-README.md", folder / "README.md")
    (folder / "README.assets").mkdir()
    (folder / "README.assets" / "KD.png").write_bytes(b"\x89PNG\r\n\x1a\n kd")  # README says kd.png
    (folder / "README.assets" / "arch.png").write_bytes(b"\x89PNG\r\n\x1a\n arch")  # README says arch.PNG
    return folder / "README.md"


def notes_of(site: Path) -> dict[str, tuple[dict, str]]:
    found = {}
    for path in sorted((site / "notes").rglob("*.md")):
        if path.name == "_index.md":  # a category's introduction, not a paper
            continue
        _, header, body = path.read_text(encoding="utf-8").split("---", 2)
        found[path.relative_to(site).as_posix()] = (yaml.safe_load(header), body.strip())
    return found


def test_import_readme_build_reimport_and_force(tmp_path):
    source = readme_source(tmp_path)
    site = tmp_path / "site-root"
    site.mkdir()
    dry = run("import", source, "--dry-run", cwd=site)
    assert dry.returncode == 0, dry.stderr
    assert "would write" in dry.stdout and not (site / "notes").exists()
    done = run("import", source, cwd=site)
    assert done.returncode == 0, done.stderr
    notes = notes_of(site)
    assert len(notes) >= 8
    assert "merged" in done.stdout  # the README lists one paper twice
    assert done.stdout.strip().splitlines()[-1].startswith(f"wrote {len(notes)} notes")
    # images copied next to the notes, the letter case resolved, references rewritten
    images = sorted(p.name for p in (site / "notes").rglob("images/*"))
    assert "KD.png" in images and "arch.png" in images
    assert any("images/KD.png" in body for _, body in notes.values())
    # file names: readable slugs, Chinese kept, safe everywhere
    for rel in notes:
        assert not any(c in rel for c in '?:*"<>|\\') and not Path(rel).stem.endswith(".")
    # the README's order went into papernotes.yaml, its prose into introductions
    config = yaml.safe_load((site / "papernotes.yaml").read_text())
    assert config["category_order"][:2] == ["知识蒸馏（Knowledge Distillation）", "知识蒸馏（Knowledge Distillation）/数据无关蒸馏"]
    assert "expect typos" in (site / "notes" / "_index.md").read_text()
    # the site builds from them
    built = run("build", "--no-search", cwd=site)
    assert built.returncode == 0, built.stderr
    home = BeautifulSoup((site / "site" / "index.html").read_text(), "html.parser")
    assert len(home.select(".note-row")) == len(notes)
    assert "expect typos" in home.select_one(".site-intro").get_text()
    # importing again changes nothing
    before = {p: (site / p).read_bytes() for p in notes}
    before_config = (site / "papernotes.yaml").read_bytes()
    again = run("import", source, cwd=site)
    assert again.returncode == 0 and "wrote 0 notes" in again.stdout and "already in" in again.stdout
    assert {p: (site / p).read_bytes() for p in notes} == before
    assert (site / "papernotes.yaml").read_bytes() == before_config
    # a hand-edited note is kept unless --force
    first = sorted(notes)[0]
    (site / first).write_text((site / first).read_text() + "\nmy own addition\n")
    run("import", source, cwd=site)
    assert "my own addition" in (site / first).read_text()
    forced = run("import", source, "--force", cwd=site)
    assert forced.returncode == 0 and "replaced" in forced.stdout
    assert "my own addition" not in (site / first).read_text()
    assert len(notes_of(site)) == len(notes)


def test_import_posts_and_bibtex(tmp_path):
    site = tmp_path / "site-root"
    site.mkdir()
    done = run("import", FIXTURES / "posts" / "jekyll-site", FIXTURES / "posts" / "hexo-blog",
               FIXTURES / "bib" / "library.bib", cwd=site)
    assert done.returncode == 0, done.stderr
    assert "posts" in done.stdout and "bibtex" in done.stdout
    notes = notes_of(site)
    assert any(header.get("arxiv") for header, _ in notes.values())
    assert all("{:toc}" not in body and "{% highlight" not in body for _, body in notes.values())
    assert run("build", "--no-search", cwd=site).returncode == 0
    pages = list((site / "site" / "notes").rglob("*.html"))
    assert len(pages) == len(notes)


def test_unknown_source_is_a_clear_error(tmp_path):
    (tmp_path / "plain.txt").write_text("just some text\n")
    result = run("import", tmp_path / "plain.txt", cwd=tmp_path)
    assert result.returncode == 2 and "--format" in result.stderr
    assert not (tmp_path / "notes").exists()


def test_export_readme_round_trip(tmp_path):
    site = tmp_path / "a"
    shutil.copytree(REPO / "notes", site / "notes")
    exported = run("export", "readme", cwd=site)
    assert exported.returncode == 0, exported.stderr
    readme = site / "README.md"
    assert readme.read_text().count("<details>") >= 24
    other = tmp_path / "b"
    other.mkdir()
    imported = run("import", readme, cwd=other)
    assert imported.returncode == 0, imported.stderr
    from papernotes.diagnostics import Diagnostics
    from papernotes.load.notes import load_notes

    def loaded(root):
        return {n.title: n for n in load_notes(root, root / "notes", Diagnostics()).notes}

    original, back = loaded(site), loaded(other)
    assert set(back) == set(original)
    for title, note in original.items():
        again = back[title]
        assert (again.status, again.category, again.venue) == (note.status, note.category, note.venue), title
        assert [l.url for l in again.links][:1] == [l.url for l in note.links][:1], title
    # a README the user wrote is not replaced without --force
    mine = tmp_path / "c"
    shutil.copytree(REPO / "notes", mine / "notes")
    (mine / "README.md").write_text("# My own README\n")
    refused = run("export", "readme", cwd=mine)
    assert refused.returncode == 2 and (mine / "README.md").read_text() == "# My own README\n"
    assert run("export", "readme", "--force", cwd=mine).returncode == 0
