"""The site's own ``static/`` folder: files copied into the site as they are (as in Hugo)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .notes import _EDITOR_LEFTOVER, is_special_file, leads_outside, symlink_warning

#: The folder of the site root whose files are copied into the site as they are (as in Hugo):
#: ``static/CNAME`` becomes ``site/CNAME``; sub-folders and dotfiles (``.nojekyll``) included.
STATIC_DIR = "static"


def is_static_leftover(name: str) -> bool:
    """What ``static/`` leaves out: editor leftovers and ``.git`` (dotfiles are kept)."""
    return name == ".git" or bool(_EDITOR_LEFTOVER.search(name))


@dataclass
class StaticFolder:
    """The files of ``static/``: site path -> source file, and the ones left out (path, why)."""

    files: dict[str, Path] = field(default_factory=dict)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def scan_static(root: Path, follow_symlinks: bool = False) -> StaticFolder:
    """Every file below ``root/static``, sorted; editor leftovers and ``.git`` folders left out.

    Symbolic links as in ``notes/``: one leading outside ``static/`` (or any linked folder) is
    left out with a warning unless ``follow_symlinks``; a device or pipe is always left out."""
    folder = root / STATIC_DIR
    found = StaticFolder()
    if not folder.is_dir():
        return found
    boundary = os.path.realpath(folder)
    seen = {boundary}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=follow_symlinks):
        base = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            path = base / name
            if is_static_leftover(name):
                continue
            if os.path.islink(path) and not follow_symlinks:
                found.skipped.append((path, "is a symbolic link to a folder: not followed "
                                            "(set 'follow_symlinks: true' in papernotes.yaml to follow it)"))
                continue
            real = os.path.realpath(path)
            if real not in seen:  # a link loop, or a second way into a folder
                seen.add(real)
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = base / name
            if is_static_leftover(name):
                continue
            if not follow_symlinks and os.path.islink(path) and leads_outside(path, boundary):
                found.skipped.append((path, symlink_warning(path).replace("the notes folder", "static/")))
            elif is_special_file(path):
                found.skipped.append((path, symlink_warning(path)))
            elif path.is_file():
                found.files[path.relative_to(folder).as_posix()] = path
    return found
