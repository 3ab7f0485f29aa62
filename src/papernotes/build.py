"""``papernotes build``: a full refresh of a Project, written to a staging folder and swapped in."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .cache import CACHE_DIR, BuildCache, LastBuild, file_stamp, render_version, stat_stamp
from .output import MARKER, OutputError, site_files
from .load.notes import display_path
from .load.static import STATIC_DIR, scan_static
from .search import INDEX_DIR, SHARD_LIST, IndexUpdate, PageDigests, remove_index, update_index
from .theme import Theme

from .load.config import SiteConfig
from .diagnostics import Diagnostics
from .output import Staging
from .parallel import default_jobs
from .project import FEED_MEMO, KEY_MEMO, WEB_ENTRY, Project


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
    up_to_date: bool = False  # nothing had changed since the last build: nothing was written
    #: about papernotes' own state (a damaged build cache, rebuilt): printed, never the user's warning
    notices: list[str] = field(default_factory=list)

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
    cache: bool = True  # use (and update) the build cache
    safe: bool = False  # sanitise the raw HTML of note bodies (--safe: notes one did not write)


def build(options: BuildOptions) -> BuildResult:
    jobs = options.jobs or default_jobs()
    project = Project(options.root, output=options.output, jobs=jobs, safe=options.safe)
    return build_project(project, strict=options.strict, search=options.search, use_cache=options.cache)


def build_project(project: Project, strict: bool = False, search: bool = True, use_cache: bool = True) -> BuildResult:
    """Build into a staging folder and swap it in; keep the old site when a template failed (pages
    would be missing) or, with ``strict``, when there was any problem.

    With the build cache: nothing changed since the last build → nothing is done; some notes
    changed → only what they touch is redone, the other files are hard links to the old ones."""
    started = time.perf_counter()
    output_dir = project.prepare()  # reads the config: where the site goes, refused if unsafe
    cache = _open_cache(project) if use_cache else None
    inputs = Inputs.scan(project, search)
    last = cache.last_build() if cache is not None else None
    site_intact = last is not None and _site_is(output_dir, last)
    if last is not None and last.fingerprint == inputs.fingerprint and site_intact:
        return _up_to_date(project, last, started)
    stored_web = None
    if cache is not None:
        project.attach_cache(cache)  # the cached notes: read only now that they are needed
        stored_web = project.lookups.web
    try:
        staging = Staging.create(output_dir)
    except OSError as exc:
        if cache is not None:
            cache.close()
        raise OutputError(write_problem(exc, output_dir)) from None
    committed = False
    foreign: list[str] = []
    try:
        report = None
        prefilled = False
        if last is not None and last.theme == inputs.theme and site_intact and project.restore(last.assets, last.build_id):
            _prefill(staging, output_dir, last.manifest)
            prefilled = True
            report = project.refresh(staging, inputs.changed_since(last, project))
        if report is None:
            if cache is not None:
                # A full build stores note rows as it goes (parallel workers). Forget the last build
                # first: a build killed after that must not pair the new rows with the old site.
                cache.store_last_build(None)
            report = project.refresh(staging, None)
        assert project.config is not None
        result = BuildResult(project.config, report.diagnostics, notes=report.notes, pages=report.pages,
                             files=len(report.written), failed_notes=report.failed_notes, paths=report.written)
        if cache is not None and cache.problem:
            result.notices.append(f"{CACHE_DIR}: {cache.problem}")
        notes_changed = report.full or any(p.startswith("notes/") and p.endswith(".html")
                                           for p in report.written + report.removed)
        index: IndexUpdate | None = None
        digests: PageDigests | None = None
        if not search:
            index = remove_index(staging.path)
        elif not report.template_failed and (notes_changed or not (staging.path / INDEX_DIR / SHARD_LIST).exists()):
            # Only the shards whose pages changed are indexed again; the others stay hard links.
            digests = PageDigests.load(cache.folder / DIGESTS_FILE) if cache is not None else PageDigests()
            index = update_index(staging.path, digests=digests, jobs=project.jobs)
            result.search_seconds = index.result.seconds if index.result.ok and index.rebuilt else None
            if not index.result.ok:
                problem = index.result
                index = remove_index(staging.path)  # never publish half an index
                if problem.incomplete and _low_on_space(staging.path):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(staging.path / INDEX_DIR))
                result.diagnostics.warn("search", None, f"search index not built: {problem.problem}; "
                                        "the site works without search")
        foreign = foreign_files(output_dir, last, site_intact)  # put there by hand: they go with the old site
        if report.template_failed or (strict and (result.diagnostics.items or foreign)):
            staging.discard()
        else:
            build_id = uuid.uuid4().hex
            staging.commit()
            committed = result.written = True
            if cache is not None:
                # After a prefilled build, only the files it wrote or removed (pages and search
                # index files) differ from the last manifest: no walk over the whole site.
                manifest = None
                if prefilled:
                    assert last is not None
                    written, removed = report.written + (index.written if index else []), \
                        report.removed + (index.removed if index else [])
                    manifest = _updated_manifest(output_dir, last.manifest, written, removed)
                _remember(cache, project, inputs, output_dir, build_id, result, manifest, stored_web)
                if digests is not None:
                    digests.save(cache.folder / DIGESTS_FILE)
    except OSError as exc:  # a full or read-only disk, a folder that cannot be written: no traceback
        staging.discard()
        if committed:
            raise
        raise OutputError(write_problem(exc, output_dir)) from None
    except BaseException:
        staging.discard()
        raise
    finally:
        if cache is not None:
            cache.close()
    for rel in foreign:  # (not kept with the last build's warnings: the file is gone)
        what = "removed" if committed else "the next build that writes the site removes it"
        result.diagnostics.warn(display_path(output_dir / rel, project.root), None,
                                f"papernotes did not write this file: {what} (to keep a file in the site, "
                                f"put it in {STATIC_DIR}/{rel})")
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class Inputs:
    """Everything a build reads, as stamps: the theme and config (``theme``), every note and asset."""

    theme: str
    files: dict[str, str]  # note or asset path -> stamp
    search: bool

    @property
    def fingerprint(self) -> str:
        data = json.dumps([self.theme, sorted(self.files.items()), self.search])
        return hashlib.sha256(data.encode()).hexdigest()

    @classmethod
    def scan(cls, project: Project, search: bool) -> "Inputs":
        assert project.config is not None
        theme = Theme.for_site(project.root)
        parts = [render_version(project.safe), str(project.config.config_path), file_stamp(project.config.config_path) or "-"]
        for folder in theme.template_dirs + theme.asset_dirs:
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames.sort()
                for name in sorted(filenames):
                    path = os.path.join(dirpath, name)
                    parts.append(f"{path}={file_stamp(Path(path))}")
        stats: dict[str, os.stat_result] = {}
        notes, assets = project.walk_notes(stats)  # also what restoring from the cache needs
        static = list(scan_static(project.root, project.config.follow_symlinks).files.values())
        data = [project.references_path] if project.references_path.is_file() else []  # data/references.json
        files = {}
        for path in notes + assets + static + data:
            st = stats.get(str(path))
            files[os.path.normpath(path)] = (stat_stamp(st) if st is not None else file_stamp(path)) or "-"
        return cls(hashlib.sha256("\n".join(parts).encode()).hexdigest(), files, search)

    def changed_since(self, last: LastBuild, project: Project) -> set[Path]:
        before = {path: cached.stamp for path, cached in project.cached.items()}
        before.update(last.assets)
        changed = {p for p, stamp in self.files.items() if before.get(p) != stamp}
        changed |= {p for p in before if p not in self.files}
        return {Path(p) for p in changed}


def write_problem(exc: OSError, output_dir: Path) -> str:
    """One line for a failed write: what went wrong, where, and that the previous site is intact."""
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        reason = "the disk is full (no space left on device)"
    elif exc.errno == errno.EFBIG:
        reason = "a file is larger than this system allows (file too large)"
    elif exc.errno == errno.EROFS:
        reason = "the output folder is on a read-only file system"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        reason = "permission denied"
    elif exc.errno == errno.EDQUOT:
        reason = "the disk quota is exceeded"
    where = f" ({exc.filename})" if exc.filename else ""
    return (f"cannot write the site to {output_dir}: {reason}{where}; "
            "nothing was changed, the previous site is as it was")


#: In the build cache's folder: the SHA-1 of every indexed page by its stamp, so that an edit
#: build reads only the pages it wrote to find the shards that changed.
DIGESTS_FILE = "search-pages.json"


def _low_on_space(folder: Path, needed: int = 4 * 1024 * 1024) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < needed


def _open_cache(project: Project) -> BuildCache | None:
    cache = BuildCache(project.root / CACHE_DIR, safe=project.safe)
    cache.open()
    return cache


def _site_is(output_dir: Path, last: LastBuild) -> bool:
    """The output folder still holds exactly what the last build wrote: every file, with the same
    size and modification time (a file edited or written by anything else differs)."""
    if last.output_dir != str(output_dir) or not (output_dir / MARKER).exists():
        return False
    base = str(output_dir) + os.sep
    for rel, stamp in last.manifest.items():
        try:
            st = os.stat(base + rel)
        except OSError:
            return False
        if stat_stamp(st) != stamp:
            return False
    return True


def foreign_files(output_dir: Path, last: LastBuild | None, intact: bool | None = None) -> list[str]:
    """The files in the output folder that the last build did not write (a ``CNAME`` put there by
    hand). Known only while the folder holds what that build wrote, unchanged (the build cache
    says what it wrote; ``intact``: already checked); otherwise none."""
    if last is None or not (intact if intact is not None else _site_is(output_dir, last)):
        return []
    return [rel for rel in site_files(output_dir) if rel not in last.manifest]


def _prefill(staging: Staging, output_dir: Path, manifest: dict[str, str]) -> None:
    """Hard-link the published files into the staging folder; writes there replace, never modify."""
    made: set[str] = set()
    source_root, target_root = str(output_dir) + os.sep, str(staging.path) + os.sep
    for rel in manifest:
        target = target_root + rel
        folder = os.path.dirname(target)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        try:
            os.link(source_root + rel, target)
        except OSError:
            shutil.copyfile(source_root + rel, target)


def _manifest(output_dir: Path) -> dict[str, str]:
    found = {}
    todo = [("", str(output_dir))]
    while todo:
        prefix, folder = todo.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    todo.append((rel + "/", entry.path))
                elif rel != MARKER:
                    found[rel] = stat_stamp(entry.stat(follow_symlinks=False))
    return found


def _updated_manifest(output_dir: Path, manifest: dict[str, str], written: list[str],
                      removed: list[str]) -> dict[str, str]:
    updated = dict(manifest)
    for rel in removed:
        updated.pop(rel, None)
    for rel in written:
        updated[rel] = stat_stamp((output_dir / rel).stat())
    return updated


def _remember(cache: BuildCache, project: Project, inputs: Inputs, output_dir: Path, build_id: str,
              result: BuildResult, manifest: dict[str, str] | None = None, stored_web: object = None) -> None:
    """Keep what the next build starts from; ``stored_web``: the web the cache held already."""
    entries, keep = project.cache_entries()
    cache.store_notes(entries, keep)
    if project.lookups.web is not None and project.lookups.web is not stored_web:
        cache.store_derived(WEB_ENTRY, project.lookups.web)
    if project.env is not None:
        from .emit.bibtex import key_memo

        cache.store_derived(KEY_MEMO, key_memo(project.env))
    # (without the sitemap's list of pages: it is of this build's site model)
    cache.store_derived(FEED_MEMO, dataclasses.replace(project.feed_memo, pages=None))
    cache.store_references(build_id, project.references.text)  # what the pages were made from
    static_dir = str(project.root / STATIC_DIR) + os.sep
    assets = {p: s for p, s in inputs.files.items()
              if not p.lower().endswith((".md", ".markdown")) or p.startswith(static_dir)}
    cache.store_last_build(LastBuild(
        inputs.fingerprint, str(output_dir), build_id, manifest if manifest is not None else _manifest(output_dir),
        theme=inputs.theme, assets=assets,
        notes=result.notes, pages=result.pages, failed=result.failed_notes,
        diagnostics=[[d.severity.value, d.file, d.line, d.message] for d in result.diagnostics.items]))


def _up_to_date(project: Project, last: LastBuild, started: float) -> BuildResult:
    assert project.config is not None
    diagnostics = Diagnostics()
    for severity, file, line, message in last.diagnostics:
        (diagnostics.error if severity == "error" else diagnostics.warn)(file, line, message)
    result = BuildResult(project.config, diagnostics, notes=last.notes, pages=last.pages,
                         failed_notes=list(last.failed), written=True, up_to_date=True)
    result.seconds = time.perf_counter() - started
    return result
