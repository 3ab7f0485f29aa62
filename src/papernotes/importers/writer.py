"""Turn what the importers read into note files: one file per paper, duplicates merged, names
safe and unique, images copied next to the notes — and nothing existing overwritten without
``--force``. ``plan()`` decides everything; ``apply()`` writes; ``--dry-run`` stops in between."""

from __future__ import annotations

import datetime as dt
import filecmp
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import yaml

from ..diagnostics import NoteError
from ..load.notes import load_note, walk
from ..model import Link, Status
from ..urls import slugify
from .identity import identity_keys
from .model import ImportedNote, ImportProblem, ParsedSource
from .names import safe_stem, unique_path


@dataclass
class ImageCopy:
    source: Path
    target: Path
    origin: str


@dataclass
class PlannedNote:
    note: ImportedNote
    path: Path
    overwrite: bool = False  # replaces an existing note (only with --force)
    images: list[ImageCopy] = field(default_factory=list)

    def text(self) -> str:
        return note_text(self.note)


@dataclass
class ImportPlan:
    notes: list[PlannedNote] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # "a merged into b (same …)"
    skipped: list[str] = field(default_factory=list)  # already imported
    missing_images: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def images(self) -> list[ImageCopy]:
        return [image for planned in self.notes for image in planned.images]


def existing_identities(notes_dir: Path, root: Path) -> dict[str, Path]:
    """Identity key -> note file, for the notes already in the folder."""
    found: dict[str, Path] = {}
    paths, _ = walk(notes_dir)
    for path in paths:
        try:
            note = load_note(path, root, notes_dir)
        except (NoteError, OSError):
            continue
        for key in identity_keys(note.title, [link.url for link in note.links], note.arxiv, note.doi):
            found.setdefault(key, path)
    return found


def _keys(note: ImportedNote) -> set[str]:
    return identity_keys(note.title, [link.url for link in note.links], note.arxiv, note.doi)


def _merge(into: ImportedNote, other: ImportedNote) -> None:
    """Keep the first entry; take from the second what the first lacks."""
    have = {link.url for link in into.links}
    into.links += [link for link in other.links if link.url not in have]
    into.tags = tuple(dict.fromkeys(into.tags + other.tags))
    into.status = into.status or other.status
    into.venue = into.venue or other.venue
    into.year = into.year or other.year
    into.authors = into.authors or other.authors
    into.arxiv = into.arxiv or other.arxiv
    into.doi = into.doi or other.doi
    into.summary = into.summary or other.summary
    into.date = into.date or other.date
    if not into.category:
        into.category = other.category
    if not into.body.strip():
        into.body, into.images = other.body, other.images
    elif other.body.strip() and other.body.strip() != into.body.strip():
        into.body = into.body.rstrip() + "\n\n" + other.body.strip() + "\n"
        into.images += other.images


def plan(sources: list[ParsedSource], notes_dir: Path, root: Path, force: bool = False) -> ImportPlan:
    result = ImportPlan()
    for source in sources:
        result.problems.extend(source.problems)
    existing = existing_identities(notes_dir, root)
    # 1. one entry per paper among the sources
    unique: list[ImportedNote] = []
    owner: dict[str, ImportedNote] = {}
    for source in sources:
        for note in source.notes:
            keys = _keys(note)
            first = next((owner[k] for k in sorted(keys) if k in owner), None)
            if first is not None:
                same = sorted(k.split(":", 1)[0] for k in keys if owner.get(k) is first)
                result.merged.append(f"{note.origin}: same paper as {first.origin} "
                                     f"(same {', '.join(dict.fromkeys(same))}); merged into it")
                _merge(first, note)
                for key in _keys(first):
                    owner.setdefault(key, first)
                continue
            unique.append(note)
            for key in keys:
                owner[key] = note
    # 2. against the notes already there
    taken: set[Path] = set()
    for note in unique:
        match = next((existing[k] for k in sorted(_keys(note)) if k in existing), None)
        if match is not None and not force:
            result.skipped.append(f"{note.origin}: already in {_shown(match, root)} (use --force to replace it)")
            continue
        if match is not None:
            planned = PlannedNote(note, match, overwrite=True)
        else:
            folder = notes_dir / slugify(note.category[0], "notes") if note.category else notes_dir
            path = unique_path(folder, safe_stem(note.title), taken)
            planned = PlannedNote(note, path)
        taken.add(planned.path)
        _plan_images(planned, result, root)
        result.notes.append(planned)
    return result


def _plan_images(planned: PlannedNote, result: ImportPlan, root: Path) -> None:
    folder = planned.path.parent / "images"
    chosen: dict[str, Path] = {}
    for ref in planned.note.images:
        source = _find_case_insensitive(ref.path)
        if source is None:
            result.missing_images.append(f"{planned.note.origin}: image '{ref.written}' not found")
            continue
        target = folder / source.name
        n = 2
        while (target.exists() and not filecmp.cmp(target, source, shallow=False)) or (
                target.name in chosen and chosen[target.name] != source):
            target = folder / f"{source.stem}-{n}{source.suffix}"
            n += 1
        chosen[target.name] = source
        new_ref = "images/" + quote(target.name)
        planned.note.body = replace_reference(planned.note.body, ref.written, new_ref)
        if not any(copy.target == target for copy in planned.images):
            planned.images.append(ImageCopy(source, target, planned.note.origin))


def replace_reference(body: str, written: str, new: str) -> str:
    """Put ``new`` where ``written`` is a link target or a ``src``/``href`` value — not elsewhere
    (``/images/x.png`` must not change ``../images/x.png``, nor text, code or math)."""
    escaped = re.escape(written)
    patterns = [
        (re.compile(r"(\]\(\s*<?)" + escaped + r"(>?(?:\s+[\"'(][^)]*)?\s*\))"), r"\g<1>" + new.replace("\\", "\\\\") + r"\g<2>"),
        (re.compile(r"""((?:src|href)\s*=\s*["'])""" + escaped + r"""(["'])""", re.IGNORECASE),
         r"\g<1>" + new.replace("\\", "\\\\") + r"\g<2>"),
    ]
    for pattern, replacement in patterns:
        body = pattern.sub(replacement, body)
    return body


def _find_case_insensitive(path: Path) -> Path | None:
    if path.is_file():
        return path
    folder = path.parent
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    for name in names:
        if name.lower() == path.name.lower() and (folder / name).is_file():
            return folder / name
    return None


def apply(result: ImportPlan) -> None:
    for planned in result.notes:
        planned.path.parent.mkdir(parents=True, exist_ok=True)
        if planned.overwrite:
            _replace(planned.path, planned.text())
        else:
            # "x": never replaces a file, nor writes through a symbolic link (even a dangling one);
            # the plan never picks an existing path, a race would raise FileExistsError
            with open(planned.path, "x", encoding="utf-8") as handle:
                handle.write(planned.text())
        for image in planned.images:
            image.target.parent.mkdir(parents=True, exist_ok=True)
            if not image.target.exists() and not image.target.is_symlink():
                shutil.copyfile(image.source, image.target)


def _replace(path: Path, text: str) -> None:
    """``--force``: a new file renamed over the note, so that a note that is a symbolic link is
    replaced itself and the file it points to (perhaps outside the notes) is left alone."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "x", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            temporary.unlink()
        except OSError:
            pass
        raise


def front_matter(note: ImportedNote) -> dict:
    data: dict = {"title": note.title, "status": (note.status or Status.UNREAD).value}
    if note.category:
        # A heading such as "CV/NLP" is one category: written as a list, "/" does not nest it.
        parts = list(note.category)
        data["category"] = parts if any("/" in part for part in parts) else "/".join(parts)
    if note.tags:
        data["tags"] = list(note.tags)
    if note.venue:
        data["venue"] = note.venue
    if note.year and (not note.venue or str(note.year) not in note.venue):
        data["year"] = note.year
    if note.authors:
        data["authors"] = list(note.authors)
    if note.date:
        data["date"] = note.date if isinstance(note.date, dt.date) else str(note.date)
    if note.summary:
        data["summary"] = note.summary
    links = _links_mapping(note.links)
    if links:
        data["links"] = links
    if note.arxiv:
        data["arxiv"] = str(note.arxiv)
    if note.doi:
        data["doi"] = note.doi
    for key, value in note.extra.items():
        data.setdefault(key, value)
    return data


def _links_mapping(links: list[Link]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for link in links:
        label, n = link.label or "Link", 2
        while label in mapping and mapping[label] != link.url:
            label = f"{link.label} {n}"
            n += 1
        mapping[label] = link.url
    return mapping


class _NoteDumper(yaml.SafeDumper):
    """Multi-line strings (an own BibTeX entry) as readable literal blocks."""


def _str_representer(dumper: yaml.SafeDumper, value: str):
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_NoteDumper.add_representer(str, _str_representer)


def note_text(note: ImportedNote) -> str:
    header = yaml.dump(front_matter(note), Dumper=_NoteDumper, allow_unicode=True, sort_keys=False, width=10_000)
    # A NUL byte (a damaged source) would make the note read as a binary file; the loader shows
    # one further into a file as U+FFFD, so write that.
    body = note.body.strip("\n").replace("\x00", "\ufffd")
    return f"---\n{header}---\n\n{body}\n" if body else f"---\n{header}---\n"


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
