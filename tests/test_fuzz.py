"""Fuzzing the input (issue #7), the fast subset: property-based tests (Hypothesis) and the hostile
inputs the issue lists, over the loader, the front-matter parser, the Markdown/math/details
renderer, the importers and a whole build. The long run is ``scripts/fuzz.py``; what it found is
pinned down by the regression tests at the end of this file.

Everything that can reach the math engine (pykatex) runs in a child process — this file run as a
script, ``--child`` — with an address-space limit (RLIMIT_AS, 2 GB) and a time limit per call:
pykatex's heap can be damaged by KaTeX-internal errors (see ``papernotes.render.mathml._check_tex``), and
a crash or a hang there must fail one test, not end the test run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_NOTES = sorted((REPO / "notes").rglob("*.md"))
FIXTURES = REPO / "tests" / "fixtures"
MEMORY_LIMIT = 2 * 1024**3
PIPE_STAND_IN = "\ue0a0"  # papernotes.render.math.PIPE_STAND_IN

sys.path.insert(0, str(REPO / "scripts"))
from fuzz import _read_frame, _write_frame  # noqa: E402  (the long run's framing: pickles with a length)

FAST = settings(deadline=5000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                      HealthCheck.data_too_large])


# ============================================================================ child processes

class Child:
    """A worker process running the ``child_*`` functions below, one call at a time, each with a
    deadline; a worker that overruns or dies is replaced and the call reported as such."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def _start(self) -> None:
        env = dict(os.environ, PYTHONIOENCODING="utf-8")
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, cwd=str(REPO))
        if _read_frame(self.proc.stdout.fileno(), time.monotonic() + 120) != "ready":
            raise RuntimeError("the fuzz child did not start: " + self.proc.stderr.read().decode()[-2000:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def call(self, name: str, *args, timeout: float = 30.0):
        """The function's result; raises AssertionError naming the input on a timeout or a crash."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        assert self.proc is not None
        started = time.monotonic()
        try:
            _write_frame(self.proc.stdin.fileno(), (name, args))
            answer = _read_frame(self.proc.stdout.fileno(), started + timeout)
        except TimeoutError:
            self.stop()
            raise AssertionError(f"{name}{_shown(args)} did not end within {timeout:.0f} s") from None
        except OSError:
            answer = None
        if answer is None:
            code = self.proc.wait()
            stderr = self.proc.stderr.read().decode("utf-8", "replace")[-3000:]
            self.proc = None
            raise AssertionError(f"{name}{_shown(args)} killed its process (exit status {code}):\n{stderr}")
        kind, value = answer
        if kind == "raised":
            raise AssertionError(f"{name}{_shown(args)} raised:\n{value}")
        return value


def _shown(args: tuple) -> str:
    text = repr(args)
    return f"({text[:300]}{'…' if len(text) > 300 else ''})"


@pytest.fixture(scope="module")
def child():
    worker = Child()
    yield worker
    worker.stop()


def child_main() -> None:
    """``python tests/test_fuzz.py --child``: answer calls until stdin closes."""
    import resource
    import traceback

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    proto_in, proto_out = sys.stdin.fileno(), os.dup(1)
    os.dup2(2, 1)
    _write_frame(proto_out, "ready")
    functions = {name: obj for name, obj in globals().items() if name.startswith("child_")}
    while True:
        message = _read_frame(proto_in, None)
        if message is None:
            return
        name, args = message
        try:
            answer = ("ok", functions[name](*args))
        except BaseException:  # noqa: BLE001 - reported to the parent, which fails the test
            answer = ("raised", traceback.format_exc())
        _write_frame(proto_out, answer)
        if _EXIT_AFTER_ANSWER:
            return


# -- what the child runs -----------------------------------------------------------------------------

_SCRATCH: list[Path] = []


def _site(files: dict[str, bytes]) -> tuple[Path, Path]:
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="papernotes-fuzz-test-")))
    import shutil

    root = _SCRATCH[0] / "site"
    shutil.rmtree(root, ignore_errors=True)
    notes = root / "notes"
    notes.mkdir(parents=True)
    for name, raw in files.items():
        (notes / name).write_bytes(raw)
    return root, notes


_RENDERER: list = []
_EXIT_AFTER_ANSWER: list = []


def child_load_and_render(raw: bytes, name: str = "note.md") -> dict:
    """Load one note and render it: {"error": (line, message)} or the page's parts."""
    from papernotes.diagnostics import Diagnostics, NoteError
    from papernotes.load.notes import load_note
    from papernotes.render import NoteRenderer
    from papernotes.render.links import LinkTargets

    root, notes = _site({name: raw})
    path = notes / name
    if not _RENDERER:
        _RENDERER.append(NoteRenderer())
    started = time.perf_counter()
    try:
        note = load_note(path, root, notes)
    except NoteError as exc:
        return {"error": (exc.line, exc.message), "seconds": time.perf_counter() - started}
    diagnostics = Diagnostics()
    rendered = _RENDERER[0].render(note, LinkTargets(root, notes, {path: note}, set()), diagnostics)
    return {"html": rendered.html, "excerpt": rendered.excerpt_html, "headings": rendered.headings,
            "body": note.body + "\n" + (note.summary or ""), "last_line": note.body_line + note.body.count("\n"),
            "diagnostics": [(d.line, d.message) for d in diagnostics.items],
            "seconds": time.perf_counter() - started}


def child_render_seconds(body: str) -> float:
    """The shorter of two loads and renders (timings on a busy machine are noisy)."""
    times = []
    for _ in range(2):
        result = child_load_and_render(("---\ntitle: T\n---\n" + body).encode("utf-8"))
        assert "error" not in result, result.get("error")
        times.append(result["seconds"])
    return min(times)


def child_math(tex: str, display: bool) -> tuple[str, str]:
    """("ok" | "error" | "engine", message): "engine" when KaTeX threw an error that the
    pre-checks did not stop (the worker is then replaced: its math engine may be damaged)."""
    from papernotes.render import mathml

    before = mathml._GUARD.thrown
    try:
        out = mathml.MathConverter().to_mathml(tex, display=display)
        kind, message = "ok", out
    except mathml.MathError as exc:
        kind, message = "error", str(exc)
    if mathml._GUARD.thrown > before:
        kind = "engine"
        _EXIT_AFTER_ANSWER.append(True)  # a fresh process for the next call
    return kind, message


def child_build(files: dict[str, bytes]) -> dict:
    from papernotes.build import BuildOptions, build

    root, notes = _site(files)
    result = build(BuildOptions(root=root, output=root / "site", search=False, jobs=1, cache=False))
    site = root / "site"
    return {"written": result.written, "index": (site / "index.html").is_file(),
            "pages": sorted(p.relative_to(site).as_posix() for p in (site / "notes").rglob("*.html")),
            "diagnostics": [(d.severity.value, d.file, d.line, d.message) for d in result.diagnostics.items]}


# ================================================================================= strategies

def _example(name: str) -> bytes:
    return (REPO / "notes" / name).read_bytes()


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    """A seed with a few mutations: bit flips, insertions, deletions, line shuffles, truncation,
    repetitions, other line endings and encodings."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.integers(0, 8))
        n = len(data)
        at = draw(st.integers(0, max(0, n)))
        if op == 0 and n:
            data[min(at, n - 1)] ^= 1 << draw(st.integers(0, 7))
        elif op == 1:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == 2:
            data[at:at] = draw(st.sampled_from(TOKENS)).encode("utf-8", "surrogatepass")
        elif op == 3:
            del data[at:at + draw(st.integers(1, 64))]
        elif op == 4:
            lines = bytes(data).split(b"\n")
            data = bytearray(b"\n".join(draw(st.permutations(lines))))
        elif op == 5:
            del data[at:]
        elif op == 6:
            data[at:at] = bytes(data[at:at + draw(st.integers(1, 40))]) * draw(st.sampled_from([2, 50, 500]))
        elif op == 7:
            data = bytearray(bytes(data).replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r"]))))
        else:
            text = bytes(data).decode("utf-8", "replace")
            data = bytearray(draw(st.sampled_from([lambda t: "\ufeff".encode() + t.encode(),
                                                   lambda t: t.encode("utf-16"),
                                                   lambda t: t.encode("utf-16-be")]))(text))
    return bytes(data)


TOKENS = ["$", "$$", "\\(", "\\)", "\\[", "\\]", "\n", "\r", "\x00", "|", "`", "```", "*", "_", "[", "](", "<",
          "&", ":", "---\n", "<details>", "</details>", "<summary>", "</summary>", "::: details x\n", ":::\n",
          "> ", "- ", "\\begin{align}", "\\end{align}", ":smile:", "http://", "a@b.co", "&a ", "*a", "\ue0a0",
          "!!python/object/apply:os.system ['ls']", "title: ", "\udcff", "\ufeff"]

INLINE = ["word", "中文", " ", "*em*", "**strong**", "_u_", "~~del~~", "`code`", ":smile:", ":bulb:", "$x^2$",
          "$a|b$", "$$\\sum_i x_i$$", "\\(a\\)", "\\[b\\]", "$5 and $10", "\\$", "[l](other.md)",
          "[l](https://example.org/a_b)", "![i](img.png)", '<a href="y.md">a</a>', '<img src="z.png">',
          "https://example.org/x", "www.example.org", "a@b.org", "[^1]", "<b>", "</b>", "&amp;", "10:30:00",
          "$", "$$", "\\(", "\\]", "|", "*", "_", "[", "](", "<", "\\", "<details>", "</details>",
          "<summary>s</summary>", "$\\frac{a}{b}$", "$\\begin{array}{c} a \\end{array}$", "$\\text{\\$}$",
          "$\\genfrac(){0pt}{ }{a}{b}$", "$\\begin{CD} A @ B \\end{CD}$"]
FORMULAS = [r"\frac{a}{b}", r"\sum_{i=1}^n x_i", r"\begin{aligned} a &= b \\ c &= d \end{aligned}",
            r"\operatorname{softmax}(z)_i", r"\mathbb{E}_{x \sim p}[f(x)]", r"\begin{cases} 1 & x > 0 \\ 0 \end{cases}",
            r"\genfrac(){0pt}{1}{a}{b}", r"\begin{CD} A @>a>> B \end{CD}", r"\begin{array}{c|c} 1 & 2 \end{array}"]

inline_text = st.lists(st.sampled_from(INLINE) | st.text(max_size=4), min_size=1, max_size=8).map("".join)


def _blocks(children):
    summary = st.tuples(inline_text, st.booleans()).map(
        lambda t: f"<summary>{t[0]}{'</summary>' if t[1] else ''}\n")
    return st.one_of(
        st.tuples(st.sampled_from(["<details>\n", "<details open>\n", "<DETAILS>"]), summary, children,
                  st.booleans()).map(lambda t: t[0] + t[1] + t[2] + ("</details>\n" if t[3] else "")),
        st.tuples(inline_text, children, st.booleans()).map(
            lambda t: f"::: details {t[0]}\n{t[1]}" + (":::\n" if t[2] else "")),
        children.map(lambda c: "".join("> " + line + "\n" for line in c.split("\n"))),
        children.map(lambda c: "<blockquote>\n" + c + "</blockquote>\n"),
        children.map(lambda c: "- " + c.replace("\n", "\n  ") + "\n"),
        st.lists(children, min_size=2, max_size=3).map("".join),
    )


leaf_block = st.one_of(
    inline_text.map(lambda t: t + "\n\n"),
    inline_text.map(lambda t: t + "\n"),
    st.tuples(st.integers(1, 6), inline_text).map(lambda t: "#" * t[0] + " " + t[1] + "\n"),
    st.lists(inline_text, min_size=1, max_size=3).map(
        lambda cells: "|" + "|".join(c.replace("\n", " ") for c in cells) + "|\n|" + "---|" * len(cells) + "\n"
        + "|" + "|".join(c.replace("\n", " ") for c in reversed(cells)) + "|\n\n"),
    st.tuples(st.sampled_from(["```", "~~~"]), st.sampled_from(["", "python", "nosuchlang"]), inline_text,
              st.booleans()).map(lambda t: f"{t[0]}{t[1]}\n{t[2]}\n" + (t[0] + "\n" if t[3] else "")),
    st.tuples(st.sampled_from(["$$\n{}\n$$\n", "$$\n{}\n", "\\[\n{}\n\\]\n", "\\[\n{}\n",
                               "\\begin{{align}}\n{}\n\\end{{align}}\n", "\\begin{{align}}\n{}\n", "${}$ "]),
              st.sampled_from(FORMULAS)).map(lambda t: t[0].format(t[1])),
    st.sampled_from(TOKENS),
)
markdown = st.recursive(leaf_block, _blocks, max_leaves=12)

yaml_keys = st.sampled_from(["title", "status", "category", "tags", "venue", "year", "authors", "date", "links",
                             "arxiv", "doi", "summary", "bibtex", "x", "<<", "? a", "1", "title："])
yaml_values = st.sampled_from([
    '"LoRA"', "read", "✅", ":x:", "reed", "[a, b]", "{a: 1}", "2022", "2022-13-45", "2017/10/1", "NeurIPS 2022",
    "2106.09685", "javascript:x", "https://a.b", "[https://a.b, 'http://[x']", "- a\n- b", "|\n  text", "&a v",
    "*a", "!!python/object/apply:os.system [ls]", "!!binary aGk=", "~", "1e400", "'unterminated", "[unclosed",
    "a: b: c", "\t", "a\x01b", "[" * 50 + "]" * 50, "0000-01-01", "2020-02-30", "@inproceedings{k, title={T}}"])
front_matter_text = st.lists(st.tuples(st.sampled_from(["", " ", "  "]), yaml_keys, yaml_values), max_size=8).map(
    lambda items: "\n".join(f"{indent}{key}: {value}" for indent, key, value in items))


# ================================================================================= properties

@settings(FAST, max_examples=200)
@given(yaml=front_matter_text | st.text(max_size=200), closer=st.sampled_from(["---", "...", "", "--- "]))
def test_front_matter_parser_raises_only_note_errors_with_a_line_in_the_file(yaml, closer):
    from papernotes.diagnostics import NoteError
    from papernotes.load.frontmatter import normalize_text, split

    text = normalize_text(f"---\n{yaml}\n{closer}\nBody\n")
    try:
        parts = split(text)
    except NoteError as exc:
        assert exc.line is not None and 1 <= exc.line <= text.count("\n") + 1, (exc.line, exc.message)
        assert exc.message.strip()
    else:
        assert isinstance(parts.front.data, dict)
        assert all(1 <= line <= text.count("\n") + 1 for line in parts.front.key_lines.values())


def _load(tmp_path: Path, raw: bytes):
    from papernotes.diagnostics import NoteError
    from papernotes.load.notes import load_note

    notes = tmp_path / "notes"
    notes.mkdir(exist_ok=True)
    path = notes / "fuzzed.md"
    path.write_bytes(raw)
    try:
        return load_note(path, tmp_path, notes)
    except NoteError as exc:
        # lines as papernotes (and editors) count them: CRLF, LF and a lone CR each end one
        text = raw.decode("utf-16", "replace") if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else raw.decode("latin-1")
        lines = text.replace("\r\n", "\n").count("\n") + text.replace("\r\n", "\n").count("\r") + 1
        assert exc.line is None or 1 <= exc.line <= lines, (exc.line, exc.message)
        assert exc.message.strip()
        return exc


@settings(FAST, max_examples=150)
@given(raw=st.binary(max_size=400) | st.tuples(st.sampled_from([b"", b"---\n", b"\xef\xbb\xbf---\n", b"\xff\xfe",
                                                                 b"\xfe\xff"]), st.binary(max_size=300)).map(
    lambda t: t[0] + t[1]))
def test_loader_on_random_bytes_gives_a_note_or_a_note_error(tmp_path, raw):
    _load(tmp_path, raw)


@settings(FAST, max_examples=150)
@given(raw=mutated([p.read_bytes() for p in EXAMPLE_NOTES]))
def test_loader_on_mutated_example_notes_gives_a_note_or_a_note_error(tmp_path, raw):
    _load(tmp_path, raw)


def check_rendered(source: str, result: dict) -> None:
    """What the HTML must be, whatever the Markdown: the renderer adds structure only where the
    note asked for it, and nothing of its own machinery leaks out."""
    html = result["html"]
    containers = len(re.findall(r"(?<!:):{3,}[ \t]*details", source))
    for pattern in (r"<details\b", r"</details\s*>"):
        have, had = len(re.findall(pattern, html, re.I)), len(re.findall(pattern, source, re.I))
        assert have <= had + containers, f"{have} × {pattern} in the HTML from {had} (+{containers} :::) in the note"
    if "<math" not in source:
        assert html.count("<math") == html.count("</math>")
    if "<script" not in source.lower():
        assert "<script" not in html.lower()
    if PIPE_STAND_IN not in source:
        for text in [html, result["excerpt"], *(t for _, i, t in result["headings"]),
                     *(i for _, i, t in result["headings"])]:
            assert PIPE_STAND_IN not in text
    ids = [i for _, i, _ in result["headings"]]
    assert len(ids) == len(set(ids)), f"duplicate heading ids {ids}"
    for line, message in result["diagnostics"]:
        assert line is None or 1 <= line <= result["last_line"], (line, message)


@settings(FAST, max_examples=120)
@given(body=markdown)
def test_renderer_on_generated_markdown(child, body):
    body = body.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    result = child.call("child_load_and_render", ("---\ntitle: Generated\n---\n" + body).encode("utf-8"),
                        timeout=30)
    assert "error" not in result, result["error"]
    check_rendered(result["body"], result)


@settings(FAST, max_examples=60)
@given(raw=mutated([p.read_bytes() for p in EXAMPLE_NOTES]))
def test_mutated_example_notes_render_or_are_refused(child, raw):
    result = child.call("child_load_and_render", raw, timeout=30)
    if "error" not in result:
        check_rendered(result["body"], result)


@st.composite
def formulas(draw) -> str:
    if draw(st.booleans()):
        args = st.sampled_from(["{}", "{1}", "{ }", "{\\,}", "{{}}", "\\x", "{x}", "{0pt}", "(", ")", "{a}", "3", ""])
        command = draw(st.sampled_from(["\\genfrac", "\\frac", "\\sqrt", "\\overset", "\\binom", "\\begin{CD}"]))
        if command == "\\begin{CD}":
            cells = st.sampled_from(["A", "@", "@>>>", "@VVV", "@=", "@.", "@{x}", "\\\\", "&", " ", "@x^2", "B"])
            return command + "".join(draw(st.lists(cells, max_size=8))) + "\\end{CD}"
        return command + "".join(draw(st.lists(args, max_size=7)))
    tex = draw(st.sampled_from(FORMULAS))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(tex)))
        tex = tex[:at] + draw(st.sampled_from(["{", "}", "\\", "&", "^", "_", "\\begin{", "\\end{", "@", "\\\\",
                                               "{array}", "{CD}", "\\genfrac", "\\left", "\\x", " "])) + tex[at:]
    return tex


@settings(FAST, max_examples=200)
@given(tex=formulas(), display=st.booleans())
def test_math_converter_returns_mathml_or_math_error_and_never_lets_katex_throw(child, tex, display):
    kind, message = child.call("child_math", tex, display, timeout=30)
    assert kind != "engine", f"KaTeX threw an error that papernotes.render.mathml._check_tex let through: {tex!r}"
    if kind == "ok":
        assert message.startswith("<math") and message.endswith("</math>")
    else:
        assert message.strip() and "\n" not in message


def _import_and_reload(tmp_path: Path, kind: str, raw: bytes) -> None:
    """An importer never raises, and every note it would write loads back."""
    from papernotes.importers import writer
    from papernotes.importers.model import ParsedSource

    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    if kind == "readme":
        from papernotes.importers.readme import parse_readme
        (folder / "README.md").write_bytes(raw)
        parsed = parse_readme(folder / "README.md")
    elif kind == "posts":
        from papernotes.importers.posts import parse_posts
        (folder / "_posts").mkdir()
        (folder / "_posts" / "2020-1-2-post.md").write_bytes(raw)
        parsed = parse_posts(folder)
    else:
        from papernotes.importers.bib import parse_bibtex
        (folder / "library.bib").write_bytes(raw)
        parsed = parse_bibtex(folder / "library.bib")
    assert isinstance(parsed, ParsedSource)
    assert all(p.line is None or p.line >= 1 for p in parsed.problems)
    site = folder / "site"
    (site / "notes").mkdir(parents=True)
    for i, planned in enumerate(writer.plan([parsed], site / "notes", site).notes):
        path = site / "notes" / f"n{i}.md"
        path.write_text(writer.note_text(planned.note), encoding="utf-8")
        note = _load(site, path.read_bytes())
        assert not isinstance(note, Exception), f"an imported note does not load: {note.line}: {note.message}"


IMPORT_SEEDS = {
    "readme": [p.read_bytes() for p in sorted((FIXTURES / "readme").glob("*.md"))],
    "posts": [p.read_bytes() for p in sorted((FIXTURES / "posts").rglob("*.m*")) if p.suffix in (".md", ".markdown")],
    "bibtex": [p.read_bytes() for p in sorted((FIXTURES / "bib").glob("*.bib"))],
}


@settings(FAST, max_examples=25)
@given(data=st.data())
@pytest.mark.parametrize("kind", sorted(IMPORT_SEEDS))
def test_importers_never_raise_and_write_notes_that_load(tmp_path, kind, data):
    _import_and_reload(tmp_path, kind, data.draw(mutated(IMPORT_SEEDS[kind])))


# ================================================================ the inputs the issue lists

FM = b"---\ntitle: Hostile\n---\n"
LAUGHS = "\n".join(['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'] +
                   [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)])

#: name -> (file bytes, expected): "page", or ("error", line or None, words in the message)
HOSTILE: dict[str, tuple[bytes, object]] = {
    "invalid-utf8": (FM + b"caf\xe9\n", ("error", 4, "not valid UTF-8")),
    "bom": (b"\xef\xbb\xbf" + FM + b"Body.\n", "page"),
    "utf16-le": ("\ufeff---\ntitle: UTF-16\n---\n中文 $x$\n".encode("utf-16-le"), "page"),
    "utf16-be": ("---\ntitle: UTF-16 BE\n---\nBody\n".encode("utf-16"), "page"),
    "utf16-odd-length": ("\ufeff---\ntitle: x\n---\nab".encode("utf-16-le") + b"A", ("error", 4, "UTF-16")),
    "nul-bytes": (FM + b"a\x00b\n", ("error", None, "NUL")),
    "binary": (b"%PDF-1.7\n" + bytes(range(256)) * 64, ("error", None, "NUL")),
    "crlf": (FM.replace(b"\n", b"\r\n") + b"line\r\n$x$\r\n", "page"),
    "lone-cr": (FM.replace(b"\n", b"\r") + b"line\r$x$\r", "page"),
    "10-mb": (FM + b"Intro $x^2$.\n\n```\n" + b"x = 1  # a fairly long line of code in a fence\n" * 220_000
              + b"```\n", "page"),
    "10000-blockquotes": (FM + b"> " * 10_000 + b"deep\n", "page"),
    "10000-blockquote-lines": (FM + b"".join(b">" * i + b" x\n" for i in range(0, 10_000, 50)), "page"),
    "10000-lists": (FM + b"- " * 10_000 + b"deep\n", "page"),
    "10000-list-lines": (FM + b"".join(b" " * (i % 400) + b"- x\n" for i in range(10_000)), "page"),
    "1000-details": (FM + b"<details>\n<summary>s</summary>\n" * 1000 + b"x\n" + b"</details>\n" * 1000, "page"),
    "unbalanced-details": (FM + b"<details>\n<summary>s</summary>\n" * 1000 + b"</details>\n" * 3
                           + b"</details>\n" * 5000, "page"),
    "unbalanced-dollars": (FM + b"$a " * 5000 + b"\n\n" + b"$$\nx\n" * 2000 + b"\\[\n" * 2000
                           + b"\\begin{align}\n" * 2000 + b"$$ a $ b $$$\n", "page"),
    "billion-laughs": (b"---\n" + LAUGHS.encode() + b"\ntitle: lol\n---\nBody\n", ("error", 3, "alias")),
    "python-tag": (b"---\ntitle: !!python/object/apply:os.system ['echo pwned']\n---\nBody\n", ("error", 2, "")),
    "python-name": (b"---\ntitle: x\nx: !!python/name:os.system\n---\nBody\n", ("error", 3, "")),
    "duplicate-keys": (b"---\ntitle: a\nstatus: read\ntitle: b\n---\nBody\n", ("error", 4, "line 2")),
    "list-front-matter": (b"---\n- a\n- b\n---\nBody\n", ("error", 2, "mapping")),
    "scalar-front-matter": (b"---\njust a string\n---\nBody\n", ("error", 2, "mapping")),
}


def check_outcome(name: str, result: dict, expected) -> None:
    if expected == "page":
        assert "error" not in result, f"{name}: {result.get('error')}"
        assert isinstance(result["html"], str)
        check_rendered(result["body"], result)
    else:
        _, line, words = expected
        assert "error" in result, f"{name} gave a page"
        got_line, message = result["error"]
        assert got_line == line and words in message, f"{name}: {got_line}: {message}"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_note_gives_a_page_or_a_clear_error_in_bounded_time_and_memory(child, name):
    raw, expected = HOSTILE[name]
    check_outcome(name, child.call("child_load_and_render", raw, f"{name}.md", timeout=30), expected)


def test_a_site_of_hostile_notes_and_one_good_note_builds(child):
    files = {f"{name}.md": raw for name, (raw, _) in HOSTILE.items() if name != "10-mb"}
    files["good.md"] = b"---\ntitle: Good\nstatus: read\n---\nFine $x^2$.\n"
    result = child.call("child_build", files, timeout=120)
    assert result["written"] and result["index"]
    assert "notes/good.html" in result["pages"]
    errors = {file: (line, message) for severity, file, line, message in result["diagnostics"] if severity == "error"}
    for name, (_, expected) in HOSTILE.items():
        if name == "10-mb":
            continue
        if expected == "page":
            assert f"notes/{name}.html" in result["pages"], (name, errors.get(f"notes/{name}.md"))
        else:
            assert f"notes/{name}.md" in errors, f"no error names notes/{name}.md"
            assert errors[f"notes/{name}.md"][0] == expected[1], (name, errors[f"notes/{name}.md"])


# ======================================================= regression tests for what fuzzing found

def test_utf16_note_with_an_odd_byte_count_is_an_error_with_a_line_not_a_crash(tmp_path):
    # was UnicodeDecodeError out of load_note
    error = _load(tmp_path, "\ufeff---\ntitle: x\n---\nab".encode("utf-16-le") + b"A")
    assert error.line == 4 and "UTF-16" in error.message


@pytest.mark.parametrize("yaml, line", [
    ("title: &a x\nb: *a\nc: \x01\n", 4),  # with & or * the pure-Python loader refused it in its constructor
    ("title: x\nc: a\x01\n", 3),           # libyaml: it was a multi-line message without a good line
    ("title: x\n\x7f: 1\n", 3),
])
def test_control_character_in_front_matter_is_an_error_on_its_line(tmp_path, yaml, line):
    # was yaml.reader.ReaderError out of load_note
    error = _load(tmp_path, f"---\n{yaml}---\nBody\n".encode())
    assert error.line == line and "is not allowed in YAML" in error.message and "\n" not in error.message


@pytest.mark.parametrize("value", ["2022-13-45", "0000-01-01", "2021-02-30 10:00:00"])
def test_impossible_date_in_front_matter_is_an_error_on_its_line(tmp_path, value):
    # was ValueError out of load_note: one such note stopped the whole build
    error = _load(tmp_path, f"---\ntitle: x\nstatus: read\ndate: {value}\n---\nBody\n".encode())
    assert error.line == 4 and value in error.message and "quotes" in error.message


def test_malformed_url_in_front_matter_links_and_body_does_not_break_the_build(child):
    # guess_label raised ValueError ("Invalid IPv6 URL") out of load_note; in a body, the feeds'
    # urljoin raised it and the whole site was not written
    raw = (b"---\ntitle: URL\nstatus: read\ndate: 2024-01-02\nlinks: ['http://[oops']\n---\n"
           b"[a](http://[x) <a href=\"http://[y\">y</a>\n")
    result = child.call("child_build", {"bad-url.md": raw}, timeout=60)
    assert result["written"] and "notes/bad-url.html" in result["pages"], result["diagnostics"]
    assert not [d for d in result["diagnostics"] if d[0] == "error"], result["diagnostics"]


def test_details_container_ending_in_an_empty_quoted_line_renders(child):
    # IndexError in mdit-py-plugins' container rule
    result = child.call("child_load_and_render", b"---\ntitle: T\n---\n> ::: details x\n> ", timeout=30)
    assert "<details>" in result["html"] and "<summary>x</summary>" in result["html"]


def test_table_pipe_stand_in_does_not_leak_into_excerpt_or_headings(child):
    body = "|*|$a|b$5 text\n\n## Heading $x|y$7 |\n"
    result = child.call("child_load_and_render", ("---\ntitle: T\n---\n" + body).encode(), timeout=30)
    assert PIPE_STAND_IN not in result["excerpt"] and "|" in result["excerpt"]
    assert all(PIPE_STAND_IN not in text and PIPE_STAND_IN not in ident for _, ident, text in result["headings"])


@pytest.mark.parametrize("tex", [
    r"\genfrac(){0pt}{ }{a}{b}", r"\genfrac(){0pt}{\,}{a}{b}", r"\genfrac(){0pt}{{}}{a}{b}", r"\genfrac(){0pt}\x{a}{b}",
    r"\genfrac{(}{)}{0pt}\x{}{a}{b}", r"\begin{CD} A @ \end{CD}", r"\begin{CD} A @{x} B \end{CD}",
    r"\begin{CD} A @x^2 B \end{CD}", r"\begin{CD} A @\\ B \end{CD}", r"\begin{CD} A @& B \end{CD}",
])
def test_katex_inputs_that_threw_are_stopped_before_the_engine(child, tex):
    kind, message = child.call("child_math", tex, True, timeout=30)
    assert kind == "error" and "disabled" not in message, (kind, message)


@pytest.mark.parametrize("tex", [r"\genfrac(){0pt}{1}{a}{b}", r"\genfrac{[}{]}{}{}{n}{k}",
                                 r"\begin{CD} A @>a>> B \\ @VbVV @AAcA \\ C @= D \end{CD}"])
def test_good_genfrac_and_cd_still_convert(child, tex):
    assert child.call("child_math", tex, True, timeout=30)[0] == "ok"


@pytest.mark.parametrize("tex", [
    r"\boxed{" * 27 + "x" + "}" * 27, "{" * 151 + "x" + "}" * 151, r"\left(" * 96 + "x" + r"\right)" * 96,
    r"\frac{" * 82 + "x" + "}{y}" * 82, r"\left[ \log \sigma\left( r_\theta" * 100 + "x",  # as the fuzzer found it
])
def test_deeply_nested_formula_is_refused_before_it_overflows_the_engines_stack(child, tex):
    # QuickJS ran out of stack and KaTeX threw "stack size exceeded" (an InternalError)
    kind, message = child.call("child_math", tex, True, timeout=30)
    assert kind == "error" and "levels deep" in message, (kind, message)


def test_nesting_up_to_the_limit_still_converts(child):
    assert child.call("child_math", r"\boxed{" * 20 + "x" + "}" * 20, True, timeout=30)[0] == "ok"


def test_very_long_formula_is_refused_at_once(child):
    # 500 KB inside one $$ … $$ took KaTeX 13 s (16 s and 450 MB per MB of TeX)
    kind, message = child.call("child_math", "x + " * 50_000, True, timeout=10)
    assert kind == "error" and "long" in message


#: (repeated text, size in bytes): each was quadratic (or worse) in the note's length
SCALING = [
    ("\\[\n", 16_000),            # 8 KB took 145 s: every \[ line scanned, and copied, all the lines after it
    ("\\begin{align}\n", 64_000),  # mdit-py-plugins' amsmath rule scanned to the end from every opener
    ("$$a\n\n", 8_000),             # dollarmath's block rule, the same (16 KB took 15 s)
    ("\\( x", 64_000),             # \( without \): the rest of the paragraph searched from each one
    ("a:", 32_000),                # gfm autolink: a regular expression over all the text before every ':'
    ("http:", 32_000),
    (":smile:", 32_000),
    ("# x\n", 24_000),             # anchors: the n-th '# x' tried x-1 … x-n for a free id
]


@pytest.mark.parametrize("pattern, size", SCALING, ids=[p for p, _ in SCALING])
def test_render_time_grows_linearly(child, pattern, size):
    small = child.call("child_render_seconds", pattern * (size // len(pattern)), timeout=60)
    large = child.call("child_render_seconds", pattern * (4 * size // len(pattern)), timeout=60)
    # linear: about x4 for x4 the text; quadratic: x16
    assert large < 1.0 or large < 9 * max(small, 0.02), f"{small:.2f} s, then {large:.2f} s for 4 times the text"


def test_heading_ids_are_the_anchor_plugins_ids(child):
    # the ids now come from papernotes (linear), and must be what the plugin gave before
    from mdit_py_plugins.anchors.index import unique_slug

    titles = ["a", "a", "a-1", "a", "A", "a-2", "a 1", "b", "a"]
    body = "".join(f"## {t}\n\n" for t in titles)
    result = child.call("child_load_and_render", ("---\ntitle: T\n---\n" + body).encode(), timeout=30)
    from papernotes.urls import slugify

    taken: set[str] = set()
    assert [i for _, i, _ in result["headings"]] == [unique_slug(slugify(t, "section"), taken) for t in titles]


def test_autolinks_are_unchanged(child):
    body = ("see https://example.org/a_b?x=1, http://x.y and www.example.org/z; mail me at first.last.name@example.org "
            "or mailto:a@b.co, xmpp:me@jabber.org; not a:b or 10:30:00 or http:/x\n")
    html = child.call("child_load_and_render", ("---\ntitle: T\n---\n" + body).encode(), timeout=30)["html"]
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs == ["https://example.org/a_b?x=1", "http://x.y", "http://www.example.org/z",
                     "mailto:first.last.name@example.org", "mailto:a@b.co", "xmpp:me@jabber.org"]


def test_imported_note_with_a_nul_byte_loads(tmp_path):
    # the posts importer kept a NUL byte in the body; the note it wrote was refused as binary
    post = b"---\ntitle: Post\n---\nBody with a NUL \x00 byte.\n"
    _import_and_reload(tmp_path, "posts", post)


if __name__ == "__main__" and sys.argv[1:] == ["--child"]:
    child_main()
