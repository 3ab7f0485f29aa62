"""``papernotes build``: a full refresh of a Project, written to a staging folder and swapped in."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .config import SiteConfig
from .diagnostics import Diagnostics
from .output import Staging
from .parallel import default_jobs
from .project import Project
from .search import build_index


@dataclass
class BuildResult:
    config: SiteConfig
    diagnostics: Diagnostics
    notes: int = 0
    pages: int = 0
    files: int = 0
    seconds: float = 0.0
    written: bool = False  # the output folder now holds this build
    failed_notes: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # every file written, site-relative
    search_seconds: float | None = None  # None: no search index was built

    @property
    def ok(self) -> bool:
        return not self.diagnostics.errors


@dataclass
class BuildOptions:
    root: Path
    output: Path | None = None  # overrides the config's output folder
    strict: bool = False
    search: bool = True  # build the Pagefind search index
    jobs: int = 0  # worker processes; 0: one per CPU


def build(options: BuildOptions) -> BuildResult:
    jobs = options.jobs or default_jobs()
    project = Project(options.root, output=options.output, jobs=jobs)
    return build_project(project, strict=options.strict, search=options.search)


def build_project(project: Project, strict: bool = False, search: bool = True) -> BuildResult:
    """Build everything into a staging folder and swap it in; keep the old site when a template
    failed (pages would be missing) or, with ``strict``, when there was any problem."""
    started = time.perf_counter()
    output_dir = project.prepare()  # reads the config: where the site goes, refused if unsafe
    staging = Staging.create(output_dir)
    try:
        report = project.refresh(staging, None)
        assert project.config is not None
        result = BuildResult(project.config, report.diagnostics, notes=report.notes, pages=report.pages,
                             files=len(report.written), failed_notes=report.failed_notes, paths=report.written)
        if search and not report.template_failed:
            index = build_index(staging.path)
            result.search_seconds = index.seconds if index.ok else None
            if not index.ok:
                result.diagnostics.warn("search", None, f"search index not built: {index.problem}; "
                                        "the site works without search")
        if report.template_failed or (strict and result.diagnostics.items):
            staging.discard()
        else:
            staging.commit()
            result.written = True
    except BaseException:
        staging.discard()
        raise
    result.seconds = time.perf_counter() - started
    return result
