"""Reading a GitHub README reading list (``importers.readme``) and writing one
(``exporters.readme``): every messy case of the fixture, and the round trip export → import."""

from __future__ import annotations

import html.parser
import os
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from papernotes.load.config import SiteConfig
from papernotes.diagnostics import Diagnostics
from papernotes.exporters.readme import export_readme
from papernotes.importers.readme import GENERATED_MARKER, find_images, looks_like_readme, parse_readme
from papernotes.load.notes import load_notes
from papernotes.model import Note, Status

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "readme" / "messy-README.md"
KD = "知识蒸馏（Knowledge Distillation）"


def fixture_line(needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` fixture line containing ``needle``."""
    hits = [no for no, line in enumerate(FIXTURE.read_text(encoding="utf-8").split("\n"), 1) if needle in line]
    return hits[nth - 1]


def write_readme(folder: Path, text: str, *, crlf: bool = False, bom: bool = False) -> Path:
    """The README plus a README.assets/ folder whose file names differ in letter case."""
    folder.mkdir(parents=True, exist_ok=True)
    data = text.replace("\n", "\r\n") if crlf else text
    path = folder / "README.md"
    path.write_bytes(("\ufeff" if bom else "").encode("utf-8") + data.encode("utf-8"))
    assets = folder / "README.assets"
    assets.mkdir(exist_ok=True)
    (assets / "KD.png").write_bytes(b"\x89PNG\r\n\x1a\n kd")
    (assets / "arch.png").write_bytes(b"\x89PNG\r\n\x1a\n arch")
    return path


@pytest.fixture(params=["lf", "crlf-bom"])
def messy(request, tmp_path):
    text = FIXTURE.read_text(encoding="utf-8")
    assert "\r" not in text
    variant = request.param
    path = write_readme(tmp_path / variant, text, crlf=variant != "lf", bom=variant != "lf")
    parsed = parse_readme(path)
    return path, parsed, {n.origin: n for n in parsed.notes}


def note_at(notes: dict, needle: str, nth: int = 1):
    """The paper whose block holds the fixture line with ``needle`` (its summary starts there or above)."""
    line = fixture_line(needle, nth)
    origin = max((int(o.split(":")[1]) for o in notes if int(o.split(":")[1]) <= line))
    return notes[f"README.md:{origin}"]


# ----------------------------------------------------------------------------- the messy README


def test_detects_readme_and_nothing_else():
    assert looks_like_readme(FIXTURE.read_text(encoding="utf-8"))
    assert looks_like_readme("## A\n\n- ✅ One paper\n- 🟧 Another paper\n")
    assert not looks_like_readme((REPO_ROOT / "notes" / "peft" / "lora.md").read_text(encoding="utf-8"))
    assert not looks_like_readme("# Notes\n\n## Intro\n\nJust prose, ✅ once.\n")


def test_every_paper_in_order_with_origin_lines(messy):
    _, parsed, _ = messy
    assert parsed.kind == "readme"
    assert [n.title for n in parsed.notes] == [
        "Distilling the Knowledge in a Neural Network",
        "DistilBERT, a distilled version of BERT: smaller, faster, cheaper and lighter",
        "Born-Again Neural Networks",
        "Knowledge Distillation: A Survey",
        "Data-Free Learning of Student Networks",
        "Visual Prompt Tuning",
        "GraphPrompt: Unifying Pre-Training and Downstream Tasks for Graph Neural Networks",
        "Q&A <Bench>: “Quoted” Title",
        "Prefix-Tuning: Optimizing Continuous Prompts for Generation",
        "Deep Residual Learning for Image Recognition",
        "Toolformer: Language Models Can Teach Themselves to Use Tools",
        "Attention Is All You Need",  # HEAD side of the merge conflict
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",  # other side
        "Distilling the Knowledge in a Neural Network",  # the same paper again: not merged here
    ]
    # origin is the line of the <summary> (the summary may start on the line after <details>)
    assert parsed.notes[0].origin == f"README.md:{fixture_line('<summary> :white_check_mark: <a href')}"
    assert parsed.notes[1].origin == f"README.md:{fixture_line('<details open') + 1}"


def test_classic_block_status_link_venue_body_and_image(messy):
    path, _, notes = messy
    note = note_at(notes, "Distilling the Knowledge in a Neural Network</a>")
    assert note.status is Status.READ  # :white_check_mark:
    assert note.category == (KD,)  # bilingual heading kept as written
    assert [(l.label, l.url) for l in note.links] == [("arXiv", "https://arxiv.org/abs/1503.02531")]
    assert note.arxiv == "1503.02531"
    assert (note.venue, note.year) == ("NIPS 2014 workshop", 2014)
    # <br>, <blockquote> and the venue line are gone; the Markdown (math!) is kept byte for byte
    assert note.body == (
        "把老师网络在高温下的输出当作目标来训练学生，错误类别之间的概率比例也是有用的信号："
        r"$p_i = \frac{\exp(z_i/T)}{\sum_j \exp(z_j/T)}$" "\n"
        "![](README.assets/kd.png)\n"
    )
    # the reference as written; the file on disk is KD.png (the writer resolves the case)
    assert [(i.written, i.path) for i in note.images] == [("README.assets/kd.png", path.parent / "README.assets" / "kd.png")]


def test_details_open_multiline_summary_title_split_inside_anchor_nested_details(messy):
    _, _, notes = messy
    note = note_at(notes, "DistilBERT")
    assert note.status is Status.UNREAD  # :x:
    assert note.title == "DistilBERT, a distilled version of BERT: smaller, faster, cheaper and lighter"
    assert note.links[0].url == "https://arxiv.org/abs/1910.01108v4"  # target="_blank" ignored
    assert note.arxiv == "1910.01108v4"
    assert note.venue == "NeurIPS 2019 workshop"
    assert note.body == (
        "The loss has three parts, aligned for my own reference:\n\n"
        "$$\n\\begin{aligned}\n\\mathcal{L} &= \\alpha \\mathcal{L}_{ce} \\\\\n"
        "  &+ \\beta \\mathcal{L}_{mlm} + \\gamma \\mathcal{L}_{cos}\n\\end{aligned}\n$$\n\n"
        "<details>\n<summary>Why a cosine term?</summary>\n\n"
        "It pulls the student's hidden states towards the teacher's direction.\n</details>\n\n"
        "```html\n</details>  <!-- inside a code fence: not the end of the block -->\n```\n"
    )


def test_title_split_after_anchor_entities_and_plain_markdown_body(messy):
    _, _, notes = messy
    note = note_at(notes, "Born-Again</a>")
    assert note.title == "Born-Again Neural Networks"
    assert note.status is Status.SKIMMED  # ⬜
    assert [(l.label, l.url) for l in note.links] == [("OpenReview", "https://openreview.net/forum?id=born&noteId=again")]
    assert note.arxiv is None
    assert note.venue is None  # "**ICML 2018** is where…" is a list item, not a bold-only line
    assert note.body == ("A plain Markdown body, no blockquote around it:\n\n"
                         "- the student has the *same* architecture as its teacher and still beats it\n"
                         "- **ICML 2018** is where it was published\n")


def test_empty_body(messy):
    _, _, notes = messy
    note = note_at(notes, "Knowledge Distillation: A Survey")
    assert (note.body, note.images, note.venue, note.status) == ("", [], None, Status.SKIMMED)


def test_sub_category_html_list_img_tag_and_summary_on_details_line(messy):
    path, _, notes = messy
    note = note_at(notes, "Data-Free Learning")
    assert note.category == (KD, "数据无关蒸馏")
    assert note.status is Status.TRIAGE  # 🟧
    assert note.links[0].label == "PDF" and note.arxiv == "1904.01186"  # a pdf link gives the id too
    assert note.venue == "ICCV 2019"  # the bold line right after <blockquote> (no blank line)
    assert note.body == (
        "<ul>\n  <li>用生成器代替拿不到的训练数据</li>\n  <li>信息熵损失让生成的样本在各类别上均衡</li>\n</ul>\n"
        '<img src="README.assets/arch.PNG" width="360">\n'
    )
    assert [(i.written, i.path) for i in note.images] == [("README.assets/arch.PNG", path.parent / "README.assets" / "arch.PNG")]


def test_empty_heading_is_ignored_and_bare_line_bracket_note_goes_to_summary(messy):
    _, _, notes = messy
    note = note_at(notes, "Visual Prompt Tuning")
    # the empty "##" separator changes nothing: still under the last heading
    assert note.category == (KD, "数据无关蒸馏")
    assert note.status is Status.TRIAGE
    assert note.title == "Visual Prompt Tuning"
    assert note.summary == "还没决定归到哪一类"
    assert (note.body, note.links) == ("", [])


def test_no_status_no_link_venue_with_year_first(messy):
    _, _, notes = messy
    note = note_at(notes, "GraphPrompt")
    assert note.category == ("图学习 Graph Learning",)  # closing #s trimmed
    assert note.status is None and note.links == [] and note.arxiv is None
    assert (note.venue, note.year) == ("2023 WWW", 2023)
    assert note.body == "预训练和下游任务共用同一个“子图相似度”模板。\n"


def test_entities_quotes_and_second_link(messy):
    _, _, notes = messy
    note = note_at(notes, "Q&amp;A")
    assert note.title == "Q&A <Bench>: “Quoted” Title"
    assert note.status is Status.TRIAGE  # :orange_square:
    assert [(l.label, l.url) for l in note.links] == [
        ("example.org", "https://example.org/paper?id=7"), ("code", "https://github.com/example/qa-bench")]
    assert (note.venue, note.year) == ("arXiv", None)


def test_bold_first_line_that_is_no_venue_stays_in_body(messy):
    _, _, notes = messy
    note = note_at(notes, "Prefix-Tuning")
    assert note.status is Status.READ and note.links == []
    assert note.venue is None
    assert note.body == "**方法**\n只训练每一层前面的一小段连续向量，模型本身不动。\n"


def test_bare_list_item_and_bare_markdown_link(messy):
    _, _, notes = messy
    resnet = note_at(notes, "Deep Residual")
    assert (resnet.status, resnet.links, resnet.category) == (Status.READ, [], ("提示学习（Prompting）",))
    toolformer = note_at(notes, "Toolformer")
    assert toolformer.status is Status.READ
    assert toolformer.links[0].url == "https://arxiv.org/abs/2302.04761" and toolformer.arxiv == "2302.04761"
    again = note_at(notes, "[Distilling the Knowledge")
    assert (again.status, again.category, again.arxiv) == (Status.UNREAD, ("重读 Re-reading",), "1503.02531")


def test_merge_conflict_keeps_both_sides_and_reports_each_marker(messy):
    _, parsed, notes = messy
    head = note_at(notes, "Attention Is All You Need")
    other = note_at(notes, "BERT: Pre-training")
    assert (head.status, head.venue, head.body) == (Status.READ, "NeurIPS 2017", "Only attention, no recurrence.\n")
    assert (other.status, other.category) == (Status.UNREAD, ("架构 Architecture",))
    markers = [p for p in parsed.problems if "merge-conflict" in p.message]
    assert [p.line for p in markers] == [fixture_line("<<<<<<< HEAD"), fixture_line("======="),
                                         fixture_line(">>>>>>> add-bert")]
    assert all(p.file == "README.md" for p in markers)


def test_prose_outside_papers_is_kept_as_introductions_legend_and_layout_quiet(messy):
    _, parsed, _ = messy
    others = [(p.line, p.message) for p in parsed.problems if "merge-conflict" not in p.message]
    assert [line for line, _ in others] == [
        fixture_line("Graph papers I still have"),  # after a paper: kept, and said where it went
        fixture_line(">>>>>>> add-bert") + 1,  # the stray </details> after the conflict
    ]
    assert "lines 100–101" in others[0][1] and "introduction" in others[0][1]
    assert "closes no paper block" in others[1][1]
    intros = {c.path: c.intro for c in parsed.categories if c.intro}
    # the README's preface (before the first ## heading, legend and [TOC] aside) is the site's
    assert intros[()] == "Everything here is written down in a hurry between meetings;\nexpect typos.\n"
    assert "Graph papers I still have to sort out" in intros[("图学习 Graph Learning",)]
    assert "图例" not in intros[()] and "[TOC]" not in intros[()]


def test_unclosed_blocks_and_code_outside(tmp_path):
    text = ("# T\n\n## A\n\n"
            "<details>\n<summary> ✅ First paper\n<br>\nbody line\n\n"  # summary and details never closed
            "## B\n\n"
            "```\ncode outside\n```\n"
            "<details>\n<summary>🟧 <a href=\"https://example.org/x\">Second</a></summary>\n\n"
            "text\n")  # never closed, runs to the end
    path = write_readme(tmp_path, text)
    parsed = parse_readme(path)
    first, second = parsed.notes
    assert (first.title, first.status, first.category) == ("First paper", Status.READ, ("A",))
    assert first.body == "body line\n"
    assert (second.title, second.category, second.body) == ("Second", ("B",), "text\n")
    messages = [(p.line, p.message.split(";")[0]) for p in parsed.problems]
    assert messages == [
        (5, "<details> is never closed by </details>"),
        (6, "<summary> is never closed by </summary>"),
        (15, "<details> is never closed by </details>"),
    ]
    # the code block before B's first paper is B's introduction, as written
    assert [(c.path, c.intro) for c in parsed.categories] == [(("A",), ""), (("B",), "```\ncode outside\n```\n")]


# ----------------------------------------------------------------------------- export → import


def site_config(root: Path) -> SiteConfig:
    return SiteConfig(root=root, title="Round trip")


def load(root: Path, intros: bool = False) -> list[Note]:
    """The papers of a notes folder (with ``intros``: its category introductions instead)."""
    diagnostics = Diagnostics()
    notes = load_notes(root, root / "notes", diagnostics).notes
    assert not diagnostics.errors, diagnostics.errors
    return [n for n in notes if n.describes_category == intros]


def body_as_imported(note_body: str) -> str:
    """Bodies are compared after trimming blank lines at the start and whitespace at the end:
    the README has its own blank lines around a body, and the writer trims them again."""
    return note_body.strip("\n").rstrip() + "\n" if note_body.strip() else ""


def assert_round_trip(notes: list[Note], readme: Path) -> dict[str, object]:
    parsed = parse_readme(readme)
    assert parsed.problems == []
    assert len(parsed.notes) == len(notes)
    by_title = {n.title: n for n in parsed.notes}
    assert len(by_title) == len(notes)
    for note in notes:
        back = by_title[note.title]
        assert back.status is note.status, note.title
        assert back.category == note.category, note.title
        assert back.venue == note.venue, note.title
        assert [l.url for l in back.links] == [l.url for l in note.links], note.title
        assert (back.tags, back.authors, back.summary, back.arxiv) == (note.tags, note.authors, note.summary,
                                                                       note.arxiv), note.title
        body = back.body
        # The exporter points image paths at the README's folder; the importer reports them as
        # ImageRefs. Pointing them back at the note's folder must give the body as written.
        for ref in back.images:
            original = Path(os.path.relpath(ref.path.resolve(), note.source.parent.resolve())).as_posix()
            assert ref.path.resolve().is_file(), ref
            body = body.replace(ref.written, original)
        assert body == body_as_imported(note.body), note.title
    return by_title


def test_round_trip_of_the_example_notes(tmp_path):
    notes = load(REPO_ROOT)
    assert len(notes) >= 20
    out = tmp_path / "out"
    out.mkdir()
    text = export_readme(notes + load(REPO_ROOT, intros=True), site_config(REPO_ROOT), output_dir=out,
                         notes_dir=REPO_ROOT / "notes")
    assert text.startswith(GENERATED_MARKER + "\n# Round trip\n")
    (out / "README.md").write_text(text, encoding="utf-8")
    back = assert_round_trip(notes, out / "README.md")
    # the categories' introductions come back as the prose under their headings
    intros = {c.path: c.intro for c in parse_readme(out / "README.md").categories if c.intro}
    assert intros == {i.category: body_as_imported(i.body) for i in load(REPO_ROOT, intros=True)}
    lora = back["LoRA: Low-Rank Adaptation of Large Language Models"]
    assert len(lora.images) == 1 and lora.images[0].path.resolve() == REPO_ROOT / "notes/peft/images/lora-diagram.svg"
    assert_renders_one_block_per_note(text, notes)


def test_export_shape_legend_and_image_paths_at_the_site_root():
    notes = load(REPO_ROOT)
    text = export_readme(notes, site_config(REPO_ROOT))  # README at the site root
    counts = {s: sum(1 for n in notes if n.status is s) for s in Status}
    assert (f":white_check_mark: Read 已阅读 {counts[Status.READ]} · :x: Unread 未阅读 {counts[Status.UNREAD]} · "
            f":white_large_square: Skimmed 已泛读 {counts[Status.SKIMMED]} · "
            f":orange_square: Triage 待分类 {counts[Status.TRIAGE]}") in text
    assert "![LoRA 结构](notes/peft/images/lora-diagram.svg)" in text
    assert "## Parameter-Efficient Fine-Tuning\n\n### Low-Rank\n" in text
    assert ('<details>\n<summary> :white_check_mark: <a href="https://arxiv.org/abs/1503.02531">Distilling the '
            'Knowledge in a Neural Network</a> </summary>\n<br>\n<blockquote>\n'
            '<!-- papernotes {"tags": ["distillation", "soft-targets", "temperature", "知识蒸馏"], "authors": '
            '["Geoffrey Hinton", "Oriol Vinyals", "Jeff Dean"], "year": 2015, "date": "2024-02-18", "summary": '
            '"用高温 softmax 得到 teacher 的 soft targets 训练小模型；错误类别之间的相对概率里藏着大量“暗知识”。"} -->\n\n'
            '**NIPS 2014 workshop**\n\n<p><em>用高温 softmax 得到 teacher 的 soft targets 训练小模型；'
            '错误类别之间的相对概率里藏着大量“暗知识”。</em></p>\n\n## 核心思想\n') in text


HOSTILE = {
    "notes/奇怪/hostile.md": '''---
title: "Less <than> & \\"quotes\\" 'single' — 标题 </a></summary>"
status: triage
category: 奇怪的分类/子类 & <更深>
venue: "ICLR 2024 <oral> & more"
links:
  Paper: https://example.org/p?a=1&b=2
  Code: https://github.com/x/y
---

A stray closing tag on its own line:
</details>
and a stray </blockquote> too, then an opening that never closes:
<details>
Text already written escaped: &lt;/details> and &amp;lt;details open>, `</details>` in code.

```html
</details>
```

<details><summary>✅ a nested block with a status</summary>

inside, with math $a \\\\ b$
</details>
''',
    "notes/中文/无链接.md": '''---
title: 中文标题：没有链接，也没有正文
status: 已泛读
category: 中文分类
---
''',
    "notes/中文/粗体开头.md": '''---
title: "| 竖线开头 – 和 :x: 符号"
status: 未阅读
category: 中文分类
---
**方法**

正文 $\\frac{a}{b} \\\\ c$，还有 <br> 和 HTML：
<blockquote>
引用的一段
</blockquote>
''',
    "notes/中文/引用.md": '''---
title: "✅ 以状态符号开头的标题"
status: read
category: 中文分类
venue: 2023 WWW
links: [https://arxiv.org/abs/2302.04237]
---
<br>
<blockquote>
整段都在引用里
</blockquote>
<br>
''',
}


def write_site(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_round_trip_of_hostile_notes(tmp_path):
    write_site(tmp_path, HOSTILE)
    notes = load(tmp_path)
    text = export_readme(notes, site_config(tmp_path))
    readme = tmp_path / "README.md"
    readme.write_text(text, encoding="utf-8")
    back = assert_round_trip(notes, readme)
    hostile = back["Less <than> & \"quotes\" 'single' — 标题 </a></summary>"]
    assert hostile.category == ("奇怪的分类", "子类 & <更深>")
    # every link comes back (the first one's label is guessed again: the README has no room for it)
    assert [l.url for l in hostile.links] == ["https://example.org/p?a=1&b=2", "https://github.com/x/y"]
    assert hostile.links[1].label == "Code"
    # the stray tags are written escaped, so GitHub shows them as text inside the block
    assert "\n&lt;/details>\n" in text and "stray &lt;/blockquote> too" in text and "\n&lt;details>\n" in text
    assert "&amp;lt;/details> and &amp;amp;lt;details open>, `</details>` in code" in text
    assert_renders_one_block_per_note(text, notes)


def test_unclosed_code_fence_is_closed_on_export(tmp_path):
    write_site(tmp_path, {"notes/a.md": "---\ntitle: Open fence\n---\n```python\nx = '</details>'\n"})
    notes = load(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text(export_readme(notes, site_config(tmp_path)), encoding="utf-8")
    (back,) = parse_readme(readme).notes
    assert back.body == "```python\nx = '</details>'\n```\n"  # the one documented change


class _Blocks(html.parser.HTMLParser):
    """Top-level <details> elements of rendered HTML and the text of their own <summary>."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.summaries: list[str] = []
        self.in_summary = False
        self.broken = False

    def handle_starttag(self, tag, attrs):
        if tag == "details":
            self.depth += 1
            if self.depth == 1:
                self.summaries.append("")
        elif tag == "summary" and self.depth == 1:
            self.in_summary = True

    def handle_endtag(self, tag):
        if tag == "details":
            self.depth -= 1
            self.broken |= self.depth < 0
        elif tag == "summary":
            self.in_summary = False

    def handle_data(self, data):
        if self.in_summary and self.depth == 1:
            self.summaries[-1] += data


def assert_renders_one_block_per_note(text: str, notes: list[Note]) -> None:
    """Rendered as CommonMark with raw HTML (as GitHub does), the README has exactly one
    top-level <details> per note, each titled by its note: no body breaks out of its block."""
    blocks = _Blocks()
    blocks.feed(MarkdownIt("commonmark").render(text))
    assert not blocks.broken and blocks.depth == 0
    # each summary reads "{status shortcode} {title} [other link labels]"
    titles = sorted(" ".join(s.split()).split(" ", 1)[1] for s in blocks.summaries)
    expected = sorted(" ".join(n.title.split()) for n in notes)
    assert len(titles) == len(expected)
    for title, note_title in zip(titles, expected):
        assert title.startswith(note_title), (title, note_title)


def test_image_refs_are_reported_as_written_whatever_the_files_letter_case(tmp_path):
    """Only the letter case differs from the files: finding them is the writer's job."""
    path = write_readme(tmp_path, FIXTURE.read_text(encoding="utf-8"))
    refs = [ref for note in parse_readme(path).notes for ref in note.images]
    assert [ref.written for ref in refs] == ["README.assets/kd.png", "README.assets/arch.PNG"]
    on_disk = {p.name.lower() for p in (tmp_path / "README.assets").iterdir()}
    assert all(ref.path.parent == tmp_path / "README.assets" and ref.path.name.lower() in on_disk for ref in refs)


def test_an_image_reference_with_a_nul_is_left_as_written(tmp_path):
    """No file can be named with a NUL; looking one up used to raise ValueError."""
    body = "![a](figs/a%00b.png)\n<img src=\"figs/c\0.png\">\n![ok](figs/ok.png)\n"
    assert [ref.written for ref in find_images(body, tmp_path)] == ["figs/ok.png"]
