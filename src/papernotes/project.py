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

import copy
import dataclasses
import gc
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NamedTuple, Protocol

import jinja2

from .cache import BuildCache, CachedNote, file_stamp
from .lookups import LinkIndex, NoteTally, OutputIndex, ProjectLookups, RecordNotes
from .load.config import SiteConfig, load_config
from .diagnostics import Diagnostic, Diagnostics, NoteError
from .load.notes import (display_path, dedupe_slugs, unify_categories, is_ignored, is_note_file, is_special_file, leads_outside, load_note,
                         symlink_warning, walk)
from .model import Note, RenderedNote
from . import parallel
from .output import check_output_dir
from .load.site import build_site
from .load.references import DATA_FILE, ReferenceData, load_references
from .load.static import STATIC_DIR, StaticFolder, scan_static
from .theme import Theme

if TYPE_CHECKING:  # imported where used: a build with nothing changed never loads the renderer
    from .emit import EmitContext, Output
    from .render.mathfont import MathFontSubsetter
    from .emit.context import RowCache
    from .emit.times import FeedMemo
    from .render import NoteRenderer
    from .render.links import LinkTargets

#: the build cache's name for the web of notes (emit/web.py WebEntries) the last build made
WEB_ENTRY = "web"
#: ... and for the citation keys last computed (emit/bibtex.py KeyMemo)
KEY_MEMO = "citation-keys"
#: ... and for the notes' update times and sitemap lines (emit/times.py FeedMemo)
FEED_MEMO = "feed-times"

#: ``refresh(shown=…)``: called with the pages written so far and the problems known then
ShownFirst = Callable[[list[str], Diagnostics], None]

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
    stamp: str | None = None  # the file's size and mtime when read
    from_cache: bool = False  # note and rendering restored from the build cache, not re-done


class CachedRow(NamedTuple):
    """What the build cache keeps of one note besides its body's HTML (``CachedNote.payload``)."""

    #: without its ``source``: the row's path is that (unpickling 10,000 Path objects took a third
    #: of the time an edit build spent reading the cache); see ``restored``
    note: Note
    slim: RenderedNote  # the rendering without its HTML
    load_diagnostics: list[Diagnostic]
    render_diagnostics: list[Diagnostic]
    link_states: tuple  # what the paths its links looked at were (see ``link_states``)
    base_key: str  # its citation base key: restored notes need not compute theirs again

    @classmethod
    def of(cls, note: Note, slim: RenderedNote, load_diagnostics: list[Diagnostic],
           render_diagnostics: list[Diagnostic], states: tuple, base_key: str) -> "CachedRow":
        stored = copy.copy(note)
        stored.source = None  # type: ignore[assignment]
        return cls(stored, slim, load_diagnostics, render_diagnostics, states, base_key)

    def restored(self, source: Path) -> Note:
        """The note, with ``source`` (the path of its row) put back."""
        self.note.source = source
        return self.note


class Before(NamedTuple):
    """A note file's state before an incremental rebuild re-read it."""

    note: Note | None
    excerpt: str | None
    links: tuple | None  # its links to other notes
    math_chars: str  # the characters its formulas draw


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
    def __init__(self, root: Path, output: Path | None = None, check_output: bool = True, jobs: int = 1,
                 safe: bool = False, long_lived: bool = False) -> None:
        self.root = root.resolve()
        self.long_lived = long_lived  # kept for many refreshes (serve), not one build
        self.jobs = jobs  # worker processes for a full build (1: everything in this process)
        self.output_override = output
        self.check_output = check_output
        self.safe = safe  # --safe: note bodies' raw HTML is sanitised (notes one did not write)
        self._renderer: NoteRenderer | None = None
        self.config: SiteConfig | None = None
        self.config_diagnostics = Diagnostics()
        self.theme: Theme | None = None
        self.env: jinja2.Environment | None = None
        self.records: dict[Path, NoteRecord] = {}
        self.assets: set[Path] = set()
        self.lookups = ProjectLookups()  # what serve's rebuilds look up instead of passing over all notes
        self._outputs: dict[str, Output] = {}
        self.template_diagnostics: list[Diagnostic] = []
        self.slug_diagnostics = Diagnostics()
        self.skipped_links: set[Path] = set()  # symbolic links in notes/ leading outside, left out
        self.rewrite_all = False  # set after a template failure: the next refresh writes every output
        #: outputs a ``write_later`` left unwritten (a new save came): the next refresh writes them
        self.unwritten: set[str] = set()
        self.records_need_html = False  # after a parallel build: bodies were rendered in workers
        self.cache: BuildCache | None = None
        self.cached: dict[str, CachedNote] = {}
        self._row_cache: RowCache | None = None
        self._feed_memo: FeedMemo | None = None
        self.ctx: EmitContext | None = None
        self.pages = 0  # HTML pages among the outputs
        self.walked: tuple[list[Path], list[Path]] | None = None  # walk_notes() of this build
        self._math_font: MathFontSubsetter | None = None  # the math font's last subset, kept between rebuilds
        self.static = StaticFolder()  # the files of static/, copied into the site as they are
        self.static_problems: list[tuple[str, str]] = []  # static files not copied: (file, why)
        self.references_path = self.root / DATA_FILE  # what ``papernotes refs`` fetched
        self.references = ReferenceData(self.references_path)
        self.references_stamp: str | None = None  # the data file's size and mtime when read
        #: the references in memory may not be those the outputs were made from (restored from the
        #: build cache, which does not keep them): a change to the file then means a full rebuild
        self.references_stale = False

    @property
    def outputs(self) -> dict[str, Output]:
        """Every output of the site by path, as the last refresh made them."""
        return self._outputs

    @outputs.setter
    def outputs(self, outputs: dict[str, Output]) -> None:
        self._outputs = outputs
        self.lookups.outputs = None

    @property
    def renderer(self) -> NoteRenderer:
        if self._renderer is None:
            from .render import NoteRenderer

            self._renderer = NoteRenderer(safe=self.safe)
        return self._renderer

    @property
    def row_cache(self) -> RowCache:
        if self._row_cache is None:
            from .emit.context import RowCache

            self._row_cache = RowCache()
        return self._row_cache

    @property
    def feed_memo(self) -> FeedMemo:
        """Update times and sitemap lines, kept between rebuilds (``emit.times``)."""
        if self._feed_memo is None:
            from .emit.times import FeedMemo

            self._feed_memo = FeedMemo()
        return self._feed_memo

    @property
    def math_font(self) -> MathFontSubsetter:
        if self._math_font is None:
            from .render.mathfont import MathFontSubsetter

            self._math_font = MathFontSubsetter()
        return self._math_font

    # -- paths -------------------------------------------------------------------------------
    @property
    def notes_dir(self) -> Path:
        assert self.config is not None
        return Path(os.path.normpath(self.config.notes_path))

    @property
    def output_dir(self) -> Path:
        assert self.config is not None
        return self.config.output_path

    # -- the one entry point ---------------------------------------------------------------------
    def refresh(self, writer: Writer, changed: set[Path] | None = None,
                later: list[Output] | None = None, shown: ShownFirst | None = None) -> RefreshReport:
        """Rebuild what ``changed`` touched (None: everything). ``later``: an incremental rebuild
        writes first what the changed notes' own pages need (those pages, styles, fonts, copied
        files) and leaves the rest that needs writing there — other pages (lists, the dashboard,
        pages showing a changed title), feeds, the sitemap — for ``write_later``: ``serve`` tells
        open pages to reload in between, so a save shows without waiting for the lists. ``shown``:
        when the site's lists must be worked out again (a title, status, tag… changed), it is
        called with the pages written so far, the changed notes' own, and the problems known then,
        before the site's other outputs and their dependencies are worked out (``serve`` tells
        open pages to reload there)."""
        self.template_diagnostics = []
        started = time.perf_counter()
        changed = None if changed is None else {Path(os.path.normpath(p)) for p in changed}
        # A parallel build keeps no page bodies here, so it cannot be continued incrementally.
        full = changed is None or self.config is None or self.records_need_html or self._needs_full(changed)
        if full:
            self.unwritten = set()  # everything is written
            report = self._full(writer)
        else:
            assert changed is not None
            report = self._incremental(writer, changed, later, shown)
        report.seconds = time.perf_counter() - started
        if self.long_lived:
            # What the site holds now lives long: move it out of the collector's way, so that the
            # next rebuild does not pay for full garbage-collection passes over thousands of notes.
            gc.collect(1)
            gc.freeze()
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
            if self.references_stale and self._touches_references(path):
                return True
        return False

    def _load_references(self) -> None:
        self.references_stamp = file_stamp(self.references_path)
        self.references = load_references(self.references_path)

    def _touches_references(self, path: Path) -> bool:
        """A change to the data file (or to a folder holding it: renamed, removed)."""
        return _under(self.references_path, path)

    # -- full ------------------------------------------------------------------------------------
    def _full(self, writer: Writer) -> RefreshReport:
        if self.jobs > 1 and parallel.can_fork():
            self.load_all(render=False)
            if len(self.records) >= parallel.MIN_NOTES:
                return self._full_parallel(writer)
            self._render([r for r in self.records.values() if r.note is not None])
        else:
            self.load_all()
        self.ctx = self._context()
        outputs = self._collect_outputs(self.ctx)
        report = RefreshReport(full=True, diagnostics=Diagnostics())
        report.rendered_notes = len(self.records)
        self._emit(writer, outputs, lambda output: True, report)
        return self._finish(report, outputs)

    def _full_parallel(self, writer: Writer) -> RefreshReport:
        """The same as a full build, with note bodies rendered and pages written by workers."""
        from .emit.bibtex import prepare_cite_lookup

        by_key = {r.note.key: r for r in self.records.values() if r.note is not None}
        links = self._note_links(by_key)
        self.ctx = ctx = self._context()
        ctx.note_links = links
        outputs = self._collect_outputs(ctx)
        prepare_cite_lookup(ctx)  # once, here: the workers inherit them, the cache keeps them
        ctx.feed_memo.prepare(ctx.site.notes)
        by_path = {o.path: o for o in outputs}
        note_pages = {o.body_of: o for o in outputs if o.body_of is not None}
        report = RefreshReport(full=True, diagnostics=Diagnostics())
        self.template_diagnostics = []
        gc.collect()
        gc.freeze()  # the workers share the parent's pages copy-on-write; don't let gc touch them
        state = parallel.WorkerState(self, ctx, writer, by_path, note_pages, by_key)
        for result in parallel.render_and_write_notes(state, self.jobs):
            record = by_key[result.key]
            record.rendered = result.rendered
            record.render_diagnostics = result.diagnostics
            ctx.rendered[result.key] = result.rendered
            report.written.extend(result.written)
            self.template_diagnostics.extend(result.template_errors)
            record.from_cache = True  # the worker wrote its cache row (or it came from there)
        report.rendered_notes = len(by_key)
        rest = [o.path for o in outputs if o.body_of is None]
        written = parallel.write_outputs(state, rest, self.jobs)
        report.written.extend(written.written)
        self.template_diagnostics.extend(written.template_errors)
        report.template_failed = bool(self.template_diagnostics)
        report.written.sort()
        # The parent holds no page bodies: a later rebuild of this project must render again.
        self.records_need_html = True
        return self._finish(report, outputs)

    def _note_links(self, by_key: dict[str, NoteRecord]) -> dict[str, tuple]:
        """Every note's links to other notes: from the build cache, or parsed (by workers)."""
        targets = self._targets()
        links: dict[str, tuple] = {}
        for key, record in by_key.items():
            if record.from_cache and self._restore_rendering(record, targets):
                assert record.rendered is not None
                links[key] = record.rendered.note_links
        missing = [key for key in by_key if key not in links]
        links.update(parallel.note_links(self, by_key, missing, self.jobs))
        return links

    def prepare(self) -> Path:
        """Read the config; returns the output folder (raises OutputError when it is unsafe)."""
        self._load_config()
        return self.output_dir

    def _load_config(self) -> None:
        self.config_diagnostics = Diagnostics()
        self.config = load_config(self.root, self.config_diagnostics)
        if self.output_override is not None:
            out = self.output_override
            self.config.output = str(out if out.is_absolute() else (Path.cwd() / out).resolve())
        if self.check_output:
            check_output_dir(self.config.output_path, self.root, self.config.notes_path)

    def load_all(self, render: bool = True, from_cache_only: bool = False) -> None:
        """Read the config, the theme and every note, and render every note (no output).

        ``from_cache_only``: the notes of the last build as the cache holds them (no file read)."""
        self.records_need_html = False
        # made of the notes read before (the web and the key memo check themselves)
        self.lookups = ProjectLookups(web=self.lookups.web, key_memo=self.lookups.key_memo)
        self._load_config()
        self.theme = Theme.for_site(self.root)
        self.env = self.theme.environment()
        from .emit.bibtex import adopt_key_memo, base_keys

        if self.lookups.key_memo is not None:
            adopt_key_memo(self.env, self.lookups.key_memo)
        self.static = scan_static(self.root, self.config.follow_symlinks)
        self.records = {}
        self._load_references()
        self.references_stale = from_cache_only
        if from_cache_only:
            if self.walked is None:
                self._walk(self.notes_dir)  # only for the links it leaves out (their warnings)
            # the walk's own Path objects where it found the file (making 10,000 again costs 50 ms)
            walked = {str(p): p for p in self.walked[0]} if self.walked is not None else {}
            bases = base_keys(self.env)
            for path, cached in sorted(self.cached.items()):
                row: CachedRow = cached.payload
                source = walked.get(path) or Path(path)
                note = row.restored(source)
                self.records[source] = NoteRecord(source, note, list(row.load_diagnostics), stamp=cached.stamp,
                                                  from_cache=True)
                bases.remember(note, row.base_key)
            self._dedupe()
            return
        note_paths, asset_paths = self._walk(self.notes_dir)
        self.assets = {Path(os.path.normpath(p)) for p in asset_paths}
        paths = [Path(os.path.normpath(p)) for p in note_paths]
        uncached = sum(1 for p in paths if str(p) not in self.cached)  # cached ones cost nothing to read
        if self.jobs > 1 and uncached >= parallel.MIN_NOTES and parallel.can_fork():
            for record in parallel.load_notes(self, paths, self.jobs):
                self.records[record.source] = record
        else:
            for path in paths:
                self._load(path)
        self._dedupe()
        if render:
            self._render([r for r in self.records.values() if r.note is not None])
        self.row_cache.clear()

    # -- incremental -----------------------------------------------------------------------------
    def _incremental(self, writer: Writer, changed: set[Path], later: list[Output] | None = None,
                     shown: ShownFirst | None = None) -> RefreshReport:
        from .bibtex import key_groups
        from .citations import join, web_changes
        from .emit import (CITED_COUNTS, MATH_CHARACTERS, READ_NEXT, citation_group, citation_lists, links_key, time_key,
                           touches_every_list)

        assert self.theme is not None
        notes_dir = self.notes_dir
        theme_assets_changed = any(
            _under(p, Path(os.path.normpath(d))) for p in changed for d in self.theme.asset_dirs
        )
        assets_before = set(self.assets)
        static_changed = any(_under(p, self.root / STATIC_DIR) for p in changed)
        if static_changed:  # static/ is small: look at all of it again, copy all of it again
            self.static = scan_static(self.root, self.config.follow_symlinks)
        affected, reloaded, before = self._reload(changed, notes_dir)
        references_changed = any(self._touches_references(p) for p in changed)
        if references_changed:
            self._load_references()
        old_web = self.ctx.citations if self.ctx is not None else None
        names_kept = self._names_kept(affected, before)
        for note in ([] if names_kept else self._dedupe()):
            affected.add(Path(os.path.normpath(note.source)))

        # Which notes changed how: a "row" change shows in every list that holds the note
        # (title, status, category, …, the excerpt); a "body" change only on the note's own page.
        row_changed: set[str] = set()
        structure_same = True
        for path in affected:
            old = before[path].note if path in before else None
            record = self.records.get(path)
            new = record.note if record is not None else None
            if old is None and new is None:
                continue
            if old is None or new is None or list_signature(old) != list_signature(new):
                structure_same = False
                row_changed.update(n.key for n in (old, new) if n is not None)
                # the notes sharing its citation base key, before and after (their Cite blocks),
                # and those told apart next to a key it takes (``key_groups``)
                row_changed.update(citation_group(group) for n in (old, new) if n is not None
                                   for group in key_groups(n))
            elif new is not old:
                _update_in_place(old, new)  # lists and pages keep pointing at the same object
                self.records[path].note = old
        if not (structure_same and names_kept):
            self.lookups.wiki = None  # a title or file name may have changed, or a note come or gone
        old_excerpts = {old.note.key: old.excerpt for old in before.values() if old.note is not None}
        old_links = {old.note.key: old.links for old in before.values() if old.note is not None}

        # Notes to render again: the reloaded ones, those whose links looked at a changed path, and
        # those whose wikilinks looked up a name that a changed note had or has (file name, title).
        near = affected | {p.parent for p in affected}
        names = wiki_names_of([n for path in affected for n in (before[path].note if path in before else None,
                                                                 getattr(self.records.get(path), "note", None))])
        to_render = {id(r): r for r in reloaded if r.note is not None}
        for record in self._looking_at(near, names):
            to_render[id(record)] = record
        # The characters the formulas draw, of every note about to change (the site's math font
        # holds the characters of all notes: it is made again when one of these changes).
        old_math = {path: old.math_chars for path, old in before.items()}
        for record in to_render.values():
            if record.note.key not in old_links and record.rendered is not None:
                old_links[record.note.key] = record.rendered.note_links
            if record.rendered is not None:
                old_math.setdefault(record.source, record.rendered.math_chars)
        self._render(list(to_render.values()))
        if self.lookups.links is not None:
            for path in affected:  # notes deleted, or now failing to load: they look at nothing
                record = self.records.get(path)
                if record is None or record.note is None:
                    self.lookups.links.forget(path)
        touched = affected | {r.source for r in to_render.values()}
        body_changed = {r.note.key for r in to_render.values() if r.note is not None}
        for record in to_render.values():
            assert record.note is not None and record.rendered is not None
            if old_excerpts.get(record.note.key) != record.rendered.excerpt_html:
                row_changed.add(record.note.key)
            if old_links.get(record.note.key) != record.rendered.note_links:
                # Other notes' pages show its links (backlinks, related notes): the web changed.
                structure_same = False
                row_changed.add(links_key(record.note.key))
        self.row_cache.forget(row_changed)
        for record in to_render.values():
            old_math.setdefault(record.source, "")
        if any(old != (getattr(self.records.get(path), "rendered", None) or _NO_MATH).math_chars
               for path, old in old_math.items()):
            row_changed.add(MATH_CHARACTERS)  # the math font
        for path in affected:  # outputs that order or date notes by their file's time
            if is_note_file(path.name):
                row_changed.update(time_key(n.key) for n in (before[path].note if path in before else None,
                                                             getattr(self.records.get(path), "note", None))
                                   if n is not None)

        report = RefreshReport(full=False, diagnostics=Diagnostics())
        report.rendered_notes = len(to_render)
        shown_first: set[str] = set()
        if structure_same and self.ctx is not None:
            ctx = self.ctx
            for record in to_render.values():
                assert record.note is not None and record.rendered is not None
                ctx.rendered[record.note.key] = record.rendered
            ctx.asset_files = sorted(self.assets)
            ctx.static_files = self.static.files
            # a theme asset edited, added or deleted: the theme's files are listed again
            same = self.assets == assets_before and not static_changed and not theme_assets_changed
            outputs = None if same else self._collect_outputs(ctx)
            if references_changed:
                ctx.citations = join(ctx.site.notes, self.references)
                outputs = self._collect_outputs(ctx)  # the note pages' dependencies follow their lists
        else:
            ctx = self._context()
            if shown is not None:
                shown_first = self._show_first(writer, ctx, body_changed, touched, report, shown)
            outputs = self._collect_outputs(ctx)
            if self.ctx is not None and ctx.site.page_names != self.ctx.site.page_names:
                # A tag, venue or category moved to another page name (a name now shares its slug
                # with another): every page linking to it changes, wherever the link is.
                self.rewrite_all = True
        self.ctx = ctx
        if old_web is not None and old_web is not ctx.citations:
            change = web_changes(old_web, ctx.citations)
            row_changed |= {citation_lists(key) for key in change.lists}
            if change.read_next:
                row_changed.add(READ_NEXT)
            if change.counts:
                row_changed.add(CITED_COUNTS)
                self.row_cache.forget(change.counts)  # the home page's rows say how often a note is cited
        previous = self.outputs
        owed, self.unwritten = self.unwritten, set()

        def needs_write(output: Output) -> bool:
            if output.path in shown_first:
                return False  # written before the others (``shown``)
            if self.rewrite_all or output.path in owed:
                return True
            earlier = previous.get(output.path)
            if earlier is None or earlier.depends_on != output.depends_on:
                return True
            if output.source is not None:
                return (output.source in affected or (theme_assets_changed and output.path.startswith("assets/"))
                        or (static_changed and _under(output.source, self.root / STATIC_DIR)))
            if output.body_of is not None and output.body_of in body_changed:
                return True
            if output.depends_on is None:
                return touches_every_list(row_changed)
            return bool(output.depends_on & row_changed)

        def first(output: Output) -> bool:  # written before open pages are told to reload
            if output.background:
                return False
            return not output.path.endswith(".html") or output.body_of in body_changed

        if outputs is None:  # the same pages as before: only those that depend on a change
            candidates = self._outputs_touching(row_changed, body_changed, affected)
            if owed:
                found = {output.path for output in candidates}
                candidates += [self.outputs[p] for p in sorted(owed) if p in self.outputs and p not in found]
            self._emit(writer, candidates, needs_write, report, remove_missing=False, later=later, first=first)
            return self._finish(report, None, touched)
        self._emit(writer, outputs, needs_write, report, later=later, first=first)
        return self._finish(report, outputs, touched)

    def _show_first(self, writer: Writer, ctx: EmitContext, body_changed: set[str], touched: set[Path],
                    report: RefreshReport, shown: ShownFirst) -> set[str]:
        """Write the pages of the notes in ``body_changed`` from the new context and hand them to
        ``shown``, before the site's other outputs are worked out; returns their paths."""
        from .emit.bibtex import install_cite_lookup
        from .emit.pages import NotePages

        install_cite_lookup(ctx)  # as collecting all outputs does
        pages = list(NotePages().outputs(ctx, only=body_changed))
        for output in pages:
            self._write_output(writer, output, report)
        shown(list(report.written), self._tallied_diagnostics(touched))
        return {output.path for output in pages}

    def _outputs_touching(self, row_changed: set[str], body_changed: set[str], affected: set[Path]) -> list[Output]:
        from .emit import deferred_may_touch, touches_every_list

        if self.rewrite_all:
            return list(self.outputs.values())
        keys = row_changed | body_changed
        every = touches_every_list(row_changed)
        if self.long_lived:  # serve: looked up (the index is made once per set of outputs)
            return self._output_index().touching(keys, body_changed, affected, every)
        # An output whose dependencies are not worked out yet (a note page) is looked at for the
        # list changes alone: ``needs_write`` passes over it for a body change unless it shows
        # that body, and those say so (``body_of``).
        may_touch = deferred_may_touch(row_changed, {r.note.key for r in self.records.values() if r.note is not None})

        def touches(o: Output) -> bool:
            if o.body_of in body_changed or (o.source is not None and o.source in affected):
                return True
            if o.deferred:
                return may_touch(o.pseudo_kinds) and bool(o.depends_on & row_changed)
            return every if o.depends_on is None else bool(o.depends_on & keys)

        return [o for o in self.outputs.values() if touches(o)]

    def _reload(self, changed: set[Path], notes_dir: Path) -> tuple[set[Path], list[NoteRecord], dict[Path, Before]]:
        """Re-read the notes and assets among ``changed`` (a folder: everything below it).

        Returns the note and asset paths whose state changed, the records read again, and for
        each note path that was loaded before its former note, excerpt and links to other notes.
        """
        before: dict[Path, Before] = {}
        affected: set[Path] = set()
        candidates: set[Path] = set()
        for path in changed:
            if not _under(path, notes_dir) or path == notes_dir and not path.exists():
                continue
            if path.is_dir() or not path.exists():
                # A folder created, removed or renamed: everything known or present below it.
                candidates.update(p for p in list(self.records) + list(self.assets) if _under(p, path))
                if path.is_dir() and not self._left_out(path):
                    notes, assets = self._walk(path)
                    candidates.update(Path(os.path.normpath(p)) for p in notes + assets)
                    # A file moved into a folder that was just created is reported as created
                    # there, but its removal from the old place arrives late (the watcher was not
                    # yet watching the new folder): look now for known notes that are gone.
                    candidates.update(p for p in self.records if not p.exists())
            if path != notes_dir:
                candidates.add(path)
        reloaded: list[NoteRecord] = []
        for path in sorted(candidates):
            if _hidden_below(path, notes_dir):
                continue
            left_out = self._left_out(path)
            if left_out and os.path.islink(path) and leads_outside(path, notes_dir):
                self.skipped_links.add(path)
            special = not left_out and path.is_file() and is_special_file(path)  # an endless /proc file
            if special:
                self.skipped_links.add(path)
            exists = path.is_file() and not left_out and not special
            if path in self.records:
                old = self.records[path]
                before[path] = Before(old.note, old.rendered.excerpt_html if old.rendered else None,
                                      old.rendered.note_links if old.rendered else None,
                                      old.rendered.math_chars if old.rendered else "")
            if is_note_file(path.name):
                if exists:
                    reloaded.append(self._load(path))
                    affected.add(path)
                elif self.records.pop(path, None) is not None:
                    affected.add(path)
            elif not is_ignored(path.name) and path.suffix.lower() not in (".md", ".markdown"):
                if exists:
                    self.assets.add(path)
                    affected.add(path)
                elif path in self.assets:
                    self.assets.discard(path)
                    affected.add(path)
        self.skipped_links = {p for p in self.skipped_links
                              if (os.path.islink(p) and self._left_out(p)) or is_special_file(p)}
        return affected, reloaded, before

    def walk_notes(self, stats: dict[str, os.stat_result] | None = None) -> tuple[list[Path], list[Path]]:
        """The note and asset files of the notes folder now (remembered for ``restore``);
        ``stats``: see ``walk``."""
        self.walked = self._walk(self.notes_dir, stats)
        return self.walked

    def _walk(self, folder: Path, stats: dict[str, os.stat_result] | None = None) -> tuple[list[Path], list[Path]]:
        """``walk`` with the site's rule for symbolic links; remembers the links it leaves out."""
        assert self.config is not None
        skipped: list[Path] = []
        found = walk(folder, within=self.notes_dir, follow_symlinks=self.config.follow_symlinks, skipped=skipped,
                     stats=stats)
        if folder == self.notes_dir:
            self.skipped_links = set()
        self.skipped_links.update(Path(os.path.normpath(p)) for p in skipped)
        return found

    def _left_out(self, path: Path) -> bool:
        """Whether ``walk`` leaves ``path`` out for being, or being below, a symbolic link: one
        leading outside the notes folder, or any linked folder (unless ``follow_symlinks``)."""
        assert self.config is not None
        if self.config.follow_symlinks:
            return False
        notes_dir = self.notes_dir
        try:
            parts = path.relative_to(notes_dir).parts
        except ValueError:
            return True
        current = notes_dir
        for i, part in enumerate(parts):
            current = current / part
            if os.path.islink(current):
                linked_file_inside = i == len(parts) - 1 and not current.is_dir()
                return not linked_file_inside or leads_outside(current, notes_dir)
        return False

    # -- shared steps -----------------------------------------------------------------------------
    def _load(self, path: Path) -> NoteRecord:
        record = self._read(path)
        self.records[path] = record
        return record

    def _read(self, path: Path) -> NoteRecord:
        """The note file at ``path``, validated (or its errors), from the cache when unchanged."""
        assert self.config is not None
        record = NoteRecord(source=path, note=None, stamp=file_stamp(path))
        shown = display_path(path, self.root)
        cached = self.cached.get(str(path))
        if cached is not None and cached.stamp == record.stamp and record.stamp is not None:
            row: CachedRow = cached.payload
            record.note, record.load_diagnostics, record.from_cache = row.restored(path), list(row.load_diagnostics), True
            from .emit.bibtex import base_keys

            base_keys(self.env).remember(row.note, row.base_key)
            return record
        try:
            record.note = load_note(path, self.root, self.notes_dir)
            from .bibtex import own_entry_problem

            for line, message in record.note.notices:
                record.load_diagnostics.append(_warning(shown, line, message))
            problem = own_entry_problem(record.note)
            if problem:
                record.load_diagnostics.append(_warning(shown, record.note.line_of("bibtex"), problem))
        except NoteError as exc:
            record.load_diagnostics.append(_error(shown, exc.line, exc.message))
        except OSError as exc:
            record.load_diagnostics.append(_error(shown, None, f"cannot be read: {exc.strerror or exc}"))
        return record

    def _names_kept(self, affected: set[Path], before: dict[Path, Before]) -> bool:
        """Whether every note re-read keeps its page name and category spelling without looking at
        all notes again (``_dedupe`` is a pass over the whole site): true when only notes that
        were loaded before and still load changed, each with the same file name and the same
        written category — then the old note's page name and spelling are the new one's."""
        pairs = []
        for path in affected:
            old = before[path].note if path in before else None
            record = self.records.get(path)
            new = record.note if record is not None else None
            if old is None or new is None or old.key != new.key or old.base_slug != new.base_slug \
                    or (old.written_category or old.category) != (new.written_category or new.category):
                return False
            pairs.append((old, new))
        for old, new in pairs:
            new.slug, new.category = old.slug, old.category
        return True

    def _dedupe(self) -> list[Note]:
        self.slug_diagnostics = Diagnostics()
        own_pages = frozenset(Path(os.path.relpath(a, self.notes_dir)).as_posix() for a in self.assets
                              if a.name.lower().endswith(".html"))  # a note's page must not replace one
        notes = [r.note for r in self.records.values() if r.note is not None]
        respelled = unify_categories(notes)
        moved = dedupe_slugs(notes, self.slug_diagnostics, own_pages)
        return list({id(n): n for n in respelled + moved}.values())

    def _targets(self) -> LinkTargets:
        from .render.links import LinkTargets

        return LinkTargets(
            root=self.root,
            notes_dir=self.notes_dir,
            notes_by_source=RecordNotes(self.records),
            asset_files=self.assets,
            repository=self.config.repository if self.config is not None else None,
            known_wiki_index=self.lookups.wiki,
        )

    def _render(self, records: list[NoteRecord]) -> None:
        if not records:
            return
        targets = self._targets()
        links = self.lookups.links
        for record in records:
            assert record.note is not None
            if not (record.from_cache and self._restore_rendering(record, targets)):
                diagnostics = Diagnostics()
                record.rendered = self.renderer.render(record.note, targets, diagnostics)
                record.render_diagnostics = diagnostics.items
                record.from_cache = False
            if links is not None:
                links.update(record)
        if "wiki_index" in targets.__dict__:  # made for these notes: the next rebuild's too
            self.lookups.wiki = targets.wiki_index

    def _restore_rendering(self, record: NoteRecord, targets: LinkTargets) -> bool:
        """Use the cached rendering when the note is unchanged and so is every path its links
        looked at (a linked note renamed, an image added…); the body's HTML stays on disk."""
        cached = self.cached.get(str(record.source))
        if cached is None or cached.stamp != record.stamp:
            return False
        row: CachedRow = cached.payload
        if link_states(row.slim, targets) != row.link_states:
            return False
        record.rendered = row.slim
        record.render_diagnostics = list(row.render_diagnostics)
        return True

    # -- the build cache ----------------------------------------------------------------------------
    def attach_cache(self, cache: BuildCache) -> None:
        from .emit.bibtex import KeyMemo
        from .emit.times import FeedMemo
        from .emit.web import WebEntries

        self.cache = cache
        self.cached = cache.load_notes()
        web = cache.load_derived(WEB_ENTRY)
        if isinstance(web, WebEntries):
            self.lookups.web = web  # the last build's: used if the notes' links and lists are the same
        memo = cache.load_derived(KEY_MEMO)
        if isinstance(memo, KeyMemo):
            self.lookups.key_memo = memo
        times = cache.load_derived(FEED_MEMO)
        if isinstance(times, FeedMemo) and self._feed_memo is None:
            self._feed_memo = times  # each entry's key holds all it is made of

    def body_html(self, key: str, rendered: RenderedNote) -> str:
        """The body's HTML, from memory or, for a rendering restored from the cache, from disk."""
        if rendered.html is not None:
            return rendered.html
        record = self.by_key().get(key)
        html = self.cache.load_html(str(record.source)) if self.cache is not None and record else None
        if html is None:  # the cache lost it: render again
            assert record is not None and record.note is not None
            html = self.renderer.render(record.note, self._targets(), Diagnostics()).html or ""
        return html

    def by_key(self) -> dict[str, NoteRecord]:
        return {r.note.key: r for r in self.records.values() if r.note is not None}

    def cache_entries(self) -> tuple[list[tuple[str, str, CachedRow, str]], set[str]]:
        """Rows to store for the notes rendered in this process, and every path to keep."""
        targets = self._targets()
        entries = []
        keep = set()
        for path, record in self.records.items():
            if record.note is None or record.rendered is None or record.stamp is None:
                continue
            keep.add(str(path))
            if record.from_cache or record.rendered.html is None:
                continue
            entries.append((str(path), record.stamp, self._cache_payload(record, targets), record.rendered.html))
        return entries, keep

    def _cache_payload(self, record: NoteRecord, targets: LinkTargets) -> CachedRow:
        assert record.rendered is not None
        from .emit.bibtex import base_keys

        slim = dataclasses.replace(record.rendered, html=None)
        assert self.env is not None and record.note is not None
        return CachedRow.of(record.note, slim, record.load_diagnostics, record.render_diagnostics,
                            link_states(slim, targets), base_keys(self.env)(record.note))

    def restore(self, assets: list[str], build_id: str | None = None) -> bool:
        """Take the last build's notes from the cache as the current state (before looking at what
        changed since), so that ``refresh(changed)`` redoes only what changed. False if it can't."""
        self.load_all(render=False, from_cache_only=True)
        static_dir = self.root / STATIC_DIR  # the last build's static files are among its assets
        self.static.files = {Path(a).relative_to(static_dir).as_posix(): Path(a) for a in sorted(assets)
                             if _under(Path(a), static_dir)}
        self.assets = {Path(a) for a in assets if not _under(Path(a), static_dir) and Path(a) != self.references_path}
        targets = self._targets()
        for record in self.records.values():
            if record.note is None or not self._restore_rendering(record, targets):
                return False
        if self.cache is not None and build_id is not None:
            known = self.cache.references_of(build_id)  # the data file the last build read
            if known[0]:
                self.references = load_references(self.references_path, known)
                self.references_stale = False
        self.ctx = self._context()
        self.outputs = {o.path: o for o in self._collect_outputs(self.ctx)}
        self.pages = sum(1 for o in self.outputs if o.endswith(".html"))
        return True

    def _context(self) -> EmitContext:
        from .citations import join
        from .emit import EmitContext

        assert self.config is not None and self.theme is not None and self.env is not None
        notes = [r.note for r in self.records.values() if r.note is not None]
        site = build_site(self.config, notes)
        rendered = {r.note.key: r.rendered for r in self.records.values() if r.note is not None and r.rendered}
        return EmitContext(site=site, rendered=rendered, theme=self.theme, env=self.env,
                           asset_files=sorted(self.assets), row_cache=self.row_cache, body_html=self.body_html,
                           feed_memo=self.feed_memo,
                           math_font=self.math_font, static_files=self.static.files,
                           citations=join(site.notes, self.references), known_web=self.lookups.web)

    def _collect_outputs(self, ctx: EmitContext) -> list[Output]:
        from .emit import default_emitters
        from .emit.static import static_conflicts

        outputs: dict[str, Output] = {}
        for emitter in default_emitters():
            for output in emitter.outputs(ctx):
                outputs.setdefault(output.path, output)
        self.static_problems = static_conflicts(outputs, ctx.static_files, self.root)
        return list(outputs.values())

    def _emit(self, writer: Writer, outputs: list[Output], needs_write, report: RefreshReport,
              remove_missing: bool = True, later: list[Output] | None = None,
              first: Callable[[Output], bool] = lambda output: not output.background) -> None:
        """Write the outputs that need it; ``later``: those not ``first`` go there instead, for
        ``write_later`` once open pages were told to reload."""
        assert self.theme is not None
        for output in outputs:
            if not needs_write(output):
                continue
            if later is not None and not first(output):
                later.append(output)
                continue
            self._write_output(writer, output, report)
        if not remove_missing:
            return
        current = {o.path for o in outputs}
        for path in self.outputs:
            if path not in current:
                writer.remove(path)
                report.removed.append(path)

    def prepare_lookups(self) -> None:
        """Make the lookups the next incremental refresh will want (``serve``: once the page
        reloaded, so that the next save does not wait for them)."""
        self._output_index()
        self._link_index()

    def _output_index(self) -> OutputIndex:
        if self.lookups.outputs is None:
            self.lookups.outputs = OutputIndex(self.outputs.values())
        return self.lookups.outputs

    def _link_index(self) -> LinkIndex:
        if self.lookups.links is None:
            self.lookups.links = LinkIndex.of(self.records)
        return self.lookups.links

    def write_later(self, writer: Writer, outputs: list[Output], report: RefreshReport,
                    stop: Callable[[], bool] = lambda: False) -> None:
        """The outputs a ``refresh(..., later=[])`` left for afterwards. ``stop``: asked before
        each; once it says so, the rest is left for the next refresh (``serve``: a new save came,
        whose rebuild then writes them; the lists of a status save at 10,000 notes take 0.5 s)."""
        known = len(self.template_diagnostics)
        for number, output in enumerate(outputs):
            if stop():
                self.unwritten.update(o.path for o in outputs[number:])
                break
            self._write_output(writer, output, report)
        report.written.sort()
        if report.template_failed:
            self.rewrite_all = True  # as _finish says after a failure: the next refresh writes every page
            report.diagnostics.extend(self.template_diagnostics[known:])

    def _write_output(self, writer: Writer, output: Output, report: RefreshReport) -> None:
        try:
            if output.source is not None:
                writer.copy(output.path, output.source)
            elif output.render is not None:
                writer.write(output.path, output.render())
        except TEMPLATE_ERRORS as exc:
            assert self.theme is not None
            self.template_diagnostics.append(template_error(exc, output.path, self.theme))
            report.template_failed = True
            return
        report.written.append(output.path)

    def _looking_at(self, near: set[Path], names: set[str]) -> list[NoteRecord]:
        """The notes to render again because their links looked at a path in ``near`` or their
        wikilinks up a name in ``names`` (and those not rendered yet)."""
        if self.long_lived:  # serve: looked up
            found = (self.records.get(path) for path in sorted(self._link_index().looking_at(near, names)))
            return [r for r in found if r is not None and r.note is not None]
        return [r for r in self.records.values() if r.note is not None
                and (r.rendered is None or r.rendered.looked_at & near or r.rendered.wiki_names & names)]

    def _finish(self, report: RefreshReport, outputs: list[Output] | None,
                touched: set[Path] | None = None) -> RefreshReport:
        """``outputs`` None: the set of outputs did not change. ``touched``: the notes this
        incremental refresh read or rendered again (None: any may have changed)."""
        if outputs is not None:
            if not report.template_failed:
                self.outputs = {o.path: o for o in outputs}
                self.pages = sum(1 for o in outputs if o.path.endswith(".html"))
            else:
                # Some pages are stale: remember every path that may exist.
                self.outputs = {**self.outputs, **{o.path: o for o in outputs}}
        # After a template failure the next refresh must write every page again.
        self.rewrite_all = report.template_failed
        if self.ctx is not None and "web" in self.ctx.__dict__:  # made (or taken) by this refresh
            self.lookups.web = self.ctx.web.made_of
        report.diagnostics = self._tallied_diagnostics(touched)
        tally = self.lookups.tally
        assert tally is not None
        report.notes = len(self.records) - len(tally.failed) - len(tally.intros)  # introductions are no papers
        report.pages = self.pages
        report.failed_notes = sorted(display_path(p, self.root) for p in tally.failed)
        return report

    def _tallied_diagnostics(self, touched: set[Path] | None) -> Diagnostics:
        """Every problem of the site, with the tally of notes brought up to date for ``touched``
        (None: counted again over all notes)."""
        tally = self.lookups.tally
        if tally is None or touched is None:
            tally = self.lookups.tally = NoteTally.of(self.records)
        else:
            tally.update(self.records, touched)
        return self.diagnostics([(str(p), r) for p in tally.troubled if (r := self.records.get(p))])

    def diagnostics(self, troubled: list[tuple[str, NoteRecord]] | None = None) -> Diagnostics:
        """Every problem of the site; ``troubled``: the notes with problems, when already known."""
        result = Diagnostics()
        result.extend(self.config_diagnostics)
        if troubled is None:
            troubled = [(str(p), r) for p, r in self.records.items() if r.load_diagnostics or r.render_diagnostics]
        for _, record in sorted(troubled, key=lambda item: item[0]):
            result.extend(record.load_diagnostics)
            result.extend(record.render_diagnostics)
        result.extend(self.slug_diagnostics)
        if self.ctx is not None:
            for note, message in self.ctx.site.notices():
                result.warn(note.rel_path, None, message)
        for link in sorted(self.skipped_links):
            result.warn(display_path(link, self.root), None, symlink_warning(link))
        for path, message in self.static.skipped:
            result.warn(display_path(path, self.root), None, message)
        for shown, message in self.static_problems:
            result.warn(shown, None, message)
        for line, message in self.references.problems:
            result.warn(display_path(self.references_path, self.root), line, message)
        result.extend(self.template_diagnostics)
        return result


def link_states(rendered: RenderedNote, targets: LinkTargets) -> tuple:
    """What each path a note's links looked at is now: a note (and its page), an asset, a folder
    (its listing: letter-case hints depend on it), some other file, or nothing; and which notes
    each name its wikilinks looked up finds now."""
    states: list[tuple] = [("@repository", targets.repository)]  # links to its own files on GitHub
    if rendered.wiki_names:
        index = targets.wiki_index
        states.extend(("@wiki", name, index.state(name)) for name in sorted(rendered.wiki_names))
    for path in sorted(rendered.looked_at):
        note = targets.notes_by_source.get(path)
        if note is not None:
            states.append((str(path), "note", note.url))
        elif path in targets.asset_files:
            states.append((str(path), "asset"))
        elif path.is_dir():
            try:
                states.append((str(path), "dir", tuple(sorted(os.listdir(path)))))
            except OSError:
                states.append((str(path), "dir?"))
        else:
            states.append((str(path), "file" if path.exists() else "missing"))
    return tuple(states)


def wiki_names_of(notes: list[Note | None]) -> set[str]:
    """The names wikilinks may find these notes by."""
    from .render.wikilinks import names_of

    return {name for note in notes if note is not None for name in names_of(note)}


#: A rendering without formulas (for a note that is gone, or failed to load).
_NO_MATH = RenderedNote(html=None, excerpt_html="")


def list_signature(note: Note) -> tuple:
    """Everything about a note that list pages, the site's structure and other notes' pages show."""
    return (note.key, note.slug, note.title, note.status, note.category, note.tags, note.venue,
            note.year, note.authors, note.date, note.summary, str(note.extra.get("bibtex")),
            note.order, note.describes_category,
            # shown in papers.bib, which is not rewritten for edits that change only a body
            note.arxiv, note.doi, note.links)


def _update_in_place(old: Note, new: Note) -> None:
    for item in dataclasses.fields(new):
        setattr(old, item.name, getattr(new, item.name))


def _warning(file: str, line: int | None, message: str) -> Diagnostic:
    diagnostics = Diagnostics()
    diagnostics.warn(file, line, message)
    return diagnostics.items[0]


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
