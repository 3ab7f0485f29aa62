"""`papernotes new` (with the arXiv fetch against a local server) and `papernotes check`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import fake_arxiv_api

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"


def run(*args, cwd, env=None):
    import os
    return subprocess.run([sys.executable, "-m", "papernotes.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **(env or {})})


def front(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])


# an abstract as the arXiv API returns it (XML-escaped): HTML-looking text, emphasis characters,
# a line that would be a heading, and a formula that must still be drawn
ABSTRACT_WITH_MARKUP = ("We train with tokens like &lt;mask&gt; and &lt;img src=x onerror=alert(1)&gt; tags, "
                        "*not emphasis* and a_b_c, at cost $O(n^2)$.\n# not a heading\n1. not a list")


@pytest.fixture
def arxiv_api():
    """A local stand-in for the arXiv API: serves a recorded Atom answer, or a broken one."""
    lora = (FIXTURES / "2106.09685.xml").read_bytes()
    start, end = lora.index(b"<summary>") + len(b"<summary>"), lora.index(b"</summary>")
    marked = lora[:start] + ABSTRACT_WITH_MARKUP.encode() + lora[end:]
    answers = {"2106.09685": lora, "9999.99999": b"<feed><not-closed>", "2305.00001": marked}

    empty = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>'
    with fake_arxiv_api(lambda ids: answers.get(ids[0], empty)) as url:
        yield url


def test_new_creates_a_note_and_never_overwrites_one(tmp_path):
    result = run("new", "Chain-of-Thought Prompting", "--category", "Prompting/Reasoning", "--status", "已泛读",
                 "--tags", "cot, 推理", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path == tmp_path / "notes" / "prompting" / "chain-of-thought-prompting.md"
    data = front(path)
    assert data == {"title": "Chain-of-Thought Prompting", "status": "skimmed", "category": "Prompting/Reasoning",
                    "tags": ["cot", "推理"]}
    path.write_text(path.read_text() + "my own words\n")
    again = run("new", "Chain-of-Thought Prompting", "--category", "Prompting/Reasoning", cwd=tmp_path)
    # a free name beside it, as import chooses one
    assert again.returncode == 0 and "already exists; writing chain-of-thought-prompting-2.md" in again.stderr
    assert Path(again.stdout.strip()) == path.with_name("chain-of-thought-prompting-2.md")
    assert path.read_text().endswith("my own words\n")
    assert run("build", "--no-search", cwd=tmp_path).returncode == 0


def test_new_uses_the_sites_own_template(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "note.md").write_text("---\n{{ front_matter }}---\nMY TEMPLATE for {{ title }}\n")
    result = run("new", "Some Paper", cwd=tmp_path)
    assert "MY TEMPLATE for Some Paper" in Path(result.stdout.strip()).read_text()


def test_new_fetches_from_the_arxiv_api(tmp_path, arxiv_api):
    result = run("new", "--arxiv", "2106.09685", "--fetch", "--arxiv-api", arxiv_api, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    data = front(path)
    assert data["title"] == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert data["authors"] == ["Edward J. Hu", "Yelong Shen", "Weizhu Chen"]
    assert data["year"] == 2021 and data["arxiv"] == "2106.09685" and "cs.CL" in data["tags"]
    assert "freeze the pretrained weights" in path.read_text()


@pytest.mark.parametrize("ident, why", [("9999.99999", "not Atom XML"), ("1234.56789", "knows no paper")])
def test_new_with_a_bad_answer_says_so_and_still_creates_the_note(tmp_path, arxiv_api, ident, why):
    result = run("new", "My Title", "--arxiv", ident, "--fetch", "--arxiv-api", arxiv_api, cwd=tmp_path)
    assert result.returncode == 0
    assert why in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert front(Path(result.stdout.strip()))["arxiv"] == ident


def test_new_without_network_still_creates_the_note(tmp_path):
    result = run("new", "--arxiv", "2106.09685", "--fetch", "--arxiv-api", "http://127.0.0.1:9/api", cwd=tmp_path)
    assert result.returncode == 0 and "could not reach the arXiv API" in result.stderr
    assert front(Path(result.stdout.strip()))["title"] == "arXiv 2106.09685"


def write(root: Path, rel: str, text: str) -> None:
    path = root / "notes" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_check_reports_every_kind_of_problem_with_file_and_line(tmp_path):
    write(tmp_path, "ok.md", "---\ntitle: Fine\narxiv: 2106.09685\n---\nSee [other](other.md) and ![x](img.png).\n")
    write(tmp_path, "status.md", "---\ntitle: Bad status\nstatus: reed\n---\n")
    write(tmp_path, "yaml.md", "---\ntitle: [unclosed\n---\n")
    write(tmp_path, "url.md", "---\ntitle: Bad link\nlinks:\n  x: javascript:alert(1)\n---\n")
    write(tmp_path, "body.md", "---\ntitle: Body problems\n---\n<a href=\"javascript:alert(1)\">click</a>\n\n$\\frac{a$\n")
    write(tmp_path, "dup.md", "---\ntitle: Same paper again\nlinks: [https://arxiv.org/abs/2106.09685v2]\n---\n")
    result = run("check", cwd=tmp_path)
    out = result.stdout
    assert result.returncode == 1
    assert "notes/status.md:3: error: status 'reed'" in out
    assert "notes/yaml.md:2: error: invalid YAML" in out
    assert "notes/url.md:4: error: link 'javascript:alert(1)'" in out
    assert "notes/ok.md:5: warning: links to 'other.md', which does not exist" in out
    assert "notes/ok.md:5: warning: links to 'img.png', which does not exist" in out
    assert "notes/body.md:4: warning: link 'javascript:alert(1)' uses the scheme 'javascript:'" in out
    assert "notes/body.md:6: warning: formula could not be converted" in out
    assert "notes/ok.md:2: warning: same paper as notes/dup.md (same arXiv id)" in out
    assert out.strip().splitlines()[-1] == "checked 6 notes: 3 errors, 5 warnings"
    assert not (tmp_path / "site").exists()  # check writes nothing


def test_check_clean_site_and_strict(tmp_path):
    write(tmp_path, "a.md", "---\ntitle: A\n---\nfine\n")
    assert run("check", cwd=tmp_path).returncode == 0
    write(tmp_path, "b.md", "---\ntitle: B\n---\n![gone](gone.png)\n")
    assert run("check", cwd=tmp_path).returncode == 0
    assert run("check", "--strict", cwd=tmp_path).returncode == 1


def test_a_fetched_abstract_is_text_not_markdown_or_html(tmp_path, arxiv_api):
    result = run("new", "Masked", "--arxiv", "2305.00001", "--fetch", "--arxiv-api", arxiv_api, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    built = run("build", "--root", str(tmp_path), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    page = (tmp_path / "site" / "notes" / "masked.html").read_text(encoding="utf-8")
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(page, "html.parser")
    text = soup.select_one("article, main").get_text(" ")
    assert "tokens like <mask> and <img src=x onerror=alert(1)> tags" in text
    assert "*not emphasis* and a_b_c" in text and "# not a heading" in text and "1. not a list" in text
    assert not soup.select("article img, main img, article em, main em")
    assert soup.select("math") and "O(n^2)" in soup.select_one("math annotation").get_text()


@pytest.mark.parametrize("category", ["../../x", "a/../b", "./x", ".."])
def test_new_refuses_a_category_that_leaves_notes(tmp_path, category):
    result = run("new", "A paper", "--category", category, cwd=tmp_path)
    assert result.returncode == 2 and "has a '.' or '..' part" in result.stderr
    assert not any(tmp_path.rglob("*.md"))
