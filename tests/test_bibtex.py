"""BibTeX: citation keys, entries generated from front matter, own ``bibtex:`` entries, papers.bib
and the Cite block on note pages (with its copy button in a real browser)."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import bibtexparser
import pytest
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from papernotes.bibtex import (
    HEADER, bibliography, citation_base_key, citation_keys, entry_for, entry_text, escape_text, escape_title,
    generated_base_key, key_hash, note_entry, own_entry, own_entry_problem, venue_kind,
)
from papernotes.build import BuildOptions, build
from papernotes.load.notes import is_note_file, load_note
from papernotes.output import SiteDirectory
from papernotes.project import Project

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_NOTES = REPO_ROOT / "notes"


# -- helpers -------------------------------------------------------------------------------------------

def write(root: Path, name: str, text: str) -> Path:
    path = root / "notes" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def front(**fields) -> str:
    """Front matter from keyword arguments; values are written as YAML as given (quote them)."""
    lines = ["---"] + [f"{key}: {value}" for key, value in fields.items()] + ["---", "", "Body.", ""]
    return "\n".join(lines)


def load(root: Path, name: str, text: str):
    return load_note(write(root, name, text), root, root / "notes")


def parse(text: str):
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [str(b.error) for b in library.failed_blocks]
    return library


def fields_of(entry) -> dict[str, str]:
    return {f.key: f.value for f in entry.fields}


def raw_balanced(value: str) -> bool:
    """Braces balanced the way BibTeX counts them: every brace, escaped or not."""
    depth = 0
    for char in value:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _latex_decoder() -> LatexNodes2Text:
    db = get_default_latex_context_db().filter_context()
    db.add_context_category("text-symbols", prepend=True, macros=[
        MacroTextSpec("textbraceleft", "{"), MacroTextSpec("textbraceright", "}"),
        MacroTextSpec("textasciicircum", "^"), MacroTextSpec("textasciitilde", "~"),
    ])
    return LatexNodes2Text(latex_context=db, math_mode="verbatim")


DECODER = _latex_decoder()


def as_text(value: str) -> str:
    """What LaTeX prints for a field value (escapes undone, case-protecting braces dropped)."""
    return DECODER.latex_to_text(value)


def cite_block(page: str) -> str:
    match = re.search(r'<section class="cite".*?</section>', page, re.DOTALL)
    assert match, "the page has no Cite block"
    return match.group(0)


def cite_code(page: str) -> str:
    match = re.search(r'<code class="language-bibtex" id="bibtex-([^"]+)">(.*?)</code>', cite_block(page), re.DOTALL)
    assert match
    return match.group(2)


def build_site(root: Path, out: Path | None = None) -> Path:
    out = out or root / "site"
    result = build(BuildOptions(root=root, output=out, search=False))
    assert result.ok, [d.message for d in result.diagnostics.items]
    return out


LORA = front(title='"LoRA: Low-Rank Adaptation of Large Language Models"', venue="ICLR 2022",
             authors="[Edward J. Hu, Yelong Shen, Phillip Wallis]", year=2022, arxiv="2106.09685")


# -- citation keys -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, expected", [
    (dict(title='"LoRA: Low-Rank Adaptation"', authors="[Edward J. Hu]", year=2022), "hu2022lora"),
    (dict(title='"On the Opportunities and Risks of Foundation Models"', authors="[Rishi Bommasani]", year=2021),
     "bommasani2021opportunities"),
    (dict(title='"Towards a Theory of Everything"', authors="[Łukasz Kaiser]", year=2017), "kaiser2017theory"),
    (dict(title='"Self-Attention Done Right"', authors='["Dessì, Roberto"]', year=2020), "dessi2020self"),
    (dict(title='"Chain-of-Thought"', authors="[Jason Wei, et al.]"), "wei" + "nd" + "chain"),
    (dict(title="A Paper", authors="[]"), "anonndpaper"),
    (dict(title="知识蒸馏综述", authors="[张三, 李四]", year=2021), "anon2021survey"),
    (dict(title="知识蒸馏综述", authors="[Jianping Gou]", year=2021), "gou2021survey"),
])
def test_base_keys(tmp_path, fields, expected):
    note = load(tmp_path, "distillation/survey", front(**fields))
    assert generated_base_key(note) == expected
    assert citation_keys([note]) == {note.key: expected}


def test_chinese_title_and_file_name_fall_back_to_ascii(tmp_path):
    note = load(tmp_path, "知识蒸馏", front(title="知识蒸馏综述", authors="[张三]"))
    assert generated_base_key(note) == "anonnd"
    entry = parse(bibliography([note])).entries[0]
    assert entry.key == "anonnd" and entry.key.isascii()
    assert fields_of(entry)["title"] == "知识蒸馏综述"
    assert fields_of(entry)["author"] == "{张三}"  # one name, not split into given and family


def test_colliding_keys_are_distinct_and_stable_and_others_do_not_move_them(tmp_path):
    same = front(title='"LoRA: Low-Rank Adaptation"', authors="[Edward J. Hu]", year=2022)
    a = load(tmp_path, "peft/lora", same)
    b = load(tmp_path, "reading/lora-again", same)
    alone = load(tmp_path, "other", front(title="Adam", authors="[Diederik P. Kingma]", year=2015))
    keys = citation_keys([a, b, alone])
    assert keys[a.key] != keys[b.key]
    assert keys[a.key] == "hu2022lora-" + key_hash("peft/lora")
    assert keys[b.key] == "hu2022lora-" + key_hash("reading/lora-again")
    assert re.fullmatch(r"hu2022lora-[a-z2-7]{4}", keys[a.key])
    assert keys[alone.key] == "kingma2015adam"
    # the same however the notes come, and a new unrelated note changes nothing
    assert citation_keys([alone, b, a]) == keys
    newcomer = load(tmp_path, "new", front(title="Attention Is All You Need", authors="[Ashish Vaswani]", year=2017))
    more = citation_keys([b, newcomer, a, alone])
    assert {k: more[k] for k in keys} == keys
    # a third note with the same base key does not move the first two either
    c = load(tmp_path, "zzz/lora", same)
    with_c = citation_keys([a, b, c, alone])
    assert with_c[a.key] == keys[a.key] and with_c[b.key] == keys[b.key]
    assert len(set(with_c.values())) == 4
    # the base key is what they share
    assert citation_base_key(a) == citation_base_key(b) == citation_base_key(c) == "hu2022lora"


def test_keys_are_unique_among_many_similar_notes(tmp_path):
    notes = [load(tmp_path, f"n{i}", front(title=f'"Same Title {i % 3}"', year=2020 + i % 2)) for i in range(30)]
    keys = citation_keys(notes)
    assert len({k.casefold() for k in keys.values()}) == 30
    library = parse(bibliography(notes))
    assert [e.key for e in library.entries] == [keys[n.key] for n in sorted(notes, key=lambda n: n.key)]


def test_keys_are_stable_across_two_builds(tmp_path):
    for name in ("a", "b", "c"):
        write(tmp_path, name, front(title='"Same Paper"', authors="[Ann Smith]", year=2020))
    write(tmp_path, "lora", LORA)
    first = (build_site(tmp_path, tmp_path / "one") / "papers.bib").read_text(encoding="utf-8")
    second = (build_site(tmp_path, tmp_path / "two") / "papers.bib").read_text(encoding="utf-8")
    assert first == second
    keys = [e.key for e in parse(first).entries]
    assert len(keys) == len(set(keys)) == 4
    assert "hu2022lora" in keys


# -- entries ---------------------------------------------------------------------------------------------

def test_papers_bib_parses_back_to_the_same_entries(tmp_path):
    notes = [
        load(tmp_path, "peft/lora", LORA),
        load(tmp_path, "ml/jmlr", front(title='"Switch Transformers"', venue="JMLR 2022",
                                        authors="[William Fedus, Barret Zoph]", doi="10.5555/3586589.3586709")),
        load(tmp_path, "pre", front(title='"Scaling Laws for Neural Language Models"', venue="arXiv 2020",
                                    authors="Jared Kaplan, Sam McCandlish", arxiv="arXiv:2001.08361v1")),
        load(tmp_path, "bare", front(title="Untitled thoughts")),
    ]
    text = bibliography(notes)
    assert text.startswith(HEADER)
    library = parse(text)
    keys = citation_keys(notes)
    expected = [note_entry(n, keys[n.key]) for n in sorted(notes, key=lambda n: n.key)]
    assert [(e.entry_type, e.key, fields_of(e)) for e in library.entries] == \
        [(e.entry_type, e.key, fields_of(e)) for e in expected]
    assert [e.entry_type for e in library.entries] == ["misc", "article", "inproceedings", "misc"]
    # one entry's text is the same as in the whole file
    for note in notes:
        assert entry_text(note, keys[note.key]) in text


def test_entry_types_from_venues(tmp_path):
    iclr = load(tmp_path, "iclr", LORA)
    journal = load(tmp_path, "journal", front(title="Knowledge Distillation", venue="IJCV 2021"))
    arxiv_only = load(tmp_path, "arxiv", front(title="Scaling Laws", arxiv="2001.08361"))
    entries = {n.key: entry_for(n, "k") for n in (iclr, journal, arxiv_only)}
    assert entries["iclr"].entry_type == "inproceedings" and fields_of(entries["iclr"])["booktitle"] == "ICLR 2022"
    assert entries["journal"].entry_type == "article" and fields_of(entries["journal"])["journal"] == "IJCV 2021"
    misc = fields_of(entries["arxiv"])
    assert entries["arxiv"].entry_type == "misc"
    assert misc["eprint"] == "2001.08361" and misc["archivePrefix"] == "arXiv"
    assert misc["howpublished"] == "arXiv preprint arXiv:2001.08361"
    for venue, kind in [("NeurIPS 2019 workshop", "inproceedings"), ("2023 WWW", "inproceedings"),
                        ("NIPS 2014", "inproceedings"), ("Findings of EMNLP 2021", "inproceedings"),
                        ("IEEE Transactions on Pattern Analysis", "article"), ("TACL", "article"),
                        ("Journal of Machine Learning Research", "article"), ("arXiv 2020", "misc"),
                        ("OpenAI blog", "misc"), (None, "misc")]:
        assert venue_kind(venue) == kind, venue


def test_arxiv_doi_url_and_old_style_arxiv_ids(tmp_path):
    note = load(tmp_path, "a", front(title="T", venue="ICML 2021", arxiv="hep-th/9901001v2",
                                     doi="https://doi.org/10.1000/x_y", links="[https://github.com/a/b]"))
    fields = fields_of(entry_for(note, "k"))
    assert fields["eprint"] == "hep-th/9901001" and fields["archivePrefix"] == "arXiv"
    assert fields["primaryClass"] == "hep-th"
    assert fields["doi"] == "10.1000/x_y"
    assert fields["url"] == "https://arxiv.org/abs/hep-th/9901001v2"  # the paper, not the code
    # an arXiv link alone gives the eprint too
    linked = load(tmp_path, "b", front(title="T", links="[https://arxiv.org/abs/2106.09685v2]"))
    assert fields_of(entry_for(linked, "k"))["eprint"] == "2106.09685"
    # no DOI, no arXiv: neither field
    plain = fields_of(entry_for(load(tmp_path, "c", front(title="T", venue="ICLR 2020")), "k"))
    assert not {"doi", "eprint", "archivePrefix", "url"} & plain.keys()


def test_no_authors_and_no_year_still_give_valid_entries(tmp_path):
    note = load(tmp_path, "bare", front(title="Only a title"))
    entry = parse(bibliography([note])).entries[0]
    assert entry.key == "anonndonly"
    assert set(fields_of(entry)) == {"title"}
    only_et_al = load(tmp_path, "etal", front(title="T", authors="[et al.]", venue="ICLR 2020"))
    fields = fields_of(parse(bibliography([only_et_al])).entries[0])
    assert "author" not in fields and fields["year"] == "2020"
    some = load(tmp_path, "some", front(title="T", authors="[Ann Lee, Bob Ray, et al.]"))
    assert fields_of(entry_for(some, "k"))["author"] == "Ann Lee and Bob Ray and others"


TRICKY_TITLES = [
    "{Braces} in a {title}",
    "Stray { brace",
    "Stray } brace and {another",
    "}{ backwards",
    "Café über naïve Łódź",
    "Q&A: 100% of $5 costs #1 for snake_case",
    "知识蒸馏：一个综述 (Knowledge Distillation)",
    r"Back\slash ~tilde^caret",
    "GPT-3 and BERT meet {{ 7*7 }} and {% raw %}",
    "<script>alert(1)</script> \"quotes\" 'single'",
]


@pytest.mark.parametrize("title", TRICKY_TITLES)
def test_titles_survive_bibtex_escaping(tmp_path, title):
    yaml_title = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    note = load(tmp_path, "t", front(title=yaml_title, authors='["Zoë Ünal & Co", "O\'Brien, Pat"]', year=2020))
    assert note.title == title
    text = bibliography([note])
    entry = parse(text).entries[0]
    value = fields_of(entry)["title"]
    assert raw_balanced(value), value
    assert as_text(value) == title
    assert as_text(fields_of(entry)["author"]) == "Zoë Ünal & Co and O'Brien, Pat"
    assert text.encode("utf-8").decode("utf-8") == text  # UTF-8 throughout, nothing transliterated


def test_case_protection_and_escapes(tmp_path):
    assert escape_title("LoRA: Low-Rank Adaptation of GPT-3") == "{LoRA}: Low-Rank Adaptation of {GPT-3}"
    assert escape_title("DistilBERT, a distilled version of BERT") == "{DistilBERT}, a distilled version of {BERT}"
    assert escape_text("a & b % c $ d # e _ f") == r"a \& b \% c \$ d \# e \_ f"
    assert escape_text("{a} {") == r"\{a\} \textbraceleft{}"
    assert escape_text("x\n\ty") == "x y"


# -- own entries -------------------------------------------------------------------------------------------

OWN = """---
title: "LoRA: Low-Rank Adaptation of Large Language Models"
venue: ICLR 2022
authors: [Edward J. Hu]
year: 2022
bibtex: |
  @inproceedings{DBLP:conf/iclr/HuSWALWWC22,
    author    = {Edward J. Hu and Yelong Shen},
    title     = {{LoRA}: Low-Rank Adaptation of Large Language Models},
    booktitle = {The Tenth International Conference on Learning Representations, {ICLR} 2022},
    publisher = {OpenReview.net},
    month     = apr,
    year      = {2022}
  }
---
Body.
"""


def test_an_own_bibtex_entry_wins(tmp_path):
    note = load(tmp_path, "peft/lora", OWN)
    own = own_entry(note)
    assert own is not None and own_entry_problem(note) is None
    generated = load(tmp_path, "other/lora", LORA)  # its base key, hu2022lora, differs from the own key
    keys = citation_keys([note, generated])
    assert keys == {"peft/lora": "DBLP:conf/iclr/HuSWALWWC22", "other/lora": "hu2022lora"}
    entry = {e.key: e for e in parse(bibliography([note, generated])).entries}["DBLP:conf/iclr/HuSWALWWC22"]
    fields = fields_of(entry)
    assert entry.entry_type == "inproceedings"
    assert fields["publisher"] == "OpenReview.net"
    assert fields["booktitle"] == "The Tenth International Conference on Learning Representations, {ICLR} 2022"
    assert fields["month"] == "apr"  # a macro stays a macro
    assert "month = apr," in bibliography([note])


def test_an_own_key_is_avoided_by_generated_keys(tmp_path):
    own = load(tmp_path, "a", OWN.replace("DBLP:conf/iclr/HuSWALWWC22", "hu2022lora"))
    generated = load(tmp_path, "b", LORA)
    twin = load(tmp_path, "c", OWN.replace("DBLP:conf/iclr/HuSWALWWC22", "HU2022LORA"))
    keys = citation_keys([generated, twin, own])
    assert keys["a"] == "hu2022lora"  # the first own entry by note key keeps its key
    assert keys["b"] == "hu2022lora-" + key_hash("b")
    assert keys["c"] == "HU2022LORA-" + key_hash("c")
    parse(bibliography([own, generated, twin]))


@pytest.mark.parametrize("bibtex, problem", [
    ('"just some text"', "holds 0 entries"),
    ("|\n  @misc{a, title={A}}\n  @misc{b, title={B}}", "holds 2 entries"),
    ("|\n  @misc{a, title = {unbalanced {brace}", "cannot be read"),
    ("|\n  @misc{a, title = {escaped \\} brace}}", "unbalanced braces"),
    ("[1, 2]", "must be text"),
])
def test_an_invalid_own_entry_falls_back_to_the_generated_one(tmp_path, bibtex, problem):
    note = load(tmp_path, "n", front(title='"LoRA: Low-Rank Adaptation"', authors="[Edward J. Hu]", year=2022,
                                     bibtex=bibtex))
    assert own_entry(note) is None
    assert problem in own_entry_problem(note)
    assert citation_keys([note]) == {"n": "hu2022lora"}
    entry = parse(bibliography([note])).entries[0]
    assert entry.key == "hu2022lora" and fields_of(entry)["title"] == "{LoRA}: Low-Rank Adaptation"


# -- pages ------------------------------------------------------------------------------------------------

HOSTILE = """---
title: "<script>alert(1)</script> {{ 7*7 }} & \\"quoted\\""
authors: ["Eve <img src=x onerror=alert(2)>", "{% if true %}Mallory{% endif %}"]
venue: "ICLR 2022 <b>bold</b>"
year: 2022
links: ["https://example.org/?q=<script>&x=\\"y\\""]
---
Body.
"""


def test_hostile_front_matter_is_text_in_papers_bib_and_escaped_in_the_page(tmp_path):
    write(tmp_path, "evil", HOSTILE)
    write(tmp_path, "own", front(title="Own", bibtex='"@misc{own</code><script>x, title = {</code><b>hi</b>}}"'))
    write(tmp_path, "own2", front(title="Own2", bibtex='"@misc{ok, title = {</code><script>alert(3)</script>}}"'))
    out = build_site(tmp_path)
    bib = (out / "papers.bib").read_text(encoding="utf-8")
    entries = {e.key: fields_of(e) for e in parse(bib).entries}
    evil_key = citation_keys([load_note(tmp_path / "notes" / "evil.md", tmp_path, tmp_path / "notes")])["evil"]
    evil = entries[evil_key]
    assert as_text(evil["title"]) == '<script>alert(1)</script> {{ 7*7 }} & "quoted"'
    assert as_text(evil["author"]) == "Eve <img src=x onerror=alert(2)> and {% if true %}Mallory{% endif %}"
    assert "49" not in bib
    assert entries["ok"]["title"] == "</code><script>alert(3)</script>"
    assert "own</code><script>x" not in bib  # not a usable key: the generated entry is used

    page = (out / "notes" / "evil.html").read_text(encoding="utf-8")
    block = cite_block(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in block
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>bold" not in page
    assert r"\{\{ 7*7 \}\}" in block and "49" not in block
    assert html.unescape(cite_code(page)) == entry_text_of(bib, evil_key)
    own_page = (out / "notes" / "own2.html").read_text(encoding="utf-8")
    assert "<script>alert(3)" not in own_page
    assert "&lt;/code&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in cite_block(own_page)


def entry_text_of(bib: str, key: str) -> str:
    """One entry's text as it stands in papers.bib."""
    match = re.search(r"^@\w+\{" + re.escape(key) + r",\n.*?^\}\n", bib, re.MULTILINE | re.DOTALL)
    assert match, key
    return match.group(0)


@pytest.fixture(scope="module")
def example_build(tmp_path_factory) -> Path:
    """The repository's example notes, built once (without the search index)."""
    root = tmp_path_factory.mktemp("bibtex-examples")
    shutil.copytree(EXAMPLE_NOTES, root / "notes")
    return build_site(root)


def test_example_notes_papers_bib_and_cite_blocks(example_build):
    notes = [p for p in EXAMPLE_NOTES.rglob("*") if p.is_file() and is_note_file(p.name) and p.name != "_index.md"
             and not any(part.startswith(".") for part in p.relative_to(EXAMPLE_NOTES).parts)]
    bib = (example_build / "papers.bib").read_text(encoding="utf-8")
    library = parse(bib)
    keys = [e.key for e in library.entries]
    assert len(keys) == len(notes) and len(set(keys)) == len(keys)
    for entry in library.entries:
        fields = fields_of(entry)
        assert fields.get("title") and all(raw_balanced(v) for v in fields.values())
    page = (example_build / "notes" / "peft" / "lora.html").read_text(encoding="utf-8")
    block = cite_block(page)
    assert 'id="bibtex-hu2022lora"' in block and 'data-copy-target="bibtex-hu2022lora"' in block
    assert "@inproceedings{hu2022lora," in block and "eprint = {2106.09685}" in block
    assert html.unescape(cite_code(page)) == entry_text_of(bib, "hu2022lora")
    # the block sits after the body and before the pager, and brings its script
    assert page.index('class="note-body"') < page.index('class="cite"') < page.index('class="pager"')
    assert '<script src="../../assets/cite.js" defer></script>' in block
    assert (example_build / "assets" / "cite.js").is_file()
    chinese = (example_build / "notes" / "distillation" / "知识蒸馏综述.html").read_text(encoding="utf-8")
    assert "@article{gou2021knowledge," in cite_block(chinese)


# -- rebuilds ---------------------------------------------------------------------------------------------

def test_a_doi_or_own_entry_edit_rewrites_papers_bib_and_the_note_page(tmp_path):
    write(tmp_path, "a", LORA)
    path = write(tmp_path, "b", front(title="Adam", authors="[Diederik P. Kingma]", year=2015, venue="ICLR 2015"))
    out = tmp_path / "out"
    writer = SiteDirectory.create(out)
    project = Project(tmp_path, output=out, check_output=False)
    project.refresh(writer, None)
    assert "doi" not in (out / "papers.bib").read_text(encoding="utf-8")

    path.write_text(path.read_text(encoding="utf-8").replace("venue:", "doi: 10.1/adam\nvenue:"), encoding="utf-8")
    report = project.refresh(writer, {path})
    assert "papers.bib" in report.written and "notes/b.html" in report.written
    assert "doi = {10.1/adam}" in (out / "papers.bib").read_text(encoding="utf-8")
    assert "doi = {10.1/adam}" in cite_block((out / "notes" / "b.html").read_text(encoding="utf-8"))

    path.write_text(path.read_text(encoding="utf-8").replace("doi:", 'bibtex: "@article{kingma-adam, title={Adam}}"\ndoi:'),
                    encoding="utf-8")
    project.refresh(writer, {path})
    assert "@article{kingma-adam," in (out / "papers.bib").read_text(encoding="utf-8")
    assert 'id="bibtex-kingma-adam"' in (out / "notes" / "b.html").read_text(encoding="utf-8")



def test_a_note_joining_or_leaving_a_citation_group_rewrites_the_others_pages(tmp_path):
    """A note's key depends on who shares its base key: an edit of one note moves the keys shown on
    the other notes' pages, and the rebuilt site equals a fresh build."""
    lora = front(title='"LoRA: Low-Rank Adaptation"', authors="[Edward J. Hu]", year=2022, category="Aaa")
    write(tmp_path, "a", lora)
    lora = lora.replace("category: Aaa", "category: Zzz")  # far apart: not each other's neighbours
    for n in range(3):
        write(tmp_path, f"m{n}", front(title=f"Filler {n}", category="Mmm"))
    b = write(tmp_path, "b", front(title="Adam", authors="[Diederik P. Kingma]", year=2015, category="Zzz"))
    out = tmp_path / "out"
    writer = SiteDirectory.create(out)
    project = Project(tmp_path, output=out, check_output=False)
    project.refresh(writer, None)
    page_a = out / "notes" / "a.html"
    assert 'id="bibtex-hu2022lora"' in page_a.read_text(encoding="utf-8")

    b.write_text(lora, encoding="utf-8")  # b joins a's group: both get a suffix
    report = project.refresh(writer, {b})
    assert "notes/a.html" in report.written
    suffixed = "hu2022lora-" + key_hash("a")
    assert f'id="bibtex-{suffixed}"' in page_a.read_text(encoding="utf-8")
    assert_same_as_fresh_build(tmp_path, out)

    b.write_text(front(title="Adam", authors="[Diederik P. Kingma]", year=2015, category="Zzz"),
                 encoding="utf-8")  # and leaves
    report = project.refresh(writer, {b})
    assert "notes/a.html" in report.written
    assert 'id="bibtex-hu2022lora"' in page_a.read_text(encoding="utf-8")
    assert_same_as_fresh_build(tmp_path, out)

    b.unlink()  # a deleted member leaves too
    write(tmp_path, "c", lora)
    project.refresh(writer, {b, tmp_path / "notes" / "c.md"})
    assert f'id="bibtex-{suffixed}"' in page_a.read_text(encoding="utf-8")
    assert_same_as_fresh_build(tmp_path, out)


def assert_same_as_fresh_build(root: Path, out: Path) -> None:
    fresh = root / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    Project(root, output=fresh, check_output=False).refresh(SiteDirectory.create(fresh), None)
    def files(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    mine, theirs = files(out), files(fresh)
    differing = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
    assert differing == [], differing

# -- browser ----------------------------------------------------------------------------------------------

def test_copy_button_copies_the_entry(browser, serve_directory, example_build):
    base = serve_directory(example_build)
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.goto(base + "notes/peft/lora.html", wait_until="load")
        button = page.locator(".cite .copy-button")
        button.wait_for(state="visible")
        assert button.inner_text() == "Copy 复制"
        shown = page.locator("#bibtex-hu2022lora").text_content()
        assert shown.startswith("@inproceedings{hu2022lora,")
        button.click()
        page.wait_for_function("document.querySelector('.cite .copy-button').textContent.includes('已复制')")
        assert page.evaluate("navigator.clipboard.readText()") == shown
        # the label comes back
        page.wait_for_function("document.querySelector('.cite .copy-button').textContent === 'Copy 复制'",
                               timeout=5000)
    finally:
        context.close()


def test_copy_button_falls_back_without_the_clipboard_api_and_hides_without_javascript(
        browser, serve_directory, example_build):
    base = serve_directory(example_build)
    context = browser.new_context()
    try:
        page = context.new_page()
        # No async clipboard (as on a plain-http LAN address): the selection + execCommand path.
        page.add_init_script("""
            Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true});
            window.__copied = null;
            document.execCommand = function (command) {
              if (command === 'copy') { window.__copied = String(window.getSelection()); return true; }
              return false;
            };
        """)
        page.goto(base + "notes/generative/vae.html", wait_until="load")
        page.locator(".cite .copy-button").click()
        page.wait_for_function("window.__copied !== null")
        code = page.locator(".cite code").text_content()
        # (a selection's text leaves out the final newline)
        assert page.evaluate("window.__copied") == code.rstrip("\n") and code.startswith("@")
        assert "已复制" in page.locator(".cite .copy-button").inner_text()
    finally:
        context.close()
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(base + "notes/generative/vae.html", wait_until="load")
        assert page.locator(".cite pre").is_visible()
        assert not page.locator(".cite .copy-button").is_visible()
    finally:
        context.close()


def test_a_bad_bibtex_value_is_one_warning_and_no_parser_chatter(tmp_path):
    from conftest import run_papernotes

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text('---\ntitle: A\nbibtex: "@article{x, title={unclosed"\n---\nbody\n',
                                             encoding="utf-8")
    result = run_papernotes("build", "--root", tmp_path, cwd=tmp_path)
    assert result.returncode == 0
    lines = result.stderr.strip().splitlines()
    assert lines == ["notes/a.md:3: warning: bibtex cannot be read: the entry ends before it is complete "
                     "(is a { or \" left open?)"], result.stderr
