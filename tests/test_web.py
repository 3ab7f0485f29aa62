"""The web of notes, through real builds (the command line, tmp folders): wikilinks and how they
resolve, broken ones as warnings (build and check), backlinks, related notes, hover-preview
files, and rebuilds (build cache, serve) that follow link targets appearing, moving and going."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bs4 import BeautifulSoup

from conftest import site_previews
from papernotes.build import BuildOptions, build

FRONT = "---\ntitle: \"{title}\"\nstatus: read\ncategory: {category}\ntags: [{tags}]\n{more}---\n"


def write(root: Path, rel: str, title: str, body: str, category: str = "Misc", tags: str = "", more: str = "") -> Path:
    path = root / "notes" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FRONT.format(title=title, category=category, tags=tags, more=more) + "\n" + body, encoding="utf-8")
    return path


def page(site: Path, rel: str) -> BeautifulSoup:
    return BeautifulSoup((site / rel).read_text(encoding="utf-8"), "html.parser")


def wikilinks(soup: BeautifulSoup) -> list[tuple[str, str | None, list[str]]]:
    """(text, href, classes) of each wikilink in the note's body."""
    return [(a.get_text(), a.get("href"), a.get("class")) for a in soup.select(".note-body .wikilink")]


def site_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    write(root, "distillation/hinton-kd.md", "Distilling the Knowledge in a Neural Network",
          "Soft targets.\n\n## Method 方法\n\nTemperature.\n", category="Distillation", tags="kd")
    write(root, "distillation/知识蒸馏综述.md", "Knowledge Distillation: A Survey", "A survey.\n",
          category="Distillation", tags="kd, survey")
    write(root, "nlp/lora.md", "LoRA", "Low rank.\n", category="NLP")
    write(root, "vision/lora.md", "LoRA for vision", "Also low rank.\n", category="Vision")
    write(root, "nlp/bert.md", "BERT 预训练", "Bidirectional.\n", category="NLP")
    write(root, "reader.md", "Reader",
          "By file name [[hinton-kd]], any case [[HINTON-KD.md]], labelled [[hinton-kd|Hinton 2015]].\n\n"
          "By title [[knowledge distillation: a survey]]; Chinese file name [[知识蒸馏综述]]; Chinese title "
          "[[BERT 预训练]].\n\n"
          "A heading [[hinton-kd#Method 方法]], a path [[nlp/lora]], a relative path [[./nlp/bert.md]].\n\n"
          "Ambiguous [[lora]] and missing [[no such paper]].\n\n"
          "Code `[[hinton-kd]]`, math $[[x]]$.\n\n```\n[[hinton-kd]]\n```\n\n"
          "| cell |\n|---|\n| [[hinton-kd\\|in a table]] |\n\n"
          "Unsafe label [[hinton-kd|<img src=x onerror=alert(1)>]].\n", category="Misc")
    return root


def test_wikilinks_resolve_by_file_name_then_title_with_warnings_for_the_rest(tmp_path, papernotes_cli):
    root = site_root(tmp_path)
    result = papernotes_cli("build", "--root", root, "--no-search", cwd=root)
    assert result.returncode == 0, result.stderr
    soup = page(root / "site", "notes/reader.html")
    links = wikilinks(soup)
    hinton, survey = "distillation/hinton-kd.html", "distillation/%E7%9F%A5%E8%AF%86%E8%92%B8%E9%A6%8F%E7%BB%BC%E8%BF%B0.html"
    assert links[:3] == [("hinton-kd", hinton, ["wikilink"]), ("HINTON-KD", hinton, ["wikilink"]),
                         ("Hinton 2015", hinton, ["wikilink"])]
    assert links[3:6] == [("knowledge distillation: a survey", survey, ["wikilink"]),
                          ("知识蒸馏综述", survey, ["wikilink"]), ("BERT 预训练", "nlp/bert.html", ["wikilink"])]
    heading, path, relative = links[6:9]
    assert heading[1] == hinton + "#method-方法" and heading[0] == "hinton-kd › Method 方法"
    target = page(root / "site", "notes/distillation/hinton-kd.html")
    target_heading = next(h for h in target.select(".note-body h2") if "Method" in h.get_text())
    assert heading[1].endswith("#" + target_heading["id"])
    assert path[1] == "nlp/lora.html" and relative[1] == "nlp/bert.html"
    ambiguous, missing = links[9:11]
    assert ambiguous[1] is None and "wikilink" in ambiguous[2] and "broken" in ambiguous[2]
    broken = soup.select(".note-body .wikilink.broken")
    assert [b.name for b in broken] == ["span", "span"]
    assert "several notes" in broken[0]["title"] and "no note called 'no such paper'" in broken[1]["title"]
    # Never inside code or math; in a table cell with \|
    assert soup.select_one(".note-body p code").get_text() == "[[hinton-kd]]"
    assert "[[hinton-kd]]" in soup.select_one(".note-body pre").get_text()
    assert soup.select_one(".note-body td .wikilink").get_text() == "in a table"
    # The label is text, whatever it says
    assert links[-1][0] == "<img src=x onerror=alert(1)>" and not soup.select(".note-body img")
    # Warnings with file:line, in build and in check
    warnings = [line for line in result.stderr.splitlines() if "wikilink" in line]
    assert any("notes/reader.md:14" in w and "[[lora]]" in w and "notes/nlp/lora.md" in w for w in warnings), warnings
    assert any("notes/reader.md:14" in w and "no such paper" in w for w in warnings), warnings
    assert len(warnings) == 2, warnings
    check = papernotes_cli("check", "--root", root, cwd=root)
    checked = [line for line in (check.stdout + check.stderr).splitlines() if "wikilink" in line]
    assert sorted(checked) == sorted(warnings)


def test_wikilinks_under_safe_stay_escaped(tmp_path, papernotes_cli):
    root = site_root(tmp_path)
    result = papernotes_cli("build", "--root", root, "--no-search", "--safe", cwd=root)
    assert result.returncode == 0, result.stderr
    soup = page(root / "site", "notes/reader.html")
    assert wikilinks(soup)[0] == ("hinton-kd", "distillation/hinton-kd.html", ["wikilink"])
    assert "broken" in soup.select(".note-body .wikilink")[9]["class"]
    assert not soup.select(".note-body img") and "onerror=alert(1)>" in soup.select(".note-body .wikilink")[-1].get_text()


def test_backlinks_list_each_linking_note_with_its_sentence(tmp_path, papernotes_cli):
    root = tmp_path / "root"
    write(root, "a.md", "Alpha", "Intro.\n")
    write(root, "b.md", "Beta", "First sentence. As [Alpha](a.md) showed, soft targets help. Last one.\n")
    write(root, "c.md", "Gamma 中文", "前一句。我们沿用[[Alpha]]的温度设置。后一句。\n\nAgain [[a]] later.\n")
    write(root, "d.md", "Delta", "Links to itself [[Delta]] and to nothing else.\n")
    assert papernotes_cli("build", "--root", root, "--no-search", cwd=root).returncode == 0
    soup = page(root / "site", "notes/a.html")
    section = soup.select_one(".note-web .backlinks")
    assert section.find("h2").get_text(" ", strip=True).startswith("Linked from · 被引用")
    items = [(li.a.get_text(), li.a["href"], li.select_one(".backlink-context").get_text()) for li in section.select("li")]
    assert items == [("Beta", "b.html", "As Alpha showed, soft targets help."),
                     ("Gamma 中文", "c.html", "我们沿用Alpha的温度设置。")]
    assert page(root / "site", "notes/d.html").select_one(".backlinks") is None  # its own link is no backlink
    assert "Linked from" not in page(root / "site", "notes/b.html").get_text()


def test_long_context_is_clipped_around_the_link(tmp_path, papernotes_cli):
    root = tmp_path / "root"
    write(root, "a.md", "Alpha", "x\n")
    write(root, "b.md", "Beta", "word " * 80 + "[[a]] " + "more " * 80 + "\n")
    assert papernotes_cli("build", "--root", root, "--no-search", cwd=root).returncode == 0
    context = page(root / "site", "notes/a.html").select_one(".backlink-context").get_text()
    assert context.startswith("…") and context.endswith("…") and "a" in context.split() and len(context) <= 165


def test_related_notes_rank_links_then_tags_category_authors_and_say_why(tmp_path, papernotes_cli):
    root = tmp_path / "root"
    write(root, "main.md", "Main", "Builds on [[linked]].\n", category="ML", tags="x, y, z", more="authors: [Ada]\n")
    write(root, "linked.md", "Linked", "Nothing.\n", category="Other")
    write(root, "fan.md", "Fan", "I like [[Main]].\n", category="Other")
    write(root, "three-tags.md", "Three tags", "t\n", category="Other", tags="x, y, z")
    write(root, "one-tag.md", "One tag", "t\n", category="Other", tags="x")
    write(root, "same-cat.md", "Same category", "t\n", category="ML")
    write(root, "author.md", "Same author", "t\n", category="Else", more="authors: [Ada]\n")
    write(root, "unrelated.md", "Unrelated", "t\n", category="Else")
    assert papernotes_cli("build", "--root", root, "--no-search", cwd=root).returncode == 0
    soup = page(root / "site", "notes/main.html")
    related = [(li.a.get_text(), li.select_one(".related-why").get_text()) for li in soup.select(".note-web .related li")]
    assert [title for title, _ in related] == ["Fan", "Linked", "Three tags", "One tag", "Same category"]
    why = dict(related)
    assert why["Fan"] == "links here · 链接到本文"
    assert why["Linked"] == "linked from here · 本文链接到它"
    assert why["Three tags"] == "shares 3 tags · 共 3 个标签"
    assert why["One tag"] == "shares 1 tag · 共 1 个标签"
    assert why["Same category"] == "same category · 同一分类"
    # The sixth candidate (shared author) is cut; elsewhere it shows why
    assert "shares 1 author · 共 1 位作者" in page(root / "site", "notes/author.html").select_one(".related").get_text()
    # Deterministic: a second build in another order of files gives the same page
    shutil.rmtree(root / "site")
    (root / "notes" / "fan.md").rename(root / "notes" / "zz-fan.md")
    assert papernotes_cli("build", "--root", root, "--no-search", cwd=root).returncode == 0
    again = [li.a.get_text() for li in page(root / "site", "notes/main.html").select(".note-web .related li")]
    assert again == [title for title, _ in related]


def test_preview_files_hold_title_status_venue_and_first_paragraph(tmp_path, papernotes_cli):
    root = tmp_path / "root"
    write(root, "sub/a.md", "Alpha <b>&</b> 论文", "First paragraph with $x^2$ math and [a link](b.md).\n\nSecond.\n",
          more="venue: ICLR 2023\n")
    write(root, "b.md", "Beta", "x\n")
    assert papernotes_cli("build", "--root", root, "--no-search", cwd=root).returncode == 0
    data = site_previews(root / "site")["sub/a"]
    assert data["title"] == "Alpha <b>&</b> 论文" and data["status"] == "read" and data["venue"] == "ICLR 2023"
    assert data["status_label"] == "Read 已阅读" and data["year"] == 2023
    assert data["text"].startswith("First paragraph with ") and data["text"].endswith("math and a link.")
    assert "Second" not in data["text"] and "x^2" not in data["text"]  # the formula's TeX is not repeated


def snapshot(folder: Path) -> dict[str, bytes]:
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    files.pop(".papernotes-site", None)  # holds the build's id
    return files


def test_cached_builds_follow_wikilink_targets_appearing_moving_and_going(tmp_path):
    root = tmp_path / "root"
    write(root, "reader.md", "Reader", "See [[target]] and [Other](other.md).\n")
    write(root, "other.md", "Other", "Mentions [[Reader]].\n")

    def check(step: str) -> None:
        cached = build(BuildOptions(root=root, search=False, jobs=1))  # with the build cache
        assert not cached.up_to_date, step
        fresh = tmp_path / "fresh"
        shutil.rmtree(fresh, ignore_errors=True)
        build(BuildOptions(root=root, output=fresh, search=False, jobs=1, cache=False))
        assert snapshot(root / "site") == snapshot(fresh), step

    check("first")
    assert page(root / "site", "notes/reader.html").select_one(".wikilink.broken") is not None
    write(root, "deep/target.md", "Target paper", "Here.\n")
    check("appeared")
    soup = page(root / "site", "notes/reader.html")
    assert soup.select_one(".note-body .wikilink")["href"] == "deep/target.html"
    assert page(root / "site", "notes/deep/target.html").select_one(".backlinks li a").get_text() == "Reader"
    (root / "notes" / "deep" / "target.md").rename(root / "notes" / "target.md")
    check("moved")
    assert page(root / "site", "notes/reader.html").select_one(".note-body .wikilink")["href"] == "target.html"
    (root / "notes" / "target.md").rename(root / "notes" / "renamed.md")
    check("renamed away")
    assert page(root / "site", "notes/reader.html").select_one(".wikilink.broken") is not None
    write(root, "renamed.md", "target", "Same file, its title now matches.\n")
    check("found by title")
    assert page(root / "site", "notes/reader.html").select_one(".note-body .wikilink")["href"] == "renamed.html"
    (root / "notes" / "renamed.md").unlink()
    check("deleted")
    write(root, "other.md", "Other", "No link any more.\n")
    check("link removed")
    assert page(root / "site", "notes/reader.html").select_one(".backlinks") is None


def page_of(harness, path: str) -> BeautifulSoup:
    status, _, body = harness.fetch(path)
    assert status == 200, path
    return BeautifulSoup(body.decode("utf-8"), "html.parser")


def test_serve_follows_a_wikilink_target_added_renamed_and_deleted(tmp_path, preview_server):
    root = tmp_path / "root"
    write(root, "reader.md", "Reader", "Read [[Target paper]] first.\n")
    write(root, "peer.md", "Peer", "Nothing yet.\n")
    harness = preview_server(root)

    def edit(action) -> None:
        since = harness.rebuilds
        action()
        harness.settle(since)

    link = lambda: page_of(harness, "/notes/reader.html").select_one(".note-body .wikilink")  # noqa: E731
    assert "broken" in link()["class"]
    edit(lambda: write(root, "sub/target.md", "Target paper", "Body.\n"))
    assert link()["href"] == "sub/target.html" and "broken" not in link()["class"]
    backlinks = page_of(harness, "/notes/sub/target.html").select(".backlinks li")
    assert [li.a.get_text() for li in backlinks] == ["Reader"]
    assert backlinks[0].select_one(".backlink-context").get_text() == "Read Target paper first."
    edit(lambda: (root / "notes" / "sub" / "target.md").rename(root / "notes" / "moved.md"))
    assert link()["href"] == "moved.html"
    assert harness.fetch("/notes/sub/target.html")[0] == 404
    assert [li.a.get_text() for li in page_of(harness, "/notes/moved.html").select(".backlinks li")] == ["Reader"]
    edit(lambda: write(root, "peer.md", "Peer", "Also [[moved]] now.\n"))
    assert [li.a.get_text() for li in page_of(harness, "/notes/moved.html").select(".backlinks li")] == ["Peer", "Reader"]
    edit(lambda: (root / "notes" / "moved.md").unlink())
    assert "broken" in link()["class"] and link().get("href") is None
    fresh = tmp_path / "fresh"
    build(BuildOptions(root=root, output=fresh, search=False, jobs=1, cache=False))
    served = {p: b for p, b in snapshot(harness.site_dir).items() if not p.startswith("assets/livereload")}
    assert {p: served.get(p) for p in snapshot(fresh)} == snapshot(fresh)


def test_a_parallel_build_shows_the_same_backlinks_as_a_single_process_build(tmp_path):
    """Worker processes write each note's page as they render it: every note's links (its
    backlinks) must be known before; the pages are byte for byte those of one process."""
    root = tmp_path / "root"
    for i in range(230):  # above parallel.MIN_NOTES
        links = f"Builds on [[paper-{(i * 7) % 230}]] and [Paper {(i * 13) % 230}](../g{(i * 13) % 230 % 5}/paper-{(i * 13) % 230}.md)."
        write(root, f"g{i % 5}/paper-{i}.md", f"Paper {i}", f"Sentence one. {links} Done.\n", category=f"G{i % 5}",
              tags=f"t{i % 7}, u{i % 3}")
    single = tmp_path / "single"
    build(BuildOptions(root=root, output=single, search=False, jobs=1, cache=False))
    parallel = tmp_path / "parallel"
    result = build(BuildOptions(root=root, output=parallel, search=False, jobs=2, cache=False))
    assert not result.diagnostics.warnings
    assert snapshot(parallel) == snapshot(single)
    backlinks = page(parallel, "notes/g2/paper-7.html").select(".backlinks li")
    linking = {f"Paper {i}" for i in range(230) if i != 7 and 7 in ((i * 7) % 230, (i * 13) % 230)}
    assert len(linking) == 2 and {li.a.get_text() for li in backlinks} == linking
    # With the build cache (a second parallel build after one edit) the same again
    build(BuildOptions(root=root, search=False, jobs=2))
    write(root, "g1/paper-1.md", "Paper 1", "Now it links to [[paper-0]] only.\n", category="G1", tags="t1, u1")
    build(BuildOptions(root=root, search=False, jobs=2))
    build(BuildOptions(root=root, output=single, search=False, jobs=1, cache=False))
    assert snapshot(root / "site") == snapshot(single)


def test_a_new_link_rewrites_the_linked_pages_not_the_lists(tmp_path):
    from papernotes.output import SiteDirectory
    from papernotes.project import Project

    root = tmp_path / "root"
    write(root, "a.md", "Alpha", "x\n", tags="t")
    write(root, "b.md", "Beta", "Nothing yet.\n", tags="u")
    write(root, "c.md", "Gamma", "Unrelated.\n", tags="v", category="Other")
    out = tmp_path / "out"
    writer = SiteDirectory.create(out)
    project = Project(root, output=out, check_output=False)
    project.refresh(writer, None)
    edited = write(root, "b.md", "Beta", "Nothing yet.\n\nNow see [[Alpha]].\n", tags="u")  # the excerpt stays
    report = project.refresh(writer, {edited})
    assert {"notes/a.html", "notes/b.html"} <= set(report.written)  # backlinks; its own body
    assert not set(report.written) & {"index.html", "tags/index.html", "notes/c.html", "tags/t.html"}
    assert [li.a.get_text() for li in page(out, "notes/a.html").select(".backlinks li")] == ["Beta"]


def test_the_web_kept_by_the_build_cache_is_used_only_for_the_same_notes_and_links(tmp_path):
    """A build keeps the web of backlinks and related notes in its cache, and the next build uses
    it when titles, tags, authors, categories and links are what it was made of. Each step
    is compared with a build without the cache: a status or body edit (the kept web is used), a
    tag or a title edit, a link added (made again), and a damaged kept web (ignored)."""
    import sqlite3

    from papernotes.cache import CACHE_DIR, CACHE_FILE

    root = tmp_path / "root"
    write(root, "a.md", "Adapters", "Small modules. See [LoRA](lora.md).\n", tags="peft, nlp")
    write(root, "lora.md", "LoRA", "Low rank updates.\n", tags="peft")
    write(root, "prefix.md", "Prefix tuning 前缀", "Virtual tokens.\n", tags="nlp")
    write(root, "other.md", "Other", "Unrelated.\n", category="Vision", tags="cv")

    def check(step: str) -> BeautifulSoup:
        cached = build(BuildOptions(root=root, search=False, jobs=1))
        assert not cached.up_to_date and not cached.diagnostics.items, step
        fresh = tmp_path / "fresh"
        shutil.rmtree(fresh, ignore_errors=True)
        build(BuildOptions(root=root, output=fresh, search=False, jobs=1, cache=False))
        assert snapshot(root / "site") == snapshot(fresh), step
        return page(root / "site", "notes/lora.html")

    def related(soup: BeautifulSoup) -> list[str]:
        return [" ".join(li.get_text(" ").split()) for li in soup.select(".related li")]

    assert check("first").select_one(".backlinks li a").get_text() == "Adapters"
    adapters = root / "notes" / "a.md"
    adapters.write_text(adapters.read_text(encoding="utf-8").replace("status: read", "status: unread"), encoding="utf-8")
    assert check("status edited (the kept web is used)").select_one(".backlinks li a").get_text() == "Adapters"
    write(root, "prefix.md", "Prefix tuning 前缀", "Virtual tokens.\n", tags="nlp, peft")
    assert any("Prefix tuning 前缀" in r and "shares 1 tag" in r for r in related(check("tag added")))
    write(root, "prefix.md", "前缀微调", "Virtual tokens.\n", tags="nlp, peft")
    assert any("前缀微调" in r for r in related(check("title edited")))
    write(root, "other.md", "Other", "Now it cites [LoRA](lora.md) too.\n", category="Vision", tags="cv")
    assert [a.get_text() for a in check("link added").select(".backlinks li a")] == ["Adapters", "Other"]
    with sqlite3.connect(root / CACHE_DIR / CACHE_FILE) as db:
        db.execute("UPDATE derived SET payload = X'00'")
    write(root, "lora.md", "LoRA", "Low rank updates, edited.\n", tags="peft")
    assert [a.get_text() for a in check("kept web damaged").select(".backlinks li a")] == ["Adapters", "Other"]
