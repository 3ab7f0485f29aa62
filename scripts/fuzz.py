#!/usr/bin/env python3
"""Long fuzz run over papernotes' input handling (issue #7, "Fuzzing the input").

    python scripts/fuzz.py --cases 20000            # or --seconds 900; --targets note,math …
    python scripts/fuzz.py --replay /tmp/papernotes-fuzz/math/exception-1a2b3c4d-0.case

A mutation and grammar fuzzer. Every case runs in a worker process (``--workers``, default one
per CPU) with an address-space limit (``--memory-mb``, RLIMIT_AS) and a time limit per case
(``--timeout``); a worker that dies (a crash, e.g. the math engine aborting) or overruns is
recorded as a finding and replaced. Targets:

  hostile      the inputs issue #7 lists, full size, once each  -> a page or NoteError (run first)
  frontmatter  YAML front matter (generated and mutated)        -> SplitNote or NoteError with a line
  loader       mutated note files (bytes)                       -> Note or NoteError
  note         mutated note files, loaded and rendered          -> HTML, or NoteError
  render       Markdown built from a grammar of the constructs  -> HTML with sane structure
  math         mutated formulas (a corpus of paper formulas)    -> MathML or MathError
  readme       mutated README reading lists                     -> ParsedSource; imported notes load
  posts        mutated Jekyll/Hexo posts                        -> ParsedSource; imported notes load
  bibtex       mutated BibTeX files                             -> ParsedSource; imported notes load
  scaling      a construct repeated to 64 KB and to 256 KB      -> render time grows ~linearly
  build        a whole site: hostile notes + one good note      -> site written, errors name files

Anything else (another exception, a broken invariant, a timeout, a crash, running out of memory,
an error thrown inside the math engine, super-linear time) is a finding: the input is saved
under ``--out`` (default ``/tmp/papernotes-fuzz/``) with a ``.txt`` describing it, and the run ends with
a table of cases and findings per target. Exit status 1 when anything was found.
"""

from __future__ import annotations

import argparse
import ast
import functools
import hashlib
import os
import pickle
import random
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("hostile", "frontmatter", "loader", "note", "render", "math", "readme", "posts", "bibtex", "scaling",
           "build")
WEIGHTS = {"hostile": 0, "frontmatter": 14, "loader": 10, "note": 20, "render": 20, "math": 16, "readme": 5,
           "posts": 5, "bibtex": 5, "scaling": 3, "build": 2}
#: seconds a case may take (scaling cases render 320 KB, twice when slow; builds write a whole site;
#: the hostile notes include a 10 MB one)
TIME_LIMITS = {"scaling": 60.0, "build": 60.0, "hostile": 180.0}
FINDING_KINDS = ("exception", "invariant", "timeout", "crash", "memory", "engine", "slow")


# =============================================================================== worker side

def _write_frame(fd: int, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    data = struct.pack("<Q", len(data)) + data
    while data:
        n = os.write(fd, data)
        data = data[n:]


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise TimeoutError
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int, deadline: float | None = None):
    header = _read_exact(fd, 8, deadline)
    if header is None:
        return None
    body = _read_exact(fd, struct.unpack("<Q", header)[0], deadline)
    return None if body is None else pickle.loads(body)


class Invariant(AssertionError):
    """A target returned, but what it returned is wrong."""


class Slow(Exception):
    """Render time grew much faster than the input."""


def _lines_in(raw: bytes) -> int:
    """Lines as papernotes (and editors) count them: CRLF, LF and a lone CR each end one."""
    text = raw.decode("utf-16", "replace") if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else raw.decode("latin-1")
    return text.replace("\r\n", "\n").count("\n") + text.replace("\r\n", "\n").count("\r") + 1


def _check_line(line, raw: bytes, what: str, required: bool = False) -> None:
    if line is None:
        if required:
            raise Invariant(f"{what}: error without a line")
        return
    if not isinstance(line, int) or not 1 <= line <= _lines_in(raw):
        raise Invariant(f"{what}: line {line!r} is not inside the file ({_lines_in(raw)} lines)")


class Worker:
    """The worker process: runs one target on one payload at a time."""

    def __init__(self, scratch: Path) -> None:
        from papernotes.render import mathml
        from papernotes.render import NoteRenderer

        self.mathml = mathml
        self.scratch = scratch
        self.renderer = NoteRenderer()
        self.counter = 0

    # -- helpers
    def _fresh(self, name: str) -> Path:
        self.counter += 1
        folder = self.scratch / f"c{self.counter}"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        return folder

    def _load(self, raw: bytes, name: str = "note.md", strict: bool = False):
        from papernotes.diagnostics import NoteError
        from papernotes.load.notes import load_note

        root = self._fresh("site")
        notes = root / "notes"
        notes.mkdir()
        path = notes / name
        path.write_bytes(raw)
        try:
            return load_note(path, root, notes), root, notes, path
        except NoteError as exc:
            if strict:
                raise
            if not isinstance(exc.message, str) or not exc.message.strip():
                raise Invariant("NoteError without a message") from None
            _check_line(exc.line, raw, "NoteError")
            return None, root, notes, path

    def _render(self, note, root, notes, path, source_text: str):
        from papernotes.diagnostics import Diagnostics
        from papernotes.render.links import LinkTargets

        diagnostics = Diagnostics()
        rendered = self.renderer.render(note, LinkTargets(root, notes, {path: note}, set()), diagnostics)
        html = rendered.html
        if not isinstance(html, str):
            raise Invariant("render returned no HTML")
        check_html(source_text, html, rendered)
        last_line = note.body_line + note.body.count("\n")
        for d in diagnostics.items:
            if d.line is not None and not 1 <= d.line <= last_line:
                raise Invariant(f"diagnostic line {d.line} outside the note: {d}")
        return rendered

    # -- targets: return "ok" or "expected" (an error the input deserved); raise for a finding
    def t_frontmatter(self, text: str) -> str:
        from papernotes.diagnostics import NoteError
        from papernotes.load.frontmatter import normalize_text, split

        text = normalize_text(text)
        try:
            parts = split(text)
        except NoteError as exc:
            _check_line(exc.line, text.encode("utf-8", "surrogatepass"), "front matter error", required=True)
            return "expected"
        if not isinstance(parts.front.data, dict):
            raise Invariant("front matter data is not a dict")
        return "ok"

    def t_hostile(self, case: tuple[str, bytes]) -> str:
        name, raw = case
        note, root, notes, path = self._load(raw, name=name)
        if note is None:
            return "expected"
        self._render(note, root, notes, path, note.body + "\n" + (note.summary or ""))
        return "ok"

    def t_loader(self, raw: bytes) -> str:
        note, *_ = self._load(raw)
        return "ok" if note is not None else "expected"

    def t_note(self, raw: bytes) -> str:
        note, root, notes, path = self._load(raw)
        if note is None:
            return "expected"
        self._render(note, root, notes, path, note.body + "\n" + (note.summary or ""))
        return "ok"

    def t_render(self, body: str) -> str:
        from papernotes.diagnostics import NoteError

        raw = ("---\ntitle: Fuzz\n---\n" + body).encode("utf-8", "replace")
        try:
            note, root, notes, path = self._load(raw, strict=True)
        except NoteError as exc:
            raise Invariant(f"a note with good front matter did not load: {exc.line}: {exc.message}") from None
        self._render(note, root, notes, path, note.body)
        return "ok"

    def t_math(self, case: tuple[str, bool]) -> str:
        tex, display = case
        try:
            out = self.mathml.MathConverter().to_mathml(tex, display=display)
        except self.mathml.MathError as exc:
            if not str(exc).strip() or "\n" in str(exc):
                raise Invariant(f"MathError message is not one line: {str(exc)!r}") from None
            return "expected"
        if not (out.startswith("<math") and out.endswith("</math>")):
            raise Invariant(f"not one <math> element: {out[:80]!r}")
        if out.count("<math") != 1:
            raise Invariant("more than one <math> element")
        return "ok"

    def _import(self, kind: str, raw: bytes) -> str:
        from papernotes.importers import writer
        from papernotes.importers.model import ParsedSource

        folder = self._fresh(kind)
        if kind == "readme":
            from papernotes.importers.readme import parse_readme
            path = folder / "README.md"
            path.write_bytes(raw)
            parsed = parse_readme(path)
        elif kind == "posts":
            from papernotes.importers.posts import parse_posts
            (folder / "_posts").mkdir()
            path = folder / "_posts" / "2020-1-2-fuzz-post.md"
            path.write_bytes(raw)
            parsed = parse_posts(folder)
        else:
            from papernotes.importers.bib import parse_bibtex
            path = folder / "library.bib"
            path.write_bytes(raw)
            parsed = parse_bibtex(path)
        if not isinstance(parsed, ParsedSource):
            raise Invariant("importer returned something else than a ParsedSource")
        for problem in parsed.problems:
            if problem.line is not None and problem.line < 1:
                raise Invariant(f"problem with line {problem.line}: {problem}")
        # What an importer writes must load back as a note.
        site = folder / "site"
        notes = site / "notes"
        notes.mkdir(parents=True)
        plan = writer.plan([parsed], notes, site)
        for planned in plan.notes:
            text = writer.note_text(planned.note)
            target = notes / f"n{len(list(notes.iterdir()))}.md"
            target.write_text(text, encoding="utf-8")
            from papernotes.diagnostics import NoteError
            from papernotes.load.notes import load_note
            try:
                load_note(target, site, notes)
            except NoteError as exc:
                raise Invariant(f"an imported note does not load: line {exc.line}: {exc.message}\n---\n"
                                f"{text[:2000]}") from None
        return "ok" if parsed.notes else "expected"

    def t_readme(self, raw: bytes) -> str:
        return self._import("readme", raw)

    def t_posts(self, raw: bytes) -> str:
        return self._import("posts", raw)

    def t_bibtex(self, raw: bytes) -> str:
        return self._import("bibtex", raw)

    def t_scaling(self, pattern: str) -> str:
        def seconds(size: int) -> float | None:
            body = pattern * max(1, size // max(1, len(pattern)))
            raw = ("---\ntitle: Fuzz\n---\n" + body).encode("utf-8", "replace")
            note, root, notes, path = self._load(raw)
            if note is None:
                return None
            started = time.perf_counter()
            self._render(note, root, notes, path, note.body)
            return time.perf_counter() - started

        small, large = seconds(64_000), seconds(256_000)
        if small is None or large is None:
            return "expected"
        # linear: x4 for x4 the size; quadratic: x16. Measured again before it counts (noise).
        if large > 2.0 and large > 9 * max(small, 0.01):
            small, large = seconds(64_000), seconds(256_000)
            if large > 2.0 and large > 9 * max(small, 0.01):
                raise Slow(f"64 KB: {small:.2f} s, 256 KB: {large:.2f} s (x{large / max(small, 1e-3):.0f} for x4)")
        return "ok"

    def t_build(self, notes_in: list[tuple[str, bytes]]) -> str:
        from papernotes.build import BuildOptions, build

        root = self._fresh("build")
        notes = root / "notes"
        notes.mkdir()
        (notes / "good.md").write_text("---\ntitle: Good\nstatus: read\n---\nFine $x^2$.\n", encoding="utf-8")
        for name, raw in notes_in:
            (notes / name).write_bytes(raw)
        result = build(BuildOptions(root=root, output=root / "site", search=False, jobs=1, cache=False))
        site = root / "site"
        if not (site / "index.html").is_file():
            raise Invariant("no index.html")
        if not (site / "notes" / "good.html").is_file():
            raise Invariant("the good note has no page")
        named = {d.file for d in result.diagnostics.errors}
        for name, raw in notes_in:
            stem = Path(name).stem
            pages = list((site / "notes").glob("*.html"))
            has_page = any(p.stem == stem or p.stem.startswith(stem.lower()) for p in pages)
            if not has_page and f"notes/{name}" not in named:
                raise Invariant(f"notes/{name}: neither a page nor an error naming it "
                                f"({[str(d) for d in result.diagnostics.items][:5]})")
        for d in result.diagnostics.items:
            if d.line is not None and d.line < 1:
                raise Invariant(f"diagnostic with line {d.line}: {d}")
        return "ok" if result.ok else "expected"

    def run(self, target: str, payload):
        thrown_before = self.mathml._GUARD.thrown
        started = time.perf_counter()
        try:
            status = getattr(self, "t_" + target)(payload)
            kind, detail = status, ""
        except Invariant as exc:
            kind, detail = "invariant", f"{exc}\n\n{traceback.format_exc()}"
        except Slow as exc:
            kind, detail = "slow", str(exc)
        except MemoryError:
            kind, detail = "memory", traceback.format_exc()
        except Exception:  # noqa: BLE001 - any other exception is a finding
            kind, detail = "exception", traceback.format_exc()
        restart = self.mathml._GUARD.thrown > thrown_before
        if restart and kind not in ("exception", "invariant", "memory"):
            # KaTeX threw an internal error: pykatex damaged its heap (see mathml._check_tex)
            kind, detail = "engine", "KaTeX threw an error that _check_tex did not stop\n" + detail
        return kind, detail, time.perf_counter() - started, restart


def worker_main(memory_mb: int) -> None:
    import resource

    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    proto_in = sys.stdin.buffer.fileno()
    proto_out = os.dup(1)
    os.dup2(2, 1)  # stray prints go to stderr, not into the protocol
    scratch = Path(tempfile.mkdtemp(prefix="papernotes-fuzz-"))
    try:
        worker = Worker(scratch)
        _write_frame(proto_out, ("ready",))
        while True:
            message = _read_frame(proto_in)
            if message is None:
                break
            target, payload = message
            result = worker.run(target, payload)
            _write_frame(proto_out, result)
            if result[3]:
                break  # the math engine may be damaged: let the parent start a fresh worker
            for child in scratch.iterdir():
                shutil.rmtree(child, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ================================================================================== checks

_DETAILS_OPEN = re.compile(r"<details\b", re.I)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.I)
_CONTAINER = re.compile(r"(?<!:):{3,}[ \t]*details")
PIPE_STAND_IN = "\ue0a0"


def check_html(source: str, html: str, rendered=None) -> None:
    """Invariants of rendered HTML given the Markdown it came from."""
    containers = len(_CONTAINER.findall(source))
    for pattern, what in ((_DETAILS_OPEN, "<details>"), (_DETAILS_CLOSE, "</details>")):
        have, had = len(pattern.findall(html)), len(pattern.findall(source))
        if have > had + containers:
            raise Invariant(f"{have} {what} in the HTML, the note had {had} (+{containers} ::: details)")
    if "<math" not in source.lower():
        if html.count("<math") != html.count("</math>"):
            raise Invariant(f"unbalanced MathML: {html.count('<math')} <math, {html.count('</math>')} </math>")
    if "<script" in html.lower() and "<script" not in source.lower():
        raise Invariant("a <script> appeared that the note did not have")
    if PIPE_STAND_IN not in source and rendered is not None:
        texts = [html, rendered.excerpt_html] + [t for _, _, t in rendered.headings] + \
                [i for _, i, _ in rendered.headings]
        for text in texts:
            if PIPE_STAND_IN in text:
                raise Invariant(f"the table-pipe stand-in U+E0A0 leaked into the output: {text[:200]!r}")


# ============================================================================== generators

def _read_seeds(pattern_root: Path, globs: tuple[str, ...]) -> list[bytes]:
    found: list[bytes] = []
    for g in globs:
        for path in sorted(pattern_root.glob(g)):
            if path.is_file():
                found.append(path.read_bytes())
    return found


def formula_corpus() -> list[str]:
    formulas: list[str] = []
    bench = ROOT / "benchmarks" / "math_converters.py"
    if bench.is_file():
        tree = ast.parse(bench.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "CORPUS":
                formulas += [tex for _id, _display, tex in ast.literal_eval(node.value)]
    math = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.S)
    for raw in _read_seeds(ROOT / "notes", ("**/*.md",)):
        for m in math.finditer(raw.decode("utf-8", "replace")):
            formulas.append(m.group(1) or m.group(2))
    formulas += [r"\begin{aligned} a &= b \\ c &= d \end{aligned}", r"\begin{array}{c|c} 1 & 2 \end{array}",
                 r"\begin{pmatrix} 1 & 0 \\ 0 & 1 \end{pmatrix}", r"\genfrac{(}{)}{0pt}{}{a}{b}",
                 r"\begin{CD} A @>a>> B \\ @VbVV @AAcA \\ C @= D \end{CD}", r"\begin{alignat}{2} a &= b \end{alignat}",
                 r"\text{é} \mathbb{R} \boldsymbol{\alpha}", r"\overset{a}{b} \underset{c}{d} \xrightarrow{f}",
                 r"\begin{cases} 1 & x>0 \\ 0 & \text{else} \end{cases}", r"\sqrt[3]{x} \binom{n}{k} \tag{1}"]
    return [f for f in formulas if f.strip()]


TEX_TOKENS = [
    "\\", "{", "}", "^", "_", "&", "\\\\", "$", "#", "%", "~", "'", "@", "|", ":", "[", "]", "(", ")",
    "\\begin{", "\\end{", "{array}", "{CD}", "{aligned}", "{alignat}", "{matrix}", "{cases}", "{equation}",
    "\\frac", "\\genfrac", "\\sqrt", "\\left", "\\right", "\\middle", "\\text{", "\\mathbb{", "\\operatorname*",
    "\\overset", "\\underset", "\\stackrel", "\\xrightarrow", "\\tag", "\\label{", "\\hline", "\\cline{1-2}",
    "\\def", "\\newcommand", "\\gdef", "\\let", "\\over", "\\atop", "\\choose", "\\limits", "\\nolimits",
    "\\color{", "\\href{", "\\url{", "\\includegraphics", "\\htmlClass{", "\\char", "\\verb|", "\\@", "\\relax",
    "@>>>", "@VVV", "@=", "@.", "\\\\[2pt]", "\\kern", "\\hspace{", "\\rule{", "\\raisebox{", "\\smash",
    "\\mathchoice", "\\TextOrMath", "\\expandafter", "\\noexpand", "\\csname", "\\endcsname", "\\x{}",
    "0pt", "-1em", "\\quad", " ", "\n", "\x00", "\ud800", "é", "中", "\u200b", "\\boxed{", "\\cancel{",
    "\\begin{array}{", "\\begin{CD}", "\\end{CD}", "\\begin{darray}", "\\begin{subarray}{c}", "{c'c}",
    "\\begin{alignedat}{", "\\begin{gather}", "\\end{gather}", "\\begin{split}", "\\operatorname{",
]

MATH_COMMANDS = [
    ("\\genfrac", 6), ("\\frac", 2), ("\\dfrac", 2), ("\\cfrac", 2), ("\\binom", 2), ("\\sqrt", 1),
    ("\\overset", 2), ("\\underset", 2), ("\\stackrel", 2), ("\\xrightarrow", 1), ("\\xleftarrow", 1),
    ("\\operatorname", 1), ("\\operatorname*", 1), ("\\mathop", 1), ("\\rule", 2), ("\\raisebox", 2),
    ("\\hspace", 1), ("\\kern", 1), ("\\mkern", 1), ("\\color", 2), ("\\textcolor", 2), ("\\colorbox", 2),
    ("\\fcolorbox", 3), ("\\boxed", 1), ("\\cancel", 1), ("\\overbrace", 1), ("\\underbrace", 1),
    ("\\substack", 1), ("\\sideset", 3), ("\\tag", 1), ("\\tag*", 1), ("\\mathchoice", 4),
    ("\\TextOrMath", 2), ("\\left", 1), ("\\right", 1), ("\\middle", 1), ("\\big", 1), ("\\not", 1),
    ("\\vphantom", 1), ("\\smash", 1), ("\\def\\x", 1), ("\\let\\x", 1), ("\\newcommand\\x", 1),
    ("\\char", 1), ("\\verb", 1), ("\\text", 1), ("\\mathbb", 1), ("\\boldsymbol", 1), ("\\href", 2),
    ("\\htmlClass", 2), ("\\includegraphics", 1), ("\\above", 1), ("\\abovewithdelims", 3), ("\\atop", 0),
    ("\\over", 0), ("\\choose", 0), ("\\limits", 0), ("\\nolimits", 0), ("\\hline", 0), ("\\cr", 0),
    ("\\\\", 0), ("\\label", 1), ("\\ref", 1), ("\\eqref", 1), ("\\mathrlap", 1), ("\\pmb", 1),
    ("\\overgroup", 1), ("\\utilde", 1), ("\\widehat", 1), ("\\xtofrom", 1), ("\\xlongequal", 1),
    ("\\tfrac", 2), ("\\dbinom", 2), ("\\nobreak", 0), ("\\relax", 0), ("\\expandafter", 2),
    ("\\noexpand", 1), ("\\global\\def\\y", 1), ("\\edef\\z", 1), ("\\@ifnextchar", 3),
]
MATH_ENVIRONMENTS = ["array", "darray", "subarray", "matrix", "pmatrix", "smallmatrix", "cases", "rcases", "aligned",
                     "alignedat", "gathered", "split", "CD", "align", "align*", "alignat", "equation", "gather",
                     "multline", "eqnarray", "Vmatrix", "matrix*", "bmatrix*", "dcases", "x"]
MATH_ARGS = ["", " ", "a", "x^2", "1", "0", "3", "5", "-1", "0pt", "1pt", "-2em", "2mu", "1.5ex", "(", ")", "[", "]",
             "\\{", ".", "|", "\\|", "\\x", "\\relax", "\\displaystyle", "\\,", "\\ ", "{}", "{{}}", "red",
             "#ff0000", "\\alpha", "\\frac12", "a b", "&", "\\\\", "@", "@>>>", "~", "'", "^", "_", "%",
             "\\text{t}", "é", "中", "\\hline", "\\cr", "\\over", "\\limits", "\\verb|x|", "#1", "##",
             "\\char`a", "\\mathrm{d}", "\\left(", "\\right)", "\\end{array}", "\\begin{array}"]

MD_TOKENS = [
    "$", "$$", "\\$", "\\(", "\\)", "\\[", "\\]", "\n", "\r", "\r\n", "\n\n", "\x00", "\t", " ", "|", "`", "```",
    "~~~", "*", "**", "_", "[", "]", "(", ")", "![", "](", "<", ">", "&", "#", ":", "---", "...", "\ufeff",
    "<details>", "</details>", "<details open>", "<summary>", "</summary>", "<blockquote>", "</blockquote>",
    "<div>", "</div>", "<br>", "::: details ", ":::", "> ", "- ", "1. ", "    ", "[^1]", "[^1]: ",
    "\\begin{align}", "\\end{align}", "\\begin{equation}", "\\end{equation}", ":smile:", ":x:", "http://",
    "https://a.b/", "www.", "mailto:", "a@b.c", "<a href=\"", "<img src=\"", "\">", "../", "x.md", "%20",
    "javascript:", "&a", "*a", "!!python/object/apply:os.system", "<<: ", "? ", "title: ", "status: ",
    "中文", "é", "\u2028", "\x85", "\udcff", "\ue0a0", "\u3000", "：",
]

YAML_KEYS = ["title", "status", "category", "categories", "tags", "venue", "year", "authors", "author", "date",
             "summary", "links", "arxiv", "doi", "rating", "bibtex", "x", "Title", "<<", "? a", "1", "null", "true",
             "title：", "status:"]
YAML_VALUES = [
    '"LoRA"', "read", "✅", ":x:", "已阅读", "reed", "[a, b]", "{a: 1}", "2022", "2022-13-45", "2017/10/1",
    "NeurIPS 2022", "ICLR", "2106.09685", "arXiv:2106.09685v2", "hep-th/9901001", "10.1000/xyz", "javascript:x",
    "https://a.b", "[https://a.b, http://c.d]", "{Code: https://github.com/a/b}", "- a\n- b", "|\n  block\n  text",
    ">\n  folded", "&anchor value", "*anchor", "!!python/object/apply:os.system [ls]", "!!binary aGk=",
    "!!python/name:os.system", "!custom tag", "~", "null", "true", "1e400", "0x1F", "0o17", ".nan", "-.inf",
    "'unterminated", '"unterminated', "[unclosed", "{unclosed", "a: b: c", "\t tab", "@at", "`tick", "%percent",
    "a\x00b", "'" + "x" * 5000 + "'", "[" * 200 + "]" * 200, "{a: " * 100 + "1" + "}" * 100,
    "@inproceedings{k, title={T}, year={2020}}", "|\n  @article{a,\n   title = {x}\n  }", "2020-01-01T10:00:00",
]


class Generator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.notes = _read_seeds(ROOT / "notes", ("**/*.md",)) or [b"---\ntitle: x\n---\nbody\n"]
        fixtures = ROOT / "tests" / "fixtures"
        self.readme_seeds = _read_seeds(fixtures, ("readme/*.md",)) or [b"# List\n\n## A\n\n- [x](https://a.b)\n"]
        self.post_seeds = _read_seeds(fixtures, ("posts/**/*.md", "posts/**/*.markdown")) or self.notes[:3]
        self.bib_seeds = _read_seeds(fixtures, ("bib/*.bib",)) or [b"@article{a, title={T}, year={2020}}\n"]
        self.formulas = formula_corpus()

    # -- byte mutations
    def mutate(self, data: bytes, rounds: int | None = None) -> bytes:
        rng = self.rng
        data = bytearray(data)
        for _ in range(rounds if rounds is not None else rng.choice((1, 1, 2, 3, 5, 8))):
            op = rng.randrange(13)
            n = len(data)
            if op == 0 and n:  # bit flips
                for _ in range(rng.randint(1, 8)):
                    i = rng.randrange(n)
                    data[i] ^= 1 << rng.randrange(8)
            elif op == 1:  # insert random bytes
                i = rng.randint(0, n)
                data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
            elif op == 2:  # insert a token
                i = rng.randint(0, n)
                data[i:i] = rng.choice(MD_TOKENS).encode("utf-8", "surrogatepass")
            elif op == 3 and n:  # delete a range
                i = rng.randrange(n)
                del data[i:i + rng.randint(1, 64)]
            elif op == 4 and n:  # duplicate a range, sometimes many times
                i = rng.randrange(n)
                chunk = bytes(data[i:i + rng.randint(1, 200)])
                data[i:i] = chunk * rng.choice((1, 2, 10, 100, 1000))
            elif op == 5:  # shuffle lines
                lines = bytes(data).split(b"\n")
                rng.shuffle(lines)
                data = bytearray(b"\n".join(lines))
            elif op == 6 and n:  # truncate
                del data[rng.randrange(n):]
            elif op == 7:  # splice with another seed
                other = rng.choice(self.notes + self.readme_seeds + self.post_seeds)
                i, j = rng.randint(0, n), rng.randint(0, len(other))
                data[i:] = other[j:j + rng.randint(1, 2000)]
            elif op == 8:  # line endings
                data = bytearray(bytes(data).replace(b"\n", rng.choice((b"\r\n", b"\r", b"\n\r"))))
            elif op == 9:  # encodings
                text = bytes(data).decode("utf-8", "replace")
                choice = rng.randrange(4)
                if choice == 0:
                    data = bytearray("\ufeff".encode() + bytes(data))
                elif choice == 1:
                    data = bytearray(text.encode("utf-16"))
                elif choice == 2:
                    data = bytearray(text.encode("utf-16-be"))
                else:
                    data = bytearray(text.encode("gb18030", "replace"))
            elif op == 10 and n:  # replace a byte with an interesting one
                i = rng.randrange(n)
                data[i] = rng.choice((0, 0x0D, 0x0A, 0x80, 0xC0, 0xFF, 0xFE, 0x24, 0x7C, 0x3C, 0x3E, 0x5C))
            elif op == 11:  # repeat one line many times
                lines = bytes(data).split(b"\n")
                k = rng.randrange(len(lines))
                lines[k:k + 1] = [lines[k]] * rng.choice((10, 100, 1000, 5000))
                data = bytearray(b"\n".join(lines))
            else:  # wrap in nesting
                opener, closer = rng.choice(((b"> ", b""), (b"- ", b""), (b"<details>\n", b"</details>\n"),
                                             (b"::: details x\n", b":::\n"), (b"[", b"]"), (b"$", b"$")))
                depth = rng.choice((2, 10, 100, 1000))
                data = bytearray(opener * depth + bytes(data) + closer * depth)
            if len(data) > 4 * 1024 * 1024:
                del data[4 * 1024 * 1024:]
        return bytes(data)

    # -- per target
    def frontmatter(self) -> str:
        rng = self.rng
        if rng.random() < 0.3:
            raw = self.mutate(rng.choice(self.notes), rng.randint(1, 3))
            return raw.decode("utf-8", "replace")
        lines = []
        for _ in range(rng.randint(0, 10)):
            indent = " " * rng.choice((0, 0, 0, 1, 2, 4))
            lines.append(f"{indent}{rng.choice(YAML_KEYS)}: {rng.choice(YAML_VALUES)}")
        if rng.random() < 0.1:
            lines = ["- a", "- b"] if rng.random() < 0.5 else [rng.choice(YAML_VALUES)]
        if rng.random() < 0.1:  # billion laughs
            lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'] + \
                    [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
        text = "\n".join(lines)
        if rng.random() < 0.4:
            text = self.mutate(text.encode("utf-8", "surrogatepass"), rng.randint(1, 2)).decode("utf-8", "replace")
        closer = rng.choice(("---", "---", "...", "--- ", "", "----"))
        return f"---\n{text}\n{closer}\nBody $x$\n"

    def note_bytes(self) -> bytes:
        rng = self.rng
        if rng.random() < 0.1:
            return rng.choice(hostile_notes(small=True))[1]
        return self.mutate(rng.choice(self.notes))

    def markdown(self, depth: int = 0) -> str:
        rng = self.rng
        parts = []
        for _ in range(rng.randint(1, 12 if depth == 0 else 4)):
            parts.append(self._construct(depth))
        return "".join(parts)

    def _inline(self) -> str:
        rng = self.rng
        atoms = ["word", "中文", " ", "*em*", "**strong**", "_u_", "~~del~~", "`code`", ":smile:", ":bulb:",
                 "$x^2$", "$a|b$", "$$\\sum_i x_i$$", "\\(a\\)", "\\[b\\]", "$5 and $10", "\\$", "[l](x.md)",
                 "[l](https://a.b)", "![i](img.png)", "<a href=\"y.md\">a</a>", "<img src=\"z.png\">",
                 "https://example.org/a_b", "www.example.org", "a@b.org", "[^1]", "<b>", "</b>", "&amp;",
                 "&#x1F600;", "10:30:00", "$", "$$", "\\(", "\\]", "|", "*", "_", "[", "](", "<", "\\",
                 "<details>", "</details>", "<summary>s</summary>", "$\\begin{array}{c} a \\end{array}$",
                 "$\\frac{a}{b}$", "$\\text{\\$}$", "\ue0a0"]
        return "".join(rng.choice(atoms) for _ in range(rng.randint(1, 10)))

    def _construct(self, depth: int) -> str:
        rng = self.rng
        k = rng.randrange(22 if depth < 4 else 12)
        if k <= 2:
            return self._inline() + "\n" + ("\n" if rng.random() < 0.6 else "")
        if k == 3:
            return "#" * rng.randint(1, 6) + " " + self._inline() + "\n"
        if k == 4:
            cols = rng.randint(1, 4)
            rows = ["|" + "|".join(self._inline().replace("\n", " ") for _ in range(cols)) + "|"
                    for _ in range(rng.randint(1, 4))]
            return rows[0] + "\n|" + "---|" * cols + "\n" + "\n".join(rows[1:]) + "\n\n"
        if k == 5:
            fence = rng.choice(("```", "~~~", "````"))
            return f"{fence}{rng.choice(('', 'python', 'tex', 'nosuchlang'))}\n{self._inline()}\n" + \
                   (fence + "\n" if rng.random() < 0.8 else "")
        if k == 6:
            return "$$\n" + rng.choice(self.formulas) + "\n" + ("$$\n" if rng.random() < 0.85 else "")
        if k == 7:
            return "\\[\n" + rng.choice(self.formulas) + "\n" + ("\\]\n" if rng.random() < 0.85 else "")
        if k == 8:
            return "\\begin{align}\n" + rng.choice(self.formulas) + "\n" + \
                   ("\\end{align}\n" if rng.random() < 0.85 else "")
        if k == 9:
            return f"${rng.choice(self.formulas)}$ "
        if k == 10:
            return "- " + self._inline() + "\n" + ("  - " + self._inline() + "\n" if rng.random() < 0.5 else "")
        if k == 11:
            return "[^1]: " + self._inline() + "\n"
        if k in (12, 13, 14, 15):
            summary = ""
            if rng.random() < 0.8:
                summary = "<summary>" + self._inline() + ("</summary>" if rng.random() < 0.9 else "") + "\n"
            closing = "</details>\n" if rng.random() < 0.85 else ""
            return rng.choice(("<details>\n", "<details open>\n", "<DETAILS>", "<details>")) + summary + \
                self.markdown(depth + 1) + closing
        if k == 16:
            return "::: details " + rng.choice(("", "open ", "x ")) + self._inline().replace("\n", " ") + "\n" + \
                self.markdown(depth + 1) + (":::\n" if rng.random() < 0.85 else "")
        if k == 17:
            return "\n".join("> " + line for line in self.markdown(depth + 1).split("\n")) + "\n"
        if k == 18:
            return "<blockquote>\n" + self.markdown(depth + 1) + "</blockquote>\n"
        if k == 19:
            return "\n".join("  " + line for line in ("1. " + self.markdown(depth + 1)).split("\n")) + "\n"
        if k == 20:
            return "<div>" + self.markdown(depth + 1) + "</div>\n"
        return rng.choice(MD_TOKENS)

    def render(self) -> str:
        body = self.markdown()
        if self.rng.random() < 0.2:
            body = self.mutate(body.encode("utf-8", "surrogatepass"), 1).decode("utf-8", "replace")
        return body.replace("\x00", "")  # a NUL byte makes a binary file, not a note

    def math(self) -> tuple[str, bool]:
        rng = self.rng
        if rng.random() < 0.35:
            return self._structured_math(), rng.random() < 0.5
        tex = rng.choice(self.formulas)
        for _ in range(rng.choice((1, 1, 2, 3, 5))):
            op = rng.randrange(5)
            i = rng.randint(0, len(tex))
            if op == 0:
                tex = tex[:i] + rng.choice(TEX_TOKENS) + tex[i:]
            elif op == 1:
                tex = tex[:i] + tex[i + rng.randint(1, 8):]
            elif op == 2:
                other = rng.choice(self.formulas)
                j = rng.randint(0, len(other))
                tex = tex[:i] + other[j:j + rng.randint(1, 40)] + tex[i:]
            elif op == 3 and tex:
                j = rng.randrange(len(tex))
                tex = tex[:j] + chr(rng.choice((rng.randrange(32, 127), rng.randrange(0x80, 0x3000)))) + tex[j + 1:]
            else:
                tex = tex[:i] + "{" * rng.randint(1, 3) + tex[i:] + "}" * rng.randint(0, 3)
        return tex, rng.random() < 0.5

    def _math_argument(self, depth: int = 0) -> str:
        rng = self.rng
        k = rng.random()
        if k < 0.25:
            return rng.choice(MATH_ARGS)
        if k < 0.35 and depth < 2:
            return self._structured_math(depth + 1)
        inner = rng.choice(MATH_ARGS) if rng.random() < 0.8 else self._structured_math(depth + 1) if depth < 2 else ""
        return "{" + inner + "}"

    def _structured_math(self, depth: int = 0) -> str:
        """A command or environment with arguments drawn at random: argument-sensitive code paths."""
        rng = self.rng
        if depth == 0 and rng.random() < 0.1:  # deep nesting, sometimes through a macro
            opener, closer = rng.choice(((r"\boxed{", "}"), ("{", "}"), (r"\left(", r"\right)"), (r"\frac{", "}{y}"),
                                         (r"\sqrt{", "}"), (r"\text{\fbox{", "}}"), (r"\begin{matrix}", r"\end{matrix}"),
                                         (r"\a{", "}"), ("x^{", "}")))
            n = rng.choice((5, 15, 19, 20, 21, 25, 30, 60, 100, 200))
            tex = opener * n + "x" + closer * rng.choice((n, n, 0, n // 2))
            if opener == r"\a{":
                tex = r"\def\a#1{" + rng.choice((r"\boxed{#1}", r"{{#1}}", r"\boxed{\boxed{#1}}", "#1")) + "}" + tex
            return tex
        if rng.random() < 0.3:
            env = rng.choice(MATH_ENVIRONMENTS)
            spec = rng.choice(("", "{cc}", "{c|c}", "{2}", "{x}", "{}", "[t]{cc}", "{c'c}", "{@{}c}", "{*{2}c}"))
            cells = []
            for _ in range(rng.randint(0, 6)):
                cells.append(rng.choice(("a", "", " ", "&", "\\\\", "\\hline", "\\cline{1-2}", "@>>>", "@V a VV",
                                         "@.", "@", "@=", "@{", "\\\\[2pt]", "\\\\[x]", "\\tag{1}",
                                         self._math_argument(depth + 1))))
            end = env if rng.random() < 0.9 else rng.choice(MATH_ENVIRONMENTS)
            return f"\\begin{{{env}}}{spec}{' '.join(cells)}\\end{{{end}}}"
        command, arity = rng.choice(MATH_COMMANDS)
        args = "".join(self._math_argument(depth) for _ in range(max(0, arity + rng.choice((0, 0, 0, -1, 1)))))
        optional = f"[{rng.choice(MATH_ARGS)}]" if rng.random() < 0.15 else ""
        return command + optional + args

    def readme(self) -> bytes:
        return self.mutate(self.rng.choice(self.readme_seeds))

    def posts(self) -> bytes:
        return self.mutate(self.rng.choice(self.post_seeds))

    def bibtex(self) -> bytes:
        rng = self.rng
        data = self.mutate(rng.choice(self.bib_seeds))
        if rng.random() < 0.2:
            tokens = [b"@", b"{", b"}", b",", b"=", b"\"", b"#", b"@string{", b"@comment", b"@preamble{", b"\\",
                      b"{\\\"o}", b"title", b"author", b" and ", b"%", b"\n"]
            i = rng.randint(0, len(data))
            data = data[:i] + b"".join(rng.choice(tokens) for _ in range(rng.randint(1, 30))) + data[i:]
        return data

    def scaling(self) -> str:
        rng = self.rng
        atoms = SCALING_ATOMS
        pattern = "".join(rng.choice(atoms) for _ in range(rng.choice((1, 1, 2, 3))))
        if rng.random() < 0.3:
            pattern += "\n"
        return pattern

    def build(self) -> list[tuple[str, bytes]]:
        rng = self.rng
        chosen = []
        hostile = hostile_notes(small=True)
        for i in range(rng.randint(1, 4)):
            if rng.random() < 0.5:
                name, raw = rng.choice(hostile)
            else:
                name, raw = f"m{i}.md", self.mutate(rng.choice(self.notes))
            chosen.append((f"f{i}-{name}", raw))
        return chosen


SCALING_ATOMS = [
    "a", " ", "\n", ":", "a:", "http:", "https://a", "mailto:", "a@", "a@b.", "www.", "$", "$$", "$a", "\\$",
    "\\(", "\\)", "\\[", "\\]", "\\[\n", "$$\n", "$$a\n", "\\begin{align}\n", "\\begin{align}", "\\end{align}",
    "<details>\n", "<details>", "</details>\n", "<summary>", "<summary>x\n", "</summary>", "::: details x\n",
    ":::\n", "> ", "- ", "1. ", "* ", "[", "]", "](", "[a]", "![", "<", ">", "<a href=\"x\">", "`", "``",
    "~~", "*", "_", "**a", "|", "|\n", "| a |\n", "a|b\n", "[^a]", "[^a]: x\n", "<!--", "&", "&#", "&amp",
    "\\", "#", "# x\n", "=\n", "---\n", "```\n", "    x\n", "\t", ":smile:", ":+1:", "1:2:", "x.md", "](x.md)",
    "<img src=\"i.png\">", "\u3000", "中", "$x$", "$a|b$", "| $a|b$ |\n",
]


@functools.lru_cache(maxsize=2)
def hostile_notes(small: bool = False) -> list[tuple[str, bytes]]:
    """The inputs the issue lists, each as (file name, bytes)."""
    fm = b"---\ntitle: Hostile\n---\n"
    big = 200_000 if small else 10 * 1024 * 1024
    nest = 1000 if small else 10_000
    laughs = "\n".join(['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'] +
                       [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)])
    return [
        ("invalid-utf8.md", fm + b"caf\xe9 \xff\xfe\n"),
        ("bom.md", b"\xef\xbb\xbf" + fm + b"Body.\n"),
        ("utf16.md", ("\ufeff---\ntitle: UTF-16\n---\n中文 $x$\n").encode("utf-16-le")),
        ("utf16-be.md", ("---\ntitle: UTF-16 BE\n---\nBody\n").encode("utf-16")),
        ("utf16-odd.md", "\ufeff---\ntitle: x\n---\nab".encode("utf-16-le") + b"\x00\x00\x41"),
        ("nul.md", fm + b"a\x00b\n"),
        ("binary.md", b"%PDF-1.7\n" + bytes(range(256)) * 64),
        ("png.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)),
        ("crlf.md", fm.replace(b"\n", b"\r\n") + b"line\r\n$x$\r\n"),
        ("cr.md", fm.replace(b"\n", b"\r") + b"line\r$x$\r"),
        ("big.md", fm + (b"Some prose with *emphasis*, $x^2$ and a [link](https://a.b).\n\n" * (big // 64))),
        ("quotes.md", fm + b"> " * nest + b"deep\n"),
        ("quote-lines.md", fm + b"".join(b">" * min(i, 2000) + b" x\n" for i in range(1, 300))),
        ("lists.md", fm + b"- " * nest + b"deep\n"),
        ("details.md", fm + b"<details>\n<summary>s</summary>\n" * 1000 + b"x\n" + b"</details>\n" * 1000),
        ("details-unbalanced.md", fm + b"<details>\n<summary>open</summary>\n" * 1000 + b"</details>\n" * 3),
        ("details-close-only.md", fm + b"</details>\n" * 1000 + b"text\n"),
        ("dollar.md", fm + b"$a " * 5000 + b"\n$$\n" * 3 + b"x $ y $$ z\n"),
        ("dollars.md", fm + b"$$\n\\sum\n" + b"$" * 10001 + b"\n"),
        ("laughs.md", b"---\n" + laughs.encode() + b"\ntitle: lol\n---\nBody\n"),
        ("python-tag.md", b"---\ntitle: !!python/object/apply:os.system [\"echo pwned\"]\n---\nBody\n"),
        ("python-name.md", b"---\ntitle: x\nx: !!python/name:os.system\n---\nBody\n"),
        ("duplicate.md", b"---\ntitle: a\nstatus: read\ntitle: b\n---\nBody\n"),
        ("list-front.md", b"---\n- a\n- b\n---\nBody\n"),
        ("scalar-front.md", b"---\njust a string\n---\nBody\n"),
        ("empty-front.md", b"---\n---\nBody\n"),
        ("unclosed-front.md", b"---\ntitle: x\nBody\n"),
        ("deep-yaml.md", b"---\ntitle: x\nx: " + b"[" * 5000 + b"]" * 5000 + b"\n---\nBody\n"),
        ("bad-url.md", b"---\ntitle: URL\nstatus: read\ndate: 2024-01-02\nlinks: ['http://[oops']\n---\n"
                       b"[a](http://[x) <a href=\"http://[y\">y</a> <img src=\"http://[z\">\n"),
        ("bad-date.md", b"---\ntitle: Date\ndate: 2022-13-45\n---\nBody\n"),
        ("control-char.md", b"---\ntitle: &a x\nb: *a\nc: \x01\n---\nBody\n"),
        ("math-bad.md", fm + b"$\\begin{array}{c'c} a \\end{array}$ and $\\genfrac{(}{)}{0pt}\\x{}{a}{b}$\n"),
    ]


# ============================================================================== parent side

class WorkerProcess:
    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        env = dict(os.environ, PYTHONIOENCODING="utf-8")
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker",
                                      "--memory-mb", str(self.memory_mb)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env)
        self.stderr_lines: list[bytes] = []
        threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()
        ready = _read_frame(self.proc.stdout.fileno(), time.monotonic() + 120)
        if ready != ("ready",):
            raise RuntimeError("fuzz worker did not start: " + b"".join(self.stderr_lines).decode("utf-8", "replace"))

    def _drain(self, proc: subprocess.Popen) -> None:
        for line in proc.stderr:
            self.stderr_lines.append(line)
            del self.stderr_lines[:-200]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def run(self, target: str, payload, timeout: float):
        """(kind, detail, seconds); restarts the worker when it died, overran or asked for it."""
        assert self.proc is not None
        started = time.monotonic()
        try:
            _write_frame(self.proc.stdin.fileno(), (target, payload))
            result = _read_frame(self.proc.stdout.fileno(), started + timeout)
        except TimeoutError:
            self.stop()
            self.start()
            return "timeout", f"no answer within {timeout:.0f} s", time.monotonic() - started
        except (BrokenPipeError, OSError):
            result = None
        if result is None:
            self.proc.wait()
            time.sleep(0.05)
            code = self.proc.returncode
            tail = b"".join(self.stderr_lines[-30:]).decode("utf-8", "replace")
            kind = "memory" if "MemoryError" in tail else "crash"
            self.start()
            return kind, f"worker died (exit status {code})\n{tail}", time.monotonic() - started
        kind, detail, seconds, restart = result
        if restart:
            self.stop()
            self.start()
        return kind, detail, seconds


def _payload_size(payload) -> int:
    if isinstance(payload, (bytes, str)):
        return len(payload)
    if isinstance(payload, tuple):
        return sum(_payload_size(p) for p in payload)
    if isinstance(payload, list):
        return sum(_payload_size(p) for p in payload)
    return 0


def signature(target: str, kind: str, detail: str) -> str:
    if kind in ("exception", "invariant", "memory"):
        frames = re.findall(r'File "([^"]+)", line (\d+)', detail)
        last = frames[-1] if frames else ("", "")
        error = detail.strip().splitlines()[-1] if detail.strip() else ""
        error = re.sub(r"\d+", "N", error.split(":")[0] if kind == "exception" else error[:80])
        text = f"{target}|{kind}|{Path(last[0]).name}:{last[1]}|{error}"
    elif kind == "slow":
        text = f"{target}|{kind}"
    else:
        text = f"{target}|{kind}|{detail[:60]}"
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def save_finding(out: Path, target: str, kind: str, sig: str, payload, detail: str, count: int) -> Path:
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{kind}-{sig}-{count}"
    with open(stem.with_suffix(".case"), "wb") as fh:
        pickle.dump((target, payload), fh)
    if isinstance(payload, bytes):
        stem.with_suffix(".input").write_bytes(payload)
    elif isinstance(payload, str):
        stem.with_suffix(".input").write_bytes(payload.encode("utf-8", "surrogatepass"))
    elif isinstance(payload, tuple):
        stem.with_suffix(".input").write_bytes(repr(payload).encode("utf-8", "surrogatepass"))
    stem.with_suffix(".txt").write_text(f"target: {target}\nkind: {kind}\n\n{detail}\n", encoding="utf-8")
    return stem


def run(args: argparse.Namespace) -> int:
    targets = [t for t in args.targets.split(",") if t] if args.targets else list(TARGETS)
    for t in targets:
        if t not in TARGETS:
            raise SystemExit(f"unknown target {t!r}; choose from {', '.join(TARGETS)}")
    out = Path(args.out)
    rng_master = random.Random(args.seed)
    lock = threading.Lock()
    stats: dict[str, Counter] = defaultdict(Counter)
    signatures: dict[str, dict] = {}
    started = time.monotonic()
    issued = [0]
    deadline = started + args.seconds if args.seconds else None
    print(f"fuzzing {', '.join(targets)} with {args.workers} workers, seed {args.seed}, "
          f"{args.cases or '∞'} cases{f', {args.seconds:.0f} s' if args.seconds else ''}; findings in {out}/",
          flush=True)

    hostile = list(hostile_notes()) if "hostile" in targets else []
    random_targets = [t for t in targets if WEIGHTS[t]]
    weights = [WEIGHTS[t] for t in random_targets]

    def next_case(rng: random.Random, gen: Generator):
        with lock:
            if args.cases and issued[0] >= args.cases:
                return None
            if deadline is not None and time.monotonic() >= deadline:
                return None
            issued[0] += 1
            if hostile:
                return "hostile", hostile.pop(0)
            if not random_targets:
                return None
            target = rng.choices(random_targets, weights)[0]
        maker = {"loader": gen.note_bytes, "note": gen.note_bytes}.get(target) or getattr(gen, target)
        return target, maker()

    def loop(index: int) -> None:
        rng = random.Random(rng_master.random() + index)
        gen = Generator(rng)
        worker = WorkerProcess(args.memory_mb)
        try:
            while True:
                case = next_case(rng, gen)
                if case is None:
                    return
                target, payload = case
                # linear but slow inputs are not hangs: markdown-it-py needs up to ~20 s per MB for a
                # flood of '[' or '$' (every character runs the whole chain of inline rules)
                timeout = TIME_LIMITS.get(target, args.timeout) + 40 * _payload_size(payload) / 2**20
                kind, detail, seconds = worker.run(target, payload, timeout)
                with lock:
                    stats[target]["cases"] += 1
                    stats[target][kind] += 1
                    stats[target]["seconds"] += seconds
                    if kind in FINDING_KINDS:
                        sig = signature(target, kind, detail)
                        entry = signatures.setdefault(sig, {"target": target, "kind": kind, "count": 0,
                                                            "first": None, "detail": detail})
                        entry["count"] += 1
                        if entry["count"] <= args.keep:
                            path = save_finding(out, target, kind, sig, payload, detail, entry["count"] - 1)
                            entry["first"] = entry["first"] or path
                            if entry["count"] == 1:
                                summary = detail.strip().splitlines()[-1] if detail.strip() else ""
                                print(f"  new finding {sig}: {target} {kind}: {summary[:150]}  ({path}.input)",
                                      flush=True)
                    total = sum(s["cases"] for s in stats.values())
                    if total % args.progress == 0:
                        found = sum(e["count"] for e in signatures.values())
                        print(f"  {total} cases, {found} findings, {time.monotonic() - started:.0f} s", flush=True)
        finally:
            worker.stop()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(args.workers)]
    for th in threads:
        th.start()
    try:
        for th in threads:
            th.join()
    except KeyboardInterrupt:
        args.cases = issued[0]  # stop issuing; workers finish their case
        for th in threads:
            th.join()
    elapsed = time.monotonic() - started
    print_summary(stats, signatures, elapsed)
    return 1 if signatures else 0


def print_summary(stats, signatures, elapsed: float) -> None:
    columns = ["cases", "ok", "expected", *FINDING_KINDS]
    print(f"\n{'target':<12}" + "".join(f"{c:>10}" for c in columns) + f"{'s/case':>9}")
    totals = Counter()
    for target in TARGETS:
        if target not in stats:
            continue
        s = stats[target]
        totals.update(s)
        print(f"{target:<12}" + "".join(f"{s[c]:>10}" for c in columns) +
              f"{s['seconds'] / max(1, s['cases']):>9.3f}")
    print(f"{'total':<12}" + "".join(f"{totals[c]:>10}" for c in columns) + f"   {elapsed:.0f} s wall")
    if signatures:
        print(f"\n{len(signatures)} distinct findings:")
        for sig, e in sorted(signatures.items(), key=lambda kv: (kv[1]["target"], -kv[1]["count"])):
            last = e["detail"].strip().splitlines()[-1] if e["detail"].strip() else ""
            print(f"  {sig}  {e['target']:<11} {e['kind']:<9} x{e['count']:<5} {last[:110]}")
            if e["first"]:
                print(f"            {e['first']}.input")
    else:
        print("\nno findings")


def replay(path: Path, memory_mb: int, timeout: float) -> int:
    with open(path, "rb") as fh:
        target, payload = pickle.load(fh)
    worker = WorkerProcess(memory_mb)
    try:
        kind, detail, seconds = worker.run(target, payload, TIME_LIMITS.get(target, timeout))
    finally:
        worker.stop()
    print(f"{target}: {kind} in {seconds:.2f} s\n{detail}")
    return 1 if kind in FINDING_KINDS else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=0, help="number of cases (0: until --seconds)")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long")
    parser.add_argument("--targets", default="", help=f"comma-separated, from: {', '.join(TARGETS)}")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds per case, plus 40 per MB of input (scaling, build: 60; hostile: 180)")
    parser.add_argument("--memory-mb", type=int, default=2048, help="address-space limit of a worker")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "papernotes-fuzz"),
                        help="where failing inputs are saved (default: %(default)s)")
    parser.add_argument("--keep", type=int, default=5, help="inputs saved per distinct finding")
    parser.add_argument("--progress", type=int, default=1000)
    parser.add_argument("--replay", type=Path, help="run one saved .case file again")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(args.memory_mb)
        return 0
    if args.replay:
        return replay(args.replay, args.memory_mb, args.timeout)
    if not args.cases and not args.seconds:
        args.cases = 20_000
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
