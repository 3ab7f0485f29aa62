"""Load stage: the files under ``notes/`` become validated Note objects and a list of assets."""

from __future__ import annotations

import dataclasses
from collections import Counter
import os
import stat
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import Diagnostics, NoteError
from .fields import note_fields
from .frontmatter import normalize_text, split
from ..model import Note
from ..urls import is_shortened, slug_path
from .pagenames import distinct_slugs

NOTE_SUFFIXES = (".md", ".markdown")
MAX_NOTE_BYTES = 20 * 1024 * 1024
_EDITOR_LEFTOVER = re.compile(r"(^\.#)|(^#.*#$)|(~$)|(\.(swp|swo|swx|swpx|tmp|bak|orig|rej)$)|(^4913$)|(\.kate-swp$)"
                              r"|(___jb_(tmp|old)___$)")  # JetBrains' safe write


def is_ignored(name: str) -> bool:
    """Hidden files and the leftovers editors write beside a file while saving it."""
    return name.startswith(".") or bool(_EDITOR_LEFTOVER.search(name))


#: The description of a category (or, at the top of notes/, of the site), as in Hugo.
INTRO_NAMES = ("_index.md", "_index.markdown")


def is_category_intro(name: str) -> bool:
    return name.lower() in INTRO_NAMES


def is_note_file(name: str) -> bool:
    return name.lower().endswith(NOTE_SUFFIXES) and not is_ignored(name)


@dataclass
class LoadedNotes:
    notes: list[Note] = field(default_factory=list)
    assets: list[Path] = field(default_factory=list)  # non-Markdown files under notes/
    failed: list[str] = field(default_factory=list)  # rel paths of notes left out


def walk(notes_dir: Path, within: Path | None = None, follow_symlinks: bool = False,
         skipped: list[Path] | None = None,
         stats: dict[str, os.stat_result] | None = None) -> tuple[list[Path], list[Path]]:
    """(note files, asset files) under ``notes_dir``, sorted, skipping hidden and leftover files.

    Symbolic links: a linked file whose target lies outside ``within`` (the notes folder; default
    ``notes_dir``) is left out and added to ``skipped``, and a linked folder is not entered (added
    to ``skipped`` when it leads outside) — unless ``follow_symlinks`` (``follow_symlinks: true``
    in papernotes.yaml): then links are followed wherever they lead, each real folder once.
    ``stats``: filled with ``os.stat`` of the files found, by ``str(path)``, where the walk had
    it (one system call per file instead of three: the stamps of an edit build's scan)."""
    notes: list[Path] = []
    assets: list[Path] = []
    if not notes_dir.is_dir():
        return notes, assets
    boundary = os.path.realpath(within if within is not None else notes_dir)
    seen = {os.path.realpath(notes_dir)}
    for dirpath, dirnames, filenames in os.walk(notes_dir, followlinks=follow_symlinks):
        base = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            if is_ignored(name):
                continue
            path = base / name
            if os.path.islink(path) and not follow_symlinks:
                if leads_outside(path, boundary) and skipped is not None:
                    skipped.append(path)
                continue
            real = os.path.realpath(path)
            if real in seen:  # a link loop, or a second way into a folder already walked
                continue
            seen.add(real)
            kept.append(name)
        dirnames[:] = kept
        entries = _entries(dirpath)
        for name in sorted(filenames):
            if is_ignored(name):
                continue
            path = base / name
            entry = entries.get(name)
            linked = entry.is_symlink() if entry is not None else os.path.islink(path)
            if not follow_symlinks and linked and leads_outside(path, boundary):
                if skipped is not None:
                    skipped.append(path)
                continue
            # a named pipe would block the build forever
            special, st = (is_special_file(path), None) if linked or entry is None else _special_entry(entry, path)
            if special:
                if skipped is not None:
                    skipped.append(path)
                continue
            if stats is not None and st is not None:
                stats[str(path)] = st
            (notes if name.lower().endswith(NOTE_SUFFIXES) else assets).append(path)
    return notes, assets


def _entries(folder: str) -> dict[str, os.DirEntry]:
    """The folder's entries by name (their types come with the listing), or none if unreadable."""
    try:
        with os.scandir(folder) as listing:
            return {entry.name: entry for entry in listing}
    except OSError:
        return {}


def _special_entry(entry: os.DirEntry, path: Path) -> tuple[bool, os.stat_result | None]:
    """``is_special_file`` for an entry that is no symbolic link, and its ``os.stat``."""
    try:
        st = entry.stat()
    except OSError:
        return False, None
    return _special(st, path), (None if stat.S_ISDIR(st.st_mode) else st)


def leads_outside(path: Path, folder: Path | str) -> bool:
    """``path`` (through any symbolic links) ends up outside ``folder``."""
    real, boundary = os.path.realpath(path), os.path.realpath(folder)
    return real != boundary and not real.startswith(boundary.rstrip(os.sep) + os.sep)


def is_special_file(path: Path | str) -> bool:
    """Something that exists but is no ordinary file: a named pipe, a socket, a device, or a file
    that says it is empty but is not (a /proc file such as /proc/self/pagemap: endless)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return _special(st, path)


def _special(st: os.stat_result, path: Path | str) -> bool:
    """``is_special_file`` for the file at ``path``, whose ``os.stat`` is ``st``."""
    if stat.S_ISDIR(st.st_mode):
        return False
    return not stat.S_ISREG(st.st_mode) or (st.st_size == 0 and _holds_data(path))


def _holds_data(path: Path | str) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        return bool(os.read(fd, 4096))  # (whole words: /proc/self/pagemap refuses a read of 1 byte)
    except OSError:  # an empty ordinary file reads as empty
        return True
    finally:
        os.close(fd)


def symlink_warning(path: Path) -> str:
    """The message for a file left out: a symbolic link not followed, or no regular file."""
    if is_special_file(path):
        if os.path.isfile(path):
            return "is not an ordinary file (it holds more than its size says: a /proc or /sys file?): left out"
        return "is not a regular file (a named pipe, socket or device): left out"
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return (f"is a symbolic link to '{target}', outside the notes folder: left out "
            "(set 'follow_symlinks: true' in papernotes.yaml to follow it)")


def read_limited(path: Path, limit: int) -> bytes:
    """A regular file's bytes, at most ``limit`` of them: its size is checked while reading, for a
    file whose size says less than it holds (a /proc file, one growing, a link that changed)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a named pipe: no wait
    with os.fdopen(fd, "rb") as file:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NoteError("is not a regular file (a named pipe, socket or device): left out")
        raw = file.read(limit + 1) if st.st_size <= limit else b""
    if st.st_size > limit or len(raw) > limit:
        size = f"{st.st_size // (1024 * 1024)} MB" if st.st_size > limit else f"over {limit // (1024 * 1024)} MB"
        raise NoteError(f"is {size}; notes larger than {limit // (1024 * 1024)} MB are skipped")
    return raw


def load_note(path: Path, root: Path, notes_dir: Path) -> Note:
    """Read and validate one note; raises NoteError (with a line when known)."""
    raw = read_limited(path, MAX_NOTE_BYTES)
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NoteError("is not a text file (it contains NUL bytes); is it a PDF or image saved as .md?")
    text = decode(raw)
    text = normalize_text(text).replace("\x00", "\ufffd")
    parts = split(text)
    key = path.relative_to(notes_dir).with_suffix("").as_posix()
    folder = tuple(key.split("/")[:-1])
    intro = is_category_intro(path.name)
    fields = note_fields(parts.front.data, parts.front.raw_scalars, parts.body, parts.body_line,
                         fallback_title=(folder[-1] if folder else "") if intro else path.stem,
                         key_lines=parts.front.key_lines, value_lines=parts.front.value_lines,
                         folder=folder, has_front_matter=parts.front.present or intro, title_required=not intro)
    if intro:
        if "category" not in parts.front.data and "categories" not in parts.front.data:
            fields.category = folder  # () for notes/_index.md: the home page
        fields.title = fields.title if "title" in parts.front.data else " / ".join(fields.category)
    slug = slug_for_key(key)
    if is_shortened(key.split("/")):  # said once, when the file is read: not on every rebuild
        fields.notices = (*fields.notices, (None, f"its file name is too long for a page name; its page is "
                                                  f"'notes/{slug}.html'"))
    return Note(
        describes_category=intro,
        source=path,
        rel_path=display_path(path, root),
        key=key,
        slug=slug,
        base_slug=slug,
        written_category=fields.category,
        field_lines=dict(parts.front.key_lines),
        mtime=path.stat().st_mtime,
        **{f.name: getattr(fields, f.name) for f in dataclasses.fields(fields)},
    )


def slug_for_key(key: str) -> str:
    return slug_path(key.split("/"), "note")


def decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:  # an odd number of bytes, or a lone surrogate
            line = raw[: exc.start].decode("utf-16", "replace").count("\n") + 1
            raise NoteError("is not valid UTF-16 (it starts with a UTF-16 byte-order mark); "
                            "save it as UTF-8", line) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise NoteError(f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8", line) from None


def display_path(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def load_notes(root: Path, notes_dir: Path, diagnostics: Diagnostics, follow_symlinks: bool = False) -> LoadedNotes:
    skipped: list[Path] = []
    paths, assets = walk(notes_dir, follow_symlinks=follow_symlinks, skipped=skipped)
    for link in skipped:
        diagnostics.warn(display_path(link, root), None, symlink_warning(link))
    loaded = LoadedNotes(assets=assets)
    for path in paths:
        try:
            note = load_note(path, root, notes_dir)
            loaded.notes.append(note)
            for line, message in note.notices:
                diagnostics.warn(note.rel_path, line, message)
        except NoteError as exc:
            shown = display_path(path, root)
            diagnostics.error(shown, exc.line, exc.message)
            loaded.failed.append(shown)
        except OSError as exc:
            shown = display_path(path, root)
            diagnostics.error(shown, None, f"cannot be read: {exc.strerror or exc}")
            loaded.failed.append(shown)
    unify_categories(loaded.notes)
    dedupe_slugs(loaded.notes, diagnostics)
    return loaded


def unify_categories(notes: list[Note]) -> list[Note]:
    """Categories spelled with other letter case are one category (the folder ``prompting`` and
    ``category: Prompting``, as tags are): each level takes the spelling most notes use (on a tie,
    the first in sort order), so it is the same in every build. Returns the notes whose category
    changed since the last call."""
    written_counts = Counter(note.written_category or note.category for note in notes)  # a few dozen
    counts: dict[tuple[str, ...], dict[str, int]] = {}
    for written, notes_with_it in written_counts.items():
        for depth in range(1, len(written) + 1):
            spellings = counts.setdefault(tuple(p.casefold() for p in written[:depth]), {})
            spellings[written[depth - 1]] = spellings.get(written[depth - 1], 0) + notes_with_it
    chosen = {key: min(spellings, key=lambda s: (-spellings[s], s)) for key, spellings in counts.items()}
    spelled: dict[tuple[str, ...], tuple[str, ...]] = {}
    for written in written_counts:
        folded = tuple(p.casefold() for p in written)
        spelled[written] = tuple(chosen[folded[:depth]] for depth in range(1, len(written) + 1))
    changed: list[Note] = []
    for note in notes:
        category = spelled[note.written_category or note.category]
        if category != note.category:
            note.category = category
            changed.append(note)
    return changed


def dedupe_slugs(notes: list[Note], diagnostics: Diagnostics, own_pages: frozenset[str] = frozenset()) -> list[Note]:
    """Every note its own page: two files whose names slugify alike (``LoRA.md`` and ``lora.md``),
    or a note whose page would replace a file of the user's under notes/ (``own_pages``: their
    paths below notes/, ``foo.html``), get distinct pages by the rule of ``load.pagenames``.

    Warns about each note that moved. Returns the notes whose page name changed since the last
    call. (A file name too long to be a page name as it is is said when the note is loaded.)"""
    by_path = {note.rel_path: note for note in notes}
    own = {page.casefold(): page for page in own_pages}

    def holder(slug: str) -> str | None:
        page = own.get(f"{slug}.html".casefold())
        return f"notes/{page}, a file of yours," if page is not None else None

    choice = distinct_slugs(sorted(by_path), lambda path: by_path[path].base_slug or slug_for_key(by_path[path].key),
                            spelled=lambda path: by_path[path].key, reserved=holder if own else lambda slug: None,
                            exact=lambda path, slug: by_path[path].key.rsplit("/", 1)[-1] == slug.rsplit("/", 1)[-1])
    moved: list[Note] = []
    for path in sorted(by_path):
        note = by_path[path]
        previous, note.slug = note.slug, choice.slugs[path]
        if note.slug != previous:
            moved.append(note)
    for path, wanted, other, got in choice.moved:
        who = by_path[other].rel_path if other in by_path else other
        diagnostics.warn(path, None, f"its page name 'notes/{wanted}.html' is taken by {who}; "
                                     f"its page is 'notes/{got}.html'")
    return moved

