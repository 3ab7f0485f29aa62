"""Reading an "awesome list" README (``importers.awesome``): lists and tables of other people's
papers under headings. What a user would see: titles, links, venues, years, authors, summaries,
categories and their order, the problems with their lines, and the notes written by the shared
writer and loaded back."""

from __future__ import annotations

from pathlib import Path

import pytest

from papernotes.diagnostics import Diagnostics
from papernotes.importers.awesome import looks_like_awesome, parse_awesome
from papernotes.importers.readme import looks_like_readme
from papernotes.importers.writer import apply, plan
from papernotes.load.notes import load_notes
from papernotes.model import Link, Status

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
LIST = FIXTURES / "awesome" / "awesome-list.md"
TABLE = FIXTURES / "awesome" / "paper-table.md"

SURVEYS = "综述 Surveys"
SPARSE = "稀疏注意力 Sparse Attention"
LONG = "长序列 Long Sequences"
QUANT = "量化与剪枝 Quantization & Pruning"
DETECTION = "检测模型 Detection"
VLP = "视觉-语言预训练 Vision-Language Pretraining"
VIDEO = "视频理解 Video Understanding"


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line of ``path`` containing ``needle``."""
    hits = [no for no, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if needle in line]
    return hits[nth - 1]


def write(tmp_path: Path, text: str, name: str = "README.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def awesome():
    return parse_awesome(LIST)


@pytest.fixture(scope="module")
def table():
    return parse_awesome(TABLE)


def by_title(parsed, title: str, nth: int = 1):
    return [n for n in parsed.notes if n.title == title][nth - 1]


# ----------------------------------------------------------------------------- detection


def test_detects_awesome_lists_and_paper_tables():
    assert looks_like_awesome(LIST.read_text(encoding="utf-8"))
    assert looks_like_awesome(TABLE.read_text(encoding="utf-8"))
    # the README importer does not claim them
    assert not looks_like_readme(LIST.read_text(encoding="utf-8"))
    assert not looks_like_readme(TABLE.read_text(encoding="utf-8"))
    assert looks_like_awesome("# X\n\n## A\n\n- [One](https://a.org/1)\n- [Two](https://a.org/2)\n"
                              "* Three [[paper](https://a.org/3)]\n")
    assert looks_like_awesome("# X\n\n| Title | Venue |\n|---|---|\n| Some Paper | ICLR 2023 |\n")


def test_does_not_detect_readme_reading_lists_notes_or_prose():
    messy = (FIXTURES / "readme" / "messy-README.md").read_text(encoding="utf-8")
    assert looks_like_readme(messy) and not looks_like_awesome(messy)
    for note in sorted((REPO_ROOT / "notes").rglob("*.md")):
        assert not looks_like_awesome(note.read_text(encoding="utf-8")), note
    prose = ("# 读书笔记\n\n" + "这一段只是正文，讨论了注意力的复杂度和一些想法。\n" * 8
             + "\n参考：\n\n- [A](https://a.org/1)\n- [B](https://a.org/2)\n- [C](https://a.org/3)\n")
    assert not looks_like_awesome(prose)
    assert not looks_like_awesome("# X\n\n- [One](https://a.org/1)\n- [Two](https://a.org/2)\n")  # two only
    legend = "# X\n\n| 标记 | 含义 |\n|---|---|\n| ⭐ | 必读 |\n"
    assert not looks_like_awesome(legend)


# ----------------------------------------------------------------------------- the list


def test_every_paper_of_the_list_in_order(awesome):
    assert awesome.kind == "awesome"
    assert awesome.root == LIST.parent.absolute()
    assert [n.title for n in awesome.notes] == [
        "Efficient Transformers: A Survey",
        "A Survey on Model Compression for Large Language Models",
        "Is Attention Really All You Need?",
        "Longformer: The Long-Document Transformer",
        "Big Bird: Transformers for Longer Sequences",
        "Reformer: The Efficient Transformer",
        "Performer: Rethinking Attention with Performers",
        "Writing Fast Attention Kernels in C++ and CUDA",
        "Linear Attention, Revisited",
        "Random Feature Attention",
        "Efficient Transformers: A Survey",  # listed twice: the writer merges it
        "Q-DETR: An Efficient Low-Bit Quantized Detection Transformer",
        "Pruning DETR Without Retraining",
        "LLM.int8(): 8-bit Matrix Multiplication for Transformers at Scale",
        "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers",
        "Movement Pruning",
        "SparseGPT",
        "Resources · Tutorials (awesome-list)",
        "Resources · 相关资源 (awesome-list)",
    ]
    assert {n.status for n in awesome.notes} == {Status.UNREAD}
    assert awesome.notes[0].origin == f"awesome-list.md:{line_of(LIST, '[Efficient Transformers: A Survey]')}"
    assert awesome.notes[10].origin == f"awesome-list.md:{line_of(LIST, 'Efficient Transformers: A Survey', 2)}"


def test_categories_and_order_within_them(awesome):
    assert [(n.category, n.order) for n in awesome.notes] == [
        ((SURVEYS,), 1), ((SURVEYS,), 2), ((SURVEYS,), 3),
        ((SPARSE, LONG), 1), ((SPARSE, LONG), 2), ((SPARSE, LONG), 3), ((SPARSE, LONG), 4),
        # "### 2021" is a year, not a category: its papers are in the section above it
        ((SPARSE,), 1), ((SPARSE,), 2), ((SPARSE,), 3), ((SPARSE,), 4),
        # "- **检测模型 Detection**" with papers nested below it: a sub-category
        ((QUANT, DETECTION), 1), ((QUANT, DETECTION), 2),
        ((QUANT,), 1), ((QUANT,), 2), ((QUANT,), 3), ((QUANT,), 4),
        ((QUANT,), 5),  # ### Tutorials: its resources, in the category above
        (("相关资源",), 1),  # a top-level resources section: its own category
    ]
    assert [(c.path, c.origin) for c in awesome.categories] == [
        ((), f"awesome-list.md:{line_of(LIST, 'A curated list of papers')}"),
        ((SURVEYS,), f"awesome-list.md:{line_of(LIST, '## 综述 Surveys')}"),
        ((SPARSE,), f"awesome-list.md:{line_of(LIST, '## 稀疏注意力')}"),
        ((SPARSE, LONG), f"awesome-list.md:{line_of(LIST, '### 长序列')}"),
        ((QUANT,), f"awesome-list.md:{line_of(LIST, '## 量化与剪枝')}"),
        ((QUANT, DETECTION), f"awesome-list.md:{line_of(LIST, '- **检测模型 Detection**')}"),
        (("相关资源",), f"awesome-list.md:{line_of(LIST, '## 相关资源')}"),
    ]


def test_introductions_are_the_text_before_the_first_paper(awesome):
    intros = {c.path: c.intro for c in awesome.categories}
    assert intros[()] == ("A curated list of papers on making Transformers cheaper to train and to run.\n"
                          "收集让 Transformer 更省显存、跑得更快的论文，持续更新，欢迎 PR。\n")
    assert intros[(SURVEYS,)] == "先读综述再读具体方法。Start here if the area is new to you.\n"
    # the TODO item after the papers is kept (and reported, see the problems)
    assert intros[(SPARSE,)] == ("> 这一节只收注意力本身的改动，不收硬件相关的工作。\n\n"
                                 "- TODO: 还有几篇 2021 年的没整理\n")
    assert intros[(SPARSE, LONG)] == intros[(QUANT,)] == ""


def test_links_labels_and_arxiv_ids(awesome):
    links = {n.origin: n.links for n in awesome.notes}
    first = awesome.notes[0]
    assert first.links == [Link("arXiv", "https://arxiv.org/abs/2009.06732")] and first.arxiv == "2009.06732"
    assert by_title(awesome, "A Survey on Model Compression for Large Language Models").arxiv == "2308.07633v3"
    assert by_title(awesome, "Big Bird: Transformers for Longer Sequences").links == [
        Link("paper", "https://arxiv.org/abs/2007.14062"), Link("code", "https://github.com/google-research/bigbird")]
    assert by_title(awesome, "Big Bird: Transformers for Longer Sequences").arxiv == "2007.14062"
    assert by_title(awesome, "Reformer: The Efficient Transformer").links == [
        Link("pdf", "https://openreview.net/pdf?id=rkgNKkHtvB")]
    assert by_title(awesome, "Writing Fast Attention Kernels in C++ and CUDA").links == [
        Link("paper", "https://example.org/cpp-attention"), Link("code", "https://github.com/example/cpp-attention")]
    # parentheses inside the URL
    assert by_title(awesome, "Linear Attention, Revisited").links == [
        Link("PDF", "https://example.org/papers/linear_attention_(v2).pdf")]
    assert by_title(awesome, "Random Feature Attention").links == [
        Link("OpenReview", "https://openreview.net/forum?id=QtTKTdVrFBB")]
    assert by_title(awesome, "Pruning DETR Without Retraining").links == [
        Link("pdf", "https://example.org/papers/pruned-detr.pdf")]
    # the stars badge is no link; the relative and javascript: links are left out (reported)
    gptq = "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers"
    assert by_title(awesome, gptq).links == [
        Link("arXiv", "https://arxiv.org/abs/2210.17323"), Link("code", "https://github.com/IST-DASLab/gptq")]
    assert by_title(awesome, "Movement Pruning").links == [Link(
        "NeurIPS", "https://proceedings.neurips.cc/paper/2020/hash/eae15aabaa768ae4a5993a8a4f4fa6e4-Abstract.html")]
    assert by_title(awesome, "SparseGPT").links == [Link("arXiv", "https://arxiv.org/abs/2301.00774")]
    assert all(link.url.startswith("https://") for ls in links.values() for link in ls)


def test_remarks_give_venue_year_authors_and_summary(awesome):
    seen = [(n.venue, n.year, n.authors, n.summary) for n in awesome.notes[:17]]
    assert seen == [
        ("ACM Computing Surveys 2022", 2022, ("Tay", "et al."), "分类很清楚"),
        (None, None, (), "偏 LLM 的压缩综述 —— 量化、剪枝、蒸馏都讲了"),
        ("NeurIPS 2019", 2019, (), "标题里带问号的那篇"),
        ("arXiv 2020", 2020, ("Iz Beltagy", "Matthew E. Peters", "Arman Cohan"), None),
        (None, None, (), None),
        ("ICLR 2020", 2020, ("Nikita Kitaev", "Łukasz Kaiser", "Anselm Levskaya"), None),
        ("ICLR 2021", 2021, ("Choromanski", "et al."), None),
        (None, 2021, (), None),  # the year heading
        ("ICML 2021", 2021, (), "第一遍没看懂 - 第二遍：关键是把 softmax 换成核函数"),  # two remarks
        ("ICLR'21", 2021, (), "续行里的备注：和 Performer 的思路很接近"),  # continuation line joined
        (None, 2021, (), "2021 年又更新了一版，放这里方便找"),
        ("CVPR 2023", 2023, (), None),
        (None, None, (), None),
        ("NeurIPS 2022", 2022, ("Tim Dettmers", "Mike Lewis", "Younes Belkada", "Luke Zettlemoyer"), None),
        (None, None, ("Elias Frantar", "et al."), None),
        (None, None, (), "本地笔记"),
        ("ICML 2023", 2023, (), "一次剪掉一半参数 slides"),
    ]


def test_nested_lines_are_the_body_and_resources_keep_their_section(awesome):
    assert by_title(awesome, "Big Bird: Transformers for Longer Sequences").body == (
        "- 随机 + 窗口 + 全局三种注意力拼起来\n- 还证明了它是图灵完备的，复杂度 $O(n)$\n")
    assert all(not n.body for n in awesome.notes[:17] if not n.title.startswith("Big Bird"))
    assert by_title(awesome, "Resources · Tutorials (awesome-list)").body == (
        "- [The Illustrated Transformer](https://jalammar.github.io/illustrated-transformer/) - 图解，入门必看\n"
        "- [Quantization 101](https://example.org/blog/quantization-101) - 一篇讲量化基础的博客\n"
        "\n以后再补几个视频。\n")
    assert by_title(awesome, "Resources · 相关资源 (awesome-list)").body == (
        "## Blogs\n\n"
        "- [Transformer (machine learning model)](https://en.wikipedia.org/wiki/Transformer_(machine_learning_model))"
        " - 维基百科\n"
        "- [Lil'Log: The Transformer Family](https://example.org/lillog/transformer-family) - 博客\n\n"
        "## Tools\n\n| 工具 | 说明 |\n|---|---|\n"
        "| [xFormers](https://github.com/facebookresearch/xformers) | 各种高效注意力的实现 |\n")
    resources = by_title(awesome, "Resources · 相关资源 (awesome-list)")
    assert resources.origin == f"awesome-list.md:{line_of(LIST, '## 相关资源')}" and resources.links == []
    assert [n.title for n in awesome.notes if n.tags] == ["Resources · Tutorials (awesome-list)", "Resources · 相关资源 (awesome-list)"]
    assert {n.tags for n in awesome.notes if n.tags} == {("resources",)}


def test_title_contents_badges_and_closing_sections_are_not_papers(awesome):
    everything = "\n".join([n.title + (n.summary or "") + n.body for n in awesome.notes]
                           + [c.intro for c in awesome.categories] + [p.message for p in awesome.problems])
    for gone in ("Awesome Efficient Transformers", "awesome.re", "img.shields.io/badge", "#contents", "back to top",
                 "脚本生成", "欢迎提 PR", "加上每篇的代码链接", "@misc", "licensebuttons", "Contributing"):
        assert gone not in everything, gone


def test_problems_name_their_lines(awesome):
    assert [(p.file, p.line, p.message) for p in awesome.problems] == [
        ("awesome-list.md", line_of(LIST, "TODO: 还有几篇"),
         f"text between the papers of '{SPARSE}' is not a paper; it was added to the introduction of its category"),
        ("awesome-list.md", line_of(LIST, "[Movement Pruning]"),
         "link './notes/movement-pruning.md' is not an absolute http(s) address; left out"),
        ("awesome-list.md", line_of(LIST, "[SparseGPT]"),
         "link 'javascript:alert(1)' uses the scheme 'javascript:'; only http(s), mailto and relative URLs are "
         "allowed; left out"),
    ]


# ----------------------------------------------------------------------------- the tables


def test_every_row_of_the_tables(table):
    assert [(n.title, n.category, n.order) for n in table.notes] == [
        ("Learning Transferable Visual Models From Natural Language Supervision", (VLP,), 1),
        ("Scaling Up Visual and Vision-Language Representation Learning With Noisy Text Supervision", (VLP,), 2),
        ("BLIP: Bootstrapping Language-Image Pre-training for Unified Vision-Language Understanding and Generation",
         (VLP,), 3),
        ("BLIP-2: Bootstrapping Language-Image Pre-training with Frozen Image Encoders and Large Language Models",
         (VLP,), 4),
        ("Flamingo | a Visual Language Model for Few-Shot Learning", (VLP,), 5),  # an escaped pipe
        ("CoCa: Contrastive Captioners are Image-Text Foundation Models", (VLP,), 6),
        ("Sigmoid Loss for Language Image Pre-Training", (VLP,), 7),
        ("Visual Instruction Tuning", (VLP,), 8),
        ("VideoMAE V2: Scaling Video Masked Autoencoders with Dual Masking", (VIDEO,), 1),
        ("Unmasked Teacher", (VIDEO,), 2),  # the Paper cell only says "arXiv": the Method cell names it
        ("VideoMAE: Masked Autoencoders are Data-Efficient Learners for Self-Supervised Video Pre-Training",
         (VIDEO,), 3),
        ("Expanding Language-Image Pretrained Models for General Video Recognition", (VIDEO,), 4),
        ("Resources · 工具 Tools (paper-table)", ("工具 Tools",), 1),
    ]
    assert table.notes[0].origin == f"paper-table.md:{line_of(TABLE, '[Learning Transferable')}"


def test_columns_give_venue_year_authors_links_and_summary(table):
    seen = [(n.venue, n.year, n.authors, n.summary, n.links) for n in table.notes[:12]]
    assert seen == [
        ("ICML", 2021, (), "CLIP ⭐ 对比学习的起点",
         [Link("arXiv", "https://arxiv.org/abs/2103.00020"), Link("Code", "https://github.com/openai/CLIP")]),
        ("ICML 2021", 2021, (), "ALIGN：噪声数据也能用", [Link("PDF", "https://arxiv.org/pdf/2102.05918.pdf")]),
        ("ICML 2022", 2022, (), None, [Link("Paper", "https://arxiv.org/abs/2201.12086")]),  # a missing cell
        ("ICML", 2023, (), "Q-Former 🔁",
         [Link("arXiv", "https://arxiv.org/abs/2301.12597"), Link("Code", "https://github.com/salesforce/LAVIS")]),
        ("NeurIPS", 2022, (), "备注里也有竖线：perceiver | resampler",
         [Link("Paper", "https://example.org/papers/flamingo_(tech-report).pdf")]),
        ("TMLR", 2022, (), "对比 + 生成", [Link("arXiv", "https://arxiv.org/abs/2205.01917")]),
        ("ICCV 2023", 2023, (), "SigLIP，把 softmax 换成 sigmoid", [Link("arXiv", "https://arxiv.org/abs/2303.15343")]),
        ("NeurIPS 2023 (Oral)", 2023, (), "LLaVA · 多出来的一格",
         [Link("arXiv", "https://arxiv.org/abs/2304.08485"), Link("Code", "https://github.com/haotian-liu/LLaVA")]),
        (None, 2023, ("Limin Wang", "Bingkun Huang", "et al."), "Method: VideoMAE V2 · Stars: 1k+",
         [Link("arXiv", "https://arxiv.org/abs/2303.16727"),
          Link("GitHub", "https://github.com/OpenGVLab/VideoMAEv2")]),
        (None, 2023, ("Kunchang Li", "Yali Wang"), "Stars: 300", [Link("arXiv", "https://arxiv.org/abs/2303.16058")]),
        ("NeurIPS 2022", 2022, ("Zhan Tong", "Yibing Song", "Jue Wang", "Limin Wang"), "Method: VideoMAE · Stars: 1.2k",
         [Link("arXiv", "https://arxiv.org/abs/2203.12602"), Link("Code", "https://github.com/MCG-NJU/VideoMAE")]),
        (None, 2022, ("Bolin Ni", "et al."), "Method: X-CLIP",
         [Link("arXiv", "https://arxiv.org/abs/2208.02816"), Link("GitHub", "https://github.com/microsoft/VideoX")]),
    ]
    assert [n.arxiv for n in table.notes[:8]] == ["2103.00020", "2102.05918", "2201.12086", "2301.12597", None,
                                                  "2205.01917", "2303.15343", "2304.08485"]


def test_tables_that_are_no_papers_are_text(table):
    intros = {c.path: c.intro for c in table.categories}
    assert intros[()] == ("用表格整理的多模态论文，每行一篇。Each row of a table is one paper.\n\n"
                          "| 标记 | 含义 |\n|---|---|\n| ⭐ | 必读 must-read |\n| 🔁 | 读了两遍 |\n")
    assert intros[(VIDEO,)] == "下面两张表按年份分开。\n"
    assert [c.path for c in table.categories] == [(), (VLP,), (VIDEO,), ("工具 Tools",)]
    assert table.notes[-1].body == ("| Name | Description |\n|---|---|\n"
                                    "| [open_clip](https://github.com/mlfoundations/open_clip) | CLIP 的开源复现 |\n")
    assert not any("star-history" in n.body + (n.summary or "") for n in table.notes)


def test_table_problems_name_their_rows(table):
    assert [(p.line, p.message) for p in table.problems] == [
        (line_of(TABLE, "| BLIP: Bootstrapping"),
         "table row has 4 cells, the header 5: the missing cells at its end were taken as empty"),
        (line_of(TABLE, "忘了写标题"),
         "table row 'CVPR | 2023 | [Paper](https://example.org/papers/untitled.pdf) | 忘了写标题' has no title "
         "(its '论文 Title' cell is empty); not imported"),
        (line_of(TABLE, "[Visual Instruction Tuning]"), "table row has 6 cells, the header 5: the extra cells were "
                                                        "added to the summary"),
        (line_of(TABLE, "[Visual Instruction Tuning]"),
         "year 2022 differs from the venue 'NeurIPS 2023 (Oral)'; the venue's year was kept"),
        (line_of(TABLE, "| Method | Paper |"), "table column 'Stars' not understood; the cells were added to the "
                                              "summaries as 'Header: value'"),
        (line_of(TABLE, "| Method | Paper |", 2), "table column 'Stars' not understood; the cells were added to "
                                                 "the summaries as 'Header: value'"),
    ]


# ----------------------------------------------------------------------------- single rules


def test_year_headings_scope_and_headings_that_only_look_like_resources(tmp_path):
    path = write(tmp_path, "# L\n\n## 2020\n\n### Tool Learning\n\n- [A Paper](https://a.org/a)\n\n"
                           "#### CVPR\n\n- [B Paper](https://a.org/b)\n\n"
                           "## Other Awesome Lists\n\n- [awesome-x](https://a.org/x)\n\n"
                           "## Others\n\n- [C Paper](https://a.org/c)\n")
    parsed = parse_awesome(path)
    assert [(n.title, n.category, n.year) for n in parsed.notes] == [
        ("A Paper", ("Tool Learning",), 2020),
        ("B Paper", ("Tool Learning", "CVPR"), 2020),
        (f"Resources · Other Awesome Lists ({tmp_path.name})", ("Other Awesome Lists",), None),
        ("C Paper", ("Others",), None),  # the year ends with the next heading of its level
    ]


def test_venues_counted_once_and_code_is_not_read(tmp_path):
    path = write(tmp_path, "## A\n\n- [Two Venues](https://a.org/1) - ICLR 2021, extended in TPAMI 2022\n"
                           "- [CVPR'23] **Tagged Paper** [[Paper](https://a.org/2)]\n"
                           "- Do Vision Transformers See Like CNNs? Maithra Raghu, Thomas Unterthiner. NeurIPS 2021.\n"
                           "- 只是一句话，不是论文\n\n```markdown\n- [In Code](https://a.org/3)\n## Not A Heading\n```\n",
                 name="list.md")
    parsed = parse_awesome(path)
    assert [(n.title, n.venue, n.year, n.authors, n.summary, n.category) for n in parsed.notes] == [
        ("Two Venues", None, None, (), "ICLR 2021, extended in TPAMI 2022", ("A",)),
        ("Tagged Paper", "CVPR'23", 2023, (), None, ("A",)),
        ("Do Vision Transformers See Like CNNs?", "NeurIPS 2021", 2021, ("Maithra Raghu", "Thomas Unterthiner"),
         None, ("A",)),
    ]
    assert [(p.line, p.message) for p in parsed.problems] == [
        (6, "text between the papers of 'A' (lines 6–11) is not a paper; it was added to the introduction of its "
            "category")]
    assert parsed.categories[0].intro == ("- 只是一句话，不是论文\n\n```markdown\n- [In Code](https://a.org/3)\n"
                                          "## Not A Heading\n```\n")


def test_other_item_styles(tmp_path):
    path = write(tmp_path, "# Title\n\n- [Before Any Section](https://a.org/0)\n\n## A\n\n"
                           "- **[Bold Link Title](https://arxiv.org/abs/2101.00001)** - "
                           "*Ashish Vaswani, Noam Shazeer*, "
                           "NeurIPS 2017. [[Code](https://github.com/x/y)]\n"
                           "- [x] [Checked Paper](https://a.org/1) — 读完了\n"
                           "1) *Italic Title*. [pdf](https://a.org/2.pdf)\n"
                           "- [Paper With Br](https://a.org/3)<br>ICLR 2022<br>很好\n"
                           "- 【ACL 2023】中文标题的论文 [[论文](https://a.org/4)]\n"
                           "- \"Quoted Title\", Kaiming He et al., CVPR 2016\n")
    parsed = parse_awesome(path)
    assert [(n.category, n.title, n.venue, n.authors, n.summary, [link.label for link in n.links])
            for n in parsed.notes] == [
        ((), "Before Any Section", None, (), None, ["a.org"]),  # under the list's title: no category
        (("A",), "Bold Link Title", "NeurIPS 2017", ("Ashish Vaswani", "Noam Shazeer"), None, ["arXiv", "Code"]),
        (("A",), "Checked Paper", None, (), "读完了", ["a.org"]),
        (("A",), "Italic Title", None, (), None, ["pdf"]),
        (("A",), "Paper With Br", "ICLR 2022", (), "很好", ["a.org"]),
        (("A",), "中文标题的论文", "ACL 2023", (), None, ["论文"]),
        (("A",), "Quoted Title", "CVPR 2016", ("Kaiming He", "et al."), None, []),
    ]
    assert parsed.problems == []


def test_crlf_and_bom_give_the_same_notes(tmp_path):
    text = LIST.read_text(encoding="utf-8")
    path = tmp_path / "crlf.md"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    again = parse_awesome(path)
    plain = parse_awesome(LIST)
    # (a resources note names its list: "(crlf)" here, "(awesome-list)" there)
    assert [(n.title.replace("(crlf)", "(awesome-list)"), n.summary, n.venue, n.links, n.body, n.origin.split(":")[1])
            for n in again.notes] == \
           [(n.title, n.summary, n.venue, n.links, n.body, n.origin.split(":")[1]) for n in plain.notes]


# ----------------------------------------------------------------------------- end to end


def test_import_writes_every_paper_and_merges_the_duplicate(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    parsed = [parse_awesome(LIST), parse_awesome(TABLE)]
    assert [len(p.notes) for p in parsed] == [19, 13]
    result = plan(parsed, site / "notes", site)
    assert result.merged == [
        f"awesome-list.md:{line_of(LIST, 'Efficient Transformers: A Survey', 2)} “Efficient Transformers: A Survey” "
        f"into awesome-list.md:{line_of(LIST, 'Efficient Transformers: A Survey')} “Efficient Transformers: A Survey” "
        "(same arXiv id)"]
    apply(result)

    diagnostics = Diagnostics()
    loaded = load_notes(site, site / "notes", diagnostics)
    assert not diagnostics.errors, diagnostics.errors
    papers = [n for n in loaded.notes if not n.describes_category]
    assert len(papers) == 31  # 19 + 13 in, one duplicate merged
    parsed_titles = {n.title for p in parsed for n in p.notes}
    assert {n.title for n in papers} == parsed_titles
    assert {n.status for n in papers} == {Status.UNREAD}

    survey = next(n for n in papers if n.title == "Efficient Transformers: A Survey")
    assert survey.category == (SURVEYS,) and survey.order == 1 and survey.venue == "ACM Computing Surveys 2022"
    assert survey.authors == ("Tay", "et al.") and survey.summary == "分类很清楚"
    assert [link.url for link in survey.links][:2] == ["https://arxiv.org/abs/2009.06732",
                                                       "https://arxiv.org/abs/2009.06732v3"]
    assert "2021 年又更新了一版，放这里方便找" in survey.body

    cpp = next(n for n in papers if n.title == "Writing Fast Attention Kernels in C++ and CUDA")
    assert cpp.year == 2021 and cpp.category == (SPARSE,) and cpp.order == 1
    flamingo = next(n for n in papers if n.title == "Flamingo | a Visual Language Model for Few-Shot Learning")
    assert flamingo.venue == "NeurIPS" and flamingo.year == 2022
    resources = next(n for n in papers if n.title == "Resources · 相关资源 (awesome-list)")
    assert "Transformer_(machine_learning_model)" in resources.body and resources.category == ("相关资源",)
    intros = {n.category: n.body for n in loaded.notes if n.describes_category}
    assert intros[(SURVEYS,)].strip() == "先读综述再读具体方法。Start here if the area is new to you."
