"""When a note was last updated: what feeds and the sitemap show of each note (see ``feeds``)."""

from __future__ import annotations

import datetime as dt

from ..model import Note

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def note_updated(note: Note) -> dt.datetime:
    """The later of the read date (00:00 UTC) and the file's modification time (UTC, whole seconds)."""
    try:
        changed = dt.datetime.fromtimestamp(int(note.mtime), dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        changed = EPOCH
    if note.date is None:
        return changed
    read = dt.datetime.combine(note.date, dt.time(0, 0), dt.timezone.utc)
    return max(read, changed)


def iso(moment: dt.datetime) -> str:
    """RFC 3339 / W3C datetime in UTC: 2024-03-05T12:00:00Z."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
