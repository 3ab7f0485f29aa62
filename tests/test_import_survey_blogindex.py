"""Reading a dated survey list (``importers.survey``) and a blog index copied out of a browser
(``importers.blogindex``): what a user would see of every awkward case of the fixtures, and the
notes the shared writer makes of them, loaded back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from papernotes.diagnostics import Diagnostics
from papernotes.importers.blogindex import looks_like_blog_index, parse_blog_index, published_date
from papernotes.importers.survey import heading_kind, looks_like_survey, parse_survey, trailing_date
from papernotes.importers.writer import apply, plan
from papernotes.load.notes import load_notes
from papernotes.model import Link, Status

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SURVEY = FIXTURES / "survey" / "survey-list.md"
NO_YEAR = FIXTURES / "survey" / "no-year.md"
BLOG = FIXTURES / "blogindex" / "blog-index.txt"
MESSY_README = FIXTURES / "readme" / "messy-README.md"

S1, S2, Y22, RES = "survey1 2023 蒸馏", "survey2 参数高效微调 PEFT", "2022", "资源 Resources"
BLOG_CATEGORY = "博客收藏 · ML Blog Index"


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line of ``path`` containing ``needle``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(no for no, line in enumerate(lines, 1) if needle in line)


def by_title(parsed) -> dict:
    titles = [n.title for n in parsed.notes]
    assert len(set(titles)) == len(titles), titles
    return {n.title: n for n in parsed.notes}


def load(root: Path):
    diagnostics = Diagnostics()
    notes = load_notes(root, root / "notes", diagnostics).notes
    assert not diagnostics.errors, diagnostics.errors
    return [n for n in notes if not n.describes_category], [n for n in notes if n.describes_category]


# ============================================================================ survey lists

@pytest.fixture(scope="module")
def survey():
    return parse_survey(SURVEY)


def test_survey_every_entry_becomes_a_note_in_file_order_to_read_last(survey):
    # 16 entries in: 8 paper items, 3 to-read URLs, 4 resource items (in 2 categories), 1 item that
    # is no paper -> 13 notes out (the resources of a category are one note).
    assert [(n.title, n.status, n.category, n.order) for n in survey.notes] == [
        ("Distilling the Knowledge in a Neural Network", Status.READ, (S1,), 1),
        ("DistilBERT, a distilled version of BERT: smaller, faster, cheaper and lighter", Status.READ, (S1,), 2),
        ("TinyBERT: Distilling BERT for Natural Language Understanding", Status.UNREAD, (S1,), 3),
        ("Do Deep Nets Really Need to be Deep?", Status.READ, (S1,), 4),
        ("LoRA: Low-Rank Adaptation of Large Language Models", Status.READ, (S2,), 1),
        ("Prefix-Tuning: Optimizing Continuous Prompts for Generation", Status.READ, (S2,), 2),
        (f"Resources · {S2} (survey-list)", Status.UNREAD, (S2,), 3),
        ("Attention Is All You Need", Status.READ, (Y22,), 1),
        ("BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding", Status.READ, (Y22,), 2),
        (f"Resources · {RES} (survey-list)", Status.UNREAD, (RES,), 1),
        # the to-read list of survey1: its category is survey1's ("待考察" is a status)
        ("arXiv:2305.14314", Status.TRIAGE, (S1,), 5),
        ("arXiv:2106.09685v2", Status.TRIAGE, (S1,), 6),
        ("arXiv:2402.12354", Status.TRIAGE, (S1,), 7),
    ]
    assert survey.kind == "survey"
    assert survey.root == SURVEY.parent.absolute()


def test_survey_dates_years_from_headings_and_title(survey):
    notes = by_title(survey)
    dates = {title: note.date for title, note in notes.items()}
    assert dates["Distilling the Knowledge in a Neural Network"] == dt.date(2023, 10, 18)  # ## survey1 2023
    assert dates["DistilBERT, a distilled version of BERT: smaller, faster, cheaper and lighter"] == dt.date(2023, 10, 20)
    assert dates["LoRA: Low-Rank Adaptation of Large Language Models"] == dt.date(2023, 11, 2)  # # title's 2023
    assert dates["Attention Is All You Need"] == dt.date(2022, 12, 28)  # ## 2022
    # a year written in the date wins over the heading's
    assert dates["BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"] == dt.date(2023, 1, 3)
    assert dates["Do Deep Nets Really Need to be Deep?"] is None  # a remark without a date
    assert dates["Prefix-Tuning: Optimizing Continuous Prompts for Generation"] is None  # 2.30 is no day
    assert dates["TinyBERT: Distilling BERT for Natural Language Understanding"] is None


def test_survey_bodies_are_the_remarks_with_the_used_date_removed(survey):
    notes = by_title(survey)
    assert notes["Distilling the Knowledge in a Neural Network"].body == "soft target 里有 dark knowledge，温度 T 越大分布越平\n"
    # tab-indented remark, display math given blank lines around it
    assert notes["DistilBERT, a distilled version of BERT: smaller, faster, cheaper and lighter"].body == (
        "三个 loss 加起来，NeurIPS 2019 workshop 上的\n\n"
        "$$L = \\alpha L_{ce} + \\beta L_{mlm} + \\gamma L_{cos}$$\n\n"
        "效果保留 97%，推理快 60%\n")
    # a remark line that is only the date disappears with it
    assert notes["LoRA: Low-Rank Adaptation of Large Language Models"].body == (
        "低秩分解 ΔW = BA，只训练 B 和 A（ICLR 2022）\n![](survey-list.assets/lora.png)\n")
    assert notes["Do Deep Nets Really Need to be Deep?"].body == "浅网络去拟合深网络的 logits 也能学得不错（这条忘了记日期）\n"
    # a date that is no day stays in the text
    assert notes["Prefix-Tuning: Optimizing Continuous Prompts for Generation"].body == "每一层前面拼可训练的 prefix，看了两遍 2.30\n"
    assert notes["TinyBERT: Distilling BERT for Natural Language Understanding"].body == ""


def test_survey_links_arxiv_ids_venues_images(survey):
    notes = by_title(survey)
    distilbert = notes["DistilBERT, a distilled version of BERT: smaller, faster, cheaper and lighter"]
    assert distilbert.links == [Link("pdf", "https://arxiv.org/abs/1910.01108v4"),
                                Link("code", "https://github.com/huggingface/transformers")]
    assert distilbert.arxiv == "1910.01108v4"  # version kept as written
    assert (distilbert.venue, distilbert.year) == ("NeurIPS 2019", 2019)
    lora = notes["LoRA: Low-Rank Adaptation of Large Language Models"]
    assert (lora.venue, lora.year, lora.arxiv) == ("ICLR 2022", 2022, "2106.09685")
    assert [(i.written, i.path) for i in lora.images] == [
        ("survey-list.assets/lora.png", SURVEY.parent.absolute() / "survey-list.assets" / "lora.png")]
    assert notes["Do Deep Nets Really Need to be Deep?"].arxiv == "1312.6184v7"
    prefix = notes["Prefix-Tuning: Optimizing Continuous Prompts for Generation"]
    assert prefix.links == [Link("pdf", "https://aclanthology.org/2021.acl-long.353.pdf")]
    assert prefix.arxiv is None and prefix.venue is None
    assert notes["Distilling the Knowledge in a Neural Network"].origin == f"survey-list.md:{line_of(SURVEY, 'Distilling the')}"


def test_survey_to_read_list(survey):
    notes = by_title(survey)
    qlora = notes["arXiv:2305.14314"]
    assert qlora.arxiv == "2305.14314"
    assert qlora.links == [Link("arXiv", "https://arxiv.org/abs/2305.14314")]
    assert qlora.summary == "Listed under “待考察” (to read) in survey-list.md."
    assert qlora.body == "" and qlora.date is None
    # a pdf link written with a version: the abs page, version kept
    assert notes["arXiv:2106.09685v2"].links == [Link("arXiv", "https://arxiv.org/abs/2106.09685v2")]
    assert notes["arXiv:2402.12354"].origin == f"survey-list.md:{line_of(SURVEY, '2402.12354')}"


def test_survey_resources_are_one_note_per_category_with_nothing_lost(survey):
    notes = by_title(survey)
    resources = notes[f"Resources · {RES} (survey-list)"]
    assert resources.body == (
        "* [LLaMA-Factory](https://github.com/hiyouga/LLaMA-Factory)\t微调工具，配置很方便\n"
        "* **Lil'Log**\t[blog](https://lilianweng.github.io/)\n"
        "* 李宏毅机器学习课程  [video](https://www.youtube.com/@HungyiLeeNTU)\n")
    assert resources.tags == ("resources",)
    assert resources.links == [] and resources.date is None
    # a github-only item among the papers: the resources note of that category, remark and all
    peft = notes[f"Resources · {S2} (survey-list)"]
    assert peft.body == "* **peft 库**\t[code](https://github.com/huggingface/peft)\n    调 LoRA 直接用这个 11.3\n"
    assert peft.origin == f"survey-list.md:{line_of(SURVEY, 'peft 库')}"


def test_survey_categories_and_introductions(survey):
    assert [(c.path, c.intro) for c in survey.categories] == [
        ((), "每周读几篇，按主题记在这里。remark 最后的数字是读完那天（月.日）。\n"),
        ((S1,), "知识蒸馏和模型压缩，先从经典的开始读。\n\n* 还想找找 MoE 蒸馏的东西\n"),
        ((S2,), ""),
        ((Y22,), "年底补的几篇，先记到这里。\n"),
        ((RES,), ""),
    ]
    assert survey.categories[1].origin == f"survey-list.md:{line_of(SURVEY, '## survey1')}"


def test_survey_problems_name_their_lines(survey):
    assert [(p.line, p.message.split(" ")[0]) for p in survey.problems] == [
        (line_of(SURVEY, "还想找找"), "'*"),
        (line_of(SURVEY, "看了两遍 2.30"), "'2.30'"),
        (line_of(SURVEY, "年底补的几篇"), "text"),
    ]
    assert "no day of 2023" in survey.problems[1].message
    assert "'2022'" in survey.problems[2].message and "introduction" in survey.problems[2].message
    assert all(p.file == "survey-list.md" for p in survey.problems)


def test_survey_without_any_year_keeps_dates_in_the_text():
    parsed = parse_survey(NO_YEAR)
    assert [(n.title, n.status, n.date, n.body) for n in parsed.notes] == [
        ("A Simple Framework for Contrastive Learning of Visual Representations", Status.READ, None,
         "SimCLR：大 batch + 强数据增强 3.14\n"),
        ("Momentum Contrast for Unsupervised Visual Representation Learning", Status.READ, None,
         "MoCo 用队列存负样本，动量更新 key encoder 3.16\n"),
        ("What Makes for Good Views for Contrastive Learning?", Status.UNREAD, None, ""),
        ("arXiv:2104.14294", Status.TRIAGE, None, ""),
    ]
    assert parsed.notes[-1].summary == "Listed under “TODO” (to read) in no-year.md."
    assert parsed.notes[-1].category == ("对比学习 Contrastive",)
    assert len(parsed.problems) == 1
    problem = parsed.problems[0]
    assert problem.line == line_of(NO_YEAR, "3.14")
    assert "no year" in problem.message and "'3.14' and 1 more" in problem.message


def test_survey_year_from_the_file_name_and_crlf_tabs_spaces(tmp_path):
    text = ("# 读论文\r\n\r\n## 多模态\r\n\r\n"
            "* **CLIP: Learning Transferable Visual Models From Natural Language Supervision**\t\t[pdf](https://arxiv.org/pdf/2103.00020)\r\n"
            "\t图文对比学习，zero-shot 很强 4.1\r\n"
            "* **Flamingo: a Visual Language Model for Few-Shot Learning**      [pdf](https://arxiv.org/abs/2204.14198)\r\n"
            "        交叉注意力把视觉接进冻结的 LM\r\n"
            "\r\n"
            "        第二段：perceiver resampler（4/3）\r\n"
            "**待读：**\r\n"
            "https://arxiv.org/abs/2301.12597 https://arxiv.org/abs/2304.08485\r\n")
    path = tmp_path / "reading-2021.md"
    path.write_bytes(text.encode("utf-8"))
    parsed = parse_survey(path)
    assert [(n.title, n.status, n.date, n.order) for n in parsed.notes] == [
        ("CLIP: Learning Transferable Visual Models From Natural Language Supervision", Status.READ, dt.date(2021, 4, 1), 1),
        ("Flamingo: a Visual Language Model for Few-Shot Learning", Status.READ, dt.date(2021, 4, 3), 2),
        ("arXiv:2301.12597", Status.TRIAGE, None, 3),
        ("arXiv:2304.08485", Status.TRIAGE, None, 4),
    ]
    assert parsed.notes[0].body == "图文对比学习，zero-shot 很强\n"
    assert parsed.notes[1].body == "交叉注意力把视觉接进冻结的 LM\n\n第二段：perceiver resampler\n"
    assert parsed.notes[2].summary == "Listed under “to read” (to read) in reading-2021.md."
    assert parsed.notes[2].origin == "reading-2021.md:12"
    assert parsed.problems == []
    assert "\r" not in "".join(n.body for n in parsed.notes)


def test_survey_lines_it_cannot_understand_are_reported_never_raised(tmp_path):
    path = tmp_path / "odd.md"
    path.write_text("## 2024 杂项\n\n"
                    "* **Good Paper**\t[pdf](javascript:alert(1))\n"
                    "* **\n"
                    "* [pdf](https://arxiv.org/abs/2401.00001)\n"
                    "  没有标题，只有链接 1.9\n"
                    "随手写的一句话\n"
                    "```\n* **Not A Paper** [pdf](https://arxiv.org/abs/2401.00002)\n```\n", encoding="utf-8")
    parsed = parse_survey(path)
    assert [(n.title, n.status, n.date, n.links) for n in parsed.notes] == [
        ("Good Paper", Status.UNREAD, None, []),
        ("arXiv:2401.00001", Status.READ, dt.date(2024, 1, 9), [Link("pdf", "https://arxiv.org/abs/2401.00001")]),
    ]
    # the remark runs on lazily into "随手写的一句话"; a code fence ends it (and is prose)
    assert parsed.notes[1].body == "没有标题，只有链接\n随手写的一句话\n"
    assert [p.line for p in parsed.problems] == [3, 4, 8]
    assert "javascript:" in parsed.problems[0].message
    assert "'* **'" in parsed.problems[1].message
    assert parsed.categories[0].intro.startswith("* **\n\n```\n* **Not A Paper**")


def test_survey_detection():
    assert looks_like_survey(SURVEY.read_text(encoding="utf-8"))
    assert looks_like_survey(NO_YEAR.read_text(encoding="utf-8"))
    assert not looks_like_survey(MESSY_README.read_text(encoding="utf-8"))
    assert not looks_like_survey((FIXTURES / "readme" / "seed-README.md").read_text(encoding="utf-8"))
    assert not looks_like_survey(BLOG.read_text(encoding="utf-8"))
    assert not looks_like_survey("今天读了 LoRA，**低秩分解**很巧妙 [pdf](https://arxiv.org/abs/2106.09685)。\n"
                                 "明天接着读 QLoRA。\n")
    # one item is not a list
    assert not looks_like_survey("## PEFT\n* **LoRA** [pdf](https://arxiv.org/abs/2106.09685)\n")


@pytest.mark.parametrize(("heading", "kind"), [
    ("待考察", "toread"), ("To Read", "toread"), ("📌 TODO 待读论文", "toread"), ("to-read list", "toread"),
    ("资源", "resources"), ("Useful Links & Tools", "resources"), ("其他资源 Other Resources", "resources"),
    ("Tutorials", "resources"), ("survey1 2023 蒸馏", "papers"), ("Tool Learning 工具学习", "papers"),
    ("TODO: planning with LLMs", "papers"), ("2022", "papers"), ("2023 代码", "papers"),
])
def test_survey_heading_kinds(heading, kind):
    assert heading_kind(heading) == kind


@pytest.mark.parametrize(("line", "date"), [
    ("读完了 10.18", (None, 10, 18)), ("读完了（10/18）", (None, 10, 18)), ("done 2023.1.3", (2023, 1, 3)),
    ("看完 11月2日", (None, 11, 2)), ("10.18", (None, 10, 18)),
    ("提升 0.85", None), ("v1.2", None), ("准确率 13.5", None), ("见 1.10.18", None),
])
def test_survey_trailing_dates(line, date):
    found = trailing_date(line)
    assert (None if found is None else (found.year, found.month, found.day)) == date


# ============================================================================ blog indexes

@pytest.fixture(scope="module")
def blog():
    return parse_blog_index(BLOG)


def test_blog_index_every_post_becomes_a_triage_note(blog):
    # 7 posts in -> 7 notes out
    assert [(n.title, n.status, n.category, n.order) for n in blog.notes] == [
        ("How Do Diffusion Models Learn to Denoise?", Status.TRIAGE, (BLOG_CATEGORY,), 1),
        ("Scaling Laws: What Do They Really Predict?", Status.TRIAGE, (BLOG_CATEGORY,), 2),
        ("Prompt Engineering 入门", Status.TRIAGE, (BLOG_CATEGORY,), 3),
        ("检索增强生成（RAG）综述", Status.TRIAGE, (BLOG_CATEGORY,), 4),
        ("Mixture of Experts, Explained Simply", Status.TRIAGE, (BLOG_CATEGORY,), 5),
        ("Why Is Contrastive Learning So Data Hungry?", Status.TRIAGE, (BLOG_CATEGORY,), 6),
        ("LoRA 的秩到底要取多少？", Status.TRIAGE, (BLOG_CATEGORY,), 7),
    ]
    assert blog.kind == "blog-index"
    assert blog.notes[0].origin == f"blog-index.txt:{line_of(BLOG, 'How Do Diffusion')}"
    assert all(n.date is None and n.links == [] and n.authors == () for n in blog.notes)


def test_blog_index_bodies_lose_the_repeated_title_and_keep_the_metadata(blog):
    notes = by_title(blog)
    assert notes["How Do Diffusion Models Learn to Denoise?"].body == (
        "扩散模型先一步步往数据里加高斯噪声，再训练一个网络把噪声一点点去掉。这篇从最简单的一维例子讲起，\n"
        "一直讲到 classifier-free guidance 和在 latent 空间里做扩散。\n\n"
        "Date: March 3, 2021 | Estimated Reading Time: 12 min | Author: Someone\n")
    # ':' repeated as ',', different case, no blank line before the next post
    assert notes["Scaling Laws: What Do They Really Predict?"].body == (
        "我们把 loss 对参数量、数据量和算力的幂律关系重新拟合了一遍，发现外推到大模型时误差并不小。\n\n"
        "Date: June 24, 2022 | Estimated Reading Time: 21 min | Author: Someone\n")
    assert notes["Prompt Engineering 入门"].body.startswith("怎样和大模型沟通而不用改权重？")
    # full-width brackets repeated as ASCII ones, no metadata line
    assert notes["检索增强生成（RAG）综述"].body == (
        "把外部知识库接到 LLM 上，可以减少幻觉。\n这篇比较了 dense retrieval、BM25 和混合检索，\n还讨论了 chunk 大小怎么选。\n")
    # a blank line between title and repetition, doubled spaces, ' ,', '——'
    assert notes["Mixture of Experts, Explained Simply"].body.startswith("MoE 的核心是一个 router")
    assert notes["Why Is Contrastive Learning So Data Hungry?"].body == (
        "一个很直接的观察：InfoNCE 需要很多负样本，\n\n"
        "$$\\mathcal{L} = -\\log \\frac{e^{s_+}}{\\sum_j e^{s_j}}$$\n\n"
        "所以 batch 越大越好。下面是几个猜测。\n\n2022年5月1日 · 8 min read\n")
    # '?' repeated as '？' the other way round
    assert notes["LoRA 的秩到底要取多少？"].body == "r=8 就够了吗？我们在三个任务上扫了 r 从 1 到 256。\n\n发布于 2023-07-09 · 阅读 6 分钟\n"


def test_blog_index_publication_dates(blog):
    assert [n.extra.get("published") for n in blog.notes] == [
        dt.date(2021, 3, 3), dt.date(2022, 6, 24), dt.date(2023, 3, 15), None,
        dt.date(2023, 1, 27), dt.date(2022, 5, 1), dt.date(2023, 7, 9)]
    assert published_date("Posted on 3rd Sep 2019 · 5 min") == dt.date(2019, 9, 3)
    assert published_date("Date: February 30, 2021") is None


def test_blog_index_text_around_the_posts_is_reported(blog):
    assert [(p.line, p.message.split(" (")[0]) for p in blog.problems] == [
        (line_of(BLOG, "Posts"), "text before the first post"),
        (line_of(BLOG, "« Prev Page"), "after the last post"),
    ]
    assert "'© 2024 Some Blog · Powered by Hugo'" in blog.problems[1].message
    assert all("Prev Page" not in n.body and "Hugo" not in n.body for n in blog.notes)
    assert [(c.path, c.intro) for c in blog.categories] == [((BLOG_CATEGORY,), "Posts\n")]


def test_blog_index_without_heading_crlf_and_no_blank_lines(tmp_path):
    path = tmp_path / "copied.txt"
    path.write_bytes(("Is Attention All You Need?\r\n"
                      "is attention all you need ?不一定：很多任务上 MLP 也行。\r\n"
                      "发布于 2024-02-01 · 阅读 5 分钟\r\n"
                      "蒸馏：从 BERT 到 TinyBERT\r\n"
                      "蒸馏, 从 BERT 到 TinyBERT 两阶段蒸馏的细节。\r\n").encode("utf-8"))
    parsed = parse_blog_index(path)
    assert [(n.title, n.category, n.order, n.body) for n in parsed.notes] == [
        ("Is Attention All You Need?", (), 1, "不一定：很多任务上 MLP 也行。\n\n发布于 2024-02-01 · 阅读 5 分钟\n"),
        ("蒸馏：从 BERT 到 TinyBERT", (), 2, "两阶段蒸馏的细节。\n"),
    ]
    assert parsed.notes[0].extra == {"published": dt.date(2024, 2, 1)}
    assert parsed.problems == [] and parsed.categories == []


def test_blog_index_detection():
    assert looks_like_blog_index(BLOG.read_text(encoding="utf-8"))
    assert not looks_like_blog_index(MESSY_README.read_text(encoding="utf-8"))
    assert not looks_like_blog_index(SURVEY.read_text(encoding="utf-8"))
    prose = ("LoRA\n\nLoRA 把权重更新写成低秩矩阵的乘积，只训练 B 和 A。\n\n"
             "## Method\nMethod: 冻结原模型。\n\n"
             "实验结果.\n实验结果. 在 GLUE 上和全量微调差不多。\n")
    assert not looks_like_blog_index(prose)  # one pair only; the others are a heading and a sentence
    one = "Scaling Laws: What Do They Predict?\nScaling laws, what do they predict? 摘要……\n"
    assert not looks_like_blog_index(one)
    assert looks_like_blog_index(one + "\nSecond Post\nSecond post 的摘要。\n")


# ============================================================================ through the writer

def write_and_load(parsed, site: Path):
    result = plan([parsed], site / "notes", site)
    apply(result)
    papers, intros = load(site)
    return result, {n.title: n for n in papers}, intros


def test_survey_end_to_end(tmp_path, survey):
    site = tmp_path / "site"
    site.mkdir()
    result, notes, intros = write_and_load(parse_survey(SURVEY), site)
    # 13 parsed notes -> 12 written: the to-read "arXiv:2106.09685v2" is merged into LoRA
    assert len(result.merged) == 1 and "into survey-list.md:28 “LoRA" in result.merged[0]
    assert len(notes) == 12
    expected = {n.title: n for n in survey.notes if n.title != "arXiv:2106.09685v2"}
    assert set(notes) == set(expected)
    for title, note in notes.items():
        assert note.status is expected[title].status, title
        assert note.date == expected[title].date, title
        assert note.category == (expected[title].category or ("Uncategorized",)), title
        assert note.order == expected[title].order, title
    lora = notes["LoRA: Low-Rank Adaptation of Large Language Models"]
    assert lora.status is Status.READ and lora.date == dt.date(2023, 11, 2) and lora.arxiv == "2106.09685"
    assert "![](images/lora.png)" in lora.body
    assert (lora.source.parent / "images" / "lora.png").read_bytes() == b"\x89PNG\r\n\x1a\n lora"
    assert notes[f"Resources · {RES} (survey-list)"].tags == ("resources",)
    assert sorted(n.category for n in intros) == [(), (Y22,), (S1,)]


def test_blog_index_end_to_end(tmp_path, blog):
    site = tmp_path / "site"
    site.mkdir()
    result, notes, intros = write_and_load(parse_blog_index(BLOG), site)
    assert result.merged == [] and len(notes) == 7
    for parsed in blog.notes:
        note = notes[parsed.title]
        assert note.status is Status.TRIAGE and note.category == (BLOG_CATEGORY,)
        assert note.order == parsed.order
        assert note.extra.get("published") == parsed.extra.get("published")
        assert note.body.strip() == parsed.body.strip()
    assert [n.category for n in intros] == [(BLOG_CATEGORY,)]


def test_survey_remark_with_a_code_block(tmp_path):
    path = tmp_path / "code.md"
    path.write_text("## 2023 代码\n\n"
                    "- **FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness** [pdf](https://arxiv.org/abs/2205.14135)\n"
                    "  ```python\n"
                    "  out = flash_attn(q, k, v)\n"
                    "\n"
                    "  # tiling, 不存 N×N 矩阵\n"
                    "  ```\n"
                    "  7.4\n"
                    "- **Next Paper?** [pdf](https://openreview.net/pdf?id=abc)\n", encoding="utf-8")
    parsed = parse_survey(path)
    assert [(n.title, n.status, n.date) for n in parsed.notes] == [
        ("FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness", Status.READ, dt.date(2023, 7, 4)),
        ("Next Paper?", Status.UNREAD, None),
    ]
    assert parsed.notes[0].body == "```python\nout = flash_attn(q, k, v)\n\n# tiling, 不存 N×N 矩阵\n```\n"
    assert parsed.notes[1].links == [Link("pdf", "https://openreview.net/pdf?id=abc")]
    assert parsed.problems == []
