"""``papernotes build``: a full refresh of a Project, written to a staging folder and swapped in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import SiteConfig
from .diagnostics import Diagnostics
from .output import Staging
from .project import Project


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

    @property
    def ok(self) -> bool:
        return not self.diagnostics.errors


@dataclass
class BuildOptions:
    root: Path
    output: Path | None = None  # overrides the config's output folder
    strict: bool = False


def build(options: BuildOptions) -> BuildResult:
    project = Project(options.root, output=options.output)
    return build_project(project, strict=options.strict)


def build_project(project: Project, strict: bool = False) -> BuildResult:
    """Build everything into a staging folder and swap it in; keep the old site when a template
    failed (pages would be missing) or, with ``strict``, when there was any problem."""
    staging: Staging | None = None

    class StagingWriter:
        """Creates the staging folder once the config (and so the output folder) is known."""

        def _staging(self) -> Staging:
            nonlocal staging
            if staging is None:
                staging = Staging.create(project.output_dir)
            return staging

        def write(self, rel: str, data: bytes) -> None:
            self._staging().write(rel, data)

        def copy(self, rel: str, source: Path) -> None:
            self._staging().copy(rel, source)

        def remove(self, rel: str) -> None:
            pass

    writer = StagingWriter()
    try:
        report = project.refresh(writer, None)
        writer._staging()
        assert staging is not None and project.config is not None
        result = BuildResult(project.config, report.diagnostics, notes=report.notes, pages=report.pages,
                             files=len(report.written), failed_notes=report.failed_notes, paths=report.written)
        if report.template_failed or (strict and report.diagnostics.items):
            staging.discard()
        else:
            staging.commit()
            result.written = True
    except BaseException:
        if staging is not None:
            staging.discard()
        raise
    result.seconds = report.seconds
    return result
