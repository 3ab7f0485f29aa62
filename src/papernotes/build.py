"""One build: load -> render -> emit, assembled in a staging folder and swapped in."""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .config import SiteConfig, load_config
from .diagnostics import Diagnostics
from .emit import EmitContext, Emitter, Output, default_emitters
from .loader import load_notes
from .model import RenderedNote
from .output import Staging, check_output_dir
from .render import NoteRenderer
from .render.links import LinkTargets
from .site import Site, build_site
from .theme import Theme


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

    @property
    def ok(self) -> bool:
        return not self.diagnostics.errors


@dataclass
class BuildOptions:
    root: Path
    output: Path | None = None  # overrides the config's output folder
    strict: bool = False
    live_reload: bool = False


def build(options: BuildOptions) -> BuildResult:
    started = time.perf_counter()
    diagnostics = Diagnostics()
    root = options.root.resolve()
    config = load_config(root, diagnostics)
    if options.output is not None:
        config.output = str(options.output if options.output.is_absolute() else (Path.cwd() / options.output).resolve())
    result = BuildResult(config, diagnostics)
    check_output_dir(config.output_path, root, config.notes_path)

    loaded = load_notes(root, config.notes_path.resolve(), diagnostics)
    result.failed_notes = loaded.failed
    site = build_site(config, loaded.notes)
    rendered = render_notes(site, loaded.assets, root, diagnostics)
    theme = Theme.for_site(root)
    ctx = EmitContext(site=site, rendered=rendered, theme=theme, env=theme.environment(),
                      asset_files=[Path(os.path.normpath(a)) for a in loaded.assets],
                      live_reload=options.live_reload)

    staging = Staging.create(config.output_path)
    template_failed = False
    try:
        for output in collect_outputs(default_emitters(), ctx):
            try:
                write_output(staging, output)
            except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
                report_template_error(exc, output.path, theme, diagnostics)
                template_failed = True
                continue
            result.files += 1
            if output.path.endswith(".html"):
                result.pages += 1
        if template_failed or (options.strict and diagnostics.items):
            # A broken template would publish a site with pages missing: keep the previous one.
            staging.discard()
        else:
            staging.commit()
            result.written = True
    except BaseException:
        staging.discard()
        raise
    result.notes = len(site.notes)
    result.seconds = time.perf_counter() - started
    return result


def render_notes(site: Site, assets: list[Path], root: Path, diagnostics: Diagnostics) -> dict[str, RenderedNote]:
    notes_dir = site.config.notes_path.resolve()
    targets = LinkTargets(
        root=root,
        notes_dir=notes_dir,
        notes_by_source={Path(os.path.normpath(n.source)): n for n in site.notes},
        asset_files={Path(os.path.normpath(a)) for a in assets},
    )
    renderer = NoteRenderer()
    return {note.key: renderer.render(note, targets, diagnostics) for note in site.notes}


def report_template_error(exc: Exception, page: str, theme: Theme, diagnostics: Diagnostics) -> None:
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
    diagnostics.error(shown, line, f"template error while writing {page}: {message}")


def _relative_to_cwd(name: str) -> str:
    try:
        return Path(name).resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return name


def collect_outputs(emitters: list[Emitter], ctx: EmitContext) -> list[Output]:
    outputs: dict[str, Output] = {}
    for emitter in emitters:
        for output in emitter.outputs(ctx):
            outputs.setdefault(output.path, output)
    return list(outputs.values())


def write_output(staging: Staging, output: Output) -> None:
    if output.source is not None:
        staging.copy(output.path, output.source)
    elif output.render is not None:
        staging.write(output.path, output.render())
