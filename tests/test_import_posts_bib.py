"""Importing Jekyll/Hexo posts and BibTeX files (issue #5, sources b and c)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from papernotes.importers.bib import abstract_markdown, latex_to_text, looks_like_bibtex, parse_bib_authors, parse_bibtex
from papernotes.importers.posts import (
    _Mask,
    convert_code_tags,
    convert_liquid_tags,
    drop_kramdown_attributes,
    extract_raw_blocks,
    looks_like_posts,
    neutralise_liquid_output,
    parse_posts,
    remove_toc,
)
from papernotes.model import Link, Status

FIXTURES = Path(__file__).parent / "fixtures"
JEKYLL = FIXTURES / "posts" / "jekyll-site"
HEXO = FIXTURES / "posts" / "hexo-blog"
LIBRARY = FIXTURES / "bib" / "library.bib"

README = """# Awesome papers

<details>
<summary>Efficient models</summary>

- ✅ [LoRA](https://arxiv.org/abs/2106.09685) @article{x, title={not bib}}
</details>
"""


# -- detection ------------------------------------------------------------------------------------

def test_detection_tells_the_kinds_apart(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(README, encoding="utf-8")
    jekyll_post = JEKYLL / "_posts" / "2017-10-1-my-first-note.markdown"
    hexo_post = HEXO / "source" / "_posts" / "attention-notes.md"

    for path in (JEKYLL, HEXO, JEKYLL / "_posts", jekyll_post, hexo_post):
        assert looks_like_posts(path), path
        assert not looks_like_bibtex(path), path
    for path in (LIBRARY, FIXTURES / "bib" / "notes.txt"):
        assert looks_like_bibtex(path), path
        assert not looks_like_posts(path), path
    for path in (readme, tmp_path, FIXTURES / "bib"):
        assert not looks_like_posts(path), path
        assert not looks_like_bibtex(path), path

    loose = tmp_path / "drafts"
    loose.mkdir()
    (loose / "2020-1-9-loose-post.md").write_text("# Loose\n", encoding="utf-8")
    assert looks_like_posts(loose)
    assert not looks_like_posts(tmp_path / "missing")


# -- Jekyll ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def jekyll():
    return parse_posts(JEKYLL)


def _by_title(source, title):
    return next(n for n in source.notes if n.title == title)


def test_jekyll_posts_front_matter(jekyll):
    assert jekyll.kind == "posts"
    assert [n.title for n in jekyll.notes] == ["Notes on Residual Learning", "Second thoughts"]
    first, second = jekyll.notes
    assert first.origin == "_posts/2017-10-1-my-first-note.markdown:1"
    assert first.date == dt.date(2017, 10, 1)  # from the name, not zero-padded
    assert first.category == ("Deep Learning",)  # trailing spaces in the front matter
    assert first.tags == ("cnn", "resnet")  # Jekyll: a space-separated string
    assert first.status is None and first.summary is None and first.extra == {}

    assert second.origin == "_posts/2018-2-14-second-thoughts.md:1"
    assert second.title == "Second thoughts"  # no title: the file name's slug
    assert second.date == dt.date(2018, 2, 15)  # the front matter's date wins
    assert second.category == ("Vision", "Detection")
    assert second.tags == ("yolo", "one stage")
    assert second.status is Status.SKIMMED
    assert second.summary == "A quick look at single-stage detectors."


def test_jekyll_body_rewrites(jekyll):
    body = _by_title(jekyll, "Notes on Residual Learning").body
    source = (JEKYLL / "_posts" / "2017-10-1-my-first-note.markdown").read_text(encoding="utf-8")
    # the TOC pair and attribute lists are gone, the heading id too
    assert body.startswith("## 动机 Motivation\n\n深层网络")
    assert "toc" not in body.lower() and "{:" not in body and "{#motivation}" not in body
    # math byte for byte, inline $$ in a Chinese sentence and the display block
    spans = re.findall(r"\$\$.+?\$\$", source, re.DOTALL)
    assert len(spans) == 4
    for span in spans:
        assert span in body
    assert "我们令$$\\mathcal{F}(x) = H(x) - x$$表示残差" in body
    assert "\\\\\nx_{l+1} &= f(y_l) * g_{*}(y_l)" in body
    # highlight became a fence, its content untouched
    assert "```python\ndef block(x):\n    return relu(x + conv(conv(x)))  # {{ not_liquid }}\n```" in body
    assert "highlight" not in body
    # site.baseurl dropped, the span attribute list after the image too
    assert "![Figure 1](/images/Fig1.png)\n" in body
    # other Liquid: shown as code, or an HTML comment; never left to run
    assert "The page `{{ page.title }}` and `{{ inline.code }}` are shown as written." in body
    assert '<!-- liquid: include figure.html caption="a shortcut" -->' in body
    assert "See also the follow-up<!-- liquid: post_url 2018-2-14-second-thoughts -->." in body
    # raw: tags gone, content as written
    assert "\nA template writes {{ value | escape }} and {% if x %} literally.\n" in body
    assert "raw %}" not in body
    # fenced code is never touched
    assert "```js\nconst tpl = `{{ not touched }}`; // {% include nope.html %}\n```" in body
    # nothing else moved: no double blank lines left behind
    assert "\n\n\n" not in body


def test_jekyll_images(jekyll):
    first = _by_title(jekyll, "Notes on Residual Learning")
    assert [(i.written, i.path) for i in first.images] == [("/images/Fig1.png", JEKYLL.absolute() / "images" / "Fig1.png")]
    second = _by_title(jekyll, "Second thoughts")
    assert [(i.written, i.path) for i in second.images] == [
        ("../images/boxes.png", JEKYLL.absolute() / "images" / "boxes.png"),
        ("/images/grid.png", JEKYLL.absolute() / "images" / "grid.png"),  # missing: the writer reports it
    ]
    assert '<img src="/images/grid.png" width="300">' in second.body
    assert "[TOC]" not in second.body and second.body.startswith("![local](../images/boxes.png)\n")
    for note in jekyll.notes:
        for image in note.images:
            assert image.written in note.body


def test_jekyll_problems(jekyll):
    problems = {(p.file, p.line): p.message for p in jekyll.problems}
    assert set(problems) == {("_posts/2019-1-2-broken-yaml.md", 3), ("_posts/2019-5-6-latin1.md", 5)}
    assert "invalid YAML" in problems[("_posts/2019-1-2-broken-yaml.md", 3)]
    assert "not UTF-8" in problems[("_posts/2019-5-6-latin1.md", 5)]


def test_single_post_file_uses_the_blog_root():
    post = JEKYLL / "_posts" / "2017-10-1-my-first-note.markdown"
    source = parse_posts(post)
    assert [n.origin for n in source.notes] == ["2017-10-1-my-first-note.markdown:1"]
    assert source.notes[0].images[0].path == JEKYLL.absolute() / "images" / "Fig1.png"


# -- Hexo ------------------------------------------------------------------------------------------------

def test_hexo_post():
    source = parse_posts(HEXO)
    assert source.problems == []
    (note,) = source.notes
    assert note.origin == "source/_posts/attention-notes.md:1"
    assert note.title == "Attention, Revisited"
    assert note.date == dt.date(2019, 3, 5)
    assert note.category == ("NLP", "Transformers")  # a list is a nested path
    assert note.tags == ("attention", "seq2seq")
    assert note.body.startswith("![Attention heads](attention-notes/heads.png)\n")
    assert "Inline math $\\alpha_{ij} = \\mathrm{softmax}(e_{ij})$ stays." in note.body
    assert "```python\nscores = q @ k.T / d ** 0.5\n```" in note.body
    assert "codeblock" not in note.body and "<!-- more -->" in note.body
    assert [(i.written, i.path) for i in note.images] == [
        ("attention-notes/heads.png", HEXO.absolute() / "source" / "_posts" / "attention-notes" / "heads.png")]


def test_posts_edge_cases(tmp_path):
    blog = tmp_path / "blog"
    posts = blog / "_posts"
    posts.mkdir(parents=True)
    (posts / "2020-13-40-.md").write_text("---\nlayout: post\n---\nNo title anywhere.\n", encoding="utf-8")
    (posts / "2020-3-1-heading-title.md").write_text(
        "---\nlayout: post\ncategories: ml nlp\npublished: false\nstatus: maybe\n---\n\n# From The Heading\n\nText.\n",
        encoding="utf-8")
    (posts / "2020-3-2-escape.md").write_text(
        "---\ntitle: Escape\n---\n![x](../../secret.png)\n", encoding="utf-8")
    (posts / "2020-3-4-nul.md").write_text(  # found by tests/test_fuzz.py: a NUL made path lookups raise
        "---\ntitle: Nul\n---\n![x](/images/a%00b.png)\n<img src=\"shot\0.png\">\n", encoding="utf-8")
    source = parse_posts(blog)
    (note, escape, nul) = source.notes
    assert nul.images == [] and nul.body.startswith("![x](/images/a%00b.png)")
    assert sum("holds a NUL character" in p.message for p in source.problems) == 2
    assert note.title == "From The Heading" and note.body == "Text.\n"
    assert note.category == ("ml", "nlp") and note.status is None
    assert escape.images == []
    messages = [(p.file, p.line, p.message) for p in source.problems]
    assert ("_posts/2020-13-40-.md", None, "the file name's date 2020-13-40 is not a date") in messages
    assert any(f == "_posts/2020-13-40-.md" and "has no title" in m for f, _, m in messages)
    assert any(f == "_posts/2020-3-1-heading-title.md" and line == 4 and "published: false" in m
               for f, line, m in messages)
    assert any(f == "_posts/2020-3-1-heading-title.md" and line == 5 and "status 'maybe'" in m
               for f, line, m in messages)
    assert any(f == "_posts/2020-3-2-escape.md" and "outside the blog folder" in m for f, _, m in messages)

    hexo = tmp_path / "hexo" / "source" / "_posts"
    hexo.mkdir(parents=True)
    (hexo / "no-opening-fence.md").write_text(
        "title: Diary Entry\ndate: 2021/4/7 09:30\ncategories: Daily Life\ntags: Deep Learning\n---\nHello.\n",
        encoding="utf-8")
    (hexo / "multi.md").write_text(
        "---\ntitle: Multi\ncategories: [[ML, Theory], [Misc]]\ntags: \"a, b\"\n---\n", encoding="utf-8")
    hexo_source = parse_posts(tmp_path / "hexo")
    assert hexo_source.problems == []
    diary, multi = sorted(hexo_source.notes, key=lambda n: n.title)
    assert (diary.title, diary.date, diary.category, diary.tags, diary.body) == (
        "Diary Entry", dt.date(2021, 4, 7), ("Daily Life",), ("Deep Learning",), "Hello.\n")
    assert (multi.category, multi.tags, multi.body) == (("ML", "Theory"), ("a", "b"), "")

    (posts / "2020-3-3-wide.md").write_bytes("---\ntitle: Wide 宽\n---\nUTF-16 text.\n".encode("utf-16"))
    assert any(n.title == "Wide 宽" and n.body == "UTF-16 text.\n" for n in parse_posts(blog).notes)

    empty = tmp_path / "empty"
    empty.mkdir()
    assert parse_posts(empty).notes == [] and parse_posts(empty).problems


def test_rewrite_helpers():
    mask = _Mask()
    assert remove_toc("intro\n\n1. Contents\n{:toc}\n\ntext\n") == "intro\n\ntext\n"
    assert remove_toc("{:toc}\n\ntext") == "text"
    assert remove_toc("- a\n- b\n{:toc}\n") == "- a\n- b\n"  # a real two-item list stays

    text = convert_code_tags("{% highlight ruby %}\nputs `ls`\n{% endhighlight %}\n", mask)
    assert mask.unmask(text) == "```ruby\nputs `ls`\n```\n"
    text = convert_code_tags("{% highlight md %}\n```\nx\n```\n{% endhighlight %}", mask)
    assert mask.unmask(text) == "````md\n```\nx\n```\n````"

    text = extract_raw_blocks("a {% raw %}{{ x }}{% endraw %} b\n", mask)
    assert mask.unmask(text) == "a {{ x }} b\n" and "{{" not in text

    assert neutralise_liquid_output('![a]({{ "/img/a.png" | relative_url }})', mask) == "![a](/img/a.png)"
    assert neutralise_liquid_output("[home]({{ site.baseurl }})", mask) == "[home](/)"
    assert neutralise_liquid_output("{{site.url}}{{site.baseurl}}/x.pdf", mask) == "/x.pdf"
    assert neutralise_liquid_output("a {{ x | `y` }} b", mask) == "a ``{{ x | `y` }}`` b"

    assert convert_liquid_tags("{% img left /images/cat.png 200 \"A cat\" %}") == '![A cat](/images/cat.png "A cat")'
    assert convert_liquid_tags("![p]({% link assets/p.png %})") == "![p](/assets/p.png)"
    assert convert_liquid_tags("{% comment %} a -- b {% endcomment %}") == "<!-- liquid comment: a - - b -->"
    reported = []
    assert convert_liquid_tags('<a href="{% post_url 2019-1-1-x %}">x</a>\n[r]: {% post_url y %}\n',
                               report=reported.append) == '<a href="#">x</a>\n[r]: #\n'
    assert len(reported) == 2 and "became '#'" in reported[0]
    assert neutralise_liquid_output("[r]: {{ site.baseurl }}/a.pdf", mask) == "[r]: /a.pdf"

    assert drop_kramdown_attributes("**Note**{: .red} x\n{::options parse_block_html=\"true\" /}\ny") == "**Note** x\ny"


# -- BibTeX ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def library():
    return parse_bibtex(LIBRARY)


def test_bibtex_entries(library):
    assert library.kind == "bibtex"
    assert [n.origin for n in library.notes] == ["library.bib:5", "library.bib:20", "library.bib:31",
                                                 "library.bib:42", "library.bib:61"]
    moe, graph, prompt, macro, reused = library.notes

    assert moe.title == "Sparse Mixture-of-Experts for Tiny Devices: Möller's Trick – Revisited"
    assert moe.authors == ("Jürgen Möller", "Ana García", "John Smith Jr.", "et al.")
    assert moe.year == 2021 and moe.venue == "Advances in Neural Information Processing Systems 2021"
    assert moe.links == [Link("proceedings.example.org", "https://proceedings.example.org/paper/2021/sparse-moe")]
    assert moe.tags == ("mixture of experts", "efficiency", "edge devices", "Reading Group")
    assert moe.category == ("Efficient Models",)
    assert moe.status is None and moe.arxiv is None and moe.doi is None and moe.summary is None
    assert moe.body == (
        "## Abstract\n\nWe study how to route tokens to experts when memory is scarce. With $k$ experts the cost "
        "drops to $O(\\sqrt{k})$, and a single knob trades accuracy for speed by 3%. Code uses snake\\_case "
        "names like top\\_k and \\<unk> tokens.\n")
    own = moe.extra["bibtex"]
    assert own.startswith("@inproceedings{moller2021sparse,") and "Zotero/storage" not in own
    assert "groups" not in own and "abstract = {We study" in own

    assert graph.title == "Graph Signals & Spectral Filters on Étale Spaces"
    assert graph.authors == ("Min-Jun Lee", "Imaginary Research Group")
    assert graph.venue == "Journal of Made-Up Results 2020" and graph.year == 2020
    assert graph.doi == "10.1234/jmr.2020.0042" and graph.links == []  # the DOI page is not repeated
    assert graph.body == "" and graph.category == () and graph.tags == ()
    assert graph.extra["bibtex"] == LIBRARY.read_text(encoding="utf-8").split("\n\n")[3].strip()  # as written

    assert prompt.title == "Prompt Tuning without Prompts"
    assert prompt.arxiv == "2301.01234" and prompt.venue == "arXiv 2023" and prompt.links == []
    assert prompt.tags == ("prompting", "parameter-efficient fine-tuning")

    assert macro.venue == "Proceedings of the Imaginary Conference on Machine Learning (ICML) 2019"
    assert "booktitle = {Proceedings of the Imaginary Conference on Machine Learning (ICML)}" in macro.extra["bibtex"]

    assert reused.title == "A Different Paper Reusing a Key" and reused.authors == () and reused.venue is None


def test_bibtex_problems(library):
    problems = [(p.file, p.line, p.message) for p in library.problems]
    assert [(f, line) for f, line, _ in problems] == [("library.bib", 50), ("library.bib", 55), ("library.bib", 61)]
    assert "entry 'broken2022' cannot be read" in problems[0][2]
    assert "'lee2020graph' is used again (first on line 20)" in problems[1][2] and "left out" in problems[1][2]
    assert "another paper; imported as well" in problems[2][2]


def test_bibtex_odd_files(tmp_path):
    bib = tmp_path / "odd.bib"
    bib.write_bytes(b"@misc{a, title = {Caf\xe9}, year = {twenty}}\n@misc{b, year = 2020}\n"
                    b"@article{c, title = {One}, title = {Two}, journal = {arXiv preprint arXiv:2101.00001}}\n")
    source = parse_bibtex(bib)
    assert [n.title for n in source.notes] == ["Caf\N{REPLACEMENT CHARACTER}", "One"]
    assert source.notes[1].arxiv == "2101.00001" and source.notes[1].venue == "arXiv"
    lines = [(p.line, p.message.split(";")[0]) for p in source.problems]
    assert lines[0] == (1, "is not UTF-8 (byte 0xe9)")
    assert (1, "entry 'a': year 'twenty' has no four-digit year") in lines
    assert (2, "entry 'b' has no title") in lines
    assert (3, "entry 'c' has title more than once") in lines
    assert parse_bibtex(tmp_path / "missing.bib").problems

    preprints = tmp_path / "preprints.bib"
    preprints.write_text(
        "@misc{zotero_style_2022,\n  title = {A Newer {Zotero} Export},\n  url = {http://arxiv.org/abs/2204.05678},\n"
        "  doi = {10.48550/arXiv.2204.05678},\n  number = {arXiv:2204.05678},\n  publisher = {arXiv},\n"
        "  month = apr,\n  year = {2022},\n  note = {arXiv:2204.05678 [cs]},\n}\n"
        "@article{DBLP:journals/corr/abs-1801-00002,\n  title = {From {DBLP}},\n  journal = {CoRR},\n"
        "  volume = {abs/1801.00002},\n  year = {2018},\n}\n", encoding="utf-8")
    zotero, dblp = parse_bibtex(preprints).notes
    assert (zotero.arxiv, zotero.venue, zotero.doi, zotero.links) == (
        "2204.05678", "arXiv 2022", "10.48550/arXiv.2204.05678", [])
    assert (dblp.arxiv, dblp.venue, dblp.title) == ("1801.00002", "arXiv 2018", "From DBLP")


def test_bibtex_helpers():
    assert latex_to_text(r"{{BERT}}: {D}eep \& {\'e}t{\'e} --- x~y") == "BERT: Deep & été — x y"
    assert parse_bib_authors("{Barack Obama and Friends} and van der Berg, Jan") == (
        "Barack Obama and Friends", "Jan van der Berg")
    assert abstract_markdown("Costs \\$5; see $a_1 * b_1$ and\n  \\(x_2\\).") == \
        "Costs \\$5; see $a_1 * b_1$ and \\(x_2\\)."
    assert abstract_markdown("- not a list *item*") == "\\- not a list \\*item\\*"


def test_import_is_fast(tmp_path):
    blog = tmp_path / "big"
    shutil.copytree(JEKYLL, blog)
    post = (blog / "_posts" / "2017-10-1-my-first-note.markdown").read_text(encoding="utf-8")
    for index in range(200):
        (blog / "_posts" / f"2017-10-{index % 28 + 1}-copy-{index}.md").write_text(post, encoding="utf-8")
    big = tmp_path / "big.bib"
    big.write_text(LIBRARY.read_text(encoding="utf-8").split("@article{broken2022")[0] * 50, encoding="utf-8")
    import time
    start = time.perf_counter()
    assert len(parse_posts(blog).notes) == 202
    assert len(parse_bibtex(big).notes) == 4
    assert time.perf_counter() - start < 5
