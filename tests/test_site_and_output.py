"""Site model ordering, config handling, and the output folder's safety rules."""

import os
import re
from pathlib import Path

import pytest

from papernotes.build import BuildOptions, build
from papernotes.load.config import load_config
from papernotes.diagnostics import Diagnostics
from papernotes.load.notes import is_ignored, load_notes
from papernotes.output import MARKER, OutputError, Staging, check_output_dir
from papernotes.load.site import build_site


def make_site(tmp_path: Path, notes: dict[str, str], config: str | None = None) -> Path:
    for rel, text in notes.items():
        path = tmp_path / "notes" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if config is not None:
        (tmp_path / "papernotes.yaml").write_text(config, encoding="utf-8")
    return tmp_path


def note(title, **fields):
    lines = [f"title: {title}"] + [f"{k}: {v}" for k, v in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\nBody of " + title + ".\n"


def test_categories_nest_order_from_config_and_neighbours(tmp_path):
    root = make_site(tmp_path, {
        "a.md": note("Alpha", category="NLP/Prompting", venue="ICLR 2023"),
        "b.md": note("Beta", category="NLP/Prompting", venue="ICLR 2021"),
        "c.md": note("Gamma", category="Vision"),
        "d.md": note("Delta"),
        "e.md": note("Eps", category="NLP"),
    }, config="category_order: [Vision, NLP]\n")
    diagnostics = Diagnostics()
    config = load_config(root, diagnostics)
    loaded = load_notes(root, root / "notes", diagnostics)
    site = build_site(config, loaded.notes)
    assert [c.name for c in site.categories] == ["Vision", "NLP", "Uncategorized"]
    nlp = site.categories[1]
    assert [c.name for c in nlp.children] == ["Prompting"]
    assert [n.title for n in nlp.children[0].notes] == ["Alpha", "Beta"]  # newest first
    assert site.neighbours["a"] == (None, loaded.notes[1])
    assert site.neighbours["b"][0].title == "Alpha" and site.neighbours["b"][1] is None
    assert [t.name for t in site.years] == ["2023", "2021"]
    assert not diagnostics.items


def test_tags_group_case_insensitively(tmp_path):
    root = make_site(tmp_path, {"a.md": note("A", tags="[LoRA, PEFT]"), "b.md": note("B", tags="[lora]")})
    diagnostics = Diagnostics()
    site = build_site(load_config(root, diagnostics), load_notes(root, root / "notes", diagnostics).notes)
    lora = next(t for t in site.tags if t.slug == "lora")
    assert len(lora.notes) == 2 and lora.url == "tags/lora.html"


def test_unknown_config_key_is_a_warning_with_line(tmp_path):
    make_site(tmp_path, {}, config="title: Mine\nthem: dark\nbase_url: /papers\n")
    diagnostics = Diagnostics()
    config = load_config(tmp_path, diagnostics)
    assert config.title == "Mine" and config.base_url == "/papers/"
    assert [(d.file, d.line) for d in diagnostics.warnings] == [("papernotes.yaml", 2)]
    assert "unknown setting 'them'" in diagnostics.warnings[0].message


@pytest.mark.parametrize("name", [".#x.md", "x.md~", ".x.md.swp", "4913", "#x.md#", ".hidden.md", "x.md.swx"])
def test_editor_leftovers_are_ignored(name):
    assert is_ignored(name)


def test_same_slug_files_get_distinct_pages(tmp_path):
    root = make_site(tmp_path, {"LoRA.md": note("One"), "lora.md": note("Two")})
    diagnostics = Diagnostics()
    loaded = load_notes(root, root / "notes", diagnostics)
    slugs = {n.rel_path: n.slug for n in loaded.notes}
    assert slugs["notes/lora.md"] == "lora"  # spelled as its page name: it keeps it
    assert re.fullmatch(r"lora-[0-9a-f]{6}", slugs["notes/LoRA.md"])
    assert any("is taken by notes/lora.md" in d.message for d in diagnostics.warnings)


def test_output_folder_that_is_notes_root_or_ancestor_is_refused(tmp_path):
    root = make_site(tmp_path / "site-root", {"a.md": note("A")})
    for bad in (root, root / "notes", tmp_path, root / "notes" / "out"):
        with pytest.raises(OutputError):
            check_output_dir(bad, root, root / "notes")
    check_output_dir(root / "site", root, root / "notes")  # fine


def test_non_empty_foreign_output_folder_is_refused_and_untouched(tmp_path):
    root = make_site(tmp_path, {"a.md": note("A")})
    foreign = tmp_path / "docs-out"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    with pytest.raises(OutputError, match="not written by papernotes"):
        build(BuildOptions(root=root, output=foreign))
    assert (foreign / "thesis.tex").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs-out", "notes"]


def test_failed_build_leaves_previous_site_and_no_staging(tmp_path):
    root = make_site(tmp_path, {"a.md": note("A")})
    first = build(BuildOptions(root=root))
    assert first.written and (root / "site" / MARKER).exists()
    before = (root / "site" / "notes" / "a.html").read_bytes()
    (root / "templates").mkdir()
    (root / "templates" / "base.html").write_text("{{ 1 // 0 }}{% block main %}{% endblock %}")
    (root / "notes" / "a.md").write_text(note("Changed"))
    result = build(BuildOptions(root=root))
    assert not result.written and not result.ok
    error = result.diagnostics.errors[0]
    assert error.file.endswith("templates/base.html") and error.line == 1
    assert "ZeroDivisionError" in error.message or "division" in error.message
    assert (root / "site" / "notes" / "a.html").read_bytes() == before
    assert [p.name for p in root.iterdir() if p.name.startswith(".papernotes-tmp")] == []


def test_stale_staging_from_a_killed_build_is_removed(tmp_path):
    root = make_site(tmp_path, {"a.md": note("A")})
    stale = root / ".papernotes-tmp-site-999999999"
    stale.mkdir()
    (stale / "junk.html").write_text("x")
    build(BuildOptions(root=root))
    assert not stale.exists()


def test_staging_refuses_paths_outside(tmp_path):
    staging = Staging.create(tmp_path / "out")
    with pytest.raises(OutputError):
        staging.write("../evil.txt", b"x")
    staging.discard()
    assert not (tmp_path / "evil.txt").exists()


def test_swap_replaces_old_files(tmp_path):
    root = make_site(tmp_path, {"a.md": note("A"), "b.md": note("B")})
    build(BuildOptions(root=root))
    os.remove(root / "notes" / "b.md")
    build(BuildOptions(root=root))
    assert (root / "site" / "notes" / "a.html").exists()
    assert not (root / "site" / "notes" / "b.html").exists()
