"""The command line as a user runs it: real processes, real files."""

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]


def run(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "papernotes.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_version_and_help(tmp_path):
    from papernotes import __version__
    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"papernotes {__version__}"
    for command in ("build", "init"):
        result = run(command, "--help", cwd=tmp_path)
        assert result.returncode == 0 and "usage: papernotes " + command in result.stdout


def test_init_then_build_prints_one_summary_line(tmp_path):
    result = run("init", "mynotes", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    site = tmp_path / "mynotes"
    assert (site / "papernotes.yaml").exists() and len(list((site / "notes").rglob("*.md"))) >= 12
    result = run("build", cwd=site)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d+ notes, \d+ pages, 0 warnings, 0 errors in [\d.]+ s \(search index [\d.]+ s\) -> .*\n", result.stdout)
    assert (site / "site" / "index.html").exists()


def test_init_writes_the_folder_name_as_the_title_whatever_it_holds(tmp_path):
    import yaml
    for name in ("a: b", "*x", "[x", "{{ 7*7 }}", "@x", "%x", "!x", "yes", "#x", "null", "论文: 笔记"):
        folder = tmp_path / str(abs(hash(name)))
        folder.mkdir()
        result = run("init", "--empty", name, cwd=folder)
        assert result.returncode == 0, (name, result.stderr)
        config = yaml.safe_load((folder / name / "papernotes.yaml").read_text(encoding="utf-8"))
        assert config["title"] == name
        built = run("build", cwd=folder / name)
        assert built.returncode == 0 and "warning" not in built.stderr, (name, built.stderr)


def test_init_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.md").write_text("mine")
    result = run("init", "mine", cwd=tmp_path)
    assert result.returncode == 2 and "not empty" in result.stderr
    assert (tmp_path / "mine" / "keep.md").read_text() == "mine"


def test_build_reports_errors_and_exit_status(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "good.md").write_text("---\ntitle: Good\n---\nok\n")
    (notes / "lora.md").write_text("---\ntitle: LoRA\nstatus: reed\n---\n")
    result = run("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "notes/lora.md:3: error: status 'reed' is not one of read, unread, skimmed, triage" in result.stderr
    assert "1 notes" in result.stdout and (tmp_path / "site" / "notes" / "good.html").exists()
    quiet = run("build", "-q", cwd=tmp_path)
    assert quiet.stdout == "" and "lora.md:3" in quiet.stderr
    verbose = run("build", "-v", "--no-cache", cwd=tmp_path)
    assert "wrote notes/good.html\n" in verbose.stdout and "wrote index.html\n" in verbose.stdout


def test_strict_fails_on_warning_and_keeps_previous_site(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("---\ntitle: A\n---\nfine\n")
    assert run("build", cwd=tmp_path).returncode == 0
    before = (tmp_path / "site" / "notes" / "a.html").read_text()
    (notes / "a.md").write_text("---\ntitle: A2\n---\n![x](missing.png)\n")
    result = run("build", "--strict", cwd=tmp_path)
    assert result.returncode == 1 and "notes/a.md:4: warning: links to 'missing.png'" in result.stderr
    assert (tmp_path / "site" / "notes" / "a.html").read_text() == before
    assert run("build", cwd=tmp_path).returncode == 0  # without --strict a warning is fine


def test_output_option_and_refusals(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# A\n")
    result = run("build", "--output", "public", cwd=tmp_path)
    assert result.returncode == 0 and (tmp_path / "public" / "notes" / "a.html").exists()
    for bad in ("notes", ".", ".."):
        result = run("build", "--output", bad, cwd=tmp_path)
        assert result.returncode == 2 and result.stderr.startswith("error: output folder")
    assert sorted(p.name for p in notes.iterdir()) == ["a.md"]


def test_wheel_carries_theme_and_init_works_outside_the_checkout(tmp_path):
    """``pip install papernotes`` then ``papernotes init`` must work with no checkout around."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(dist.glob("papernotes-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "papernotes/theme/templates/base.html" in names
    assert "papernotes/theme/assets/style.css" in names
    assert any(n.startswith("papernotes/theme/example-notes/") and n.endswith(".md") for n in names)
    target = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(target)
    env = {**os.environ, "PYTHONPATH": str(target)}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([sys.executable, "-c", "import papernotes; print(papernotes.__file__)"], cwd=elsewhere,
                           env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(target))
    assert run("init", "mynotes", cwd=elsewhere, env=env).returncode == 0
    result = run("build", cwd=elsewhere / "mynotes", env=env)
    assert result.returncode == 0, result.stderr
    assert (elsewhere / "mynotes" / "site" / "assets" / "style.css").exists()
    # the example notes come with what `papernotes refs` fetched for them: their citation lists
    assert "papernotes/theme/example-data/references.json" in names
    assert (elsewhere / "mynotes" / "data" / "references.json").is_file()
    bert = (elsewhere / "mynotes" / "site" / "notes" / "nlp" / "bert.html").read_text(encoding="utf-8")
    assert "Cited by " in bert and "citation-graph-svg" in bert


def test_site_templates_and_assets_override_the_theme_file_by_file(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("---\ntitle: A\n---\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "404.html").write_text("{% extends 'base.html' %}{% block main %}<p id=mine>lost</p>{% endblock %}")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "site.js").write_text("// mine\n")
    (tmp_path / "assets" / "extra.css").write_text("p{}\n")
    assert run("build", cwd=tmp_path).returncode == 0
    out = tmp_path / "site"
    assert '<p id=mine>lost</p>' in (out / "404.html").read_text()
    assert "site-header" in (out / "index.html").read_text()  # other templates still from the theme
    assert (out / "assets" / "site.js").read_text() == "// mine\n"
    assert (out / "assets" / "extra.css").exists() and (out / "assets" / "style.css").exists()


def test_unusable_own_bibtex_entry_is_a_warning_on_its_line(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text('---\ntitle: A Paper\nbibtex: "@article{broken, title = {unclosed"\n---\nbody\n')
    result = run("build", "--no-search", cwd=tmp_path)
    assert result.returncode == 0
    assert "notes/a.md:3: warning:" in result.stderr
    bib = (tmp_path / "site" / "papers.bib").read_text()
    assert "{broken," not in bib and "title = {A Paper}" in bib  # the generated entry is used instead


def test_a_missing_root_is_an_error_and_is_not_created(tmp_path):
    missing = tmp_path / "typo"
    for args in (["build"], ["check"], ["serve"], ["clean"], ["new", "A paper"], ["export", "readme"]):
        result = run(*args, "--root", str(missing), cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert f"error: the site root {missing} is not a folder (it does not exist)" in result.stderr
        assert not missing.exists()


def test_named_pipes_in_notes_are_left_out_with_a_warning(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("---\ntitle: A\n---\nbody\n", encoding="utf-8")
    os.mkfifo(notes / "x.md")
    os.mkfifo(notes / "x.png")
    for command in ("check", "build"):
        result = run(command, "--root", str(tmp_path), cwd=tmp_path)  # never blocks on the pipe
        out = result.stdout + result.stderr
        assert result.returncode == 0, out
        assert "notes/x.md: warning: is not a regular file (a named pipe, socket or device): left out" in out
        assert "notes/x.png: warning: is not a regular file" in out
    assert (tmp_path / "site" / "notes" / "a.html").exists() and not (tmp_path / "site" / "notes" / "x.png").exists()


def test_control_characters_from_a_note_never_reach_the_terminal(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    # YAML's "\e" and "\a" are ESC and BEL: a note that sets the terminal's title and clears it
    (notes / "a.md").write_text('---\ntitle: A\nyear: "\\e]0;pwned\\a\\e[2J"\n---\nbody\n', encoding="utf-8")
    (notes / "b.md").write_text('---\ntitle: "B \\e[31m"\nstatus: "\\e[2Jreed"\n---\nbody\n', encoding="utf-8")
    for command in ("check", "build", "export"):
        args = [command, "readme", "-o", str(tmp_path / "R.md")] if command == "export" else [command]
        result = run(*args, "--root", str(tmp_path), cwd=tmp_path)
        out = result.stdout + result.stderr
        assert "\x1b" not in out and "\x07" not in out, (command, out)
        if command != "export":
            assert "\\x1b]0;pwned\\x07" in out  # shown as visible escapes


def test_a_damaged_cache_is_a_note_not_a_warning_that_fails_strict(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("---\ntitle: A\n---\nbody\n", encoding="utf-8")
    assert run("build", "--root", str(tmp_path), cwd=tmp_path).returncode == 0
    (notes / "a.md").write_text("---\ntitle: A\n---\nbody changed\n", encoding="utf-8")
    cache = tmp_path / ".papernotes-cache" / "build.sqlite"
    for extra in cache.parent.glob("build.sqlite-*"):
        extra.unlink()
    cache.write_bytes(b"not a database at all" * 100)
    result = run("build", "--strict", "--root", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "note: .papernotes-cache" in result.stderr and "0 warnings" in result.stdout
    assert "body changed" in (tmp_path / "site" / "notes" / "a.html").read_text(encoding="utf-8")
