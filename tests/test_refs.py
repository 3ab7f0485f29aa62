"""``papernotes refs`` against a fake Semantic Scholar API on 127.0.0.1 (tests/fake_s2.py), which
answers from recordings written by hand in the documented shape: no network."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import fake_arxiv_api
from fake_s2 import FakeScholar
from papernotes.load.references import dump_references, load_references

NOTES = {
    "kd.md": ("Distilling the Knowledge in a Neural Network", "arxiv: 1503.02531"),
    "bert.md": ("BERT", "arxiv: 1810.04805v2"),
    "distil.md": ("DistilBERT", "links:\n  arXiv: https://arxiv.org/abs/1910.01108"),
    "survey.md": ("Knowledge Distillation: A Survey", "arxiv: 2006.05525"),
    "ghost.md": ("A paper the API does not know", "arxiv: 9999.99999"),
    "dois/journal.md": ("A journal paper", "doi: 10.1000/XYZ.123"),
    "no-id.md": ("No id at all", None),
}
JOURNAL = {"paperId": "j1", "externalIds": {"DOI": "10.1000/xyz.123"}, "title": "A journal paper", "citationCount": 3,
           "references": [{"paperId": "r", "externalIds": {"ArXiv": "1503.02531"}, "title": "Distilling"},
                          {"paperId": None, "externalIds": None, "title": "Some book"}]}


def make_notes(root: Path, notes: dict = NOTES) -> None:
    for rel, (title, ids) in notes.items():
        path = root / "notes" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\ntitle: \"{title}\"\nstatus: read\n{ids + chr(10) if ids else ''}---\nBody\n", encoding="utf-8")


def refs(root: Path, api: str, *args: str, key: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("S2_API_KEY", "PAPERNOTES_S2_API")}
    env["PYTHONIOENCODING"] = "utf-8"
    if key:
        env["S2_API_KEY"] = key
    return subprocess.run([sys.executable, "-m", "papernotes.cli", "refs", "--root", str(root), "--api", api, "--rate", "50", *args],
                          capture_output=True, text=True, encoding="utf-8", env=env, timeout=timeout)


@pytest.fixture
def fake():
    server = FakeScholar()
    server.papers["DOI:10.1000/xyz.123"] = JOURNAL
    server.url = server.start()
    yield server
    server.stop()


def data_of(root: Path):
    data = load_references(root / "data" / "references.json")
    assert not data.problems
    return data


def test_fetches_every_paper_in_one_batch_and_writes_a_sorted_file(tmp_path, fake):
    make_notes(tmp_path)
    result = refs(tmp_path, fake.url, key="secret-key")
    assert result.returncode == 0, result.stderr
    assert len(fake.requests) == 1 and fake.api_keys == ["secret-key"]
    assert sorted(fake.requests[0]) == ["ARXIV:1503.02531", "ARXIV:1810.04805", "ARXIV:1910.01108", "ARXIV:2006.05525",
                                        "ARXIV:9999.99999", "DOI:10.1000/xyz.123"]
    data = data_of(tmp_path)
    assert sorted(data.papers) == ["arxiv:1503.02531", "arxiv:1810.04805", "arxiv:1910.01108", "arxiv:2006.05525",
                                   "arxiv:9999.99999", "doi:10.1000/xyz.123"]
    distil = data.papers["arxiv:1910.01108"]
    assert {r.arxiv for r in distil.references} >= {"1503.02531", "1810.04805"}  # version-less, from externalIds
    journal = data.papers["doi:10.1000/xyz.123"]
    assert journal.citation_count == 3 and [(r.arxiv, r.title) for r in journal.references] == [
        ("1503.02531", "Distilling"), (None, "Some book")]
    assert data.papers["arxiv:9999.99999"].unknown
    # the unknown id is reported with the note's path and the line of its id
    assert "notes/ghost.md:4: warning: arxiv:9999.99999: Semantic Scholar knows no paper with this id" in result.stderr
    assert "fetched 6 of 6 papers (1 unknown to the API, 0 with bad answers) in 1 request" in result.stdout
    text = (tmp_path / "data" / "references.json").read_text(encoding="utf-8")
    assert text == dump_references(data.papers)  # the file is in its sorted form
    assert text.index('"arxiv:1503.02531"') < text.index('"arxiv:1810.04805"') < text.index('"doi:10.1000/xyz.123"')


def test_a_second_run_asks_only_for_new_or_old_papers(tmp_path, fake):
    make_notes(tmp_path)
    assert refs(tmp_path, fake.url).returncode == 0
    again = refs(tmp_path, fake.url)
    assert again.returncode == 0 and len(fake.requests) == 1  # nothing asked
    assert "nothing to fetch: 6 papers already in data/references.json; 1 notes have no arXiv id or DOI" in again.stdout
    # a new note: only its paper; an entry fetched 60 days ago: again with --older-than 30d
    make_notes(tmp_path, {"gpt3.md": ("GPT-3", "arxiv: 2005.14165")})
    path = tmp_path / "data" / "references.json"
    old = (dt.date.today() - dt.timedelta(days=60)).isoformat()
    text = path.read_text(encoding="utf-8")
    start = text.index('"arxiv:1810.04805"')
    path.write_text(text[:start] + text[start:].replace('"fetched": "', f'"fetched": "{old}" , "was": "', 1), encoding="utf-8")
    dry = refs(tmp_path, fake.url, "--older-than", "30d", "--dry-run")
    assert dry.returncode == 0 and len(fake.requests) == 1
    assert "would fetch arxiv:1810.04805  (notes/bert.md:4)" in dry.stdout
    assert "would fetch 2 papers in 1 request" in dry.stdout
    assert refs(tmp_path, fake.url).returncode == 0
    assert fake.requests[1] == ["ARXIV:2005.14165"]
    assert refs(tmp_path, fake.url, "--older-than", "30d").returncode == 0
    assert fake.requests[2] == ["ARXIV:1810.04805"]
    assert data_of(tmp_path).papers["arxiv:1810.04805"].fetched == dt.datetime.now(dt.timezone.utc).date()


def test_429_waits_as_long_as_retry_after_says(tmp_path, fake):
    make_notes(tmp_path)
    fake.script = ["429", "429"]
    fake.retry_after = "1"
    started = time.monotonic()
    result = refs(tmp_path, fake.url)
    assert result.returncode == 0, result.stderr
    assert fake.attempts == 3 and len(fake.requests) == 1
    assert time.monotonic() - started >= 2.0  # two waits of one second
    assert len(data_of(tmp_path).papers) == 6


def test_a_dropped_connection_stops_the_run_and_the_next_run_goes_on(tmp_path, fake):
    make_notes(tmp_path)
    fake.script = ["ok", "drop", "drop", "drop"]  # the second batch never gets an answer
    result = refs(tmp_path, fake.url, "--batch-size", "2")
    assert result.returncode == 1
    assert "error: stopped: could not reach the API" in result.stderr
    assert "fetched 2 of 6 papers" in result.stderr and "run papernotes refs again" in result.stderr
    first = fake.asked
    assert len(first) == 2 and sorted(data_of(tmp_path).papers) == sorted(i.lower() for i in first)
    resumed = refs(tmp_path, fake.url, "--batch-size", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert len(fake.asked) == 6 and not set(fake.asked[2:]) & set(first)  # nothing asked twice
    assert len(data_of(tmp_path).papers) == 6


@pytest.mark.parametrize("answer, said", [("truncated", "the API answered with truncated JSON"),
                                          ("html", "the API answered with an HTML page, not JSON (status 200: 502 Bad Gateway)")])
def test_a_bad_answer_is_reported_per_paper_and_never_written(tmp_path, fake, answer, said):
    make_notes(tmp_path)
    fake.script = ["ok", answer, answer]  # asked twice, answered badly twice
    result = refs(tmp_path, fake.url, "--batch-size", "3")
    assert result.returncode == 1
    first = sorted(i.lower() for i in fake.requests[0])  # the batch answered well
    reported = [line for line in result.stderr.splitlines() if said in line]
    assert len(reported) == 3 and all(line.startswith("notes/") for line in reported)
    data = data_of(tmp_path)
    assert sorted(data.papers) == first
    assert "fetched 3 of 6 papers (0 unknown to the API, 3 with bad answers)" in result.stdout
    again = refs(tmp_path, fake.url, "--batch-size", "3")  # the next run asks for those three again
    assert again.returncode == 0 and len(data_of(tmp_path).papers) == 6


def test_a_paper_with_ten_thousand_references_is_cut_and_said(tmp_path, fake):
    make_notes(tmp_path, {"huge.md": ("A huge survey", "doi: 10.1000/huge")})
    fake.papers["DOI:10.1000/huge"] = {"paperId": "h", "externalIds": {"DOI": "10.1000/huge"}, "title": "A huge survey",
                                       "citationCount": 1, "references": [
                                           {"paperId": str(i), "externalIds": {"DOI": f"10.1000/ref.{i}"}, "title": f"Ref {i}"}
                                           for i in range(10_000)]}
    result = refs(tmp_path, fake.url)
    assert result.returncode == 0
    assert "notes/huge.md:4: warning: doi:10.1000/huge: lists 10,000 references; kept the first 2,000" in result.stderr
    entry = data_of(tmp_path).papers["doi:10.1000/huge"]
    assert len(entry.references) == 2000 and entry.references_total == 10_000


def test_ctrl_c_keeps_what_was_fetched_and_the_next_run_goes_on(tmp_path, fake):
    make_notes(tmp_path)
    fake.script = ["ok"] + ["slow"] * 10
    fake.slow_seconds = 3.0
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "papernotes.cli", "refs", "--root", str(tmp_path), "--api", fake.url,
                                "--batch-size", "1", "--rate", "50"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    path = tmp_path / "data" / "references.json"
    deadline = time.monotonic() + 60
    while not (path.exists() and load_references(path).papers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists(), "the first batch was never written"
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    kept = data_of(tmp_path).papers
    assert 1 <= len(kept) < 6 and "interrupted" in err and "run papernotes refs again" in err
    fake.script = []
    before = len(fake.asked)
    assert refs(tmp_path, fake.url).returncode == 0
    assert not set(i.lower() for i in fake.asked[before:]) & set(kept)
    assert len(data_of(tmp_path).papers) == 6


def test_a_broken_data_file_is_left_alone(tmp_path, fake):
    make_notes(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "references.json").write_text('{"format": 1, "papers": {\n"arxiv:1": {\n', encoding="utf-8")
    result = refs(tmp_path, fake.url)
    assert result.returncode == 2 and fake.attempts == 0
    assert "data/references.json:3: error: is not valid JSON" in result.stderr
    assert (tmp_path / "data" / "references.json").read_text(encoding="utf-8") == '{"format": 1, "papers": {\n"arxiv:1": {\n'


def test_check_reports_ids_the_api_did_not_know(tmp_path, fake):
    make_notes(tmp_path)
    assert refs(tmp_path, fake.url).returncode == 0
    result = subprocess.run([sys.executable, "-m", "papernotes.cli", "check", "--root", str(tmp_path)],
                            capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert ("notes/ghost.md:4: warning: the Semantic Scholar API knows no paper arxiv:9999.99999 (papernotes refs, "
            f"{dt.datetime.now(dt.timezone.utc).date().isoformat()}); is the id right?") in result.stdout
    assert "1 warnings" in result.stdout


ATOM_ENTRY = """<entry><id>http://arxiv.org/abs/{ident}v{latest}</id><updated>{updated}T10:00:00Z</updated>
<published>{published}T10:00:00Z</published><title>{title}</title></entry>"""
ARXIV_PAPERS = {"2106.09685": dict(latest=2, published="2021-06-17", updated="2021-10-16", title="LoRA"),
                "1706.03762": dict(latest=7, published="2017-06-12", updated="2023-08-02", title="Attention")}


@pytest.fixture
def arxiv_versions_api():
    asked: list[list[str]] = []

    def answer(ids: list[str]) -> bytes:
        asked.append(ids)
        entries = "".join(ATOM_ENTRY.format(ident=i, **ARXIV_PAPERS[i]) for i in ids if i in ARXIV_PAPERS)
        return f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'.encode()

    with fake_arxiv_api(answer) as url:
        yield url, asked


def test_check_arxiv_versions_lists_notes_naming_an_older_version(tmp_path, arxiv_versions_api):
    api, asked = arxiv_versions_api
    make_notes(tmp_path, {"lora.md": ("LoRA", "arxiv: 2106.09685v1"), "attention.md": ("Attention", "arxiv: 1706.03762v7"),
                          "gone.md": ("Gone", "arxiv: 9999.99999v1"), "plain.md": ("No version", "arxiv: 2005.14165")})
    result = subprocess.run([sys.executable, "-m", "papernotes.cli", "check", "--root", str(tmp_path), "--arxiv-versions",
                             "--arxiv-api", api], capture_output=True, text=True, encoding="utf-8", timeout=120)
    lines = [l for l in result.stdout.splitlines() if "arXiv" in l]
    assert lines == ["notes/gone.md:4: warning: the arXiv API knows no paper 9999.99999",
                     "notes/lora.md:4: warning: names arXiv 2106.09685v1 (2021-06-17); v2 is newer (2021-10-16)"]
    assert asked == [["1706.03762", "2106.09685", "9999.99999"]]  # one request; a note without version is not asked
    assert result.returncode == 0 and "2 warnings" in result.stdout


def test_on_a_terminal_a_progress_line_counts_papers_and_requests(tmp_path, fake):
    import pty

    make_notes(tmp_path)
    leader, follower = pty.openpty()
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "papernotes.cli", "refs", "--root", str(tmp_path), "--api", fake.url,
                                "--batch-size", "2", "--rate", "50"], stdout=subprocess.PIPE, stderr=follower, env=env)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    process.wait(timeout=60)
    os.close(leader)
    text = seen.decode("utf-8")
    assert process.returncode == 0
    for done, request in ((2, 1), (4, 2), (6, 3)):
        assert f"fetched {done:,}/6 papers · request {request}/3 · " in text
    assert "left" in text
