"""A whole README reading list as researchers keep it (tests/fixtures/readme/seed-README.md: 60
<details> blocks and 4 bare 🟧 lines), imported and built: every paper, status, venue, formula
and the README's own order and section introductions arrive; nothing is lost or invented."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from papernotes.diagnostics import Diagnostics
from papernotes.importers.readme import parse_readme
from papernotes.load.notes import load_notes
from papernotes.model import Status

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "readme" / "seed-README.md"

SECTIONS = [
    "知识蒸馏（Knowledge Distillation）",
    "参数高效微调（Parameter-Efficient Fine-Tuning）",
    "扩散模型 Diffusion Models",
    "视觉 Vision",
    "语言模型 Language Models",
    "图学习 Graph Learning",
    "🟧 待整理 To Triage",
]
STATUS_COUNTS = {Status.READ: 35, Status.UNREAD: 10, Status.SKIMMED: 9, Status.TRIAGE: 10}


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "papernotes.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def parsed():
    return parse_readme(SEED)


def by_title(parsed, start: str):
    [note] = [n for n in parsed.notes if n.title.startswith(start)]
    return note


def test_every_paper_and_every_status(parsed):
    assert len(parsed.notes) == 64
    assert Counter(n.status for n in parsed.notes) == STATUS_COUNTS
    assert [p.message for p in parsed.problems] == []


def test_only_real_venues(parsed):
    venues = {n.venue for n in parsed.notes if n.venue}
    for venue in venues:
        assert len(venue) < 60 and "。" not in venue and "，" not in venue, venue
    # a bold sentence is no venue, and stays in the body
    rlhf = by_title(parsed, "Training language models to follow instructions")
    assert rlhf.venue == "NeurIPS 2022"
    method = by_title(parsed, "Prefix-Tuning")
    assert method.venue == "ACL 2021" and method.body.startswith("**方法**")
    # a bold venue followed by a remark on its line: the venue, and the remark stays
    dpo = by_title(parsed, "Direct Preference Optimization")
    assert dpo.venue == "NeurIPS 2023 Oral" and dpo.body.startswith("不需要单独的奖励模型")
    # venues written inside a sentence, when they are the only one
    assert by_title(parsed, "Relational Knowledge Distillation").venue == "CVPR 2019"
    assert by_title(parsed, "LoRA+").venue == "ICML 2024"  # "icml2024 上的工作"
    assert by_title(parsed, "RoFormer").venue == "Neurocomputing 2024"
    assert by_title(parsed, "Grokking").venue == "ICLR 2022"  # from the bare line's remark
    # workshop names, tracks and awards are part of the venue
    assert by_title(parsed, "Distilling the Knowledge").venue == "NIPS 2014 Deep Learning Workshop"
    assert by_title(parsed, "DistilBERT").venue == "NeurIPS 2019 Workshop on Energy Efficient Machine Learning"
    assert by_title(parsed, "Deep Residual Learning").venue == "CVPR 2016 Best Paper"
    assert by_title(parsed, "All in One").venue == "KDD 2023 Best Paper"
    assert by_title(parsed, "Toolformer").venue is None


def test_the_readme_order_and_the_section_introductions(parsed):
    assert [c.path[0] for c in parsed.categories if len(c.path) == 1] == SECTIONS
    kd = [n for n in parsed.notes if n.category == (SECTIONS[0],)]
    assert [n.order for n in kd] == list(range(1, 11)) and kd[0].title.startswith("Distilling")
    intros = {c.path: c.intro for c in parsed.categories}
    assert intros[(SECTIONS[0],)].count("\n- **") == 4 and "**暗知识（dark knowledge）**" in intros[(SECTIONS[0],)]
    assert intros[()].startswith("这里记的是我读过和打算读的论文")


def test_display_math_is_written_as_display_math(parsed):
    kd = by_title(parsed, "Distilling the Knowledge")
    # under a list item, on its own line: a blank line before it keeps it display for every reader
    assert "- 软目标的交叉熵：\n\n  $$ L_{soft}" in kd.body
    attention = by_title(parsed, "Paying More Attention")
    assert "注意力图接近老师的：\n\n$$\nQ = \\sum_c |A_c|^2\n$$\n\n这个损失非常便宜。" in attention.body


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("seed")
    source = root / "old-list"
    source.mkdir()
    shutil.copy(SEED, source / "README.md")
    (source / "README.assets").mkdir()
    (source / "README.assets" / "lora.png").write_bytes(b"\x89PNG\r\n\x1a\n lora")
    site = root / "site-root"
    site.mkdir()
    imported = run("import", source / "README.md", cwd=site)
    assert imported.returncode == 0, imported.stderr
    built = run("build", "--no-search", cwd=site)
    assert built.returncode == 0, built.stderr
    return site, imported, built


def test_import_writes_64_notes_and_merges_none(site):
    root, imported, built = site
    notes = load_notes(root, root / "notes", Diagnostics()).notes
    papers = [n for n in notes if not n.describes_category]
    assert len(papers) == 64
    assert Counter(n.status for n in papers) == STATUS_COUNTS
    assert "wrote 64 notes, 0 duplicates merged" in imported.stdout
    assert built.stdout.strip().splitlines()[-1].startswith("64 notes,")
    # two different papers that share a code repository: two notes
    assert sum(1 for n in papers if n.title.startswith(("GraphPrompt", "All in One"))) == 2
    # two different papers behind one (wrong) arXiv link: two notes, and the slip is reported
    assert sum(1 for n in papers if n.title.startswith(("Masked Autoencoders", "Emerging Properties"))) == 2
    assert "titles are unrelated: imported as two papers" in imported.stderr
    config = yaml.safe_load((root / "papernotes.yaml").read_text(encoding="utf-8"))
    assert [c for c in config["category_order"] if "/" not in c] == SECTIONS


def test_the_built_home_page_reads_like_the_readme(site):
    root, _, _ = site
    home = BeautifulSoup((root / "site" / "index.html").read_text(encoding="utf-8"), "html.parser")
    legend = {a.get_text(" ", strip=True).split()[1]: a.select_one(".count").get_text() for a in home.select(".legend a")}
    assert legend == {"Read": "35", "Unread": "10", "Skimmed": "9", "Triage": "10"}
    sections = [s.select_one(".category-title a").get_text() for s in home.select("section.category.depth-1")]
    assert sections == SECTIONS
    first = home.select_one("section.category.depth-1")
    assert "暗知识" in first.select_one(".category-intro").get_text()
    assert [a.get_text() for a in first.select(":scope > .note-list .row-title")][:2] == [
        "Distilling the Knowledge in a Neural Network", "FitNets: Hints for Thin Deep Nets"]
    assert "这里记的是我读过和打算读的论文" in home.select_one(".site-intro").get_text()


def test_the_built_note_pages_keep_formulas_display(site):
    root, _, _ = site
    page = next((root / "site" / "notes").rglob("denoising-diffusion-probabilistic-models.html"))
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    body = soup.select_one(".note-body")
    assert len(body.select('math[display="block"]')) == 1
    assert not body.select(".math-error")
    lora = next((root / "site" / "notes").rglob("lora-low-rank-adaptation-of-large-language-models.html"))
    assert BeautifulSoup(lora.read_text(encoding="utf-8"), "html.parser").select_one(".note-body img")


def test_export_then_import_gives_the_same_notes_statuses_venues_and_order(site, tmp_path):
    root, _, _ = site
    exported = run("export", "readme", "-o", tmp_path / "README.md", cwd=root)
    assert exported.returncode == 0, exported.stderr
    again = tmp_path / "again"
    again.mkdir()
    imported = run("import", tmp_path / "README.md", cwd=again)
    assert imported.returncode == 0, imported.stderr

    def shown(folder: Path):
        built = run("build", "--no-search", cwd=folder)
        assert built.returncode == 0, built.stderr
        home = BeautifulSoup((folder / "site" / "index.html").read_text(encoding="utf-8"), "html.parser")
        return [(row.select_one(".row-title").get_text(), row["data-status"], row.get("data-venue"),
                 row["data-category"]) for row in home.select(".note-row")]

    assert shown(again) == shown(root)
    assert len(shown(again)) == 64
    # the introductions come back too
    home = BeautifulSoup((again / "site" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert "这里记的是我读过和打算读的论文" in home.select_one(".site-intro").get_text()
    assert "暗知识" in home.select_one("section.category.depth-1 .category-intro").get_text()
