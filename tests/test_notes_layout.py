"""How a folder of notes lays out a site: notes without front matter, the `order` field, a
category's `_index.md` introduction, links to the site's own files on GitHub, and paths that
exist only on the author's machine — all through real builds."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup

from conftest import run_papernotes
from papernotes.diagnostics import Diagnostics
from papernotes.load.notes import load_notes


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def build(root: Path, *args: str):
    result = run_papernotes("build", "--root", root, "--no-search", *args, cwd=root)
    return result


def page(root: Path, rel: str) -> BeautifulSoup:
    return BeautifulSoup((root / "site" / rel).read_text(encoding="utf-8"), "html.parser")


def loaded(root: Path):
    diagnostics = Diagnostics()
    notes = {n.key: n for n in load_notes(root, root / "notes", diagnostics).notes}
    return notes, diagnostics


def test_a_note_without_front_matter(tmp_path):
    write(tmp_path, "notes/Knowledge Distillation/hinton.md",
          "# Distilling the Knowledge in a Neural Network\n\n**NIPS 2014 Deep Learning Workshop**\n\n"
          "软标签里有暗知识。\n\n![missing](nowhere.png)\n")
    write(tmp_path, "notes/Vision/resnet.md", "# Deep Residual Learning\n\nCVPR 2016\n\n残差连接。\n")
    write(tmp_path, "notes/Vision/year-only.md", "# A Paper With Only a Year\n\n2019\n\nText.\n")
    write(tmp_path, "notes/Vision/in-sentence.md", "# In A Sentence\n\n这篇发表在（ICLR 2023）上，思路很简单。\n")
    write(tmp_path, "notes/Vision/sentence.md", "# Bold Sentence\n\n**这一句加粗的话不是会议名称，只是强调，2023 年写的**\n")
    write(tmp_path, "notes/top.md", "No heading at all, just text.\n")
    notes, diagnostics = loaded(tmp_path)
    hinton = notes["Knowledge Distillation/hinton"]
    assert (hinton.title, hinton.category, hinton.venue, hinton.year) == (
        "Distilling the Knowledge in a Neural Network", ("Knowledge Distillation",), "NIPS 2014 Deep Learning Workshop", 2014)
    assert "NIPS" not in hinton.body and "软标签里有暗知识。" in hinton.body
    resnet = notes["Vision/resnet"]
    assert (resnet.category, resnet.venue, resnet.year) == (("Vision",), "CVPR 2016", 2016)
    assert (notes["Vision/year-only"].venue, notes["Vision/year-only"].year) == (None, 2019)
    assert notes["Vision/in-sentence"].venue == "ICLR 2023"
    assert notes["Vision/in-sentence"].body.strip().startswith("这篇发表在（ICLR 2023）上")  # text unchanged
    assert notes["Vision/sentence"].venue is None and "**这一句加粗" in notes["Vision/sentence"].body
    assert (notes["top"].title, notes["top"].category) == ("top", ("Uncategorized",))
    # the lines after a taken heading and venue keep their numbers in messages
    result = build(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "notes/Knowledge Distillation/hinton.md:7: warning: links to 'nowhere.png'" in result.stdout + result.stderr


def test_order_field_orders_home_and_category_pages(tmp_path):
    front = "---\ntitle: {t}\ncategory: Reading\nyear: {y}\n{o}---\nBody.\n"
    write(tmp_path, "notes/a.md", front.format(t="Newest Without Order", y=2024, o=""))
    write(tmp_path, "notes/b.md", front.format(t="Second", y=2001, o="order: 2\n"))
    write(tmp_path, "notes/c.md", front.format(t="First", y=1999, o="order: 1\n"))
    write(tmp_path, "notes/d.md", front.format(t="Older Without Order", y=2010, o=""))
    result = build(tmp_path)
    assert result.returncode == 0, result.stderr
    expected = ["First", "Second", "Newest Without Order", "Older Without Order"]
    home = page(tmp_path, "index.html")
    assert [a.get_text() for a in home.select(".row-title")] == expected
    category = page(tmp_path, "categories/reading.html")
    assert [a.get_text() for a in category.select(".row-title")] == expected
    write(tmp_path, "notes/e.md", front.format(t="Bad", y=2000, o="order: first\n"))
    result = build(tmp_path)
    assert "notes/e.md:5: error: order 'first' is not a number such as 3" in result.stdout + result.stderr


def test_category_introductions(tmp_path):
    note = "---\ntitle: {t}\ncategory: {c}\n---\nBody.\n"
    write(tmp_path, "notes/kd/hinton.md", note.format(t="Hinton KD", c="Knowledge Distillation"))
    write(tmp_path, "notes/kd/sub/zskd.md", note.format(t="Zero-Shot KD", c="Knowledge Distillation/Data-Free"))
    write(tmp_path, "notes/kd/_index.md", "---\ncategory: Knowledge Distillation\n---\n几个术语：\n\n"
          "- **教师**：大模型\n- **温度** $T$：软化分布\n\n见 [Hinton](hinton.md)。\n")
    write(tmp_path, "notes/kd/sub/_index.md", "---\ncategory: Knowledge Distillation/Data-Free\n---\n拿不到训练数据时的蒸馏。\n")
    write(tmp_path, "notes/_index.md", "我的论文笔记，按方向分类。\n")
    write(tmp_path, "notes/stray/_index.md", "A description of a category without notes.\n")
    result = build(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 notes," in result.stdout  # introductions are not papers
    assert ("notes/stray/_index.md: warning: describes the category 'stray', which has no notes"
            in result.stdout + result.stderr)
    category = page(tmp_path, "categories/knowledge-distillation.html")
    intro = category.select_one(".category-intro")
    assert "几个术语" in intro.get_text() and intro.find("math") is not None
    link = intro.find("a", string="Hinton")
    assert (tmp_path / "site" / "categories" / link["href"]).resolve() == (tmp_path / "site/notes/kd/hinton.html").resolve()
    home = page(tmp_path, "index.html")
    assert "我的论文笔记" in home.select_one(".site-intro").get_text()
    section = home.select_one("section.category.depth-1")
    home_link = section.select_one(".category-intro").find("a", string="Hinton")
    assert (tmp_path / "site" / home_link["href"]).resolve() == (tmp_path / "site/notes/kd/hinton.html").resolve()
    assert "拿不到训练数据" in section.select_one("section.category.depth-2 .category-intro").get_text()
    assert not (tmp_path / "site" / "notes" / "kd" / "_index.html").exists()
    assert len(home.select(".note-row")) == 2
    # an edit of an introduction alone is seen by the next (incremental) build
    write(tmp_path, "notes/kd/_index.md", "---\ncategory: Knowledge Distillation\n---\n改过的介绍。\n")
    result = build(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "改过的介绍" in page(tmp_path, "categories/knowledge-distillation.html").select_one(".category-intro").get_text()
    assert "改过的介绍" in page(tmp_path, "index.html").select_one("section.category .category-intro").get_text()
    # check reports what build reports
    checked = run_papernotes("check", "--root", tmp_path, cwd=tmp_path)
    assert "notes/stray/_index.md: warning: describes the category 'stray'" in checked.stdout


def test_links_to_the_sites_own_files_on_github_become_links_to_pages(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text('[core]\n\tbare = false\n[remote "origin"]\n'
                                              "\turl = git@github.com:Someone/Paper-Notes.git\n")
    write(tmp_path, "notes/a.md", "# A\n\nSee [B](https://github.com/someone/paper-notes/blob/main/notes/sub/b.md#方法), "
          "[elsewhere](https://github.com/other/repo/blob/main/notes/sub/b.md) and "
          "[missing](https://github.com/someone/paper-notes/blob/main/notes/gone.md).\n")
    write(tmp_path, "notes/sub/b.md", "# B\n\n## 方法\n\nText.\n")
    result = build(tmp_path)
    assert result.returncode == 0, result.stderr
    links = {a.get_text(): a["href"] for a in page(tmp_path, "notes/a.html").select(".note-body a")}
    assert links["B"].startswith("sub/b.html#")
    assert links["elsewhere"] == "https://github.com/other/repo/blob/main/notes/sub/b.md"
    assert links["missing"] == "https://github.com/someone/paper-notes/blob/main/notes/gone.md"
    # repo_url in papernotes.yaml names the repository when there is no git checkout
    (tmp_path / ".git" / "config").unlink()
    write(tmp_path, "papernotes.yaml", "repo_url: https://github.com/other/repo\n")
    result = build(tmp_path)
    links = {a.get_text(): a["href"] for a in page(tmp_path, "notes/a.html").select(".note-body a")}
    assert links["elsewhere"] == "sub/b.html" and links["B"].startswith("https://github.com/someone/")


def test_paths_on_the_authors_machine_are_one_warning_per_note(tmp_path):
    write(tmp_path, "notes/typora.md",
          "# Typora\n\n![a](/Users/me/Library/Application%20Support/typora-user-images/image-1.png)\n\n"
          "![b](</Users/me/Library/Application Support/typora-user-images/image 2.png>)\n\n"
          '<img src="C:\\Users\\me\\Pictures\\c.png"> and [pdf](file:///home/me/papers/x.pdf)\n')
    result = build(tmp_path)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if line.startswith("notes/typora.md")]
    assert len(warnings) == 1, warnings
    # (a file: link is no link in Markdown: shown as text, not counted)
    assert "notes/typora.md:3: warning: 3 links to files on the author's own machine" in warnings[0]
    assert "/Users/me/Library/Application Support/typora-user-images/image-1.png" in warnings[0]
    assert "notes/images/" in warnings[0]
