"""When a note was last updated: what feeds and the sitemap show of each note (see ``feeds``),
and what they work out per note and page, remembered between rebuilds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

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


#: A memo holding this many times more entries than the site has notes is emptied (edits leave
#: entries for file times that no note has any more).
_SLACK = 4


@dataclass
class FeedMemo:
    """Each note's update time (by its read date and file time) and each sitemap line (by the
    page's address and time), kept by the Project between rebuilds: after a save, the feeds and
    the sitemap of a 10,000-note site are put together from these instead of formatting 10,000
    dates and addresses again. A key holds all its value is made of, so nothing here goes stale."""

    updated: dict[tuple, tuple[dt.datetime, str, float]] = field(default_factory=dict)
    lines: dict[tuple, str] = field(default_factory=dict)
    #: the sitemap's pages (path, note or None) and the site they are of: a rebuild that keeps
    #: the site's structure keeps its Site object, and with it the list
    pages: tuple[object, list] | None = None

    def time(self, note: Note) -> tuple[dt.datetime, str, float]:
        """``note_updated(note)``, its ``iso`` text, and minus its timestamp (newest sorts first)."""
        key = (note.date, note.mtime)
        found = self.updated.get(key)
        if found is None:
            moment = note_updated(note)
            found = self.updated[key] = (moment, iso(moment), -moment.timestamp())
        return found

    def prepare(self, notes: list[Note]) -> None:
        """Every note's time, worked out now (see ``prepare_cite_lookup``)."""
        for note in notes:
            self.time(note)

    def trim(self, notes: int) -> None:
        for table in (self.updated, self.lines):
            if len(table) > _SLACK * max(notes, 256):
                table.clear()
