"""End to end: the real ``papernotes build`` on real notes, output read with a real HTML parser."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import theme_script


#: The repository's example notes (the repository root is a site root).
EXAMPLE_NOTES = Path(__file__).resolve().parent.parent / "notes"

# ---------------------------------------------------------------------------------------------
# Expectations computed from the notes themselves, independently of papernotes' own parser.

STATUS_SPELLINGS = {
    "read": {"read", "✅", ":white_check_mark:", "已阅读"},
    "unread": {"unread", "❌", ":x:", "未阅读"},
    "skimmed": {"skimmed", "⬜", ":white_large_square:", "已泛读"},
    "triage": {"triage", "🟧", ":orange_square:", "待分类"},
}
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.\-]*:|//)", re.I)  # http:, https:, mailto:, data:, //host


def example_note_files() -> list[Path]:
    """The example's paper notes (an ``_index.md`` introduces a category; it is not a paper)."""
    return sorted(path for path in EXAMPLE_NOTES.rglob("*.md") if path.name != "_index.md")


def read_front_matter(path: Path) -> tuple[dict, str]:
    """(front matter as parsed by PyYAML, body) of a note file."""
    text = path.read_text(encoding="utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    match = re.match(r"---\n(.*?)\n---\n(.*)", text, re.S)
    if not match:
        return {}, text
    yaml_text = re.sub(r"^(\w+):[ \t]+(:[a-z0-9_+\-]+:)[ \t]*$", r'\1: "\2"', match.group(1), flags=re.M)
    return yaml.safe_load(yaml_text) or {}, match.group(2)


def expected_status(path: Path) -> str:
    data, _ = read_front_matter(path)
    value = data.get("status")
    if value is None:
        return "unread"
    for status, spellings in STATUS_SPELLINGS.items():
        if str(value).strip() in spellings:
            return status
    raise AssertionError(f"{path}: example note has a status this test does not know: {value!r}")


def expected_title(path: Path) -> str:
    data, body = read_front_matter(path)
    if data.get("title") is not None:
        return str(data["title"]).strip()
    heading = re.search(r"^# (.+)$", body, re.M)
    return heading.group(1).strip() if heading else path.stem


# ---------------------------------------------------------------------------------------------
# Reading the output.


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def note_pages(site: Path) -> list[Path]:
    return sorted((site / "notes").rglob("*.html"))


_PARSED: dict[tuple[Path, int, int], list[tuple[Path, str, BeautifulSoup]]] = {}


def parsed_note_pages(site: Path) -> list[tuple[Path, str, BeautifulSoup]]:
    """(page, h1 text, soup) of every note page; parsed once per build of a site."""
    marker = site / "index.html"
    key = (site, marker.stat().st_mtime_ns, marker.stat().st_ino)
    if key not in _PARSED:
        entries = []
        for page in note_pages(site):
            soup = soup_of(page)
            h1 = soup.find("h1")
            entries.append((page, h1.get_text(" ", strip=True) if h1 is not None else "", soup))
        _PARSED[key] = entries
    return _PARSED[key]


def page_with_title(site: Path, title: str) -> tuple[Path, BeautifulSoup]:
    """The one note page whose <h1> reads ``title`` (the soup is shared: do not modify it)."""
    found = [(page, soup) for page, h1, soup in parsed_note_pages(site) if h1 == title]
    assert len(found) == 1, f"expected one note page titled {title!r}, found {[str(p) for p, _ in found]}"
    return found[0]


def body_of(soup: BeautifulSoup):
    body = soup.select_one(".note-body")
    assert body is not None, "note page has no .note-body"
    return body


def visible_text(node) -> str:
    """Text a reader sees as prose: without TeX annotations, code, scripts and styles."""
    node = copy.copy(node)
    for hidden in node.find_all(["annotation", "code", "pre", "script", "style"]):
        hidden.decompose()
    return node.get_text(" ")


def local_references(soup: BeautifulSoup) -> list[str]:
    refs = []
    for tag in soup.find_all(True):
        for attr in ("href", "src"):
            value = tag.get(attr)
            if value is None:
                continue
            value = value.strip()
            if not value or value.startswith("#") or EXTERNAL.match(value):
                continue
            refs.append(value)
    return refs


def resolve(site: Path, page: Path, ref: str, base_path: str = "/") -> tuple[Path, str]:
    """The output file a local href/src points at (for a site served at ``base_path``), and its fragment."""
    parts = urlsplit(ref)
    path = unquote(parts.path)
    if path.startswith("/"):
        assert path.startswith(base_path), f"{ref!r} is outside the site's base path {base_path!r}"
        target = site / path[len(base_path):]
    else:
        target = page.parent / path
    if path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target.resolve(), unquote(parts.fragment)


def ids_in(path: Path, cache: dict[Path, set[str]]) -> set[str]:
    if path not in cache:
        soup = soup_of(path)
        cache[path] = {tag["id"] for tag in soup.find_all(id=True)} | {
            tag["name"] for tag in soup.find_all("a", attrs={"name": True})
        }
    return cache[path]


def broken_references(site: Path, base_path: str = "/") -> list[str]:
    broken = []
    ids_cache: dict[Path, set[str]] = {}
    for page in html_pages(site):
        soup = soup_of(page)
        rel = page.relative_to(site).as_posix()
        for ref in local_references(soup):
            target, fragment = resolve(site, page, ref, base_path)
            if not target.is_file():
                broken.append(f"{rel}: {ref!r} -> missing {target}")
            elif fragment and target.suffix == ".html" and fragment not in ids_in(target, ids_cache):
                broken.append(f"{rel}: {ref!r} -> no id {fragment!r} in {target.name}")
        for tag in soup.select('a[href^="#"]'):
            fragment = unquote(tag["href"][1:])
            if fragment and fragment not in ids_in(page, ids_cache):
                broken.append(f"{rel}: {tag['href']!r} -> no such id on the page")
    return broken


def write_notes(root: Path, notes: dict[str, str | bytes]) -> None:
    for name, content in notes.items():
        path = root / "notes" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def note_text(title: str, *, status: str = "read", category: str = "Tests", extra: str = "", body: str = "") -> str:
    return f"---\ntitle: {title}\nstatus: {status}\ncategory: {category}\n{extra}---\n\n{body}\n"


# ---------------------------------------------------------------------------------------------
# The example site.


@pytest.fixture(scope="module")
def home(example_site: Path) -> BeautifulSoup:
    return soup_of(example_site / "index.html")


def test_every_example_note_has_its_own_page(example_site):
    files = example_note_files()
    assert len(files) >= 20
    pages = note_pages(example_site)
    assert len(pages) == len(files), [p.relative_to(example_site).as_posix() for p in pages]
    for path in files:
        page, _ = page_with_title(example_site, expected_title(path))
        # the page sits in the same sub-folder as its note (notes/peft/lora.md -> notes/peft/…),
        # folder names written as URL slugs ("Generative Models/" -> "generative-models/")
        folders = [part.lower().replace(" ", "-") for part in path.parent.relative_to(EXAMPLE_NOTES).parts]
        assert page.parent.relative_to(example_site / "notes").parts == tuple(folders)


def test_home_lists_each_note_once_linking_to_its_page(example_site, home):
    rows = home.select("li.note-row")
    assert len(rows) == len(example_note_files())
    titles = []
    for row in rows:
        # the row's line (its <summary>) names the note and toggles the row; the open row links to it
        assert row.find("summary").find("a") is None, "a link inside the summary would navigate instead of toggling"
        link = row.select_one(".row-body a.row-title")
        assert row.select_one("summary .row-name").get_text(" ", strip=True) == link.get_text(" ", strip=True)
        target, _ = resolve(example_site, example_site / "index.html", link["href"])
        assert target.is_file(), link["href"]
        assert soup_of(target).find("h1").get_text(" ", strip=True) == link.get_text(" ", strip=True)
        titles.append(link.get_text(" ", strip=True))
    assert sorted(titles) == sorted(expected_title(p) for p in example_note_files())


def test_home_legend_counts_match_the_notes_statuses(example_site, home):
    expected = {status: 0 for status in STATUS_SPELLINGS}
    for path in example_note_files():
        expected[expected_status(path)] += 1
    assert all(expected.values()), f"the examples should use every status: {expected}"
    shown = {}
    for item in home.select("ul.legend li"):
        link = item.find("a", href=True)
        status = re.search(r"status/(\w+)\.html$", link["href"]).group(1)
        shown[status] = int(item.select_one(".count").get_text(strip=True))
        # and the status page it links to lists that many notes
        page = soup_of(resolve(example_site, example_site / "index.html", link["href"])[0])
        assert len(page.select("li.note-row")) == expected[status], status
    assert shown == expected


def test_home_categories_are_nested_sections_of_collapsible_rows(home):
    top = home.select("main > section.category")
    assert top, "no category sections on the home page"
    assert home.select("section.category section.category"), "sub-categories should nest inside their parent"
    for row in home.select("li.note-row"):
        details = row.find("details")
        assert details is not None and details.find("summary") is not None
        assert details.find("summary").select_one(".row-name")
        assert details.select_one(".row-body a.row-title")
        assert details.select_one(".row-body"), "row has no body to expand"


def test_raw_details_blocks_keep_rendered_markdown(example_site):
    _, soup = page_with_title(example_site, "Self-Consistency Improves Chain of Thought Reasoning in Language Models")
    details = body_of(soup).find("details")
    assert details.find("summary").get_text(strip=True) == "Venue"
    strong = details.find("strong")
    assert strong is not None and strong.get_text() == "ICLR 2023"
    assert details.find("em") is not None
    assert "**" not in details.get_text()


def test_nested_and_open_details(example_site):
    _, vae = page_with_title(example_site, "Auto-Encoding Variational Bayes")
    inner = body_of(vae).select("details details")
    assert inner, "the nested <details> in vae.md is not nested in the output"
    assert inner[0].find("summary").get_text(strip=True).startswith("Why not the score-function")
    assert inner[0].find("math") is not None

    _, attention = page_with_title(example_site, "Attention Is All You Need")
    opened = body_of(attention).select("details[open]")
    assert opened, "<details open> lost its open attribute"
    assert opened[0].find("summary").get_text(strip=True) == "Key idea"
    assert opened[0].find("ul") is not None
    assert opened[0].find("strong").get_text() == "without recurrence"


def test_markdown_details_container(example_site):
    _, soup = page_with_title(example_site, "Auto-Encoding Variational Bayes")
    containers = [d for d in body_of(soup).find_all("details")
                  if d.find("summary", recursive=False).get_text(strip=True).startswith("推导过程")]
    assert len(containers) == 1
    details = containers[0]
    assert details.find("summary", recursive=False).get_text(strip=True) == "推导过程 (Derivation)"
    assert details.find("strong").get_text() == "等式"
    assert details.select_one("div.math-display > math[display=block]") is not None
    assert ":::" not in body_of(soup).get_text()


def test_math_is_mathml_with_no_tex_left_in_the_text(example_site):
    pages_with_math = 0
    for path in example_note_files():
        page, soup = page_with_title(example_site, expected_title(path))
        _, body = read_front_matter(path)
        text = visible_text(soup)
        assert "$$" not in text, f"{page.name}: '$$' left in the text"
        assert "\\begin{" not in text, f"{page.name}: '\\begin{{' left in the text"
        if "$" in body:
            pages_with_math += 1
            assert soup.find("math") is not None, f"{page.name} has formulas but no <math>"
        if "\n$$\n" in body:
            display = soup.select("div.math-display > math[display=block]")
            assert display, f"{page.name} has display formulas but no display MathML"
            for math in display:
                assert math.get("xmlns") == "http://www.w3.org/1998/Math/MathML"
                assert math.find("annotation", encoding="application/x-tex") is not None
    assert pages_with_math >= 15


def test_example_formulas_all_convert(example_site):
    failures = []
    for page in note_pages(example_site):
        for node in soup_of(page).select(".math-error"):
            failures.append(f"{page.relative_to(example_site)}: {node.get_text()[:80]!r}")
    assert not failures, "formulas in the example notes that did not convert:\n" + "\n".join(failures)


def test_dollar_amounts_stay_text(example_site):
    _, soup = page_with_title(example_site, "Language Models are Few-Shot Learners")
    item = next(li for li in body_of(soup).find_all("li") if "Budget note" in li.get_text())
    assert item.find("math") is None
    assert "costs $5 and $10 with the two largest engines" in " ".join(item.get_text().split())


def test_double_dollars_inside_a_sentence_are_inline_math(example_site):
    _, soup = page_with_title(example_site, "LoRA: Low-Rank Adaptation of Large Language Models")
    paragraph = next(p for p in body_of(soup).find_all("p") if "令" in p.get_text())
    maths = paragraph.find_all("math")
    tex = [m.find("annotation").get_text() for m in maths]
    assert r"\Phi_0" in tex and r"\Delta\Phi" in tex
    for math in maths:
        assert math.get("display") != "block"
        assert math.find_parent(class_="math-display") is None
    text = visible_text(paragraph)
    assert "令" in text and "表示预训练模型参数" in text and "$" not in text


def test_code_blocks_are_highlighted(example_site):
    _, soup = page_with_title(example_site, "LoRA: Low-Rank Adaptation of Large Language Models")
    code = soup.select_one("pre.highlight > code.language-python")
    assert code is not None
    spans = code.find_all("span", class_=True)
    assert len(spans) > 20
    assert len({c for span in spans for c in span["class"]}) >= 4, "only one kind of token was coloured"
    # the code reads exactly as written
    assert "class LoRALinear(nn.Module):" in code.get_text()
    assert "p.requires_grad = False          # W0 is frozen" in code.get_text()
    assert (example_site / "assets" / "pygments.css").stat().st_size > 500


def test_gfm_table_footnote_task_list_strikethrough(example_site):
    _, hinton = page_with_title(example_site, "Distilling the Knowledge in a Neural Network")
    table = body_of(hinton).find("table")
    assert [th.get_text(strip=True) for th in table.select("thead th")] == ["实验", "结果（大致）"]
    assert len(table.select("tbody tr")) == 4
    ref = body_of(hinton).select_one("sup a[href^='#']")
    assert ref is not None, "footnote reference missing"
    target = body_of(hinton).find(id=ref["href"][1:])
    assert target is not None and "只用 3% 数据" in target.get_text()
    assert "[^1]" not in body_of(hinton).get_text()

    _, survey = page_with_title(example_site, "Knowledge Distillation: A Survey")
    boxes = body_of(survey).select("input[type=checkbox]")
    assert len(boxes) >= 2 and all(box.has_attr("checked") for box in boxes[:2])
    _, sc = page_with_title(example_site, "Self-Consistency Improves Chain of Thought Reasoning in Language Models")
    unchecked = body_of(sc).select("input[type=checkbox]")
    assert len(unchecked) == 2 and not any(box.has_attr("checked") for box in unchecked)
    assert "[ ]" not in body_of(sc).get_text()

    _, prefix = page_with_title(example_site, "Prefix-Tuning: Optimizing Continuous Prompts for Generation")
    struck = body_of(prefix).find(["s", "del"])
    assert struck is not None and struck.get_text() == "我原以为 prefix 只加在 embedding 层"
    assert "~~" not in body_of(prefix).get_text()


def test_emoji_shortcodes_become_emoji_but_times_stay(example_site):
    _, ddpm = page_with_title(example_site, "Denoising Diffusion Probabilistic Models")
    text = body_of(ddpm).get_text()
    assert "⭐" in text and ":star:" not in text
    assert ":warning:" not in text
    assert "从 09:00:00 跑到 10:30:00" in text
    _, hinton = page_with_title(example_site, "Distilling the Knowledge in a Neural Network")
    assert "💡" in body_of(hinton).get_text() and ":bulb:" not in body_of(hinton).get_text()
    for page in note_pages(example_site):
        leftover = re.findall(r":(?:star|bulb|warning|white_check_mark|x):", body_of(soup_of(page)).get_text())
        assert not leftover, f"{page.name}: shortcodes left as text: {leftover}"


def test_image_is_copied_and_its_src_resolves(example_site):
    page, soup = page_with_title(example_site, "LoRA: Low-Rank Adaptation of Large Language Models")
    img = body_of(soup).find("img", alt="LoRA 结构")
    assert img is not None
    target, _ = resolve(example_site, page, img["src"])
    assert target.is_file()
    assert target.read_bytes() == (EXAMPLE_NOTES / "peft" / "images" / "lora-diagram.svg").read_bytes()


def test_every_internal_link_resolves(example_site):
    pages = html_pages(example_site)
    assert len(pages) > 50
    for required in ("index.html", "404.html", "assets/style.css", "assets/site.js", "assets/pygments.css"):
        assert (example_site / required).is_file(), required
    for status in STATUS_SPELLINGS:
        assert (example_site / "status" / f"{status}.html").is_file()
    assert broken_references(example_site) == []


def test_internal_links_are_relative_except_on_the_404_page(example_site):
    for page in html_pages(example_site):
        if page.name == "404.html" and page.parent == example_site:
            continue
        absolute = [ref for ref in local_references(soup_of(page)) if ref.startswith("/")]
        assert not absolute, f"{page.relative_to(example_site)}: {absolute[:5]}"


# ---------------------------------------------------------------------------------------------
# Small sites of their own.


def test_front_matter_values_are_escaped(papernotes_cli, tmp_path):
    title = '<script>alert(1)</script> & "quotes"'
    write_notes(tmp_path, {
        "evil.md": note_text("'<script>alert(1)</script> & \"quotes\"'", extra='tags: ["<b>x</b>", plain]\n',
                             body="Body text."),
    })
    result = papernotes_cli("build", "--root", tmp_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    pages = html_pages(site)
    for page in pages:
        raw = page.read_text(encoding="utf-8")
        assert "<script>alert" not in raw, page.relative_to(site)
        assert "<b>x</b>" not in raw, page.relative_to(site)
    note_page, soup = page_with_title(site, title)  # a reader sees the title exactly as written
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in note_page.read_text(encoding="utf-8")
    assert soup.find("title").get_text().startswith(title)
    assert [t.get_text(strip=True) for t in soup.select("a.tag")][:1] == ["#<b>x</b>"]
    home_raw = (site / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in home_raw
    assert soup_of(site / "index.html").select_one("a.row-title").get_text() == title
    # the one inline script is the theme's, exactly as the theme writes it (none from the notes)
    assert [s.get_text() for s in soup_of(site / "index.html").find_all("script") if s.get_text().strip()] == [theme_script()]
    assert broken_references(site) == []


def test_bad_status_is_reported_with_line_and_the_rest_builds(papernotes_cli, tmp_path):
    write_notes(tmp_path, {
        "good.md": note_text("Good note", body="Fine."),
        "sub/bad.md": "---\ntitle: Bad note\ncategory: Tests\n\nstatus: reed\n---\n\nBody.\n",
    })
    result = papernotes_cli("build", "--root", tmp_path, cwd=tmp_path)
    assert result.returncode == 1
    assert re.search(
        r"^notes/sub/bad\.md:5: error: status 'reed' is not one of read, unread, skimmed, triage",
        result.stderr, re.M), result.stderr
    site = tmp_path / "site"
    assert (site / "index.html").is_file()
    page_with_title(site, "Good note")
    assert len(note_pages(site)) == 1
    assert "Bad note" not in (site / "index.html").read_text(encoding="utf-8")


def test_strict_fails_on_a_warning_and_keeps_the_previous_site(papernotes_cli, tmp_path):
    write_notes(tmp_path, {"a.md": note_text("First version", body="Hello.")})
    first = papernotes_cli("build", "--root", tmp_path, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    site = tmp_path / "site"
    before = snapshot(site)

    write_notes(tmp_path, {
        "a.md": note_text("Second version", body="Hello again."),
        "b.md": note_text("With a missing image", body="![diagram](images/missing.png)"),
    })
    strict = papernotes_cli("build", "--root", tmp_path, "--strict", cwd=tmp_path)
    assert strict.returncode != 0
    assert re.search(r"^notes/b\.md:\d+: warning: .*missing\.png", strict.stderr, re.M), strict.stderr
    assert snapshot(site) == before, "--strict replaced the previous site although the build had a warning"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".papernotes-cache", "notes", "site"], "staging folder left behind"

    # without --strict the same warning is reported but the site is updated
    relaxed = papernotes_cli("build", "--root", tmp_path, cwd=tmp_path)
    assert relaxed.returncode == 0
    assert "missing.png" in relaxed.stderr
    page_with_title(site, "Second version")


def test_base_url_keeps_links_relative_and_404_absolute(papernotes_cli, tmp_path):
    shutil.copytree(EXAMPLE_NOTES, tmp_path / "notes")
    (tmp_path / "papernotes.yaml").write_text("title: My papers\nbase_url: /papers/\n", encoding="utf-8")
    result = papernotes_cli("build", "--root", tmp_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    for page in html_pages(site):
        if page == site / "404.html":
            continue
        absolute = [ref for ref in local_references(soup_of(page)) if ref.startswith("/")]
        assert not absolute, f"{page.relative_to(site)}: {absolute[:5]}"
    refs_404 = local_references(soup_of(site / "404.html"))
    assert refs_404 and all(ref.startswith("/papers/") for ref in refs_404), refs_404
    assert broken_references(site, base_path="/papers/") == []


@pytest.mark.parametrize("output", ["notes", "."])
def test_output_folder_over_the_users_files_is_refused(papernotes_cli, tmp_path, output):
    write_notes(tmp_path, {"a.md": note_text("A note", body="Text."), "images/x.svg": "<svg/>"})
    before = snapshot(tmp_path)
    result = papernotes_cli("build", "--root", tmp_path, "--output", output, cwd=tmp_path)
    assert result.returncode != 0
    assert "error" in result.stderr.lower() and "output" in result.stderr.lower(), result.stderr
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"]
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["a.md", "images"]


def test_editor_leftovers_produce_no_pages(papernotes_cli, tmp_path):
    leftover = note_text("LEFTOVER", body="Should not be published.")
    write_notes(tmp_path, {
        "real.md": note_text("Real note", body="Published."),
        ".#real.md": leftover,
        "real.md~": leftover,
        ".real.md.swp": leftover,
        "4913": leftover,
    })
    result = papernotes_cli("build", "--root", tmp_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert [p.name for p in note_pages(site)] == ["real.html"]
    published = {p.name for p in site.rglob("*")}
    assert not published & {".#real.md", "real.md~", ".real.md.swp", "4913"}
    for page in html_pages(site):
        assert "LEFTOVER" not in page.read_text(encoding="utf-8"), page
    assert len(soup_of(site / "index.html").select("li.note-row")) == 1


def test_crlf_note_and_numeric_title(papernotes_cli, tmp_path):
    crlf = note_text("Windows note", status="skimmed", body="First line.\n\n- item with $x^2$\n").replace("\n", "\r\n")
    write_notes(tmp_path, {
        "windows.md": crlf.encode("utf-8"),
        "number.md": note_text("996", status="triage", body="A title that YAML reads as a number."),
    })
    result = papernotes_cli("build", "--root", tmp_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "error" not in result.stderr.lower() and "warning" not in result.stderr.lower(), result.stderr
    site = tmp_path / "site"
    page, soup = page_with_title(site, "Windows note")
    assert "\r" not in page.read_text(encoding="utf-8")
    assert body_of(soup).find("li").find("math") is not None
    assert "First line." in body_of(soup).get_text()
    _, soup = page_with_title(site, "996")
    assert soup.find("title").get_text().startswith("996")
    home = soup_of(site / "index.html")
    assert sorted(a.get_text() for a in home.select("a.row-title")) == ["996", "Windows note"]
    counts = {re.search(r"status/(\w+)\.html", li.a["href"]).group(1): li.select_one(".count").get_text(strip=True)
              for li in home.select("ul.legend li")}
    assert counts.get("skimmed") == "1" and counts.get("triage") == "1"
    assert broken_references(site) == []
