"""Rebuilds after edits: only what a change touches is redone, and the result is always
byte-for-byte what a fresh full build of the same files writes."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from papernotes.build import BuildOptions, build
from papernotes.output import SiteDirectory
from papernotes.project import Project

CATEGORIES = ["NLP", "NLP/Prompting", "Vision", "知识蒸馏/无数据", "ml", "ML", None]
STATUSES = ["read", "unread", "✅", "已泛读", "triage"]
TAGS = ["lora", "LoRA", "peft", "蒸馏", "cot", "a b", "a-b", "C++"]  # 'a b', 'a-b': one page name
VENUES = ["ICLR 2023", "NeurIPS 2022", "2023 WWW", None]


def note_text(rng: random.Random, title: str, others: list[str], wikis: list[str] = ()) -> str:
    lines = ["---", f'title: "{title}"', f"status: {rng.choice(STATUSES)}"]
    category = rng.choice(CATEGORIES)
    if category:
        lines.append(f"category: {category}")
    lines.append(f"tags: [{', '.join(rng.sample(TAGS, rng.randint(0, 2)))}]")
    venue = rng.choice(VENUES)
    if venue:
        lines.append(f"venue: {venue}")
    if rng.random() < 0.3:
        lines.append(f"summary: 摘要 {rng.randint(0, 99)}")
    lines += ["---", "", f"Paragraph {rng.randint(0, 999)} with $x_{rng.randint(0, 9)}$ math.", ""]
    if others:
        lines.append(f"See [other]({rng.choice(others)}) and ![img](img/pic{rng.randint(0, 2)}.png).")
    if wikis:
        # wikilinks by file name, title, folder path, heading; some ambiguous or missing
        lines.append(" ".join(f"Also [[{w}]] here {i}." for i, w in enumerate(rng.sample(wikis, min(2, len(wikis))))))
    if rng.random() < 0.2:
        lines += ["", "## 方法", "", "<details>", "<summary>More</summary>", "**bold**", "</details>"]
    return "\n".join(lines) + "\n"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def fresh_build(root: Path, tmp: Path) -> dict[str, bytes]:
    return fresh_build_and_counts(root, tmp)[0]


def fresh_build_and_counts(root: Path, tmp: Path) -> tuple[dict[str, bytes], tuple]:
    """The files of a fresh build, and what it says: notes, notes left out, warnings and errors."""
    out = tmp / "fresh"
    shutil.rmtree(out, ignore_errors=True)
    result = build(BuildOptions(root=root, output=out, search=False))  # the search index is its own step
    return snapshot(out), (result.notes, result.failed_notes, [str(d) for d in result.diagnostics.items])


class Workspace:
    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.notes = root / "notes"
        self.rng = rng
        self.counter = 0

    def files(self) -> list[Path]:
        return sorted(p for p in self.notes.rglob("*.md"))

    def rel_links(self, origin: Path) -> list[str]:
        import os
        names = [p for p in self.files() if p != origin] + [self.notes / "missing.md"]
        return [os.path.relpath(p, origin.parent) for p in names]

    def wiki_targets(self) -> list[str]:
        names = [p.stem for p in self.files()] + [p.relative_to(self.notes).with_suffix("").as_posix() for p in self.files()]
        return sorted(set(names)) + ["Same title", "same TITLE|a label", f"Title {self.rng.randint(0, 50)}", "lora#方法",
                                     f"Note {self.rng.randint(1, self.counter + 1)}", "missing", "sub/lora.md"]

    def new_path(self) -> Path:
        self.counter += 1
        folder = self.rng.choice(["", "sub/", "sub/deep/", "其他/"])
        name = self.rng.choice([f"paper{self.counter}", f"Paper {self.counter}", f"论文{self.counter}", "lora", "LoRA"])
        return self.notes / f"{folder}{name}.md"

    def edit(self) -> set[Path]:
        """One random edit, in one of the ways editors and users change files; returns touched paths."""
        rng, files = self.rng, self.files()
        action = rng.choice(["modify", "modify", "body", "body", "summary", "add", "delete", "rename", "break",
                             "image", "image-delete", "folder-move", "relink", "relink"])
        if action == "add" or not files:
            path = self.new_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(note_text(rng, f"Note {self.counter}", self.rel_links(path), self.wiki_targets()),
                            encoding="utf-8")
            return {path}
        path = rng.choice(files)
        if action == "modify":
            path.write_text(note_text(rng, rng.choice(["Same title", f"Title {rng.randint(0, 50)}"]), self.rel_links(path),
                                      self.wiki_targets()), encoding="utf-8")
            return {path}
        if action == "relink":
            # Only the links change (other notes' backlinks and related notes follow), or the
            # sentence around one does.
            text, _, rest = path.read_text(encoding="utf-8").partition("\n---\n")
            body = "\n".join(line for line in rest.split("\n") if "[[" not in line)
            targets = self.wiki_targets()
            links = " ".join(f"Now {rng.choice(['see', 'read'])} [[{w}]]." for w in rng.sample(targets, min(2, len(targets))))
            path.write_text(f"{text}\n---\n{body}\n{links}\n", encoding="utf-8")
            return {path}
        if action in ("body", "summary"):
            # Only the body (first paragraph: the excerpt) or only the summary line changes.
            import re
            text = path.read_text(encoding="utf-8")
            if action == "body":
                text = re.sub(r"Paragraph \d+", f"Paragraph {rng.randint(0, 999)}", text)
            elif "summary:" in text:
                text = re.sub(r"summary: .*", f"summary: 新摘要 {rng.randint(0, 99)}", text)
            else:
                text = text.replace("---\n\n", f"summary: 加上摘要 {rng.randint(0, 99)}\n---\n\n", 1)
            path.write_text(text, encoding="utf-8")
            return {path}
        if action == "delete":
            path.unlink()
            return {path}
        if action == "rename":
            target = self.new_path()
            if target.exists():
                return set()
            target.parent.mkdir(parents=True, exist_ok=True)
            path.rename(target)
            return {path, target}
        if action == "break":
            path.write_text("---\ntitle: Broken\nstatus: reed\n---\nbody\n", encoding="utf-8")
            return {path}
        if action == "image":
            image = self.notes / "img" / f"pic{rng.randint(0, 2)}.png"
            image.parent.mkdir(exist_ok=True)
            image.write_bytes(bytes([rng.randint(0, 255)]) * 10)
            return {image}
        if action == "image-delete":
            images = sorted((self.notes / "img").glob("*.png")) if (self.notes / "img").exists() else []
            if not images:
                return set()
            image = rng.choice(images)
            image.unlink()
            return {image}
        # folder-move: a whole folder renamed (git checkout, file manager)
        source = self.notes / "sub"
        if not source.exists():
            return set()
        target = self.notes / f"moved{self.counter}"
        source.rename(target)
        return {source, target}


@pytest.mark.parametrize("kept", ["one-build", "serve"])
@pytest.mark.parametrize("seed", range(8))
def test_random_edit_sequences_match_a_fresh_build(tmp_path, seed, kept):
    """``serve`` keeps the project between saves and looks up what a save touches (lookups.py)
    instead of passing over every note: both ways write what a fresh build writes, and report
    the same notes, left-out notes and problems."""
    rng = random.Random(seed)
    root = tmp_path / "site-root"
    (root / "notes").mkdir(parents=True)
    work = Workspace(root, rng)
    for _ in range(4):
        work.edit()
    served = tmp_path / "served"
    writer = SiteDirectory.create(served)
    project = Project(root, output=served, check_output=False, long_lived=kept == "serve")
    project.refresh(writer, None)
    assert snapshot(served) == fresh_build(root, tmp_path)
    for step in range(12):
        changed: set[Path] = set()
        for _ in range(rng.randint(1, 3)):
            changed |= work.edit()
        if kept == "serve":  # as serve does: own pages first, the rest after the reload, then the lookups
            later: list = []
            first: list[str] = []
            report = project.refresh(writer, changed, later=later,
                                     shown=lambda written, diagnostics: first.extend(written))
            # sometimes the next save comes while the rest is written: the rest is left to its rebuild
            left = rng.choice([None, None, 0, 2])
            asked = iter(range(10**6))
            project.write_later(writer, later, report, stop=lambda: left is not None and next(asked) >= left)
            project.prepare_lookups()
            assert set(first) <= set(report.written), f"seed {seed}, step {step}"
            if project.unwritten:
                continue  # written by the next refresh, compared after it
        else:
            report = project.refresh(writer, changed)
        assert not report.full
        files, counts = fresh_build_and_counts(root, tmp_path)
        assert snapshot(served) == files, f"seed {seed}, step {step}"
        assert (report.notes, report.failed_notes, [str(d) for d in report.diagnostics.items]) == counts, \
            f"seed {seed}, step {step}"
    if kept == "serve" and project.unwritten:  # the last save's rest, left to a rebuild of nothing
        report = project.refresh(writer, set())
        assert not project.unwritten and snapshot(served) == fresh_build(root, tmp_path), f"seed {seed}, the end"


def test_one_note_edit_rewrites_only_its_dependants(tmp_path):
    root = tmp_path / "root"
    notes = root / "notes"
    notes.mkdir(parents=True)
    for i in range(6):
        (notes / f"n{i}.md").write_text(f"---\ntitle: N{i}\ncategory: {'A' if i < 3 else 'B'}\ntags: [t{i}]\nvenue: ICLR 202{i}\n---\nBody {i}\n")
    writer = SiteDirectory.create(tmp_path / "out")
    project = Project(root, output=tmp_path / "out", check_output=False)
    first = project.refresh(writer, None)
    (notes / "n4.md").write_text("---\ntitle: N4 changed\ncategory: B\ntags: [t4]\nvenue: ICLR 2024\n---\nNew body\n")
    report = project.refresh(writer, {notes / "n4.md"})
    written = set(report.written)
    assert report.rendered_notes == 1
    # its page, its neighbours in category B (titles in previous/next), its lists, the home page
    assert {"notes/n4.html", "notes/n3.html", "notes/n5.html", "index.html", "categories/b.html",
            "tags/t4.html", "venues/iclr-2024.html", "years/2024.html", "status/unread.html"} <= written
    assert not written & {"notes/n0.html", "notes/n1.html", "categories/a.html", "tags/t0.html", "assets/style.css"}
    assert len(written) < len(first.written) / 2


def test_a_body_save_rewrites_the_feeds_that_show_the_note_and_no_others(tmp_path):
    """A save changes the note's file time, which feeds, the sitemap and "Waiting longest" show: the
    feeds of its own categories and the site are written again, other categories' feeds are not,
    and the dashboard only when the note is waiting to be read."""
    import os

    root = tmp_path / "root"
    notes = root / "notes"
    notes.mkdir(parents=True)
    for i in range(6):
        status = "unread" if i == 5 else "read"
        (notes / f"n{i}.md").write_text(f"---\ntitle: N{i}\nstatus: {status}\ncategory: {'A/Sub' if i < 3 else 'B'}\n"
                                        f"date: 2024-01-0{i + 1}\n---\nBody {i}\n")
        os.utime(notes / f"n{i}.md", (1_700_000_000 + i, 1_700_000_000 + i))
    out = tmp_path / "out"
    writer = SiteDirectory.create(out)
    project = Project(root, output=out, check_output=False)
    project.refresh(writer, None)

    def save(name: str, when: int) -> set[str]:
        path = notes / name
        path.write_text(path.read_text() + "\nOne more paragraph.\n")
        os.utime(path, (when, when))
        report = project.refresh(writer, {path})
        assert snapshot(out) == fresh_build(root, tmp_path)
        return set(report.written)

    written = save("n1.md", 1_800_000_000)
    assert {"notes/n1.html", "atom.xml", "sitemap.xml", "categories/a.atom.xml", "categories/a/sub.atom.xml"} <= written
    assert not written & {"categories/b.atom.xml", "dashboard.html", "index.html", "notes/n4.html"}
    written = save("n5.md", 1_800_000_100)  # unread: "Waiting longest" orders by file time too
    assert {"notes/n5.html", "atom.xml", "categories/b.atom.xml", "dashboard.html"} <= written
    assert not written & {"categories/a.atom.xml", "categories/a/sub.atom.xml", "index.html"}


def test_saves_keep_page_names_told_apart_and_category_spellings(tmp_path):
    """Two files sharing a page name (LoRA.md, lora.md) and a category spelled two ways: saving
    either note's body, then its category's spelling, gives what a fresh build gives."""
    root = tmp_path / "root"
    notes = root / "notes"
    (notes / "prompting").mkdir(parents=True)
    (notes / "LoRA.md").write_text("---\ntitle: Upper\ncategory: PEFT\n---\nOne.\n")
    (notes / "lora.md").write_text("---\ntitle: Lower\ncategory: peft\n---\nTwo.\n")
    (notes / "x.md").write_text("---\ntitle: X\ncategory: PEFT\n---\nThree.\n")
    (notes / "prompting" / "p.md").write_text("---\ntitle: P\n---\nFour.\n")
    out = tmp_path / "out"
    writer = SiteDirectory.create(out)
    project = Project(root, output=out, check_output=False)
    project.refresh(writer, None)
    assert snapshot(out) == fresh_build(root, tmp_path)
    for name, text in [("lora.md", "---\ntitle: Lower\ncategory: peft\n---\nTwo, longer.\n"),
                       ("LoRA.md", "---\ntitle: Upper\ncategory: PEFT\n---\nOne, longer.\n"),
                       ("x.md", "---\ntitle: X\ncategory: peft\n---\nThree.\n"),  # peft now wins
                       ("prompting/p.md", "---\ntitle: P\n---\nFour, longer.\n")]:
        (notes / name).write_text(text)
        project.refresh(writer, {notes / name})
        assert snapshot(out) == fresh_build(root, tmp_path), name


def test_the_math_font_follows_formulas_that_appear_change_and_go(tmp_path):
    """The font holds the characters of every formula: a note that adds one, changes it, breaks
    (a front-matter error), comes back and is deleted leaves the font a fresh build would make."""
    root = tmp_path / "root"
    notes = root / "notes"
    notes.mkdir(parents=True)
    (notes / "a.md").write_text("---\ntitle: A\n---\n$x + y$\n")
    out = tmp_path / "out"
    writer = SiteDirectory.create(out)
    project = Project(root, output=out, check_output=False)
    project.refresh(writer, None)
    steps = [("b.md", "---\ntitle: B\n---\n$\\oiint_S F$\n"), ("b.md", "---\ntitle: B\n---\n$\\aleph_0$\n"),
             ("b.md", "---\ntitle: [B\n---\n$\\aleph_0$\n"), ("b.md", "---\ntitle: B\n---\n$\\beth$ text\n"),
             ("a.md", "---\ntitle: A\n---\nno math now\n"), ("b.md", None)]
    for name, text in steps:
        if text is None:
            (notes / name).unlink()
        else:
            (notes / name).write_text(text)
        project.refresh(writer, {notes / name})
        assert snapshot(out)["assets/math.woff2"] == fresh_build(root, tmp_path)["assets/math.woff2"], (name, text)


def test_deleted_note_disappears_everywhere(tmp_path):
    root = tmp_path / "root"
    notes = root / "notes"
    notes.mkdir(parents=True)
    (notes / "keep.md").write_text("---\ntitle: Keep\ntags: [x]\n---\n[gone](gone.md)\n")
    (notes / "gone.md").write_text("---\ntitle: Gone Paper\ntags: [x, only]\n---\n")
    out = tmp_path / "out"
    writer = SiteDirectory.create(out)
    project = Project(root, output=out, check_output=False)
    project.refresh(writer, None)
    assert "Gone Paper" in (out / "tags" / "x.html").read_text()
    (notes / "gone.md").unlink()
    report = project.refresh(writer, {notes / "gone.md"})
    assert not (out / "notes" / "gone.html").exists() and not (out / "tags" / "only.html").exists()
    assert "notes/gone.html" in report.removed
    assert all("Gone Paper" not in p.read_text() for p in out.rglob("*.html"))
    # keep.md links to the deleted note: re-rendered, and now warned about
    assert any("gone.md" in d.message for d in report.diagnostics.warnings)


def test_template_change_rebuilds_everything_and_error_keeps_old_pages(tmp_path):
    root = tmp_path / "root"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "a.md").write_text("---\ntitle: A\n---\n")
    out = tmp_path / "out"
    writer = SiteDirectory.create(out)
    project = Project(root, output=out, check_output=False)
    project.refresh(writer, None)
    before = (out / "notes" / "a.html").read_bytes()
    templates = root / "templates"
    templates.mkdir()
    (templates / "note.html").write_text("{% extends 'base.html' %}{% block main %}{{ note.title|nosuchfilter }}{% endblock %}")
    report = project.refresh(writer, {templates / "note.html"})
    assert report.full and report.template_failed
    assert report.diagnostics.errors[0].file.endswith("templates/note.html")
    assert (out / "notes" / "a.html").read_bytes() == before
    (templates / "note.html").write_text("{% extends 'base.html' %}{% block main %}<h1 id=custom>{{ note.title }}</h1>{% endblock %}")
    report = project.refresh(writer, {templates / "note.html"})
    assert not report.diagnostics.errors
    assert "<h1 id=custom>A</h1>" in (out / "notes" / "a.html").read_text()
    assert snapshot(out) == fresh_build(root, tmp_path)


def test_cite_keys_follow_title_and_own_entry_edits_across_cached_builds(tmp_path):
    """The build cache keeps each note's citation base key and the keys last computed; edit builds
    that take them must show in every Cite block (and papers.bib) the keys a fresh build gives:
    two notes that come to share a base key get told apart, and stop being when one moves away."""
    root = tmp_path / "root"
    notes = root / "notes"
    (notes / "peft").mkdir(parents=True)
    (notes / "reading").mkdir(parents=True)

    def write(rel: str, title: str, extra: str = "") -> None:
        (notes / rel).write_text(f'---\ntitle: "{title}"\nauthors: [Edward J. Hu]\nyear: 2022\n{extra}---\nBody of {rel}.\n',
                                 encoding="utf-8")

    write("peft/lora.md", "LoRA: Low-Rank Adaptation")
    write("reading/again.md", "QLoRA notes")
    for i in range(4):
        write(f"reading/other{i}.md", f"Other paper {i}")
    out = tmp_path / "out"

    def cite_keys() -> tuple[str, str]:
        pages = [(out / "notes" / page).read_text(encoding="utf-8") for page in ("peft/lora.html", "reading/again.html")]
        return tuple(re.search(r"@\w+\{([^,]+),", page).group(1) for page in pages)

    steps = [
        lambda: None,
        lambda: write("reading/again.md", "LoRA again, read twice"),  # now hu2022lora too: both get a suffix
        lambda: write("reading/again.md", "LoRA again, read twice", "bibtex: '@article{mine2022, title={X}}'\n"),
        lambda: write("reading/again.md", "QLoRA notes"),  # apart again
        lambda: (notes / "peft/lora.md").write_text((notes / "peft/lora.md").read_text() + "\nMore.\n"),
    ]
    seen = []
    for step in steps:
        step()
        result = build(BuildOptions(root=root, output=out, search=False))
        assert result.written and not result.diagnostics.errors
        seen.append(cite_keys())
        assert snapshot(out) == fresh_build(root, tmp_path)
    assert seen[0] == ("hu2022lora", "hu2022qlora")
    assert seen[1][0].startswith("hu2022lora-") and seen[1][1].startswith("hu2022lora-") and seen[1][0] != seen[1][1]
    assert seen[2] == ("hu2022lora", "mine2022")
    assert seen[3] == seen[4] == ("hu2022lora", "hu2022qlora")


def test_outputs_name_every_kind_of_pseudo_key_they_depend_on(tmp_path):
    """An edit build works out the dependencies of a note, category, term or preview page only
    when the change holds a note key or a pseudo key of a kind the page names
    (``Output.pseudo_kinds``): a kind left unnamed would leave pages stale. On the example site
    (citations, links, related notes) every key such a page depends on is a note's key or of a
    kind it names, and each kind a note page names occurs."""
    from papernotes.emit import PSEUDO

    root = tmp_path / "site"
    repo = Path(__file__).resolve().parents[1]
    for part in ("notes", "data"):
        shutil.copytree(repo / part, root / part)
    project = Project(root, output=tmp_path / "out", check_output=False)
    project.refresh(SiteDirectory.create(tmp_path / "out"), None)
    note_keys = {r.note.key for r in project.records.values() if r.note is not None}
    deferred = [o for o in project.outputs.values() if o.deferred]
    pages = [o for o in deferred if o.body_of is not None]
    assert len(pages) >= 20 and {o.path.split("/")[0] for o in deferred} >= {
        "notes", "categories", "tags", "venues", "years", "status", "previews"}
    seen: set[str] = set()
    for output in deferred:
        for key in output.depends_on:
            if key in note_keys:
                continue
            kind = next((k for k in output.pseudo_kinds if key.startswith(k)), None)
            assert kind is not None, f"{output.path} depends on {key!r}, of no kind it names"
            if output.body_of is not None:
                seen.add(kind)
    assert seen == set(pages[0].pseudo_kinds) and all(k.startswith(PSEUDO) for k in seen)


def test_an_own_entry_taking_a_told_apart_key_moves_that_note_key_on_its_page(tmp_path):
    """Two notes that share a base key are told apart by a hash (``smith2021model-xxxx``); a
    note elsewhere whose own ``bibtex:`` entry takes one of those keys makes that note's key
    longer. The cached build must show the new key on that note's page too, though the two
    notes share no base key, category, tag, author or link (found by a randomised comparison of
    cached and fresh builds)."""
    root = tmp_path / "root"
    notes = root / "notes"
    for folder in ("vision", "speech"):
        (notes / folder).mkdir(parents=True)

    def write(rel: str, title: str, authors: str, year: int, extra: str = "") -> None:
        (notes / rel).write_text(f'---\ntitle: "{title}"\nauthors: [{authors}]\nyear: {year}\n{extra}---\n'
                                 f"Body of {rel}, 正文.\n", encoding="utf-8")

    write("vision/first.md", "Model of sight", "Ann Smith", 2021)
    write("vision/second.md", "Model of depth", "Bo Smith", 2021)  # smith2021model too
    write("speech/third.md", "Hearing voices", "Cy Jones", 2019)
    out = tmp_path / "out"
    build(BuildOptions(root=root, output=out, search=False))

    def cite_key(page: str) -> str:
        return re.search(r"@\w+\{([^,]+),", (out / "notes" / page).read_text(encoding="utf-8")).group(1)

    taken = cite_key("vision/first.html")
    assert re.fullmatch(r"smith2021model-[a-z2-7]{4}", taken)
    write("speech/third.md", "Hearing voices", "Cy Jones", 2019, f"bibtex: '@misc{{{taken}, title={{Voices}}}}'\n")
    result = build(BuildOptions(root=root, output=out, search=False))
    assert result.written and not result.diagnostics.errors
    assert cite_key("speech/third.html") == taken
    moved = cite_key("vision/first.html")
    assert moved != taken and moved.startswith(taken) and len(moved) == len(taken) + 4
    assert snapshot(out) == fresh_build(root, tmp_path)
    write("speech/third.md", "Hearing voices", "Cy Jones", 2019)  # and back
    build(BuildOptions(root=root, output=out, search=False))
    assert cite_key("vision/first.html") == taken
    assert snapshot(out) == fresh_build(root, tmp_path)
