"""Importing a folder of Markdown notes without front matter (Typora, Obsidian, a GitHub repository)."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from papernotes.diagnostics import Diagnostics
from papernotes.importers.folder import (
    Repository,
    index_folder,
    looks_like_notes_folder,
    metadata_label,
    parse_folder,
    parse_note_file,
    repository_from_remote,
    repository_link,
    split_authors,
)
from papernotes.importers.writer import apply, plan
from papernotes.load.notes import load_notes
from papernotes.model import Link, Status

FIXTURES = Path(__file__).parent / "fixtures"
FOLDER = FIXTURES / "notes-folder"
NOTE_FILES = ["NLP/BERT.md", "NLP/Transformer.md", "NLP/预训练模型综述.md", "计算机视觉/ResNet.md",
              "计算机视觉/YOLO目标检测.md", "计算机视觉/检测/DETR.md", "随笔/读论文的方法.md"]


@pytest.fixture(scope="module")
def parsed():
    return parse_folder(FOLDER)


def note(source, relative: str):
    return next(n for n in source.notes if n.origin == f"{relative}:1")


def write(folder: Path, relative: str, text: str | bytes) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def fixture_text(relative: str) -> str:
    return (FOLDER / relative).read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- the folder


def test_detection(tmp_path):
    assert looks_like_notes_folder(FOLDER)
    assert not looks_like_notes_folder(FIXTURES / "posts" / "jekyll-site")  # a blog: posts decides
    assert not looks_like_notes_folder(FOLDER / "README.md")  # a file
    assert not looks_like_notes_folder(tmp_path / "missing")
    write(tmp_path, "README.md", "# Only a README\n")
    write(tmp_path, ".obsidian/hidden.md", "# hidden\n")
    write(tmp_path, "images/x.txt", "not markdown\n")
    assert not looks_like_notes_folder(tmp_path)
    write(tmp_path, "深度学习/note.md", "# A note\n")
    assert looks_like_notes_folder(tmp_path)


def test_every_note_arrives_in_path_order_with_its_folder_as_category(parsed):
    assert parsed.kind == "notes"
    assert parsed.root == FOLDER.absolute()
    assert [n.origin for n in parsed.notes] == [f"{f}:1" for f in NOTE_FILES]  # README.md is an index
    assert [n.source_file for n in parsed.notes] == [FOLDER.absolute() / f for f in NOTE_FILES]
    assert [n.category for n in parsed.notes] == [("NLP",)] * 3 + [("计算机视觉",)] * 2 + [
        ("计算机视觉", "检测"), ("随笔",)]
    assert parsed.categories == []  # a folder has no order of its own: nothing for category_order
    assert [str(p) for p in parsed.problems] == [
        "NLP/BERT.md:13: the BibTeX entry's year 2018 differs from the Year heading's 2019; 2019 is kept",
        "NLP/预训练模型综述.md:3: links to '../计算机视觉/ViT.md', which is not a note of the folder; left as written",
        "计算机视觉/检测/DETR.md:17: '[[GPT-4 技术报告]]' names no note in the folder; left as written",
    ]


def test_hidden_folders_other_files_and_a_top_level_note(tmp_path):
    shutil.copytree(FOLDER, tmp_path / "vault")
    vault = tmp_path / "vault"
    write(vault, ".obsidian/workspace.md", "# Obsidian's own\n")
    write(vault, ".trash/旧笔记.md", "# deleted\n")
    write(vault, "NLP/.草稿.md", "# hidden file\n")
    write(vault, "NLP/BERT.md~", "# editor leftover\n")
    write(vault, "GAN.md", "# Generative Adversarial Nets\n\nNIPS 2014\n\n生成器和判别器的博弈。\n")
    source = parse_folder(vault)
    origins = [n.origin for n in source.notes]
    assert origins == ["GAN.md:1"] + [f"{f}:1" for f in NOTE_FILES]
    gan = source.notes[0]
    assert (gan.title, gan.category, gan.venue, gan.year) == ("Generative Adversarial Nets", (), "NIPS 2014", 2014)
    assert source.categories == []


# ----------------------------------------------------------------------------- heading-template notes


def test_heading_template_with_headings_only(parsed):
    resnet = note(parsed, "计算机视觉/ResNet.md")
    assert resnet.title == "Deep Residual Learning for Image Recognition"
    assert resnet.authors == ("Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun")
    assert (resnet.year, resnet.venue, resnet.status) == (2016, "CVPR 2016", None)
    assert resnet.links == [Link("arXiv", "https://arxiv.org/abs/1512.03385"),
                            Link("Code", "https://github.com/KaimingHe/deep-residual-networks")]
    assert resnet.arxiv == "1512.03385"
    assert "bibtex" not in resnet.extra
    # the metadata headings are gone; the rest is the file from "## 摘要" on, byte for byte
    text = fixture_text("计算机视觉/ResNet.md")
    assert resnet.body == text[text.index("## 摘要"):]
    assert "### " not in resnet.body


def test_heading_template_with_a_bibtex_block_only(parsed):
    yolo = note(parsed, "计算机视觉/YOLO目标检测.md")
    assert yolo.title == "You Only Look Once: Unified, Real-Time Object Detection"  # not the file name
    assert yolo.authors == ("Joseph Redmon", "Santosh Divvala", "Ross Girshick", "Ali Farhadi")
    assert yolo.year == 2016
    assert yolo.venue == "Proceedings of the IEEE Conference on Computer Vision and Pattern Recognition 2016"
    text = fixture_text("计算机视觉/YOLO目标检测.md")
    entry = text[text.index("@inproceedings"):text.index("}\n```") + 1]
    assert yolo.extra["bibtex"] == entry  # as written
    assert "Bibtex" not in yolo.body and "```" not in yolo.body and "@inproceedings" not in yolo.body
    assert yolo.body.startswith("把检测当成一个回归问题，一次前向就输出所有的框和类别，所以很快。\n\n## 网络结构\n")
    # Typora's "$$ right after a sentence" gets blank lines around the formula
    assert "损失函数写成\n\n$$\n\\mathcal{L}" in yolo.body
    assert "\\right]\n$$\n\n后面还有置信度和分类两项。\n" in yolo.body


def test_headings_win_over_a_disagreeing_bibtex_entry(parsed):
    bert = note(parsed, "NLP/BERT.md")
    assert bert.title == "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    assert bert.year == 2019  # the Year heading, not the entry's 2018 (reported: see the problems)
    assert bert.venue == "NAACL 2019"  # "### 会议：" with a full-width colon, not the entry's arXiv
    assert bert.authors == ("Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova")
    assert bert.status is Status.READ  # "### Status: 已读"
    assert bert.arxiv == "1810.04805"  # only the entry has it
    assert bert.extra["bibtex"].startswith("@article{devlin2018bert,\n  title={{BERT}: Pre-training")
    assert bert.extra["bibtex"].endswith("year={2018}\n}")
    # the "# BERT" heading is not the title: it stays, like "## 预训练"; the headings and block go
    assert bert.body == ("# BERT\n\n## 预训练\n\nMasked LM + Next Sentence Prediction。和 [GPT 那篇]"
                         "(https://github.com/openai/gpt-notes/blob/main/GPT.md) 不一样，BERT 是双向的。\n")


def test_headings_that_do_not_fit_are_sections(tmp_path):
    path = write(tmp_path, "notes/x.md", (
        "# Mamba\n\n"
        "### Paper:\n\nMamba: Linear-Time Sequence Modeling with Selective State Spaces\n\n"
        "### **作者**：Albert Gu、Tri Dao\n"
        "### Code:\n"
        "### Link:\n- https://arxiv.org/abs/2312.00752\n\n"
        "## Code: 实现细节\n\nselective scan 是用 CUDA 写的。\n\n"
        "## Year: 2023 results\n\n"
        "## Code:\n\n```python\nprint('kept')\n```\n"))
    mamba = parse_note_file(path, tmp_path / "notes")
    assert mamba.title == "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"
    assert mamba.authors == ("Albert Gu", "Tri Dao")
    assert mamba.links == [Link("arXiv", "https://arxiv.org/abs/2312.00752")]
    assert mamba.year is None
    assert mamba.body == ("# Mamba\n\n## Code: 实现细节\n\nselective scan 是用 CUDA 写的。\n\n"
                          "## Year: 2023 results\n\n## Code:\n\n```python\nprint('kept')\n```\n")


def test_labels_and_authors():
    assert metadata_label("Paper: Attention") == ("title", "Attention")
    assert metadata_label("**Authors**: A, B") == ("authors", "A, B")
    assert metadata_label("作者：张三") == ("authors", "张三")
    assert metadata_label("年份：2020") == ("year", "2020")
    assert metadata_label("Conference: ICLR 2021") == ("venue", "ICLR 2021")
    assert metadata_label("BibTeX") == ("bibtex", "")
    assert metadata_label("摘要") is None
    assert metadata_label("Method: overview") is None
    assert split_authors("A, B and C") == ["A", "B", "C"]
    assert split_authors("Kaiming He, Xiangyu Zhang, and Jian Sun") == ["Kaiming He", "Xiangyu Zhang", "Jian Sun"]
    assert split_authors("张三，李四、王五") == ["张三", "李四", "王五"]


# ----------------------------------------------------------------------------- plain and front-matter notes


def test_plain_typora_note(parsed):
    transformer = note(parsed, "NLP/Transformer.md")
    assert (transformer.title, transformer.venue, transformer.year) == (
        "Attention Is All You Need", "NeurIPS 2017", 2017)
    assert transformer.status is None and transformer.authors == ()
    body = transformer.body
    assert body.startswith("Transformer 完全抛弃了 RNN 和 CNN，只用 self-attention。\n\n## 方法 Method\n")
    assert "的定义是\n\n$$\n\\mathrm{Attention}" in body and "V\n$$\n\n其中 $d_k$" in body
    assert "# 代码里的 [[不是链接]] 和 [x](不存在.md) 都原样保留\n" in body  # code is untouched


def test_plain_note_without_a_heading(parsed):
    survey = note(parsed, "NLP/预训练模型综述.md")
    assert (survey.title, survey.year, survey.venue) == ("预训练模型综述", 2021, None)  # the file name; "2021"
    assert survey.body.startswith("这篇没写标题")


def test_status_marker_on_the_title_line(parsed):
    detr = note(parsed, "计算机视觉/检测/DETR.md")
    assert detr.title == "DETR: End-to-End Object Detection with Transformers"
    assert detr.status is Status.READ
    assert (detr.venue, detr.year) == ("ECCV 2020", 2020)


def test_front_matter_is_read_not_guessed(parsed):
    essay = note(parsed, "随笔/读论文的方法.md")
    assert essay.title == "读论文的方法 How to Read a Paper"
    assert essay.status is Status.SKIMMED
    assert essay.tags == ("方法论", "reading")
    assert essay.category == ("随笔",)
    assert essay.extra == {}  # typora-copy-images-to is the editor's, not the paper's
    assert essay.body == "三遍法：第一遍只看标题、摘要和图，第二遍看方法，第三遍试着自己复现。\n"


# ----------------------------------------------------------------------------- links, images, local paths


def test_links_between_notes(parsed):
    root = FOLDER.absolute()
    resnet = note(parsed, "计算机视觉/ResNet.md")
    assert [(l.written, l.target, l.fragment) for l in resnet.note_links] == [
        ("https://github.com/someone/paper-notes/blob/master/NLP/Transformer.md#方法-method",
         root / "NLP/Transformer.md", "方法-method"),
        ("检测/DETR.md", root / "计算机视觉/检测/DETR.md", ""),
    ]
    transformer = note(parsed, "NLP/Transformer.md")
    escaped = ("https://github.com/someone/paper-notes/blob/master/"
               "%E8%AE%A1%E7%AE%97%E6%9C%BA%E8%A7%86%E8%A7%89/ResNet.md")
    assert [(l.written, l.target) for l in transformer.note_links] == [
        (escaped, root / "计算机视觉/ResNet.md"),
        # without .git/config any GitHub repository counts (see the next test)
        ("https://github.com/another-person/paper-notes/blob/main/NLP/BERT.md", root / "NLP/BERT.md"),
    ]
    survey = note(parsed, "NLP/预训练模型综述.md")
    assert [(l.written, l.target, l.fragment) for l in survey.note_links] == [
        ("BERT.md#预训练", root / "NLP/BERT.md", "预训练")]
    assert note(parsed, "NLP/BERT.md").note_links == []  # a GitHub link to a file that is not here


def test_obsidian_wikilinks_become_links(parsed):
    root = FOLDER.absolute()
    detr = note(parsed, "计算机视觉/检测/DETR.md")
    assert "用 [注意力机制](../../NLP/Transformer.md) 的 encoder-decoder" in detr.body
    assert "backbone 还是 [ResNet](../ResNet.md)。" in detr.body
    assert [(l.written, l.target) for l in detr.note_links] == [
        ("../../NLP/Transformer.md", root / "NLP/Transformer.md"), ("../ResNet.md", root / "计算机视觉/ResNet.md")]
    assert "- [[GPT-4 技术报告]] 里好像" in detr.body  # no such note: left as written (and reported)
    assert "![](../../assets/detr-arch.svg)" in detr.body  # an embedded image, found in the vault's assets/
    assert [(i.written, i.path) for i in detr.images] == [("../../assets/detr-arch.svg", root / "assets/detr-arch.svg")]


def test_images_and_paths_on_the_authors_machine(parsed):
    resnet = note(parsed, "计算机视觉/ResNet.md")
    assert [(i.written, i.path) for i in resnet.images] == [
        ("images/resnet-block.svg", FOLDER.absolute() / "计算机视觉/images/resnet-block.svg")]
    assert resnet.local_paths == []
    yolo = note(parsed, "计算机视觉/YOLO目标检测.md")
    assert yolo.images == []
    assert yolo.local_paths == [
        "/Users/xiaoming/Library/Application Support/typora-user-images/image-20230312101500123.png"]


def test_git_config_names_the_repository(tmp_path):
    copy = tmp_path / "paper-notes"
    shutil.copytree(FOLDER, copy)
    write(copy, ".git/config", "[core]\n\tbare = false\n[remote \"origin\"]\n"
                               "\turl = git@github.com:someone/paper-notes.git\n"
                               "\tfetch = +refs/heads/*:refs/remotes/origin/*\n")
    transformer = note(parse_folder(copy), "NLP/Transformer.md")
    assert [l.target for l in transformer.note_links] == [copy.absolute() / "计算机视觉/ResNet.md"]  # not another-person's

    write(copy, ".git/config", "[remote \"origin\"]\n\turl = https://github.com/someone-else/notes\n")
    transformer = note(parse_folder(copy), "NLP/Transformer.md")
    assert transformer.note_links == []


def test_repository_urls():
    assert repository_from_remote("git@github.com:someone/paper-notes.git") == Repository("github.com", "someone", "paper-notes")
    assert repository_from_remote("https://github.com/Someone/Paper-Notes") == Repository("github.com", "Someone", "Paper-Notes")
    assert repository_from_remote("ssh://git@gitee.com:22/who/笔记.git") == Repository("gitee.com", "who", "笔记")
    assert repository_from_remote("not a url") is None


def test_a_source_folder_inside_the_repository(tmp_path):
    write(tmp_path, "CV/ViT.md", "# An Image is Worth 16x16 Words\n")
    index = index_folder(tmp_path)
    target = tmp_path.absolute() / "CV/ViT.md"
    # the repository keeps the notes in docs/notes/; the source is that folder
    assert repository_link("https://github.com/a/b/blob/main/docs/notes/CV/ViT.md#intro", index) == (target, "intro")
    assert repository_link("https://github.com/a/b/tree/feature/x/docs/notes/CV/vit.md", index) == (target, "")
    assert repository_link("https://raw.githubusercontent.com/a/b/master/CV/ViT.md", index) == (target, "")
    assert repository_link("https://github.com/a/b/blob/main/CV/Other.md", index) is None
    assert repository_link("https://gitlab.com/a/b/-/blob/main/CV/ViT.md", index) is None  # not GitHub, no .git


# ----------------------------------------------------------------------------- indexes and problems


def test_readmes(tmp_path):
    write(tmp_path, "notes/a.md", "# A\n")
    index = write(tmp_path, "notes/README.md", "# 笔记\n\n- [A](a.md) ✅\n- [B](https://github.com/x/y/blob/main/a.md)\n")
    assert parse_note_file(index, tmp_path / "notes") is None  # lists the notes
    about = write(tmp_path, "notes/README.md", "# my-notes\n\n论文笔记，持续更新。\n")
    assert parse_note_file(about, tmp_path / "notes") is None  # only describes the folder
    essay = write(tmp_path, "notes/README.md", "# 我的读论文流程\n\n" + "".join(f"第 {i} 步。\n\n" for i in range(6)))
    assert parse_note_file(essay, tmp_path / "notes").title == "我的读论文流程"  # a note after all
    problems = []
    reading_list = write(tmp_path, "notes/README.md", "# List\n\n<details>\n<summary>✅ Paper</summary>\n\nx\n</details>\n")
    assert parse_note_file(reading_list, tmp_path / "notes", problems) is None
    assert [str(p) for p in problems] == ["README.md: is a README reading list, not a note; import it with --format readme"]


def test_what_cannot_be_read_is_reported(tmp_path):
    folder = tmp_path / "notes"
    write(folder, "broken.md", "---\ntitle: [unclosed\n---\n\ntext\n")
    write(folder, "bad-status.md", "---\ntitle: Good title\nstatus: maybe\n---\n\nbody\n")
    write(folder, "gbk.md", "# 卷积神经网络\n\n笔记内容\n".encode("gb18030"))
    write(folder, "latin.md", b"# Caf\xe9 notes\n\ntext\n")
    write(folder, "binary.md", b"%PDF-1.4\x00\x00\x01")
    write(folder, "bib.md", "### Bibtex:\n\n```bibtex\n@article{x, title={Unclosed\n```\n\n正文\n")
    write(folder, "year.md", "### Paper: Some Paper\n### Status: maybe later\n\n正文\n")
    source = parse_folder(folder)
    by_file = {n.origin: n for n in source.notes}
    assert sorted(by_file) == ["bad-status.md:1", "bib.md:1", "gbk.md:1", "latin.md:1", "year.md:1"]
    assert (by_file["bad-status.md:1"].title, by_file["bad-status.md:1"].status) == ("Good title", None)
    assert by_file["gbk.md:1"].title == "卷积神经网络"
    assert by_file["latin.md:1"].title == "Caf� notes"
    assert "@article{x, title={Unclosed" in by_file["bib.md:1"].body and "bibtex" not in by_file["bib.md:1"].extra
    assert (by_file["year.md:1"].title, by_file["year.md:1"].status) == ("Some Paper", None)
    messages = sorted(str(p).split(";")[0] for p in source.problems)
    yaml_error = next(m for m in messages if m.startswith("broken.md"))
    assert yaml_error.startswith("broken.md:2: invalid YAML in front matter: ")  # the rest is the YAML library's
    assert str(next(p for p in source.problems if p.file == "broken.md")).endswith("; not imported")
    assert [m for m in messages if m != yaml_error] == [
        "bad-status.md:3: status 'maybe' is not one of read, unread, skimmed, triage (also accepted: ✅ ❌ ⬜ 🟧, "
        ":white_check_mark: :x: :white_large_square: :orange_square:, 已阅读 未阅读 已泛读 待分类)",
        "bib.md:4: the BibTeX block cannot be read",
        "binary.md: is not a text file (it contains NUL bytes)",
        "gbk.md:1: is not UTF-8 (byte 0xbe)",
        "latin.md:1: is not valid UTF-8 (byte 0xe9)",
        "year.md:2: status 'maybe later' is not one of read, unread, skimmed, triage (also accepted: ✅ ❌ ⬜ 🟧, "
        ":white_check_mark: :x: :white_large_square: :orange_square:, 已阅读 未阅读 已泛读 待分类)",
    ]


def test_missing_and_empty_folders(tmp_path):
    assert [str(p) for p in parse_folder(tmp_path / "nope").problems] == [f"{tmp_path / 'nope'}: no such file or folder"]
    source = parse_folder(tmp_path)
    assert source.notes == [] and [p.message for p in source.problems] == ["no Markdown notes found"]


# ----------------------------------------------------------------------------- end to end


def test_import_writes_notes_that_link_to_each_other(tmp_path):
    copy = tmp_path / "paper-notes"
    shutil.copytree(FOLDER, copy)
    site = tmp_path / "site"
    site.mkdir()
    parsed = parse_folder(copy)
    result = plan([parsed], site / "notes", site)
    apply(result)

    written = {planned.note.origin: planned.path for planned in result.notes}
    assert sorted(written) == sorted(f"{f}:1" for f in NOTE_FILES)
    resnet_path = written["计算机视觉/ResNet.md:1"]
    transformer_path = written["NLP/Transformer.md:1"]
    assert transformer_path == site / "notes/nlp/attention-is-all-you-need.md"
    resnet_text = resnet_path.read_text(encoding="utf-8")
    # the GitHub self-link now points at the other note's new file, fragment kept
    assert "[Transformer 里的残差](../nlp/attention-is-all-you-need.md#方法-method)" in resnet_text
    assert "github.com/someone" not in resnet_text
    transformer_text = transformer_path.read_text(encoding="utf-8")
    relative = quote("../计算机视觉/" + resnet_path.name, safe="/-_.~")
    assert f"[ResNet]({relative})" in transformer_text
    detr_text = written["计算机视觉/检测/DETR.md:1"].read_text(encoding="utf-8")
    assert "用 [注意力机制](../nlp/attention-is-all-you-need.md) 的" in detr_text
    assert f"backbone 还是 [ResNet]({resnet_path.name})" in detr_text

    # the Typora screenshot: one warning for that note, naming the path
    yolo_origin = "计算机视觉/YOLO目标检测.md:1"
    local = [w for w in result.warnings if "typora-user-images" in w]
    assert len(local) == 1 and local[0].startswith(yolo_origin + ": 1 image on the author's own machine")
    assert "image-20230312101500123.png" in local[0]

    # images copied next to the notes, references rewritten
    images = site / "notes/计算机视觉/images"
    assert (images / "resnet-block.svg").read_bytes() == (FOLDER / "计算机视觉/images/resnet-block.svg").read_bytes()
    assert (images / "detr-arch.svg").is_file()
    assert "![residual block](images/resnet-block.svg)" in resnet_text
    assert "![](images/detr-arch.svg)" in detr_text
    assert result.missing_images == []

    # the site loads every note back, with what the folder said
    diagnostics = Diagnostics()
    loaded = {n.title: n for n in load_notes(site, site / "notes", diagnostics).notes}
    assert not diagnostics.errors, diagnostics.errors
    assert len(loaded) == len(NOTE_FILES)
    bert = loaded["BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"]
    assert (bert.status, bert.venue, bert.year, bert.category) == (Status.READ, "NAACL 2019", 2019, ("NLP",))
    assert bert.extra["bibtex"].startswith("@article{devlin2018bert,")
    detr = loaded["DETR: End-to-End Object Detection with Transformers"]
    assert (detr.status, detr.category) == (Status.READ, ("计算机视觉", "检测"))
    assert loaded["预训练模型综述"].year == 2021
