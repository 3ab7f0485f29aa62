"""Put a Pagefind bundle's filters in one order, so that the same pages give the same bundle.

Pagefind 1.5 writes the values of each filter (``status``: Read, Unread …) and the list of
filters in its metadata file in hash-map order, which changes from run to run; the files are
named by a hash of their bytes, so the names change too, and with them the metadata file and
``pagefind-entry.json``. ``order_bundle`` sorts both lists and renames the files it rewrote
(same name lengths, a SHA-1 of the new contents). Files are ``pagefind_dcd`` + CBOR, gzipped.

Only the CBOR that Pagefind writes is read (integers, strings, arrays, maps, booleans, null); a
file that does not read back to its own bytes is left as it is, and so is the whole bundle.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

SIGNATURE = b"pagefind_dcd"


class Unreadable(ValueError):
    pass


def _load(data: bytes, at: int = 0):
    head = data[at]
    major, info = head >> 5, head & 31
    at += 1
    if info < 24:
        n = info
    elif info in (24, 25, 26, 27):
        size = 1 << (info - 24)
        n = int.from_bytes(data[at:at + size], "big")
        at += size
    else:
        raise Unreadable(f"CBOR item {head:#x}")
    if major == 0:
        return n, at
    if major == 3:
        return data[at:at + n].decode("utf-8"), at + n
    if major == 4:
        items = []
        for _ in range(n):
            item, at = _load(data, at)
            items.append(item)
        return items, at
    if major == 5:
        mapping = {}
        for _ in range(n):
            key, at = _load(data, at)
            mapping[key], at = _load(data, at)
        return mapping, at
    if major == 7 and info in (20, 21, 22):
        return {20: False, 21: True, 22: None}[info], at
    raise Unreadable(f"CBOR item {head:#x}")


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise Unreadable("integer too large")


def _dump(value) -> bytes:
    if value is False or value is True or value is None:
        return bytes([0xF4 if value is False else 0xF5 if value is True else 0xF6])
    if isinstance(value, int):
        return _head(0, value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(_dump(v) for v in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(_dump(k) + _dump(v) for k, v in value.items())
    raise Unreadable(type(value).__name__)


def read(path: Path):
    data = path.read_bytes()
    if not data.startswith(SIGNATURE):
        data = gzip.decompress(data)
    if not data.startswith(SIGNATURE):
        raise Unreadable(f"{path.name}: no signature")
    value, end = _load(data, len(SIGNATURE))
    if end != len(data) or _dump(value) != data[len(SIGNATURE):]:
        raise Unreadable(f"{path.name}: does not read back to its bytes")
    return value


def _write(folder: Path, old_name: str, value, suffix: str) -> str:
    """Write ``value`` beside ``old_name`` under a name of the same form (``zh-cn_`` + as many
    hex digits) from its contents; remove the old file; return the new hash part of the name."""
    payload = SIGNATURE + _dump(value)
    stem = old_name[: -len(suffix)]
    prefix, _, digits = stem.rpartition("_")
    new_stem = f"{prefix}_{hashlib.sha1(payload).hexdigest()[:len(digits)]}"
    if new_stem != stem:
        (folder / f"{new_stem}{suffix}").write_bytes(gzip.compress(payload, compresslevel=6, mtime=0))
        os.unlink(folder / old_name)
    return new_stem


def order_bundle(bundle: Path) -> bool:
    """Sort the filters of the Pagefind bundle in ``bundle`` in place; False if it could not be
    read (it is then left as Pagefind wrote it)."""
    try:
        entry_path = bundle / "pagefind-entry.json"
        entry_text = entry_path.read_text(encoding="utf-8")
        entry = json.loads(entry_text)
        plans = []
        for language in entry["languages"].values():
            meta_name = f"pagefind.{language['hash']}.pf_meta"
            meta = read(bundle / meta_name)
            filters = meta[3]
            if not (isinstance(filters, list) and all(isinstance(f, list) and len(f) == 2 for f in filters)):
                raise Unreadable("metadata: filters")
            contents = {}
            for name, digest in filters:
                value = read(bundle / "filter" / f"{digest}.pf_filter")
                if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], list)):
                    raise Unreadable("filter")
                contents[digest] = value
            plans.append((language, meta_name, meta, contents))
    except (OSError, ValueError, KeyError, IndexError, TypeError, EOFError):
        return False
    for language, meta_name, meta, contents in plans:
        renamed = {}
        for digest, (name, values) in contents.items():
            ordered = sorted(([value, sorted(pages)] for value, pages in values), key=lambda v: v[0])
            renamed[digest] = _write(bundle / "filter", f"{digest}.pf_filter", [name, ordered], ".pf_filter")
        meta[3] = sorted([[name, renamed[digest]] for name, digest in meta[3]], key=lambda f: f[0])
        new_meta = _write(bundle, meta_name, meta, ".pf_meta")
        new_stem = new_meta[len("pagefind."):]
        entry_text = entry_text.replace(f'"hash":"{language["hash"]}"', f'"hash":"{new_stem}"')
    entry_path.write_text(entry_text, encoding="utf-8")
    return True
