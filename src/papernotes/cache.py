"""The persistent build cache: ``.papernotes-cache/build.sqlite`` beside the notes.

It remembers, per note file, the validated note and its rendered body (keyed by the file's size
and modification time, and by the versions of everything that renders bodies), and, for the last
build, a fingerprint of all inputs and a manifest of the files it wrote. With it:

* ``papernotes build`` with nothing changed finds the same fingerprint and an intact site, and
  stops (the site is up to date);
* with a few notes changed it restores the last build's state, works out what changed, and
  redoes only that (the same incremental machinery ``serve`` uses), into a staging folder whose
  unchanged files are hard links to the published ones — then swaps it in, as a full build does.

Every row carries a SHA-256 of its payload, checked on read; a corrupted, truncated or foreign
file is detected, ignored and replaced. Deleting the folder is always safe (``papernotes clean``).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import pickle
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from . import __version__

CACHE_DIR = ".papernotes-cache"
CACHE_FILE = "build.sqlite"
SCHEMA = "5"


def render_version(safe: bool = False) -> str:
    """Everything whose version changes how a note body renders."""
    from importlib import metadata

    parts = [f"papernotes={__version__}+{code_fingerprint()}"]
    for package in ("markdown-it-py", "mdit-py-plugins", "pykatex", "pygments", "emoji", "pyyaml"):
        try:
            parts.append(f"{package}={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{package}=?")
    if safe:  # --safe renders differently: never mix its bodies with trusted ones
        try:
            parts.append(f"safe;nh3={metadata.version('nh3')}")
        except metadata.PackageNotFoundError:
            parts.append("safe;nh3=?")
    return ";".join(parts)


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of papernotes' own code and data files: a build cache written by other code (a
    development checkout between two commits, an upgrade that kept the version number) is
    never taken for this code's."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".yaml", ".js") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def stat_stamp(st: os.stat_result) -> str:
    """A file's modification time and size, as the cache and the site manifest compare them."""
    return f"{st.st_mtime_ns}:{st.st_size}"


def file_stamp(path: Path) -> str | None:
    try:
        return stat_stamp(path.stat())
    except OSError:
        return None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class CachedNote:
    stamp: str
    payload: Any  # what Project stores (project.CachedRow)


@dataclass
class LastBuild:
    fingerprint: str
    output_dir: str
    build_id: str
    manifest: dict[str, str] = field(default_factory=dict)  # output file -> "mtime_ns:size"
    theme: str = ""  # fingerprint of templates, assets, config and versions
    assets: dict[str, str] = field(default_factory=dict)  # asset path -> stamp
    notes: int = 0
    pages: int = 0
    failed: list[str] = field(default_factory=list)
    diagnostics: list[list] = field(default_factory=list)  # [severity, file, line, message]


class BuildCache:
    """A thin, fail-safe wrapper around one SQLite file; every failure means "no cache"."""

    def __init__(self, folder: Path, safe: bool = False) -> None:
        self.folder = folder
        self.path = folder / CACHE_FILE
        self.version = render_version(safe)
        self._db: sqlite3.Connection | None = None
        self._pid = os.getpid()
        self.problem: str | None = None  # why the cache was set aside, for a message

    # -- opening ---------------------------------------------------------------------------------
    def open(self) -> bool:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS notes (path TEXT PRIMARY KEY, stamp TEXT NOT NULL, "
                       "payload BLOB NOT NULL, html BLOB NOT NULL, digest TEXT NOT NULL)")
            # what a build made of all notes and a later build may use again (the web of notes)
            db.execute("CREATE TABLE IF NOT EXISTS derived (name TEXT PRIMARY KEY, payload BLOB NOT NULL, "
                       "digest TEXT NOT NULL)")
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            versions = db.execute("SELECT value FROM meta WHERE key = 'render_version'").fetchone()
            if row is None or row[0] != SCHEMA or versions is None or versions[0] != self.version:
                db.execute("DELETE FROM notes")
                db.execute("DELETE FROM derived")
                db.execute("DELETE FROM meta")
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
                db.execute("INSERT INTO meta VALUES ('render_version', ?)", (self.version,))
            self._db = db
            return True
        except (sqlite3.Error, OSError) as exc:
            self.problem = f"the build cache could not be used ({exc}); building without it"
            self._discard_file()
            return False

    def _discard_file(self) -> None:
        self._db = None
        for suffix in ("", "-wal", "-shm"):
            try:
                os.remove(str(self.path) + suffix)
            except OSError:
                pass

    def close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None

    # -- notes -----------------------------------------------------------------------------------
    def load_notes(self) -> dict[str, CachedNote]:
        """Every cached note whose payload checks out (others are left out)."""
        found: dict[str, CachedNote] = {}
        if self._db is None:
            return found
        try:
            for path, stamp, payload, digest in self._db.execute("SELECT path, stamp, payload, digest FROM notes"):
                if _digest(payload) != digest:
                    continue
                try:
                    found[path] = CachedNote(stamp, pickle.loads(payload))
                except Exception:  # noqa: BLE001 - any unreadable entry is simply not used
                    continue
        except sqlite3.Error as exc:
            self.problem = f"the build cache is damaged ({exc}); building without it"
            self.close()
            self._discard_file()
            return {}
        return found

    def _connection(self) -> sqlite3.Connection | None:
        """This process's connection; a forked worker opens its own (SQLite connections must not
        cross a fork)."""
        if self._db is None:
            return None
        if self._pid != os.getpid():
            try:
                self._db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            except sqlite3.Error:
                self._db = None
            self._pid = os.getpid()
        return self._db

    def load_html(self, path: str) -> str | None:
        db = self._connection()
        if db is None:
            return None
        try:
            row = db.execute("SELECT html, digest, payload FROM notes WHERE path = ?", (path,)).fetchone()
        except sqlite3.Error:
            return None
        if row is None or _digest(row[2]) != row[1]:
            return None
        try:
            return bytes(row[0]).decode("utf-8")
        except UnicodeDecodeError:
            return None

    def store_notes(self, entries: Iterable[tuple[str, str, Any, str]], keep: set[str] | None) -> None:
        """Write (path, stamp, payload, html) rows; remove rows for paths not in ``keep`` (None:
        remove nothing)."""
        db = self._connection()
        if db is None:
            return
        rows = []
        for path, stamp, payload, html in entries:  # pickled before the write lock is taken
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            rows.append((path, stamp, data, html.encode("utf-8"), _digest(data)))
        try:
            db.execute("BEGIN IMMEDIATE")  # workers of one build write side by side: wait, don't fail
            db.executemany("INSERT OR REPLACE INTO notes VALUES (?, ?, ?, ?, ?)", rows)
            if keep is not None:
                known = [row[0] for row in db.execute("SELECT path FROM notes")]
                db.executemany("DELETE FROM notes WHERE path = ?", [(p,) for p in known if p not in keep])
            db.execute("COMMIT")
        except sqlite3.Error:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    # -- made of all notes -------------------------------------------------------------------------
    def load_derived(self, name: str) -> Any:
        """What ``store_derived`` kept under ``name``, or None (none, or it does not check out)."""
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT payload, digest FROM derived WHERE name = ?", (name,)).fetchone()
            if row is None or _digest(row[0]) != row[1]:
                return None
            return pickle.loads(row[0])
        except Exception:  # noqa: BLE001 - a damaged or foreign entry is simply not used
            return None

    def store_derived(self, name: str, value: Any) -> None:
        db = self._connection()
        if db is None:
            return
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            db.execute("INSERT OR REPLACE INTO derived VALUES (?, ?, ?)", (name, data, _digest(data)))
        except (sqlite3.Error, pickle.PicklingError):
            pass

    # -- the last build ----------------------------------------------------------------------------
    @classmethod
    def read_last_build(cls, folder: Path) -> LastBuild | None:
        """The last build of the cache in ``folder``, read only (whatever code wrote it)."""
        cache = cls(folder)
        try:
            cache._db = sqlite3.connect(f"{(folder / CACHE_FILE).resolve().as_uri()}?mode=ro", uri=True)
        except (sqlite3.Error, OSError, ValueError):
            return None
        try:
            return cache.last_build()
        finally:
            cache.close()

    def last_build(self) -> LastBuild | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'last_build'").fetchone()
            if row is None:
                return None
            digest, _, text = row[0].partition(" ")
            if _digest(text.encode()) != digest:
                return None
            return LastBuild(**json.loads(text))
        except (sqlite3.Error, ValueError, KeyError, TypeError):
            return None

    def references_of(self, build_id: str) -> tuple[bool, str | None]:
        """The data/references.json the build ``build_id`` read: (known, its text or None when
        there was no file). Not known: an older cache, or stored by another build."""
        if self._db is None:
            return False, None
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'references'").fetchone()
            data = json.loads(row[0]) if row is not None else None
            if not isinstance(data, dict) or data.get("build_id") != build_id:
                return False, None
            text = data.get("text")
            return True, text if isinstance(text, str) else None
        except (sqlite3.Error, ValueError):
            return False, None

    def store_references(self, build_id: str, text: str | None) -> None:
        if self._db is None:
            return
        try:
            value = json.dumps({"build_id": build_id, "text": text}, ensure_ascii=False)
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('references', ?)", (value,))
        except sqlite3.Error:
            pass

    def store_last_build(self, build: LastBuild | None) -> None:
        if self._db is None:
            return
        try:
            if build is None:
                self._db.execute("DELETE FROM meta WHERE key = 'last_build'")
                return
            # (its fields are plain values already: no deep copy of the 10,000-file manifest)
            text = json.dumps({f.name: getattr(build, f.name) for f in dataclasses.fields(build)})
            value = f"{_digest(text.encode())} {text}"  # the digest of the very text stored
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('last_build', ?)", (value,))
        except sqlite3.Error:
            pass
