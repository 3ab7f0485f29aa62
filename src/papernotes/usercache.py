"""The user's cache folder shared by all their sites (``$XDG_CACHE_HOME/papernotes/``, else
``~/.cache/papernotes/``): what costs time to make and is the same for every site — the math font's
subsets, the theme's compiled templates. A folder that cannot be read or written is not used."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2


def user_cache_dir(part: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "papernotes" / part


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """Jinja's compiled templates kept between runs (compiling the theme took about a fifth of a
    one-note build). Jinja checks each entry against its template's source and Python's version;
    an entry that cannot be read or written is skipped, and the template compiled as without it."""

    def __init__(self, directory: Path | None = None) -> None:
        folder = directory or user_cache_dir("templates")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass
        super().__init__(str(folder))

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged or foreign file: compile the template again
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass
