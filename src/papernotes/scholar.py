"""Ask the Semantic Scholar Graph API what papers cite: one batch request for many papers.

``POST {api}/paper/batch?fields=…`` with ``{"ids": ["ARXIV:2106.09685", "DOI:10.x/y", …]}``
answers a JSON list in the order of the ids, ``null`` where the API knows no such paper. The
API's documented limits: at most 500 ids per request, and (with a key) one request per second;
an answer over the limit is ``429 Too Many Requests``, often with ``Retry-After``.

This module only speaks HTTP and reads answers into ``PaperEntry`` values; the ``refs`` command
(``commands/refs.py``) decides what to fetch, paces requests and writes the data file.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from .diagnostics import clip
from .load.references import PaperEntry, make_reference

DEFAULT_API = "https://api.semanticscholar.org/graph/v1"
API_VARIABLE = "PAPERNOTES_S2_API"
KEY_VARIABLE = "S2_API_KEY"
FIELDS = "externalIds,title,citationCount,references.externalIds,references.title"
BATCH_LIMIT = 500  # ids per request, as the API documents
#: References kept per paper; more (a survey, a reference work) are cut and reported.
MAX_REFERENCES = 2000
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_MAX_ANSWER = 64 * 1024 * 1024  # bytes read from one answer at most


class ApiError(Exception):
    """A request that did not give an answer to read."""


class RateLimited(ApiError):
    def __init__(self, retry_after: float | None) -> None:
        super().__init__("rate limited (429 Too Many Requests)")
        self.retry_after = retry_after


class NetworkError(ApiError):
    """No answer: the connection failed, was dropped or timed out, or the server erred (5xx)."""


class BadAnswer(ApiError):
    """An answer that is not the documented JSON list (an HTML error page, truncated JSON…)."""


@dataclass
class PaperAnswer:
    entry: PaperEntry
    problem: str | None = None  # said about this paper (unknown id, references cut)


def api_base(explicit: str | None = None) -> str:
    return (explicit or os.environ.get(API_VARIABLE) or DEFAULT_API).rstrip("/")


def request_id(key: str) -> str:
    """The API's form of a data-file key: ``arxiv:2106.09685`` -> ``ARXIV:2106.09685``."""
    kind, _, ident = key.partition(":")
    return f"{kind.upper()}:{ident}"


def fetch_batch(base: str, keys: list[str], api_key: str | None = None, timeout: float = 60.0) -> list:
    """The API's answer for ``keys`` (data-file keys): one item per key, in order."""
    body = json.dumps({"ids": [request_id(k) for k in keys]}).encode()
    request = urllib.request.Request(f"{base}/paper/batch?fields={FIELDS}", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Accept": "application/json",
                                              "User-Agent": "papernotes refs"})
    if api_key:
        request.add_header("x-api-key", api_key)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only
            status, content_type = response.status, response.headers.get("Content-Type", "")
            raw = response.read(_MAX_ANSWER + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 429:
            raise RateLimited(retry_after(exc.headers.get("Retry-After"))) from None
        if exc.code >= 500:
            raise NetworkError(f"the API failed ({exc.code} {exc.reason})") from None
        detail = _error_text(exc)
        raise BadAnswer(f"the API refused the request ({exc.code} {exc.reason}{': ' + detail if detail else ''})") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise NetworkError(f"could not reach the API ({clip(reason)})") from None
    if len(raw) > _MAX_ANSWER:
        raise BadAnswer(f"the answer is larger than {_MAX_ANSWER // (1024 * 1024)} MB")
    return parse_answer(raw, status, content_type, len(keys))


def parse_answer(raw: bytes, status: int, content_type: str, expected: int) -> list:
    text = raw.decode("utf-8", errors="replace")
    if "html" in content_type.lower() or text.lstrip()[:1] == "<":
        raise BadAnswer(f"the API answered with an HTML page, not JSON (status {status}: {clip(_html_title(text), 60)})")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip()) or not text.rstrip().endswith(("]", "}"))
        what = "truncated JSON" if cut else "JSON that does not parse"
        raise BadAnswer(f"the API answered with {what} ({exc.msg} at character {exc.pos:,} of {len(text):,})") from None
    if not isinstance(data, list):
        raise BadAnswer(f"the API answered with a JSON {type(data).__name__}, not the list of papers asked for")
    if len(data) != expected:
        raise BadAnswer(f"the API answered {len(data)} papers for {expected} ids")
    return data


def parse_paper(key: str, item: object, today: dt.date) -> PaperAnswer:
    """One item of a batch answer as the data file keeps it."""
    if item is None:
        return PaperAnswer(PaperEntry(key, today, unknown=True), "Semantic Scholar knows no paper with this id")
    if not isinstance(item, dict):
        raise BadAnswer(f"the answer for {key} is a JSON {type(item).__name__}, not a paper")
    ids = item.get("externalIds") if isinstance(item.get("externalIds"), dict) else {}
    title = item.get("title") if isinstance(item.get("title"), str) else None
    count = item.get("citationCount")
    count = count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None
    references = item.get("references")
    if references is None:
        references = []
    if not isinstance(references, list):
        raise BadAnswer(f"the references of {key} are a JSON {type(references).__name__}, not a list")
    problem = None
    total = None
    if len(references) > MAX_REFERENCES:
        total = len(references)
        problem = f"lists {total:,} references; kept the first {MAX_REFERENCES:,}"
        references = references[:MAX_REFERENCES]
    kept = []
    for ref in references:
        if not isinstance(ref, dict):
            continue
        ref_ids = ref.get("externalIds") if isinstance(ref.get("externalIds"), dict) else {}
        arxiv, doi = external_ids(ref_ids)
        made = make_reference(arxiv, doi, ref.get("title") if isinstance(ref.get("title"), str) else None)
        if made is not None:
            kept.append(made)
    arxiv, doi = external_ids(ids)
    own = make_reference(arxiv, doi, None)
    entry = PaperEntry(key, today, title=" ".join(title.split()) if title else None,
                       arxiv=own.arxiv if own else None, doi=own.doi if own else None, citation_count=count,
                       references=tuple(dict.fromkeys(kept)), references_total=total)
    return PaperAnswer(entry, problem)


def external_ids(ids: dict) -> tuple[str | None, str | None]:
    """arXiv id and DOI from the API's ``externalIds`` (an arXiv DOI 10.48550/arXiv.X is the id X)."""
    arxiv = ids.get("ArXiv") if isinstance(ids.get("ArXiv"), str) else None
    doi = ids.get("DOI") if isinstance(ids.get("DOI"), str) else None
    if doi:
        match = _ARXIV_DOI.match(doi.strip())
        if match:
            arxiv = arxiv or match.group(1)
            doi = None
    return arxiv, doi


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read(2000).decode("utf-8", errors="replace")
    except OSError:
        return ""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return clip(_html_title(raw), 80)
    if isinstance(data, dict):
        return clip(data.get("error") or data.get("message") or "", 80)
    return ""


def _html_title(text: str) -> str:
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    return " ".join((match.group(1) if match else text[:80]).split())
