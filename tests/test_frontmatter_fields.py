"""Front matter parsing and validation: what a note's metadata becomes, and the errors users see."""

import datetime as dt
from pathlib import Path

import pytest

from papernotes.diagnostics import NoteError
from papernotes.load.notes import load_note
from papernotes.model import Status, UNCATEGORIZED


def write_note(tmp_path: Path, text: str, name: str = "paper.md", encoding: str = "utf-8") -> Path:
    notes = tmp_path / "notes"
    notes.mkdir(exist_ok=True)
    path = notes / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def load(tmp_path: Path, text: str, name: str = "paper.md"):
    path = write_note(tmp_path, text, name)
    return load_note(path, tmp_path, tmp_path / "notes")


def error_of(tmp_path: Path, text: str) -> NoteError:
    with pytest.raises(NoteError) as info:
        load(tmp_path, text)
    return info.value


@pytest.mark.parametrize("spelling, status", [
    ("read", Status.READ), ("✅", Status.READ), ('":white_check_mark:"', Status.READ), ("已阅读", Status.READ),
    ("unread", Status.UNREAD), ("❌", Status.UNREAD), ("':x:'", Status.UNREAD), ("未阅读", Status.UNREAD),
    ("skimmed", Status.SKIMMED), ("⬜", Status.SKIMMED), ('":white_large_square:"', Status.SKIMMED), ("已泛读", Status.SKIMMED),
    ("triage", Status.TRIAGE), ("🟧", Status.TRIAGE), ('":orange_square:"', Status.TRIAGE), ("待分类", Status.TRIAGE),
    ("Read", Status.READ), (":x:", Status.UNREAD), (":white_check_mark:", Status.READ),
])
def test_every_accepted_status_spelling(tmp_path, spelling, status):
    note = load(tmp_path, f"---\ntitle: T\nstatus: {spelling}\n---\nbody\n")
    assert note.status is status


def test_missing_status_means_unread_and_missing_category_uncategorized(tmp_path):
    note = load(tmp_path, "---\ntitle: T\n---\n")
    assert note.status is Status.UNREAD
    assert note.category == (UNCATEGORIZED,)


def test_unknown_status_is_an_error_on_its_line_listing_accepted_values(tmp_path):
    exc = error_of(tmp_path, "---\ntitle: LoRA\nvenue: ICLR 2022\nstatus: reed\n---\n")
    assert exc.line == 4
    assert "status 'reed' is not one of read, unread, skimmed, triage" in exc.message


def test_broken_yaml_points_at_the_yaml_line(tmp_path):
    exc = error_of(tmp_path, "---\ntitle: ok\ntags: [a, b\nvenue: x\n---\nbody")
    assert exc.line in (3, 4, 5)
    assert "invalid YAML" in exc.message


def test_unclosed_front_matter_is_an_error(tmp_path):
    exc = error_of(tmp_path, "---\ntitle: x\nbody without end\n")
    assert "no closing '---'" in exc.message


def test_front_matter_without_title_is_an_error(tmp_path):
    exc = error_of(tmp_path, "---\nstatus: read\n---\n# Heading\n")
    assert "title" in exc.message


def test_front_matter_must_be_a_mapping(tmp_path):
    exc = error_of(tmp_path, "---\n- a\n- b\n---\n")
    assert "mapping" in exc.message and exc.line == 2


def test_yaml_aliases_and_python_tags_are_refused(tmp_path):
    exc = error_of(tmp_path, "---\ntitle: &a x\nsummary: *a\n---\n")
    assert "aliases" in exc.message
    exc = error_of(tmp_path, "---\ntitle: !!python/object/apply:os.system ['true']\n---\n")
    assert "invalid YAML" in exc.message


def test_duplicate_key_is_an_error_naming_both_lines(tmp_path):
    exc = error_of(tmp_path, "---\ntitle: a\nstatus: read\ntitle: b\n---\n")
    assert exc.line == 4 and "line 2" in exc.message


def test_title_from_first_heading_without_front_matter_and_heading_removed(tmp_path):
    note = load(tmp_path, "# Deep Residual Learning\n\nSome text.\n", name="resnet.md")
    assert note.title == "Deep Residual Learning"
    assert "# Deep Residual" not in note.body


def test_title_falls_back_to_file_name(tmp_path):
    note = load(tmp_path, "Just text, no heading.\n", name="my paper.md")
    assert note.title == "my paper"


def test_numeric_and_date_like_titles_keep_their_text(tmp_path):
    assert load(tmp_path, "---\ntitle: 996\n---\n").title == "996"
    assert load(tmp_path, "---\ntitle: 1.10\n---\n").title == "1.10"


def test_crlf_bom_trailing_spaces_and_fullwidth_colon(tmp_path):
    text = "\ufeff---\r\ntitle：知识蒸馏   \r\ncategory: 模型压缩 / 蒸馏   \r\ntags: 蒸馏，KD, 压缩\r\n---\r\n正文\r\n"
    note = load(tmp_path, text)
    assert note.title == "知识蒸馏"
    assert note.category == ("模型压缩", "蒸馏")
    assert note.tags == ("蒸馏", "KD", "压缩")
    assert note.body.strip() == "正文"
    assert note.body_line == 6


def test_tags_list_or_comma_string_and_authors(tmp_path):
    note = load(tmp_path, "---\ntitle: T\ntags: [a, b, a]\nauthors: Alice Smith and Bob Li\n---\n")
    assert note.tags == ("a", "b")
    assert note.authors == ("Alice Smith", "Bob Li")
    note = load(tmp_path, "---\ntitle: T\ntags: a, b\nauthors: [X, Y]\n---\n")
    assert note.tags == ("a", "b") and note.authors == ("X", "Y")


@pytest.mark.parametrize("venue, year", [("ICLR 2023", 2023), ("2023 WWW", 2023), ("NeurIPS 2021", 2021), ("arXiv", None)])
def test_year_taken_from_venue(tmp_path, venue, year):
    assert load(tmp_path, f"---\ntitle: T\nvenue: {venue}\n---\n").year == year


def test_explicit_year_wins_and_bad_year_is_a_warning_with_its_line(tmp_path):
    assert load(tmp_path, "---\ntitle: T\nvenue: NIPS 2014 workshop\nyear: 2015\n---\n").year == 2015
    note = load(tmp_path, "---\ntitle: T\nyear: soon\n---\n")
    assert note.year is None and [line for line, _ in note.notices] == [3]


def test_date_forms(tmp_path):
    assert load(tmp_path, "---\ntitle: T\ndate: 2024-03-05\n---\n").date == dt.date(2024, 3, 5)
    assert load(tmp_path, "---\ntitle: T\ndate: 2017/10/1\n---\n").date == dt.date(2017, 10, 1)
    assert error_of(tmp_path, "---\ntitle: T\ndate: yesterday\n---\n").line == 3


def test_links_mapping_list_and_arxiv(tmp_path):
    note = load(tmp_path, "---\ntitle: T\nlinks:\n  Slides: https://example.org/s.pdf\n  Code: https://github.com/a/b\n---\n")
    assert [(l.label, l.url) for l in note.links] == [("Slides", "https://example.org/s.pdf"), ("Code", "https://github.com/a/b")]
    note = load(tmp_path, "---\ntitle: T\nlinks:\n  - https://openreview.net/forum?id=x\n  - https://github.com/a/b\n  - https://example.org/paper.pdf\n---\n")
    assert [l.label for l in note.links] == ["OpenReview", "Code", "PDF"]
    note = load(tmp_path, "---\ntitle: T\narxiv: 2101.00190\n---\n")
    assert note.arxiv == "2101.00190"  # not the float 2101.0019
    assert [l.url for l in note.links] == ["https://arxiv.org/abs/2101.00190", "https://arxiv.org/pdf/2101.00190"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd"])
def test_dangerous_link_schemes_are_errors(tmp_path, url):
    exc = error_of(tmp_path, f'---\ntitle: T\nlinks:\n  Bad: "{url}"\n---\n')
    assert exc.line == 4 and "only http(s), mailto and relative URLs" in exc.message  # the line of the URL itself


def test_mailto_and_relative_links_are_fine(tmp_path):
    note = load(tmp_path, "---\ntitle: T\nlinks:\n  Mail: mailto:a@b.c\n  Local: ../files/x.pdf\n---\n")
    assert [l.url for l in note.links] == ["mailto:a@b.c", "../files/x.pdf"]


def test_unknown_keys_are_kept_for_templates(tmp_path):
    note = load(tmp_path, "---\ntitle: T\nrating: 4\nreviewer: me\n---\n")
    assert note.extra == {"rating": 4, "reviewer": "me"}


def test_nested_category_and_list_form(tmp_path):
    assert load(tmp_path, "---\ntitle: T\ncategory: Prompt Tuning/Chain of Thought\n---\n").category == ("Prompt Tuning", "Chain of Thought")
    assert load(tmp_path, "---\ntitle: T\ncategories: [NLP, Prompting]\n---\n").category == ("NLP", "Prompting")


def test_non_utf8_and_binary_files_are_clear_errors(tmp_path):
    path = write_note(tmp_path, b"---\ntitle: caf\xe9\n---\n")
    with pytest.raises(NoteError) as info:
        load_note(path, tmp_path, tmp_path / "notes")
    assert "UTF-8" in info.value.message and info.value.line == 2
    path = write_note(tmp_path, b"%PDF-1.4\x00\x00\x01binary", name="paper.md")
    with pytest.raises(NoteError) as info:
        load_note(path, tmp_path, tmp_path / "notes")
    assert "not a text file" in info.value.message


def test_utf16_note_is_read(tmp_path):
    path = write_note(tmp_path, "---\ntitle: 宽字符\n---\nbody\n", encoding="utf-16")
    assert load_note(path, tmp_path, tmp_path / "notes").title == "宽字符"


@pytest.mark.parametrize("value, year", [("1948", 1948), ("1687", 1687), ("2100", 2100), ("'1936-05'", 1936)])
def test_old_and_far_years_are_years(tmp_path, value, year):
    assert load(tmp_path, f"---\ntitle: T\nyear: {value}\n---\nbody\n").year == year


def test_a_venue_of_1936_gives_its_year(tmp_path):
    assert load(tmp_path, "---\ntitle: T\nvenue: Proc. London Math. Soc. 1936\n---\nbody\n").year == 1936


@pytest.mark.parametrize("value", ["1200", "2500", "twenty twenty"])
def test_a_note_is_never_left_out_for_its_year(tmp_path, value):
    note = load(tmp_path, f"---\ntitle: T\nyear: {value}\n---\nbody\n")
    assert note.year is None and note.title == "T"
    assert note.notices == ((3, f"year '{value}' is not a year between 1600 and 2100 such as 2023; "
                                "the note is kept without a year"),)


@pytest.mark.parametrize("key", ["arxiv", "doi", "tags", "venue", "year", "authors", "summary", "date", "links"])
@pytest.mark.parametrize("null", ["null", "~", "Null", "NULL", ""])
def test_null_means_absent_for_every_field(tmp_path, key, null):
    note = load(tmp_path, f"---\ntitle: T\n{key}: {null}\n---\nbody\n")
    assert note.title == "T" and not note.notices
    assert getattr(note, key) in (None, (), [], "")


def test_build_and_check_warn_about_a_year_and_keep_the_note(tmp_path):
    from conftest import run_papernotes

    write_note(tmp_path, "---\ntitle: Old\nyear: 1200\n---\nbody\n", "old.md")
    write_note(tmp_path, "---\ntitle: Null ids\narxiv: null\ndoi: ~\n---\nbody\n", "nulls.md")
    for command in ("check", "build"):
        result = run_papernotes(command, "--root", tmp_path, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        out = result.stdout + result.stderr
        assert "notes/old.md:3: warning: year '1200' is not a year between 1600 and 2100" in out
        assert ": error:" not in out
    assert (tmp_path / "site" / "notes" / "old.html").exists() and (tmp_path / "site" / "notes" / "nulls.html").exists()


@pytest.mark.parametrize("front, message", [
    ("tags: {a: {b: c}}", "tags must be text or a list of texts, found a mapping"),
    ("tags: [a, {b: c}]", "tags must be text or a list of texts, found a mapping"),
    ("tags: [a, [b, c]]", "tags must be text or a list of texts, found a nested list"),
    ("authors:\n  - name: Ada\n    affiliation: X", "authors must be text or a list of texts, found a mapping"),
    ("category: {a: b}", "category must be text or a list of texts, found a mapping"),
    ("venue: {name: ICLR}", "venue must be text, found a mapping"),
    ("summary: [one, two]", "summary must be text, found a list"),
])
def test_mappings_where_text_is_expected_are_errors_not_reprs(tmp_path, front, message):
    exc = error_of(tmp_path, f"---\ntitle: T\n{front}\n---\nbody\n")
    assert exc.message == message and exc.line == 3


@pytest.mark.parametrize("key", ["year", "order", "arxiv", "title"])
def test_huge_numbers_are_shortened_in_messages(tmp_path, key):
    front = f"title: T\n{key}: {'9' * 5000}" if key != "title" else f"title: {'9' * 5000}"
    exc = error_of(tmp_path, f"---\n{front}\n---\nbody\n")
    assert len(exc.message) < 200 and "(5,000 characters)" in exc.message
    assert "set_int_max_str_digits" not in exc.message


@pytest.mark.parametrize("text, problem", [("title: [x\n", "did not find expected"), ("a: &x 1\nb: *x\n", "aliases")])
def test_a_broken_config_is_named_as_the_config(tmp_path, text, problem):
    from conftest import run_papernotes

    (tmp_path / "papernotes.yaml").write_text(text, encoding="utf-8")
    write_note(tmp_path, "---\ntitle: A\n---\nbody\n", "a.md")
    result = run_papernotes("build", "--root", tmp_path, cwd=tmp_path)
    out = result.stdout + result.stderr
    assert "error: invalid YAML in papernotes.yaml: " in out and problem in out
    assert "front matter" not in out
