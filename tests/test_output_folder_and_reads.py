"""Issue 12: an output folder that is a mount point (a Docker volume) is built, by replacing its
contents; an output folder inside templates/, assets/ or static/ is refused; with
``follow_symlinks: true`` a link to a device or an endless /proc file is never read to its end."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from papernotes.cli import main
from papernotes.output import MARKER, STAGING_PREFIX, replace_contents

NOTE = "---\ntitle: {title}\ncategory: Reading\n---\nBody of {title}.\n"


def make_site(root: Path) -> Path:
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "a.md").write_text(NOTE.format(title="Alpha"), encoding="utf-8")
    (root / "notes" / "b.md").write_text(NOTE.format(title="Beta"), encoding="utf-8")
    return root


def _namespace_command() -> list[str] | None:
    """``unshare`` with a mount namespace of our own (as root, or in a user namespace)."""
    if shutil.which("unshare") is None:
        return None
    for command in (["unshare", "-m"], ["unshare", "-rm"]):
        probe = subprocess.run([*command, "true"], capture_output=True)
        if probe.returncode == 0:
            return command
    return None


# The builds run inside a mount namespace that ends with the script: what the mounted folder held
# is printed by the script itself.
MOUNTED_BUILDS = textwrap.dedent("""\
    import os, subprocess, sys
    from pathlib import Path
    root, site, kind = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    if kind == "tmpfs":  # another file system: a Docker volume
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(site)], check=True)
    else:  # the same file system, bound onto itself (os.path.ismount does not see it)
        subprocess.run(["mount", "--bind", str(site), str(site)], check=True)
    def build():
        done = subprocess.run([sys.executable, "-m", "papernotes.cli", "build", "--root", str(root), "--no-search"],
                              capture_output=True, text=True)
        print("exit", done.returncode, done.stderr.strip().replace("\\n", " | "))
    def listing():
        return sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    build()
    print("first", "notes/a.html" in listing(), "notes/b.html" in listing())
    (root / "notes" / "a.md").write_text("---\\ntitle: Alpha, again\\n---\\nAgain.\\n", encoding="utf-8")
    (root / "notes" / "b.md").unlink()
    build()
    files = listing()
    print("second", "Alpha, again" in (site / "notes" / "a.html").read_text(encoding="utf-8"),
          "notes/b.html" in files, (site / "%(marker)s").exists())
    print("leftovers", [f for f in os.listdir(site) if f.startswith("%(prefix)s")])
    subprocess.run([sys.executable, "-m", "papernotes.cli", "build", "--root", str(root), "--no-search", "--no-cache"],
                   check=True, capture_output=True)
    print("third", "Alpha, again" in (site / "notes" / "a.html").read_text(encoding="utf-8"))
""") % {"marker": MARKER, "prefix": STAGING_PREFIX}


@pytest.mark.parametrize("kind", ["tmpfs", "bind"])
def test_an_output_folder_that_is_a_mount_point_is_built(tmp_path, kind):
    command = _namespace_command()
    if command is None:
        pytest.skip("no mount namespace here (unshare -m / unshare -rm)")
    root = make_site(tmp_path / "root")
    site = root / "site"
    site.mkdir()
    script = tmp_path / "builds.py"
    script.write_text(MOUNTED_BUILDS, encoding="utf-8")
    done = subprocess.run([*command, sys.executable, str(script), str(root), str(site), kind],
                          capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("exit 0") and lines[2].startswith("exit 0"), done.stdout
    assert "Device or resource busy" not in done.stdout
    assert lines[1] == "first True True"
    assert lines[3] == "second True False True"  # the new page, the removed one gone, the marker
    assert lines[4] == "leftovers []"  # no staging folder left inside the mount point
    assert lines[5] == "third True"


def test_replacing_the_contents_of_a_folder_in_place_leaves_exactly_the_new_site(tmp_path):
    """What a mount point gets: the staged site (inside the folder) put in place entry by entry,
    whatever each old entry was (a folder becoming a file and the other way round)."""
    output = tmp_path / "site"
    for rel, text in {"index.html": "old home", "notes/a.html": "old a", "notes/gone.html": "old",
                      "tags": "a file that becomes a folder", "years/2020.html": "a folder that becomes a file",
                      "stale.html": "a page no longer written", MARKER: "old marker"}.items():
        (output / rel).parent.mkdir(parents=True, exist_ok=True)
        (output / rel).write_text(text, encoding="utf-8")
    new = output / f"{STAGING_PREFIX}site-{os.getpid()}"
    wanted = {"index.html": "new home", "notes/a.html": "new a", "notes/b.html": "new b",
              "tags/x.html": "new tag", "years": "now a file", MARKER: "new marker"}
    for rel, text in wanted.items():
        (new / rel).parent.mkdir(parents=True, exist_ok=True)
        (new / rel).write_text(text, encoding="utf-8")
    replace_contents(new, output)
    found = {p.relative_to(output).as_posix(): p.read_text(encoding="utf-8")
             for p in output.rglob("*") if p.is_file()}
    assert found == wanted
    assert sorted(os.listdir(output)) == sorted({rel.split("/")[0] for rel in wanted})


@pytest.mark.parametrize("folder", ["templates", "assets", "static"])
def test_an_output_folder_inside_templates_assets_or_static_is_refused(tmp_path, capsys, folder):
    root = make_site(tmp_path)
    (root / folder).mkdir()
    (root / folder / "mine.txt").write_text("my own file\n", encoding="utf-8")
    for output in (root / folder / "site", root / folder):
        code = main(["build", "--root", str(root), "--output", str(output), "--no-search"])
        err = capsys.readouterr().err
        assert code == 2, err
        assert f"the {folder}/ folder" in err and "choose" in err
    assert sorted(os.listdir(root / folder)) == ["mine.txt"]
    (root / "papernotes.yaml").write_text(f"output: {folder}/out\n", encoding="utf-8")
    assert main(["build", "--root", str(root), "--no-search"]) == 2
    assert not (root / folder / "out").exists()


def _limits() -> None:
    # A build that read such a file to its end would stop here (MemoryError, or the file size
    # limit's signal), not fill the machine's memory and disk.
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024 ** 3, 3 * 1024 ** 3))
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024 ** 2, 256 * 1024 ** 2))


ENDLESS = "/proc/self/pagemap"  # a "regular file" of size 0 that reads on for gigabytes


def test_links_to_devices_and_endless_files_are_never_read_to_their_end(tmp_path):
    if not os.access(ENDLESS, os.R_OK) or not os.path.exists("/dev/zero"):
        pytest.skip(f"no readable {ENDLESS} here")
    root = make_site(tmp_path)
    notes = root / "notes"
    (root / "papernotes.yaml").write_text("follow_symlinks: true\n", encoding="utf-8")
    for name, target in {"endless.md": ENDLESS, "endless.png": ENDLESS, "zero.md": "/dev/zero",
                         "random.png": "/dev/urandom"}.items():
        os.symlink(target, notes / name)
    for command in ("check", "build"):
        args = [command, "--root", str(root)] + (["--no-search"] if command == "build" else [])
        done = subprocess.run([sys.executable, "-m", "papernotes.cli", *args], capture_output=True, text=True,
                              timeout=300, preexec_fn=_limits, env=dict(os.environ, PYTHONIOENCODING="utf-8"))
        out = done.stdout + done.stderr
        assert done.returncode == 0, out[-3000:]
        assert "MemoryError" not in out and "Traceback" not in out
        for name in ("endless.md", "endless.png"):
            assert f"notes/{name}: warning: is not an ordinary file (it holds more than its size says" in out, out
        for name in ("zero.md", "random.png"):
            assert f"notes/{name}: warning: is not a regular file (a named pipe, socket or device): left out" in out
    site = root / "site" / "notes"
    assert (site / "a.html").is_file() and (site / "b.html").is_file()
    assert not any((site / name).exists() for name in ("endless.png", "random.png", "endless.html", "zero.html"))


def test_serve_never_reads_a_linked_endless_file_to_its_end(tmp_path, preview_server):
    if not os.access(ENDLESS, os.R_OK):
        pytest.skip(f"no readable {ENDLESS} here")
    root = make_site(tmp_path)
    (root / "papernotes.yaml").write_text("follow_symlinks: true\n", encoding="utf-8")
    harness = preview_server(root)
    since = harness.rebuilds
    os.symlink(ENDLESS, root / "notes" / "endless.md")
    os.symlink(ENDLESS, root / "notes" / "endless.png")
    (root / "notes" / "c.md").write_text(NOTE.format(title="Gamma"), encoding="utf-8")
    harness.settle(since)
    assert harness.fetch("/notes/c.html")[0] == 200
    assert harness.fetch("/notes/endless.png")[0] == 404
    messages = [str(d) for d in harness.reports[-1].diagnostics.items]
    for name in ("endless.md", "endless.png"):
        assert any(m.startswith(f"notes/{name}: ") and "not an ordinary file" in m for m in messages), messages
