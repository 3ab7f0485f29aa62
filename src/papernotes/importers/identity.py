"""When two entries are the same paper: same arXiv id, same DOI, same link, or same title once
case, spacing and punctuation (ASCII or full-width) are ignored."""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

_ARXIV_IN_URL = re.compile(r"arxiv\.org/(?:abs|pdf|html)/([a-z\-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})", re.IGNORECASE)
_VERSION = re.compile(r"v\d+$")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def arxiv_key(value: str) -> str:
    return _VERSION.sub("", value.strip().lower().removeprefix("arxiv:").removesuffix(".pdf"))


def normalise_title(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).casefold()
    return _NOT_WORD.sub("", text)


def normalise_url(url: str) -> str:
    match = _ARXIV_IN_URL.search(url)
    if match:
        return "arxiv:" + arxiv_key(match.group(1))
    text = url.strip().lower()
    text = re.sub(r"^https?://", "", text)
    text = text.removeprefix("www.")
    return text.rstrip("/")


def identity_keys(title: str, urls: Iterable[str] = (), arxiv: str | None = None, doi: str | None = None) -> set[str]:
    keys: set[str] = set()
    if arxiv:
        keys.add("arxiv:" + arxiv_key(arxiv))
    if doi:
        keys.add("doi:" + doi.strip().lower().removeprefix("https://doi.org/"))
    for url in urls:
        keys.add("url:" + normalise_url(url) if not _ARXIV_IN_URL.search(url) else normalise_url(url))
    title_key = normalise_title(title)
    if len(title_key) >= 4:
        keys.add("title:" + title_key)
    return keys
