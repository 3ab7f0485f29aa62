"""The reading dashboard: counts per status and category, notes read per month, the notes waiting
longest to be read.

``dashboard.html`` is rendered by ``templates/dashboard.html``; this module only computes numbers
and the chart's geometry (the template writes the markup, so Jinja escapes every value).

Every number counts what its title says. The chart of notes read per month is an inline SVG drawn
at build time: no script runs in the browser. It counts the notes whose status is ``read``, each in
the month of its ``date`` (the day it was read); skimmed, unread and triage notes are not drawn (for
them ``date`` is the day they were skimmed or added), and read notes without a date are counted
apart. The x axis is continuous, from the first month with a note to the last:
months without notes keep their slot (an empty gap), so the spacing of bars is true to time. At
most the last :data:`MAX_MONTHS` months are drawn; earlier notes are counted in a sentence under
the chart. Colours come from ``currentColor`` and the theme's CSS variables (``--accent``), so
the chart follows light and dark mode.

"Waiting longest" lists the notes not read yet (status ``unread`` or ``triage``), oldest first, by
their ``date`` (the day they were added) or, without one, by their file's modification time (UTC
day), marked as such, and notes of the same day by their file time. That is why the page depends
on the time keys (``emit.time_key``) of the notes waiting, besides every note's key: it is written
again whenever one of their files changed, not on every save.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from ..model import Note, Status
from ..load.site import Category
from . import READ_NEXT, Output, time_keys
from .context import EmitContext

#: Notes listed under "Waiting longest".
WAITING_LIMIT = 20
#: The statuses of notes still waiting to be read.
WAITING = (Status.UNREAD, Status.TRIAGE)
#: Most months the chart draws (ten years); older months are summarised in a sentence.
MAX_MONTHS = 120

# Chart geometry, in SVG user units (CSS pixels).
PLOT_HEIGHT = 160
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 12, 22, 56
MIN_WIDTH = 320


def _n(value: float) -> str:
    """A coordinate as short, deterministic text."""
    return f"{round(value, 2):g}"


@dataclass
class Bar:
    month: str  # "2024-03"
    count: int
    x: str
    y: str
    width: str
    height: str
    label_x: str  # centre of the slot
    label_y: str  # above the bar


@dataclass
class AxisLabel:
    x: str
    text: str
    year: str  # shown under the month on January and on the first month, else ""


@dataclass
class Tick:
    y: str
    value: int


@dataclass
class MonthChart:
    months: list[tuple[str, int]]  # every month on the axis, gaps included
    bars: list[Bar]  # one per month with at least one note
    labels: list[AxisLabel]
    ticks: list[Tick]
    width: str
    height: str
    plot_left: str
    plot_right: str
    plot_top: str
    plot_bottom: str
    x_title: tuple[str, str]
    y_title: tuple[str, str]
    tick_label_x: str
    month_label_y: str
    year_label_y: str
    show_values: bool
    total: int  # notes drawn
    earlier: int  # notes before the first month drawn
    first: str
    last: str


@dataclass
class CategoryRow:
    category: Category
    depth: int  # 0 for top level
    total: int
    by_status: dict[Status, int] = field(default_factory=dict)


@dataclass
class WaitingItem:
    note: Note
    since: dt.date
    from_file: bool  # ``since`` is the file's modification day, the note has no date


def month_key(day: dt.date) -> tuple[int, int]:
    return (day.year, day.month)


def month_chart(notes: Iterable[Note]) -> MonthChart | None:
    counts = Counter(month_key(n.date) for n in notes if n.date is not None)
    if not counts:
        return None
    first, last = min(counts), max(counts)
    span = (last[0] - first[0]) * 12 + last[1] - first[1] + 1
    start_index = max(0, span - MAX_MONTHS)
    months: list[tuple[int, int]] = []
    year, month = first
    for i in range(span):
        if i >= start_index:
            months.append((year, month))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    shown = set(months)
    earlier = sum(c for m, c in counts.items() if m not in shown)
    n = len(months)
    slot = 48 if n <= 12 else 36 if n <= 24 else 22 if n <= 60 else 14
    bar_width = slot * 0.7
    plot_width = n * slot
    width = max(MIN_WIDTH, MARGIN_LEFT + plot_width + MARGIN_RIGHT)
    height = MARGIN_TOP + PLOT_HEIGHT + MARGIN_BOTTOM
    top, bottom = MARGIN_TOP, MARGIN_TOP + PLOT_HEIGHT
    peak = max(counts[m] for m in months)
    bars, labels = [], []
    for i, (year, month) in enumerate(months):
        name = f"{year:04d}-{month:02d}"
        centre = MARGIN_LEFT + i * slot + slot / 2
        count = counts.get((year, month), 0)
        if count:
            h = PLOT_HEIGHT * count / peak
            bars.append(Bar(name, count, _n(centre - bar_width / 2), _n(bottom - h), _n(bar_width), _n(h),
                            _n(centre), _n(bottom - h - 4)))
        year_text = f"{year:04d}" if (month == 1 or i == 0) else ""
        if n <= 24 or year_text:
            labels.append(AxisLabel(_n(centre), f"{month:02d}" if n <= 24 else "", year_text))
    tick_values = sorted({0, peak, peak // 2} if peak >= 4 else set(range(0, peak + 1)))
    ticks = [Tick(_n(bottom - PLOT_HEIGHT * v / peak), v) for v in tick_values]
    plot_right = MARGIN_LEFT + plot_width
    return MonthChart(
        months=[(f"{y:04d}-{m:02d}", counts.get((y, m), 0)) for y, m in months],
        bars=bars, labels=labels, ticks=ticks,
        width=_n(width), height=_n(height),
        plot_left=_n(MARGIN_LEFT), plot_right=_n(plot_right), plot_top=_n(top), plot_bottom=_n(bottom),
        x_title=(_n(MARGIN_LEFT + plot_width / 2), _n(height - 6)),
        y_title=(_n(14), _n(top + PLOT_HEIGHT / 2)),
        tick_label_x=_n(MARGIN_LEFT - 6),
        month_label_y=_n(bottom + 16),
        year_label_y=_n(bottom + 31),
        show_values=slot >= 22,
        total=sum(counts[m] for m in months),
        earlier=earlier,
        first=f"{months[0][0]:04d}-{months[0][1]:02d}",
        last=f"{months[-1][0]:04d}-{months[-1][1]:02d}",
    )


def file_day(note: Note) -> dt.date:
    try:
        return dt.datetime.fromtimestamp(int(note.mtime), dt.timezone.utc).date()
    except (OverflowError, OSError, ValueError):
        return dt.date(1970, 1, 1)


def waiting_longest(notes: Iterable[Note], limit: int = WAITING_LIMIT) -> list[WaitingItem]:
    """Unread and triage notes, oldest first: by ``date``, else by the file's day."""
    items = []
    for note in notes:
        if note.status in WAITING:
            since, from_file = (note.date, False) if note.date is not None else (file_day(note), True)
            items.append((since, note.mtime, note.key, WaitingItem(note, since, from_file)))
    items.sort(key=lambda item: item[:3])
    return [item[3] for item in items[:limit]]


def category_rows(categories: list[Category]) -> list[CategoryRow]:
    rows = []

    def visit(category: Category, depth: int) -> None:
        notes = category.all_notes()
        rows.append(CategoryRow(category, depth, len(notes), dict(Counter(n.status for n in notes))))
        for child in category.children:
            visit(child, depth + 1)

    for top in categories:
        visit(top, 0)
    return rows


class DashboardPage:
    name = "DashboardPage"
    path = "dashboard.html"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        site = ctx.site

        def render() -> bytes:
            # Computed at render time: the notes may have changed in place since outputs() ran.
            read = [n for n in site.notes if n.status is Status.READ]
            waiting = [n for n in site.notes if n.status in WAITING]
            return ctx.render_page(
                "dashboard.html", self.path, "Dashboard 阅读概览",
                chart=month_chart(read),
                read_total=len(read),
                undated_read=sum(1 for n in read if n.date is None),
                category_rows=category_rows(site.categories),
                waiting=waiting_longest(waiting),
                waiting_total=len(waiting),
                waiting_statuses=WAITING,
                Status=Status,
            )

        # "Waiting longest" orders unread and triage notes by their date, then their file time.
        waiting = [note for note in site.notes if note.status in WAITING]
        yield Output(self.path, ctx.keys(site.notes) | time_keys(waiting) | {READ_NEXT}, render)
