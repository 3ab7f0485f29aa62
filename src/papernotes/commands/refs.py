"""``papernotes refs``: fetch what each note's paper cites into ``data/references.json``.

Every note with an arXiv id or DOI (in its front matter or its links) is one paper; notes of the
same paper share it. Papers already in the data file are skipped unless fetched longer ago than
``--older-than``. Requests go out in batches (``scholar.py``), at most ``--rate`` per second; a
429 answer waits as long as ``Retry-After`` says. The data file is written (atomically) after
every batch, so Ctrl-C or a lost connection loses nothing already fetched: the next run goes on
where this one stopped. A bad answer is reported for each paper it concerned, with the note's path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import scholar
from ..citations import NoteIds
from ..console import printable, say, warn
from ..load.notes import display_path
from ..load.references import PaperEntry, ReferenceData, load_references, paper_keys, write_references
from ..project import Project

#: Tries of one batch answered 429 before the run stops (the next run goes on from there).
RATE_LIMIT_TRIES = 8
#: Tries of one batch whose connection failed (waiting 1 s, then 2 s, …) before the run stops.
NETWORK_TRIES = 3
#: Longest wait for one 429, whatever Retry-After says.
LONGEST_WAIT = 120.0


def add_parser(commands) -> None:
    p = commands.add_parser(
        "refs", help="fetch the references of every note's paper into data/references.json",
        description="For every note with an arXiv id or DOI, fetch the paper's references from the Semantic "
                    "Scholar Graph API (batch requests) into data/references.json, which build reads to show "
                    "which of your notes cite each other. Only papers not yet in the file (or fetched longer ago "
                    "than --older-than) are fetched; the file is saved after every batch, so an interrupted run "
                    "goes on where it stopped. An API key in $S2_API_KEY is sent as x-api-key.")
    p.add_argument("--root", type=Path, default=Path("."), help="site root (default: .)")
    p.add_argument("--older-than", metavar="AGE", type=age,
                   help="also fetch again papers fetched longer ago than AGE (30d, 12w, 48h)")
    p.add_argument("--dry-run", action="store_true", help="say what would be fetched, fetch nothing")
    p.add_argument("--api", help=f"base URL of the Graph API (default: ${scholar.API_VARIABLE} or {scholar.DEFAULT_API})")
    p.add_argument("--batch-size", type=batch_size, default=scholar.BATCH_LIMIT, metavar="N",
                   help=f"papers per request (default and most: {scholar.BATCH_LIMIT})")
    p.add_argument("--rate", type=float, default=1.0, metavar="PER_SECOND",
                   help="requests per second at most (default: 1, the API's limit with a key)")
    p.set_defaults(run=run)


def age(text: str) -> dt.timedelta:
    match = re.fullmatch(r"\s*(\d+)\s*([hdw]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text} is not an age such as 30d, 12w or 48h")
    unit = {"h": "hours", "d": "days", "": "days", "w": "weeks"}[match.group(2)]
    return dt.timedelta(**{unit: int(match.group(1))})


def batch_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} is not a number") from None
    if not 1 <= value <= scholar.BATCH_LIMIT:
        raise argparse.ArgumentTypeError(f"the API takes 1 to {scholar.BATCH_LIMIT} papers per request")
    return value


@dataclass
class Paper:
    key: str  # the data file's key
    notes: list[tuple[str, int | None]] = field(default_factory=list)  # (path shown, line of its id)

    @property
    def where(self) -> str:
        path, line = self.notes[0]
        more = f" (and {len(self.notes) - 1} other note{'s' if len(self.notes) > 2 else ''})" if len(self.notes) > 1 else ""
        return (f"{path}:{line}" if line else path) + more


@dataclass
class Plan:
    papers: list[Paper]  # to fetch, in a stable order
    known: int  # papers in the data file and recent enough
    without_id: int  # notes with neither an arXiv id nor a DOI


@dataclass
class RunReport:
    fetched: int = 0
    unknown: int = 0
    failed: int = 0
    requests: int = 0
    waited: float = 0.0  # seconds spent waiting for the rate limit
    stopped: str | None = None  # why the run stopped early


def papers_of(project: Project) -> tuple[list[Paper], int]:
    """Each paper the notes are about, with the notes; and how many notes have no id."""
    by_key: dict[str, Paper] = {}
    without = 0
    for record in sorted(project.records.values(), key=lambda r: str(r.source)):
        note = record.note
        if note is None or note.describes_category:
            continue
        ids = NoteIds.of(note)
        keys = paper_keys(ids.arxiv, ids.doi)
        if not keys:
            without += 1
            continue
        line = note.line_of("arxiv") if ids.arxiv and note.line_of("arxiv") else note.line_of("doi") or note.line_of("links")
        by_key.setdefault(keys[0], Paper(keys[0])).notes.append((display_path(note.source, project.root), line))
    return list(by_key.values()), without


def make_plan(papers: list[Paper], data: ReferenceData, older_than: dt.timedelta | None, today: dt.date,
              without_id: int) -> Plan:
    todo, known = [], 0
    for paper in papers:
        entry = data.papers.get(paper.key)
        if entry is not None and (older_than is None or today - entry.fetched <= older_than):
            known += 1
        else:
            todo.append(paper)
    return Plan(todo, known, without_id)


class Pacer:
    """At most ``rate`` requests per second, counted from the end of the previous request (its
    start as the server saw it is unknown: connecting may take a while)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.last: float | None = None

    def wait(self) -> float:
        now = time.monotonic()
        pause = 0.0 if self.last is None else max(0.0, self.last + self.interval - now)
        if pause:
            time.sleep(pause)
        return pause

    def done(self) -> None:
        self.last = time.monotonic()


class Progress:
    """One line on a terminal, rewritten after every batch: counts and time left."""

    def __init__(self, total: int, stream=None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.shown = self.stream.isatty()
        self.started = time.monotonic()

    def update(self, done: int, requests: int, batches: int) -> None:
        if not self.shown:
            return
        elapsed = time.monotonic() - self.started
        left = elapsed / done * (self.total - done) if done else 0.0
        self.stream.write(f"\r\x1b[Kfetched {done:,}/{self.total:,} papers · request {requests}/{batches} · "
                          f"{_duration(left)} left")
        self.stream.flush()

    def end(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def fetch_all(plan: Plan, data: ReferenceData, base: str, api_key: str | None, size: int, rate: float,
              today: dt.date, report_problem) -> RunReport:
    """Fetch the planned papers batch by batch, saving the data file after each one."""
    report = RunReport()
    pacer = Pacer(rate)
    batches = [plan.papers[i:i + size] for i in range(0, len(plan.papers), size)]
    progress = Progress(len(plan.papers))
    done = 0
    try:
        for batch in batches:
            answer = _ask(batch, base, api_key, pacer, report, report_problem)
            if answer is None:
                break
            for paper, item in zip(batch, answer):
                try:
                    parsed = scholar.parse_paper(paper.key, item, today)
                except scholar.BadAnswer as exc:
                    report_problem(paper, str(exc))
                    report.failed += 1
                    continue
                if parsed.problem:
                    report_problem(paper, parsed.problem)
                report.unknown += parsed.entry.unknown
                report.fetched += 1
                data.papers[paper.key] = parsed.entry
            write_references(data.path, data.papers)
            done += len(batch)
            progress.update(done, report.requests, len(batches))
    finally:
        progress.end()
    return report


def _ask(batch: list[Paper], base: str, api_key: str | None, pacer: Pacer, report: RunReport,
         report_problem) -> list | None:
    """The answer for one batch, after waiting out rate limits and retrying lost connections;
    None when the run must stop (``report.stopped`` says why) or the answer was bad (reported
    per paper; the run goes on)."""
    keys = [p.key for p in batch]
    limited = lost = bad = 0
    while True:
        report.waited += pacer.wait()
        report.requests += 1
        try:
            return scholar.fetch_batch(base, keys, api_key)
        except scholar.RateLimited as exc:
            limited += 1
            if limited >= RATE_LIMIT_TRIES:
                report.stopped = f"the API kept answering 429 Too Many Requests ({limited} times)"
                return None
            pause = min(exc.retry_after if exc.retry_after is not None else 2.0 ** limited, LONGEST_WAIT)
            time.sleep(pause)
            report.waited += pause
        except scholar.NetworkError as exc:
            lost += 1
            if lost >= NETWORK_TRIES:
                report.stopped = str(exc)
                return None
            time.sleep(2.0 ** (lost - 1))
        except scholar.BadAnswer as exc:
            bad += 1
            if bad >= 2:  # asked twice, answered badly twice: say so for each paper, go on
                for paper in batch:
                    report_problem(paper, str(exc))
                report.failed += len(batch)
                return []
            time.sleep(1.0)
        finally:
            pacer.done()


def run(args: argparse.Namespace) -> int:
    project = Project(args.root, check_output=False)
    project.load_all(render=False)
    data = load_references(project.references_path)
    shown_file = display_path(project.references_path, project.root)
    if data.problems and data.exists and not data.papers:
        line, message = data.problems[0]
        warn(f"{shown_file}{':' + str(line) if line else ''}: error: {message}")
        warn(f"error: {shown_file} was left as it is; fix it or remove it, then run papernotes refs again")
        return 2
    for line, message in data.problems:  # entries left out: written again when fetched
        warn(f"{shown_file}{':' + str(line) if line else ''}: warning: {message}")
    today = dt.datetime.now(dt.timezone.utc).date()
    papers, without_id = papers_of(project)
    plan = make_plan(papers, data, args.older_than, today, without_id)
    requests = -(-len(plan.papers) // args.batch_size)
    base = scholar.api_base(args.api)
    if args.dry_run:
        for paper in plan.papers:
            say(f"would fetch {paper.key}  ({paper.where})")
        say(f"would fetch {len(plan.papers)} papers in {requests} request{'s' if requests != 1 else ''} from {base}; "
            f"{plan.known} already in {shown_file}, {plan.without_id} notes without an arXiv id or DOI")
        return 0
    if not plan.papers:
        say(f"nothing to fetch: {plan.known} papers already in {shown_file}"
            + (f"; {plan.without_id} notes have no arXiv id or DOI" if plan.without_id else ""))
        return 0

    problems: list[str] = []

    def report_problem(paper: Paper, message: str) -> None:
        line = f"{paper.where}: warning: {paper.key}: {message}"
        problems.append(line)
        warn(line)

    started = time.monotonic()
    try:
        report = fetch_all(plan, data, base, os.environ.get(scholar.KEY_VARIABLE) or None, args.batch_size,
                           args.rate, today, report_problem)
    except KeyboardInterrupt:
        saved = load_references(project.references_path)
        warn(f"interrupted: {shown_file} holds {len(saved.papers)} papers; run papernotes refs again to fetch the rest")
        return 130
    seconds = time.monotonic() - started
    summary = (f"fetched {report.fetched} of {len(plan.papers)} papers ({report.unknown} unknown to the API, "
               f"{report.failed} with bad answers) in {report.requests} request{'s' if report.requests != 1 else ''}, "
               f"{seconds:.1f} s -> {shown_file}")
    if report.stopped:
        warn(f"error: stopped: {report.stopped}")
        warn(summary + "; run papernotes refs again to fetch the rest")
        return 1
    say(printable(summary))
    return 1 if report.failed else 0
