"""The site's own ``static/`` folder (issue 12): its files are copied into the site as they are,
by full and incremental builds and by ``serve``; a file put straight into the output folder is
named in a warning before a build or ``clean`` removes it."""

from __future__ import annotations

from pathlib import Path

import yaml

from papernotes.cli import main

NOTE = "---\ntitle: {title}\ncategory: Reading\n---\nBody of {title}.\n"


def make_site(root: Path, **static: str) -> Path:
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "a.md").write_text(NOTE.format(title="Alpha"), encoding="utf-8")
    for rel, text in static.items():
        path = root / "static" / rel.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def build(root: Path, capsys, *extra: str) -> tuple[int, str]:
    code = main(["build", "--root", str(root), "--no-search", *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_static_files_are_copied_as_they_are_and_follow_every_change(tmp_path, capsys):
    root = make_site(tmp_path, CNAME="notes.example.org\n", **{".nojekyll": "", "google1a2b.html": "google-site-verification\n",
                                                                 ".well-known__security.txt": "Contact: me\n",
                                                                 "CNAME~": "an editor's backup\n"})
    (root / "static" / ".git").mkdir()
    (root / "static" / ".git" / "config").write_text("[core]\n", encoding="utf-8")
    code, out = build(root, capsys)
    assert code == 0, out
    site = root / "site"
    assert (site / "CNAME").read_text() == "notes.example.org\n"
    assert (site / ".nojekyll").is_file() and (site / ".nojekyll").read_bytes() == b""
    assert (site / "google1a2b.html").read_text() == "google-site-verification\n"
    assert (site / ".well-known" / "security.txt").read_text() == "Contact: me\n"
    assert not (site / "CNAME~").exists() and not (site / ".git").exists()
    assert (site / "notes" / "a.html").is_file() and "warning:" not in out

    # an incremental build (the build cache): a file changed, one added, one removed
    (root / "static" / "CNAME").write_text("papers.example.org\n", encoding="utf-8")
    (root / "static" / "img").mkdir()
    (root / "static" / "img" / "logo.svg").write_text("<svg/>", encoding="utf-8")
    (root / "static" / "google1a2b.html").unlink()
    code, out = build(root, capsys)
    assert code == 0 and "warning:" not in out, out
    assert (site / "CNAME").read_text() == "papers.example.org\n"
    assert (site / "img" / "logo.svg").read_text() == "<svg/>"
    assert not (site / "google1a2b.html").exists()
    assert (site / ".nojekyll").is_file() and (site / "notes" / "a.html").is_file()

    # nothing changed: nothing to do; a note changed: the static files stay
    code, out = build(root, capsys)
    assert "nothing changed since the last build" in out
    (root / "notes" / "a.md").write_text(NOTE.format(title="Alpha, again"), encoding="utf-8")
    code, out = build(root, capsys)
    assert code == 0 and "Alpha, again" in (site / "notes" / "a.html").read_text(encoding="utf-8")
    assert (site / "CNAME").read_text() == "papers.example.org\n" and (site / ".nojekyll").is_file()


def test_a_static_file_where_papernotes_writes_a_page_loses_with_a_warning_naming_both(tmp_path, capsys):
    root = make_site(tmp_path, **{"index.html": "<p>my own home page</p>", "robots.txt": "User-agent: *\n",
                                  "notes": "a file where the notes' pages go", "404.html__x": "below a page",
                                  "pagefind__x.js": "the search index's folder", "CNAME": "kept\n"})
    code, out = build(root, capsys)
    assert code == 0, out
    site = root / "site"
    assert "static/index.html: warning: is not copied: papernotes generates 'index.html' itself, which wins" in out
    assert "static/robots.txt: warning: is not copied: papernotes generates 'robots.txt' itself" in out
    assert "static/notes: warning: is not copied: 'notes' is a folder of the pages papernotes generates" in out
    assert "static/404.html/x: warning: is not copied: papernotes generates the file '404.html'" in out
    assert "static/pagefind/x.js: warning: is not copied: 'pagefind/x.js' in the site is where papernotes writes the search index" in out
    assert "my own home page" not in (site / "index.html").read_text(encoding="utf-8")
    assert (site / "notes" / "a.html").is_file() and (site / "404.html").is_file()
    assert (site / "CNAME").read_text() == "kept\n"

    # a note asset at the same path as a static file: the note's file wins, and both are named
    (root / "notes" / "logo.png").write_bytes(b"the note's image")
    (root / "static" / "notes").unlink()
    (root / "static" / "notes").mkdir()
    (root / "static" / "notes" / "logo.png").write_bytes(b"static's image")
    code, out = build(root, capsys)
    assert "static/notes/logo.png: warning: is not copied: papernotes generates 'notes/logo.png' itself " \
           "(copied from notes/logo.png), which wins" in out
    assert (site / "notes" / "logo.png").read_bytes() == b"the note's image"


def test_a_file_put_straight_into_the_output_folder_is_named_before_it_goes(tmp_path, capsys):
    root = make_site(tmp_path)
    site = root / "site"
    assert build(root, capsys)[0] == 0
    (site / "CNAME").write_text("notes.example.org\n", encoding="utf-8")
    (site / ".well-known").mkdir()
    (site / ".well-known" / "x.txt").write_text("mine\n", encoding="utf-8")

    # nothing changed: the site is left alone, the files too
    assert "nothing changed" in build(root, capsys)[1] and (site / "CNAME").exists()

    # --strict refuses the warning: nothing is written, the files stay
    (root / "notes" / "b.md").write_text(NOTE.format(title="Beta"), encoding="utf-8")
    code, out = build(root, capsys, "--strict")
    assert code == 1 and (site / "CNAME").exists() and not (site / "notes" / "b.html").exists()
    assert ("site/CNAME: warning: papernotes did not write this file: the next build that writes the site "
            "removes it (to keep a file in the site, put it in static/CNAME)") in out

    code, out = build(root, capsys)
    assert code == 0 and (site / "notes" / "b.html").exists()
    assert ("site/CNAME: warning: papernotes did not write this file: removed "
            "(to keep a file in the site, put it in static/CNAME)") in out
    assert "site/.well-known/x.txt: warning: papernotes did not write this file: removed" in out
    assert not (site / "CNAME").exists()
    assert build(root, capsys)[1].count("did not write") == 0  # said once, not with every later build

    # clean names it too, before removing the site
    (site / "google1a2b.html").write_text("verification\n", encoding="utf-8")
    assert main(["clean", "--root", str(root)]) == 0
    out = "".join(capsys.readouterr())
    assert ("site/google1a2b.html: papernotes did not write this file: removed with the site "
            "(to keep a file in the site, put it in static/google1a2b.html)") in out
    assert not site.exists() and (root / "notes" / "a.md").exists()


def test_init_creates_static_and_says_what_it_is_for(tmp_path, capsys):
    site_root = tmp_path / "mynotes"
    assert main(["init", str(site_root), "--empty"]) == 0
    assert (site_root / "static").is_dir() and list((site_root / "static").iterdir()) == []
    config = (site_root / "papernotes.yaml").read_text(encoding="utf-8")
    assert "static/" in config and "CNAME" in config
    assert yaml.safe_load(config)["title"] == "mynotes"
    (site_root / "static" / "CNAME").write_text("x.example.org\n", encoding="utf-8")
    code, out = build(site_root, capsys)
    assert code == 0, out
    assert (site_root / "site" / "CNAME").read_text() == "x.example.org\n"


def test_serve_copies_static_files_and_follows_their_changes(tmp_path, preview_server):
    root = make_site(tmp_path, CNAME="one.example.org\n")
    harness = preview_server(root)
    status, _, body = harness.fetch("/CNAME")
    assert status == 200 and body == b"one.example.org\n"

    since = harness.rebuilds
    (root / "static" / "CNAME").write_text("two.example.org\n", encoding="utf-8")
    (root / "static" / ".nojekyll").write_bytes(b"")
    (root / "static" / "sub").mkdir()
    (root / "static" / "sub" / "x.txt").write_text("x\n", encoding="utf-8")
    harness.settle(since)
    assert harness.fetch("/CNAME")[2] == b"two.example.org\n"
    assert (harness.site_dir / ".nojekyll").is_file()
    assert harness.fetch("/sub/x.txt")[2] == b"x\n"

    since = harness.rebuilds
    (root / "static" / "sub" / "x.txt").unlink()
    harness.settle(since)
    assert harness.fetch("/sub/x.txt")[0] == 404 and not (harness.site_dir / "sub").exists()
    assert harness.fetch("/CNAME")[2] == b"two.example.org\n"
