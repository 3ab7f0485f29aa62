"""When two entries are one paper, what a merge keeps, what --force may replace, and that no
importer reads a file outside the folder of its source."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from conftest import run_papernotes
from papernotes.importers.model import ImportedNote, ParsedSource
from papernotes.importers.readme import parse_readme
from papernotes.importers.writer import apply, plan
from papernotes.model import Link, Status


def entry(title: str, origin: str, *, links=(), arxiv=None, doi=None, status=None, venue=None, body="") -> ImportedNote:
    return ImportedNote(title=title, origin=origin, links=[Link(label, url) for label, url in links], arxiv=arxiv,
                        doi=doi, status=status, venue=venue, body=body)


def planned(tmp_path: Path, *notes: ImportedNote):
    source = ParsedSource(kind="readme", root=tmp_path / "src", notes=list(notes))
    return plan([source], tmp_path / "site" / "notes", tmp_path / "site")


def titles(result) -> list[str]:
    return sorted(p.note.title for p in result.notes)


def test_a_shared_code_or_project_link_is_no_identity(tmp_path):
    repo = ("Code", "https://github.com/example-lab/shared-suite")
    result = planned(tmp_path, entry("GraphPrompt: Unifying Pre-Training and Downstream Tasks", "R:1", links=[repo]),
                     entry("All in One: Multi-Task Prompting for Graph Neural Networks", "R:9", links=[repo]),
                     entry("A Third Paper Sharing a Project Page", "R:20", links=[("Project", "https://example.org/lab/")]),
                     entry("A Fourth One On The Same Page", "R:30", links=[("Project", "https://example.org/lab/")]))
    assert len(result.notes) == 4 and result.merged == []


def test_titles_that_differ_in_meaningful_characters_are_two_papers(tmp_path):
    result = planned(tmp_path, entry("Fast Parsing in C++", "R:1"), entry("Fast Parsing in C#", "R:2"),
                     entry("Attention!", "R:3"), entry("Attention?", "R:4"),
                     entry("Attention Is All You Need", "R:5"), entry("attention is all  you need.", "R:6"),
                     entry("Attention： Is All You Need", "R:7"))
    assert titles(result) == sorted(["Attention!", "Attention?", "Attention Is All You Need", "Fast Parsing in C#",
                                     "Fast Parsing in C++"])
    assert len(result.merged) == 2 and all("(same title)" in m for m in result.merged)


def test_different_ids_are_always_different_papers(tmp_path):
    result = planned(tmp_path, entry("A Survey", "R:1", arxiv="2101.00001"), entry("A Survey", "R:2", arxiv="2202.00002"),
                     entry("Graph Networks", "R:3", doi="10.1/aaa"), entry("Graph Networks", "R:4", doi="10.1/bbb"))
    assert len(result.notes) == 4 and result.merged == []


def test_a_merge_keeps_everything_of_both(tmp_path):
    first = entry("Learning Transferable Visual Models From Natural Language Supervision", "README.md:10",
                  links=[("arXiv", "https://arxiv.org/abs/2103.00020")], status=Status.UNREAD, venue="ICML 2021",
                  body="CLIP 的第一份笔记。\n")
    second = entry("CLIP", "README.md:80", links=[("PDF", "https://arxiv.org/pdf/2103.00020v1"),
                                                  ("Code", "https://github.com/openai/CLIP")],
                   status=Status.READ, venue="arXiv 2021", body="第二份笔记：零样本分类。\n")
    result = planned(tmp_path, first, second)
    [note] = [p.note for p in result.notes]
    assert note.status is Status.READ  # the more advanced status
    assert note.venue == "ICML 2021"
    assert "CLIP 的第一份笔记。" in note.body and "第二份笔记：零样本分类。" in note.body
    assert "## Also noted in README.md:80: “CLIP”, arXiv 2021" in note.body
    assert [link.url for link in note.links] == ["https://arxiv.org/abs/2103.00020", "https://arxiv.org/pdf/2103.00020v1",
                                                 "https://github.com/openai/CLIP"]
    [merged] = result.merged
    assert "“CLIP”" in merged and "“Learning Transferable Visual Models" in merged and "(same arXiv id)" in merged
    assert any("although the titles differ" in w for w in result.warnings)
    assert any("venues differ: 'ICML 2021' kept as the venue, 'arXiv 2021'" in w for w in result.warnings)


def readme(folder: Path, entries: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "README.md"
    path.write_text("# List\n\n## Reading\n\n" + entries, encoding="utf-8")
    return path


def block(status: str, title: str, url: str, venue: str, body: str) -> str:
    return (f"<details>\n<summary> {status} <a href=\"{url}\">{title}</a> </summary>\n<br>\n<blockquote>\n\n"
            f"**{venue}**\n{body}\n</blockquote>\n</details>\n\n")


def test_force_never_replaces_a_hand_written_note_with_another_title(tmp_path):
    site = tmp_path / "site"
    notes = site / "notes"
    mine = notes / "mine" / "lora.md"
    mine.parent.mkdir(parents=True)
    mine.write_text("---\ntitle: LoRA\nstatus: read\narxiv: 2106.09685\n---\nMy own long notes.\n", encoding="utf-8")
    same_title = notes / "mine" / "vit.md"
    same_title.write_text("---\ntitle: An Image is Worth 16x16 Words\nstatus: read\n---\nHand-written.\n", encoding="utf-8")
    source = readme(tmp_path / "src", block("✅", "LoRA: Low-Rank Adaptation of Large Language Models",
                                            "https://arxiv.org/abs/2106.09685", "ICLR 2022", "Imported text.")
                    + block("✅", "An Image is Worth 16x16 Words", "https://example.org/vit", "ICLR 2021", "Imported ViT.")
                    + block("❌", "Deep Residual Learning for Image Recognition", "https://arxiv.org/abs/1512.03385",
                            "CVPR 2016", "Imported ResNet."))
    before = {p: p.read_bytes() for p in (mine, same_title)}
    first = run_papernotes("import", source, "--root", site, cwd=site)
    assert first.returncode == 0, first.stderr
    assert "skipped" in first.stdout
    resnet = next(notes.rglob("deep-residual-learning-for-image-recognition.md"))
    resnet.write_text(resnet.read_text(encoding="utf-8") + "\nmy edit\n", encoding="utf-8")
    forced = run_papernotes("import", source, "--force", "--root", site, cwd=site)
    assert forced.returncode == 0, forced.stderr
    # the user's notes are untouched: one has another title, the other shares only its title
    assert {p: p.read_bytes() for p in (mine, same_title)} == before
    assert "did not replace notes/mine/lora.md: its title “LoRA” differs" in forced.stderr
    assert "did not replace notes/mine/vit.md: it was not written by papernotes import" in forced.stderr
    # a note papernotes wrote is replaced
    assert "my edit" not in resnet.read_text(encoding="utf-8") and "replaced" in forced.stdout


def test_no_importer_reads_outside_its_source_folder(tmp_path):
    secret = tmp_path / "secret" / "hostname"
    secret.parent.mkdir()
    secret.write_bytes(b"top-secret-host")
    source_folder = tmp_path / "lists" / "mine"
    (source_folder / "img").mkdir(parents=True)
    os.symlink(secret, source_folder / "img" / "linked.png")
    (source_folder / "img" / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n ok")
    source = readme(source_folder, block("✅", "A Paper", "https://arxiv.org/abs/2301.00001", "ICLR 2023",
                                         "![a](../../secret/hostname)\n![b](img/linked.png)\n"
                                         "<img src=\"../../../../../../..%s\">\n![c](img/ok.png)" % secret))
    site = tmp_path / "site"
    site.mkdir()
    result = run_papernotes("import", source, "--root", site, cwd=site)
    assert result.returncode == 0, result.stderr
    copied = sorted(p.name for p in (site / "notes").rglob("*") if p.is_file() and not p.suffix == ".md")
    assert copied == ["ok.png"]
    assert not any(b"top-secret-host" in p.read_bytes() for p in site.rglob("*") if p.is_file())
    assert result.stderr.count("leads outside the folder of the source") == 3
    built = run_papernotes("build", "--root", site, "--no-search", cwd=site)
    assert built.returncode == 0
    assert not any(b"top-secret-host" in p.read_bytes() for p in (site / "site").rglob("*") if p.is_file())


def test_category_order_is_added_to_an_existing_config_and_never_changes_its_text(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "papernotes.yaml").write_text("# my settings\ntitle: 我的笔记", encoding="utf-8")  # no final newline
    source = readme(tmp_path / "src", "intro under Reading\n\n" + block("✅", "Paper One", "https://arxiv.org/abs/2301.00001",
                                                                        "ICLR 2023", "Body.")
                    + "## Zeta Section\n\n" + block("✅", "Paper Two", "https://arxiv.org/abs/2301.00002", "ICLR 2023", "B.")
                    + "## Alpha Section\n\n" + block("✅", "Paper Three", "https://arxiv.org/abs/2301.00003", "ICLR 2023", "C."))
    dry = run_papernotes("import", source, "--dry-run", "--root", site, cwd=site)
    assert "would add category_order in papernotes.yaml: Reading, Zeta Section, Alpha Section" in dry.stdout
    assert (site / "papernotes.yaml").read_text(encoding="utf-8") == "# my settings\ntitle: 我的笔记"
    done = run_papernotes("import", source, "--root", site, cwd=site)
    assert done.returncode == 0, done.stderr
    text = (site / "papernotes.yaml").read_text(encoding="utf-8")
    assert text.startswith("# my settings\ntitle: 我的笔记\n")
    assert yaml.safe_load(text) == {"title": "我的笔记", "category_order": ["Reading", "Zeta Section", "Alpha Section"]}
    assert (site / "notes" / "reading" / "_index.md").read_text(encoding="utf-8").endswith("intro under Reading\n")
    built = run_papernotes("build", "--root", site, "--no-search", cwd=site)
    assert built.returncode == 0, built.stderr
    from bs4 import BeautifulSoup
    home = BeautifulSoup((site / "site" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert [a.get_text() for a in home.select("section.category .category-title a")] == [
        "Reading", "Zeta Section", "Alpha Section"]
    # a config that already orders its categories is left alone, and says what is missing
    (site / "papernotes.yaml").write_text("category_order: [Alpha Section]\n", encoding="utf-8")
    more = readme(tmp_path / "src2", block("✅", "Paper Four", "https://arxiv.org/abs/2301.00004", "ICLR 2023", "D."))
    again = run_papernotes("import", more, "--root", site, cwd=site)
    assert (site / "papernotes.yaml").read_text(encoding="utf-8") == "category_order: [Alpha Section]\n"
    assert "already has a category_order; not changed" in again.stdout and "Reading" in again.stdout


def test_the_messy_readme_still_imports(tmp_path):
    parsed = parse_readme(Path(__file__).parent / "fixtures" / "readme" / "messy-README.md")
    result = plan([parsed], tmp_path / "notes", tmp_path)
    apply(result)
    assert len(list((tmp_path / "notes").rglob("*.md"))) == len(result.notes) + len(result.intros)
