"""A cold build spread over worker processes.

Forked workers read and validate the note files (the parent needs every note's metadata for the
site's structure, so they come back to it); the parent builds the site model; forked workers
parse the notes not in the build cache for their links to other notes (every page shows its
backlinks, so all links are needed before the first page is written); then forked workers — which inherit that model, the theme and the output folder, so nothing
big is sent to them — render note bodies and write each note's page at once, sending back only
what list pages need (the excerpt, headings, links looked at, diagnostics). A second round of
workers writes the other pages. The files are byte-for-byte those of a single-process build
(``tests/test_speed.py`` checks it); the rendered bodies never collect in the parent's memory.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic, Diagnostics
from .model import RenderedNote

if TYPE_CHECKING:  # pragma: no cover
    from .emit import Output
    from .emit.context import EmitContext
    from .project import Project, Writer

#: Below this many notes the workers cost more than they save.
MIN_NOTES = 200


@dataclass
class WorkerState:
    """What a worker inherits from the parent at fork time."""

    project: "Project"
    ctx: "EmitContext"
    writer: "Writer"
    outputs: dict[str, "Output"]
    note_pages: dict[str, "Output"]  # note key -> its page
    records: dict  # note key -> NoteRecord
    parent_pid: int | None = field(default_factory=os.getpid)  # the build's process


@dataclass
class NoteResult:
    key: str
    rendered: RenderedNote  # without the body's HTML
    diagnostics: list[Diagnostic]
    written: list[str] = field(default_factory=list)
    template_errors: list[Diagnostic] = field(default_factory=list)


@dataclass
class OutputsResult:
    written: list[str] = field(default_factory=list)
    template_errors: list[Diagnostic] = field(default_factory=list)


# The worker processes' copy of the state (set by the pool's initializer; a fork inherits the
# objects, nothing is pickled). Only workers ever set it.
_WORKER: WorkerState | None = None


def _init_worker(state: WorkerState) -> None:
    global _WORKER
    _WORKER = state
    die_with_parent(state.parent_pid)


def parent_death_signal():
    """A callable that makes the calling process receive SIGKILL when its parent dies (Linux
    ``prctl(PR_SET_PDEATHSIG)``), or None elsewhere. Looked up ahead, so that calling it in a child
    between fork and exec does no more than one system call."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig, sigkill = 1, int(signal.SIGKILL)
    return lambda: prctl(pr_set_pdeathsig, sigkill, 0, 0, 0)


def die_with_parent(parent_pid: int | None) -> None:
    """A worker of a build that is killed (SIGKILL: no clean-up runs) must not live on, writing
    pages into a staging folder the next build removes."""
    arm = parent_death_signal()
    if arm is not None:
        arm()
    if parent_pid is not None and os.getppid() != parent_pid:  # the parent died before that
        os._exit(1)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """Workers are forked; not from a process that already used the math engine (pykatex's copy
    in a child then fails with "size exceeded"), which then builds in one process."""
    from .render.mathml import engine_started

    return "fork" in multiprocessing.get_all_start_methods() and not engine_started()


def _render_chunk(keys: list[str]) -> list[NoteResult]:
    from .project import TEMPLATE_ERRORS, template_error

    state = _WORKER
    assert state is not None
    project, ctx = state.project, state.ctx
    targets = project._targets()
    results = []
    fresh: list[tuple[str, str, object, str]] = []  # rows for the build cache, written from here
    for key in keys:
        record = state.records.get(key)
        assert record is not None and record.note is not None
        fresh_html: str | None = None
        if record.from_cache and project._restore_rendering(record, targets):
            assert record.rendered is not None
            rendered = replace(record.rendered, html=project.body_html(key, record.rendered))
            diagnostics_items = record.render_diagnostics
        else:
            diagnostics = Diagnostics()
            rendered = project.renderer.render(record.note, targets, diagnostics)
            diagnostics_items = diagnostics.items
            fresh_html = rendered.html
        ctx.rendered[key] = rendered
        result = NoteResult(key, replace(rendered, html=None), diagnostics_items)
        if fresh_html is not None and record.stamp is not None and project.cache is not None:
            record.rendered, record.render_diagnostics = result.rendered, diagnostics_items
            fresh.append((str(record.source), record.stamp, project._cache_payload(record, targets), fresh_html))
        page = state.note_pages.get(key)
        if page is not None and page.render is not None:
            try:
                state.writer.write(page.path, page.render())
                result.written.append(page.path)
            except TEMPLATE_ERRORS as exc:
                result.template_errors.append(template_error(exc, page.path, project.theme))
        del ctx.rendered[key]  # keep the worker's memory flat too
        results.append(result)
    if fresh and project.cache is not None:
        project.cache.store_notes(fresh, keep=None)
    return results


def _links_chunk(keys: list[str]) -> list[tuple[str, tuple]]:
    state = _WORKER
    assert state is not None
    project = state.project
    targets = project._targets()
    return [(key, project.renderer.note_links(state.records[key].note, targets).note_links) for key in keys]


def note_links(project: "Project", records: dict, keys: list[str], jobs: int) -> dict[str, tuple]:
    """Each note's links to other notes (parsed only), spread over workers: the pages written
    while rendering show backlinks, so every note's links are needed before any is rendered."""
    if len(keys) < MIN_NOTES:
        targets = project._targets()
        return {key: project.renderer.note_links(records[key].note, targets).note_links for key in keys}
    context = multiprocessing.get_context("fork")
    state = WorkerState(project, None, None, {}, {}, records)  # type: ignore[arg-type]
    found: dict[str, tuple] = {}
    with context.Pool(jobs, initializer=_init_worker, initargs=(state,)) as pool:
        for part in pool.imap_unordered(_links_chunk, _chunks(keys, jobs * 8)):
            found.update(part)
    return found


def _write_chunk(paths: list[str]) -> OutputsResult:
    from .project import TEMPLATE_ERRORS, template_error

    state = _WORKER
    assert state is not None
    result = OutputsResult()
    for path in paths:
        output = state.outputs[path]
        try:
            if output.source is not None:
                state.writer.copy(output.path, output.source)
            elif output.render is not None:
                state.writer.write(output.path, output.render())
        except TEMPLATE_ERRORS as exc:
            result.template_errors.append(template_error(exc, output.path, state.project.theme))
            continue
        result.written.append(path)
    return result


def _chunks(items: list, count: int) -> list[list]:
    size = max(1, -(-len(items) // count))
    return [items[i:i + size] for i in range(0, len(items), size)]


def _load_chunk(paths: list[str]) -> list:
    state = _WORKER
    assert state is not None
    return [state.project._read(Path(p)) for p in paths]


def load_notes(project: "Project", paths: list[Path], jobs: int) -> list:
    """``project._read`` of every path, spread over workers; NoteRecords in the order of ``paths``."""
    context = multiprocessing.get_context("fork")
    state = WorkerState(project, None, None, {}, {}, {})  # type: ignore[arg-type]
    records: list = []
    with context.Pool(jobs, initializer=_init_worker, initargs=(state,)) as pool:
        for part in pool.imap(_load_chunk, _chunks([str(p) for p in paths], jobs * 8)):
            records.extend(part)
    return records


def render_and_write_notes(state: WorkerState, jobs: int) -> list[NoteResult]:
    keys = list(state.note_pages)
    context = multiprocessing.get_context("fork")
    results: list[NoteResult] = []
    with context.Pool(jobs, initializer=_init_worker, initargs=(state,)) as pool:
        for chunk in pool.imap_unordered(_render_chunk, _chunks(keys, jobs * 8)):
            results.extend(chunk)
    return results


def write_outputs(state: WorkerState, paths: list[str], jobs: int) -> OutputsResult:
    context = multiprocessing.get_context("fork")
    total = OutputsResult()
    # Heavy pages first, spread round-robin so each worker gets a share of the long lists.
    ordered = sorted(paths, key=lambda p: (state.outputs[p].depends_on is not None, p))
    chunks = [ordered[i::jobs * 4] for i in range(jobs * 4)]
    with context.Pool(jobs, initializer=_init_worker, initargs=(state,)) as pool:
        for part in pool.imap_unordered(_write_chunk, [c for c in chunks if c]):
            total.written.extend(part.written)
            total.template_errors.extend(part.template_errors)
    return total
