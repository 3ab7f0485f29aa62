"""A site kept in memory between builds, so that a rebuild redoes only what a change touched.

``Project.refresh(None)`` loads, renders and emits everything (what ``papernotes build`` does);
``Project.refresh(paths)`` takes the paths a file watcher saw change and redoes only:

* the notes whose files changed (re-read, re-rendered), and the notes whose links pointed at a
  path that changed (a link target appeared, vanished or was renamed);
* the output files whose dependencies intersect the changed notes, whose dependency set itself
  changed (a note moved in or out of a list, a neighbour changed), or that are new; outputs that
  no longer exist are removed.

A change to the config file or a template means a full rebuild; a theme asset change re-copies the
theme's assets. The result is byte-for-byte what a fresh full build of the same files writes
(``tests/test_incremental.py`` checks it over random sequences of edits).
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import jinja2

from .config import SiteConfig, load_config
from .diagnostics import Diagnostic, Diagnostics, NoteError
from .emit import EmitContext, Output, default_emitters
from .loader import display_path, dedupe_slugs, is_ignored, is_note_file, load_note, walk
from .model import Note, RenderedNote
from .output import check_output_dir
from .render import NoteRenderer
from .render.links import LinkTargets
from .site import build_site
from .theme import Theme

#: Exceptions a template can raise while rendering (Jinja's own, and Python's from expressions).
TEMPLATE_ERRORS = (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, AttributeError)


class Writer(Protocol):
    def write(self, rel: str, data: bytes) -> None: ...
    def copy(self, rel: str, source: Path) -> None: ...
    def remove(self, rel: str) -> None: ...


@dataclass
class NoteRecord:
    source: Path
    note: Note | None  # None when the file has an error
    load_diagnostics: list[Diagnostic] = field(default_factory=list)
    render_diagnostics: list[Diagnostic] = field(default_factory=list)
    rendered: RenderedNote | None = None


@dataclass
class RefreshReport:
    full: bool
    diagnostics: Diagnostics  # every problem the site has now, not only the new ones
    notes: int = 0
    pages: int = 0  # HTML pages in the site
    written: list[str] = field(default_factory=list)  # site paths written by this refresh
    removed: list[str] = field(default_factory=list)  # site paths removed by this refresh
    rendered_notes: int = 0
    template_failed: bool = False
    seconds: float = 0.0
    failed_notes: list[str] = field(default_factory=list)

    @property
    def changed_pages(self) -> list[str]:
        return [p for p in self.written + self.removed if p.endswith(".html")]


class Project:
    def __init__(self, root: Path, output: Path | None = None, check_output: bool = True) -> None:
        self.root = root.resolve()
        self.output_override = output
        self.check_output = check_output
        self.renderer = NoteRenderer()
        self.config: SiteConfig | None = None
        self.config_diagnostics = Diagnostics()
        self.theme: Theme | None = None
        self.env: jinja2.Environment | None = None
        self.records: dict[Path, NoteRecord] = {}
        self.assets: set[Path] = set()
        self.outputs: dict[str, Output] = {}
        self.template_diagnostics: list[Diagnostic] = []
        self.slug_diagnostics = Diagnostics()
        self.rewrite_all = False  # set after a template failure: the next refresh writes every output

    # -- paths -------------------------------------------------------------------------------
    @property
    def notes_dir(self) -> Path:
        assert self.config is not None
        return Path(os.path.normpath(self.config.notes_path))

    @property
    def output_dir(self) -> Path:
        assert self.config is not None
        return self.config.output_path

    def watched_paths(self) -> list[Path]:
        """What a watcher should watch: the notes, the site's templates and assets, the config."""
        assert self.config is not None and self.theme is not None
        paths = [self.notes_dir, self.config.config_path.parent]
        paths += [d for d in self.theme.template_dirs + self.theme.asset_dirs]
        return list(dict.fromkeys(Path(os.path.normpath(p)) for p in paths))

    # -- the one entry point ---------------------------------------------------------------------
    def refresh(self, writer: Writer, changed: set[Path] | None = None) -> RefreshReport:
        started = time.perf_counter()
        changed = None if changed is None else {Path(os.path.normpath(p)) for p in changed}
        full = changed is None or self.config is None or self._needs_full(changed)
        if full:
            report = self._full(writer)
        else:
            assert changed is not None
            report = self._incremental(writer, changed)
        report.seconds = time.perf_counter() - started
        return report

    def _needs_full(self, changed: set[Path]) -> bool:
        assert self.config is not None and self.theme is not None
        config_file = Path(os.path.normpath(self.config.config_path))
        template_dirs = [Path(os.path.normpath(d)) for d in self.theme.template_dirs]
        template_dirs.append(self.root / "templates")
        asset_dirs = {Path(os.path.normpath(d)) for d in self.theme.asset_dirs}
        for path in changed:
            if path == config_file or any(_under(path, d) for d in template_dirs):
                return True
            # A site that gains or loses its own assets/ folder changes the theme.
            if _under(path, self.root / "assets") and self.root / "assets" not in asset_dirs:
                return True
            if path == self.root / "assets":
                return True
        return False

    # -- full ------------------------------------------------------------------------------------
    def _full(self, writer: Writer) -> RefreshReport:
        self.config_diagnostics = Diagnostics()
        self.config = load_config(self.root, self.config_diagnostics)
        if self.output_override is not None:
            out = self.output_override
            self.config.output = str(out if out.is_absolute() else (Path.cwd() / out).resolve())
        if self.check_output:
            check_output_dir(self.config.output_path, self.root, self.config.notes_path)
        self.theme = Theme.for_site(self.root)
        self.env = self.theme.environment()
        note_paths, asset_paths = walk(self.notes_dir)
        self.assets = {Path(os.path.normpath(p)) for p in asset_paths}
        self.records = {}
        for path in note_paths:
            self._load(Path(os.path.normpath(path)))
        self._dedupe()
        to_render = [r for r in self.records.values() if r.note is not None]
        self._render(to_render)
        outputs = self._collect_outputs()
        report = RefreshReport(full=True, diagnostics=Diagnostics())
        report.rendered_notes = len(to_render)
        self._emit(writer, outputs, lambda output: True, report)
        return self._finish(report, outputs)

    # -- incremental -----------------------------------------------------------------------------
    def _incremental(self, writer: Writer, changed: set[Path]) -> RefreshReport:
        assert self.theme is not None
        affected: set[Path] = set()  # note and asset paths whose state changed
        changed_keys: set[str] = set()
        notes_dir = self.notes_dir
        theme_assets_changed = any(
            _under(p, Path(os.path.normpath(d))) for p in changed for d in self.theme.asset_dirs
        )
        candidates: set[Path] = set()
        for path in changed:
            if not _under(path, notes_dir) or path == notes_dir and not path.exists():
                continue
            if path.is_dir() or not path.exists():
                # A folder created, removed or renamed: everything known or present below it.
                candidates.update(p for p in list(self.records) + list(self.assets) if _under(p, path))
                if path.is_dir():
                    notes, assets = walk(path)
                    candidates.update(Path(os.path.normpath(p)) for p in notes + assets)
            if path != notes_dir:
                candidates.add(path)
        old_slugs = {p: r.note.slug for p, r in self.records.items() if r.note is not None}
        old_keys = {p: r.note.key for p, r in self.records.items() if r.note is not None}
        reloaded: list[NoteRecord] = []
        for path in sorted(candidates):
            if _hidden_below(path, notes_dir):
                continue
            exists = path.is_file()
            if is_note_file(path.name):
                if exists:
                    reloaded.append(self._load(path))
                    affected.add(path)
                elif self.records.pop(path, None) is not None:
                    affected.add(path)
            elif not is_ignored(path.name) and not path.suffix.lower() in (".md", ".markdown"):
                if exists:
                    self.assets.add(path)
                    affected.add(path)
                elif path in self.assets:
                    self.assets.discard(path)
                    affected.add(path)
        self._dedupe()
        for path, record in self.records.items():
            if record.note is not None and old_slugs.get(path) != record.note.slug:
                affected.add(path)
        for path in affected:
            if path in old_keys:
                changed_keys.add(old_keys[path])
        # Notes to render again: the reloaded ones, and those whose links looked at a changed path.
        near = affected | {p.parent for p in affected}
        to_render = {id(r): r for r in reloaded if r.note is not None}
        for record in self.records.values():
            if record.note is not None and record.rendered is not None and record.rendered.looked_at & near:
                to_render[id(record)] = record
            if record.note is not None and record.rendered is None:
                to_render[id(record)] = record
        self._render(list(to_render.values()))
        changed_keys.update(r.note.key for r in to_render.values() if r.note is not None)

        outputs = self._collect_outputs()
        previous = self.outputs

        def needs_write(output: Output) -> bool:
            if self.rewrite_all:
                return True
            before = previous.get(output.path)
            if before is None or before.depends_on != output.depends_on:
                return True
            if output.source is not None:
                return output.source in affected or (theme_assets_changed and output.path.startswith("assets/"))
            if output.depends_on is None:
                return bool(changed_keys)
            return bool(output.depends_on & changed_keys)

        report = RefreshReport(full=False, diagnostics=Diagnostics())
        report.rendered_notes = len(to_render)
        self._emit(writer, outputs, needs_write, report)
        return self._finish(report, outputs)

    # -- shared steps -----------------------------------------------------------------------------
    def _load(self, path: Path) -> NoteRecord:
        assert self.config is not None
        record = NoteRecord(source=path, note=None)
        shown = display_path(path, self.root)
        try:
            record.note = load_note(path, self.root, self.notes_dir)
        except NoteError as exc:
            record.load_diagnostics.append(_error(shown, exc.line, exc.message))
        except OSError as exc:
            record.load_diagnostics.append(_error(shown, None, f"cannot be read: {exc.strerror or exc}"))
        self.records[path] = record
        return record

    def _dedupe(self) -> None:
        self.slug_diagnostics = Diagnostics()
        dedupe_slugs([r.note for r in self.records.values() if r.note is not None], self.slug_diagnostics)

    def _targets(self) -> LinkTargets:
        return LinkTargets(
            root=self.root,
            notes_dir=self.notes_dir,
            notes_by_source={p: r.note for p, r in self.records.items() if r.note is not None},
            asset_files=self.assets,
        )

    def _render(self, records: list[NoteRecord]) -> None:
        if not records:
            return
        targets = self._targets()
        for record in records:
            assert record.note is not None
            diagnostics = Diagnostics()
            record.rendered = self.renderer.render(record.note, targets, diagnostics)
            record.render_diagnostics = diagnostics.items

    def _context(self) -> EmitContext:
        assert self.config is not None and self.theme is not None and self.env is not None
        notes = [r.note for r in self.records.values() if r.note is not None]
        site = build_site(self.config, notes)
        rendered = {r.note.key: r.rendered for r in self.records.values() if r.note is not None and r.rendered}
        return EmitContext(site=site, rendered=rendered, theme=self.theme, env=self.env,
                           asset_files=sorted(self.assets))

    def _collect_outputs(self) -> list[Output]:
        ctx = self._context()
        outputs: dict[str, Output] = {}
        for emitter in default_emitters():
            for output in emitter.outputs(ctx):
                outputs.setdefault(output.path, output)
        return list(outputs.values())

    def _emit(self, writer: Writer, outputs: list[Output], needs_write, report: RefreshReport) -> None:
        assert self.theme is not None
        self.template_diagnostics = []
        for output in outputs:
            if not needs_write(output):
                continue
            try:
                if output.source is not None:
                    writer.copy(output.path, output.source)
                elif output.render is not None:
                    writer.write(output.path, output.render())
            except TEMPLATE_ERRORS as exc:
                self.template_diagnostics.append(template_error(exc, output.path, self.theme))
                report.template_failed = True
                continue
            report.written.append(output.path)
        current = {o.path for o in outputs}
        for path in self.outputs:
            if path not in current:
                writer.remove(path)
                report.removed.append(path)

    def _finish(self, report: RefreshReport, outputs: list[Output]) -> RefreshReport:
        if not report.template_failed:
            self.outputs = {o.path: o for o in outputs}
            self.rewrite_all = False
        else:
            # Some pages are stale: remember every path that may exist, and write all next time.
            self.outputs = {**self.outputs, **{o.path: o for o in outputs}}
            self.rewrite_all = True
        report.diagnostics = self.diagnostics()
        report.notes = sum(1 for r in self.records.values() if r.note is not None)
        report.pages = sum(1 for o in outputs if o.path.endswith(".html"))
        report.failed_notes = sorted(display_path(p, self.root) for p, r in self.records.items() if r.note is None)
        return report

    def diagnostics(self) -> Diagnostics:
        result = Diagnostics()
        result.extend(self.config_diagnostics)
        for path in sorted(self.records):
            record = self.records[path]
            result.extend(record.load_diagnostics)
            result.extend(record.render_diagnostics)
        result.extend(self.slug_diagnostics)
        result.extend(self.template_diagnostics)
        return result


def _error(file: str, line: int | None, message: str) -> Diagnostic:
    diagnostics = Diagnostics()
    diagnostics.error(file, line, message)
    return diagnostics.items[0]


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _hidden_below(path: Path, notes_dir: Path) -> bool:
    try:
        parts = path.relative_to(notes_dir).parts
    except ValueError:
        return True
    return any(is_ignored(part) for part in parts[:-1]) or (bool(parts) and parts[-1].startswith("."))


def template_error(exc: Exception, page: str, theme: Theme) -> Diagnostic:
    """A broken template is an error that names the template file and line, not a traceback."""
    name = getattr(exc, "filename", None)
    line = getattr(exc, "lineno", None)
    if name is None:  # a runtime error: the innermost template frame of the traceback says where
        template_dirs = [str(d.resolve()) for d in theme.template_dirs]
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            filename = frame.f_code.co_filename
            if any(filename.startswith(d) for d in template_dirs):
                name, line = filename, lineno
    shown = _relative_to_cwd(name) if name else "templates"
    message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
    return _error(shown, line, f"template error while writing {page}: {message}")


def _relative_to_cwd(name: str) -> str:
    try:
        return Path(name).resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return name
