"""Turn what the importers read into note files: one file per paper, duplicates merged, names
safe and unique, images copied next to the notes — and nothing existing overwritten without
``--force``. ``plan()`` decides everything; ``apply()`` writes; ``--dry-run`` stops in between."""

from __future__ import annotations

import datetime as dt
import filecmp
import os
import posixpath
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import yaml

from ..diagnostics import NoteError
from ..load.config import CONFIG_NAME
from ..load.notes import load_note, walk
from ..model import Link, Status
from ..urls import slugify
from .identity import IdentityIndex, PaperIdentity, identity_of, normalise_title
from .model import ImageRef, ImportedNote, ImportProblem, ParsedSource
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
class PlannedIntro:
    """A category's introduction, written as ``_index.md`` in its folder (``category`` () is the
    site's own introduction, ``notes/_index.md``)."""

    category: tuple[str, ...]
    path: Path
    text: str
    origin: str
    overwrite: bool = False


@dataclass
class ConfigChange:
    """``category_order`` added to papernotes.yaml (the file created when there is none)."""

    path: Path
    text: str  # what is appended (or the whole file when it is created)
    create: bool
    order: list[str]


@dataclass
class ImportPlan:
    notes: list[PlannedNote] = field(default_factory=list)
    intros: list[PlannedIntro] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # "a 'A' merged into b 'B' (same …)"
    skipped: list[str] = field(default_factory=list)  # already imported
    refused: list[str] = field(default_factory=list)  # --force would have replaced a note it must not
    missing_images: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # merges to look at, paths on the author's machine
    problems: list[ImportProblem] = field(default_factory=list)
    config: ConfigChange | None = None
    notices: list[str] = field(default_factory=list)  # said once, changes nothing

    @property
    def images(self) -> list[ImageCopy]:
        return [image for planned in self.notes for image in planned.images]


#: The first line of the front matter of every note ``import`` writes: what ``--force`` may replace.
PROVENANCE = "# papernotes import:"


@dataclass
class ExistingNote:
    path: Path
    title: str
    by_papernotes: bool  # its front matter was written by ``papernotes import``


def written_by_papernotes(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(512)
    except OSError:
        return False
    lines = head.lstrip("\ufeff").split("\n")
    return len(lines) > 1 and lines[0].strip() == "---" and lines[1].startswith(PROVENANCE)


def existing_notes(notes_dir: Path, root: Path) -> IdentityIndex:
    """The notes already in the folder, by identity."""
    index = IdentityIndex()
    paths, _ = walk(notes_dir)
    for path in paths:
        try:
            note = load_note(path, root, notes_dir)
        except (NoteError, OSError):
            continue
        if note.describes_category:
            continue
        index.add(identity_of(note.title, [link.url for link in note.links], note.arxiv, note.doi),
                  ExistingNote(path, note.title, written_by_papernotes(path)))
    return index


def _identity(note: ImportedNote) -> PaperIdentity:
    return identity_of(note.title, [link.url for link in note.links], note.arxiv, note.doi)


_STATUS_RANK = {Status.READ: 3, Status.SKIMMED: 2, Status.TRIAGE: 1, Status.UNREAD: 0}


def _same_text(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def merge(into: ImportedNote, other: ImportedNote) -> list[str]:
    """Put ``other`` (the same paper, found later) into ``into`` without losing anything: the more
    advanced status, links, tags, both bodies (the second under a heading naming where it came
    from). Returns what a user should look at (differing venues)."""
    notices = []
    have = {link.url for link in into.links}
    into.links += [link for link in other.links if link.url not in have]
    into.tags = tuple(dict.fromkeys(into.tags + other.tags))
    if other.status is not None and (into.status is None or _STATUS_RANK[other.status] > _STATUS_RANK[into.status]):
        into.status = other.status
    other_venue = None
    if into.venue and other.venue and not _same_text(into.venue, other.venue):
        other_venue = other.venue
        notices.append(f"venues differ: '{into.venue}' kept as the venue, '{other.venue}' "
                       f"(from {other.origin}) written in the body")
    into.venue = into.venue or other.venue
    into.year = into.year or other.year
    into.authors = into.authors or other.authors
    into.arxiv = into.arxiv or other.arxiv
    into.doi = into.doi or other.doi
    into.date = into.date or other.date
    into.order = into.order if into.order is not None else other.order
    if not into.category:
        into.category = other.category
    for key, value in other.extra.items():
        into.extra.setdefault(key, value)
    other_summary = other.summary if other.summary and not _same_text(other.summary, into.summary) else None
    into.summary = into.summary or other.summary
    if other_summary and into.summary == other.summary:
        other_summary = None
    other_title = other.title if normalise_title(other.title) != normalise_title(into.title) else None
    body = other.body.strip()
    if body and body == into.body.strip():
        body = ""
    if body or other_title or other_venue or other_summary:
        details = [f"“{other_title}”" if other_title else "", other_venue or ""]
        heading = f"## Also noted in {other.origin}" + (f": {', '.join(d for d in details if d)}" if any(details) else "")
        parts = [into.body.rstrip(), heading]
        if other_summary:
            parts.append(other_summary)
        if body:
            parts.append(body)
        into.body = "\n\n".join(p for p in parts if p).lstrip("\n") + "\n"
        into.images += other.images
        into.note_links += other.note_links
    into.local_paths += [p for p in other.local_paths if p not in into.local_paths]
    return notices


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def _confine(source: ParsedSource, result: ImportPlan) -> None:
    """No file outside the source's folder is read or copied (``..`` and symbolic links resolved)."""
    for note in source.notes:
        kept = []
        for ref in note.images:
            found = _find_case_insensitive(ref.path)  # the file it will be copied from
            if _inside(found or ref.path, source.root):
                kept.append(ImageRef(ref.written, found or ref.path))
            else:
                result.problems.append(ImportProblem(
                    note.origin, None, f"'{ref.written}' leads outside the folder of the source "
                                       f"({source.root}); not copied"))
        note.images = kept
        note.note_links = [link for link in note.note_links if _inside(link.target, source.root)]


def plan(sources: list[ParsedSource], notes_dir: Path, root: Path, force: bool = False) -> ImportPlan:
    result = ImportPlan()
    for source in sources:
        result.problems.extend(source.problems)
        _confine(source, result)
    existing = existing_notes(notes_dir, root)
    # 1. one entry per paper among the sources
    unique: list[ImportedNote] = []
    merged_files: list[tuple[Path, ImportedNote]] = []
    index = IdentityIndex()
    for source in sources:
        for note in source.notes:
            found = index.find(_identity(note))
            if found is None:
                for other in index.sharing_an_id(_identity(note)):
                    assert isinstance(other, ImportedNote)
                    result.warnings.append(_kept_apart(note, other.origin, other.title))
                unique.append(note)
                index.add(_identity(note), note)
                continue
            first, reason = found
            assert isinstance(first, ImportedNote)
            if note.source_file is not None:
                merged_files.append((note.source_file, first))  # links to its file lead to the merged note
            result.merged.append(f"{note.origin} “{note.title}” into {first.origin} “{first.title}” (same {reason})")
            if normalise_title(note.title) != normalise_title(first.title):
                result.warnings.append(f"{note.origin}: “{note.title}” was merged into {first.origin} "
                                       f"“{first.title}” (same {reason}) although the titles differ; check it")
            result.warnings.extend(f"{note.origin}: {notice}" for notice in merge(first, note))
            index.add(_identity(first), first)  # it may have gained an id
    # 2. against the notes already there
    taken: set[Path] = set()
    by_source_file: dict[Path, Path] = {}
    for note in unique:
        match = existing.find(_identity(note))
        if match is None:
            for other in existing.sharing_an_id(_identity(note)):
                assert isinstance(other, ExistingNote)
                result.warnings.append(_kept_apart(note, _shown(other.path, root), other.title))
        if match is not None:
            other, reason = match
            assert isinstance(other, ExistingNote)
            shown = _shown(other.path, root)
            if note.source_file is not None:
                by_source_file[_resolved(note.source_file)] = other.path
            if not force:
                result.skipped.append(f"{note.origin}: already in {shown} (same {reason}; --force replaces it)")
                continue
            refusal = _force_refusal(note, other, reason)
            if refusal:
                result.refused.append(f"{note.origin}: did not replace {shown}: {refusal}")
                continue
            planned = PlannedNote(note, other.path, overwrite=True)
        else:
            path = unique_path(_category_folder(notes_dir, note.category), safe_stem(note.title), taken)
            planned = PlannedNote(note, path)
        taken.add(planned.path)
        if note.source_file is not None:
            by_source_file[_resolved(note.source_file)] = planned.path
        _plan_images(planned, result, root)
        result.notes.append(planned)
    planned_path = {id(p.note): p.path for p in result.notes}
    for file, into in merged_files:
        if id(into) in planned_path:
            by_source_file[_resolved(file)] = planned_path[id(into)]
        elif into.source_file is not None and _resolved(into.source_file) in by_source_file:
            by_source_file[_resolved(file)] = by_source_file[_resolved(into.source_file)]
    for planned in result.notes:
        _point_note_links(planned, by_source_file)
        _report_local_paths(planned, result, root)
    _plan_categories(sources, notes_dir, root, force, result)
    return result


def _kept_apart(note: ImportedNote, other: str, other_title: str) -> str:
    return (f"{note.origin}: “{note.title}” has the same arXiv id or DOI as {other} “{other_title}”, but the "
            "titles are unrelated: imported as two papers; one of the two ids is probably wrong")


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def _force_refusal(note: ImportedNote, other: ExistingNote, reason: str) -> str | None:
    """Why ``--force`` must not replace ``other`` with ``note``, or None."""
    if normalise_title(note.title) != normalise_title(other.title):
        return f"its title “{other.title}” differs from “{note.title}”"
    if not other.by_papernotes and reason not in ("arXiv id", "DOI"):
        return ("it was not written by papernotes import and shares no arXiv id or DOI with the "
                "imported entry (only the title)")
    return None


def _category_folder(notes_dir: Path, category: tuple[str, ...]) -> Path:
    return notes_dir / slugify(category[0], "notes") if category else notes_dir


def _point_note_links(planned: PlannedNote, by_source_file: dict[Path, Path]) -> None:
    """Links to another file of a folder of notes point at the note that file became."""
    for link in planned.note.note_links:
        target = by_source_file.get(_resolved(link.target))
        if target is None:
            continue
        relative = os.path.relpath(target, planned.path.parent).replace(os.sep, "/")
        new = quote(relative, safe="/-_.~") + (f"#{link.fragment}" if link.fragment else "")
        planned.note.body = replace_reference(planned.note.body, link.written, new)


def _report_local_paths(planned: PlannedNote, result: ImportPlan, root: Path) -> None:
    paths = planned.note.local_paths
    if not paths:
        return
    shown = ", ".join(f"'{p}'" for p in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    folder = _shown(planned.path.parent / "images", root)
    name = posixpath.basename(paths[0].replace("\\", "/")) or "image.png"
    result.warnings.append(
        f"{planned.note.origin}: {len(paths)} image{'s' if len(paths) > 1 else ''} on the author's own "
        f"machine, not in the source: {shown}; put the file{'s' if len(paths) > 1 else ''} in {folder}/ and "
        f"write images/{name} in {_shown(planned.path, root)}")


def _plan_categories(sources: list[ParsedSource], notes_dir: Path, root: Path, force: bool,
                     result: ImportPlan) -> None:
    """The sources' category order (into papernotes.yaml) and introductions (``_index.md``)."""
    order: list[str] = []
    intros: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for source in sources:
        for category in source.categories:
            if category.path:
                name = "/".join(category.path)
                if name not in order:
                    order.append(name)
            if category.intro.strip():
                intros.setdefault(category.path, []).append((category.intro.strip(), category.origin))
    for path, texts in intros.items():
        folder = notes_dir.joinpath(*(slugify(part, "category") for part in path)) if path else notes_dir
        target = folder / "_index.md"
        text = intro_text(path, "\n\n".join(t for t, _ in texts), texts[0][1])
        origin = texts[0][1]
        if target.exists() or target.is_symlink():
            if _same_text(_read(target), text):
                continue
            if not (force and written_by_papernotes(target)):
                result.refused.append(f"{origin}: the introduction of '{' / '.join(path) or 'the site'}' was not "
                                      f"written: {_shown(target, root)} exists")
                continue
            result.intros.append(PlannedIntro(path, target, text, origin, overwrite=True))
        else:
            result.intros.append(PlannedIntro(path, target, text, origin))
    if order:
        result.config = _config_change(root, order, result)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def intro_text(category: tuple[str, ...], body: str, origin: str) -> str:
    data: dict = {}
    if category:
        parts = list(category)
        data["category"] = parts if any("/" in part for part in parts) else "/".join(parts)
    header = yaml.dump(data, Dumper=_NoteDumper, allow_unicode=True, sort_keys=False, width=10_000) if data else ""
    return f"---\n{PROVENANCE} {_one_line(origin)}\n{header}---\n\n{body.strip()}\n"


def _config_change(root: Path, order: list[str], result: ImportPlan) -> ConfigChange | None:
    path = root / CONFIG_NAME
    block = yaml.dump({"category_order": order}, Dumper=_NoteDumper, allow_unicode=True, sort_keys=False,
                      width=10_000)
    if not path.exists():
        return ConfigChange(path, block, create=True, order=order)
    text = _read(path)
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError:
        result.notices.append(f"{CONFIG_NAME} could not be read, so the sources' category order was not "
                              f"added; add: category_order: {order}")
        return None
    if not isinstance(data, dict):
        if text.strip():
            result.notices.append(f"{CONFIG_NAME} is not a mapping of settings, so the sources' category order "
                                  f"was not added; add: category_order: {order}")
            return None
        data = {}
    current = data.get("category_order")
    if current is None:
        lead = "" if not text or text.endswith("\n") else "\n"
        return ConfigChange(path, f"{lead}# the order of the imported categories (papernotes import)\n{block}",
                            create=False, order=order)
    known = {str(c).strip().casefold() for c in current} if isinstance(current, list) else set()
    missing = [name for name in order if name.casefold() not in known]
    if missing:
        result.notices.append(f"{CONFIG_NAME} already has a category_order; not changed. To place the imported "
                              f"categories, add: {', '.join(missing)}")
    return None


def _one_line(text: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]", "?", text)


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
    for intro in result.intros:
        intro.path.parent.mkdir(parents=True, exist_ok=True)
        if intro.overwrite:
            _replace(intro.path, intro.text)
        else:
            with open(intro.path, "x", encoding="utf-8") as handle:
                handle.write(intro.text)
    change = result.config
    if change is not None:
        with open(change.path, "x" if change.create else "a", encoding="utf-8") as handle:
            handle.write(change.text)


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
    if note.order is not None:
        data["order"] = note.order
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
    mark = f"{PROVENANCE} {_one_line(note.origin)}\n"
    return f"---\n{mark}{header}---\n\n{body}\n" if body else f"---\n{mark}{header}---\n"


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
