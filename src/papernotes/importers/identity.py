"""When two entries are the same paper.

* the same arXiv id (version ignored) or the same DOI, and no conflicting id; or
* the same title — case, spaces and punctuation that carries no meaning (``- : , . ' "`` and
  brackets, ASCII or full width) ignored, but ``C++`` is not ``C#`` and ``Attention!`` is not
  ``Attention?`` — and no conflicting id.

Two different arXiv ids, or two different DOIs, are always two papers, whatever the titles. A
shared code, project, blog or PDF-host link says nothing: many papers share a repository.
An arXiv DOI (``10.48550/arXiv.2106.09685``) is read as the arXiv id it names.

One exception keeps a copy-and-paste slip from losing a paper: two entries that share an id but
whose titles have nothing to do with each other (full titles in the same script, neither holding
the other, sharing less than half of their words) are two papers, one of whose links is wrong — ``unrelated_titles``
says so, and the importer and ``check`` report it. A title that only names the id
("arXiv:2106.09685") is related to any title.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

_ARXIV_IN_URL = re.compile(r"arxiv\.org/(?:abs|pdf|html)/([a-z\-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})", re.IGNORECASE)
_DOI_IN_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.\d{4,9}/\S+)$", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_VERSION = re.compile(r"v\d+$")
#: Characters of a title that carry no meaning for identity (after NFKC: full width is ASCII).
_SOFT = re.compile(r"[\s\-‐‑‒–—―_:;,.'\"‘’“”«»·•()\[\]{}<>「」『』《》〈〉、。，：；！？]+")
_MEANINGFUL_FULLWIDTH = str.maketrans({"！": "!", "？": "?"})
MIN_TITLE_KEY = 4


def arxiv_key(value: str) -> str:
    return _VERSION.sub("", value.strip().lower().removeprefix("arxiv:").removesuffix(".pdf"))


def normalise_title(title: str) -> str:
    text = unicodedata.normalize("NFKC", title.translate(_MEANINGFUL_FULLWIDTH)).casefold()
    return _SOFT.sub("", text)


def doi_key(value: str) -> str:
    return value.strip().lower().removeprefix("https://doi.org/").removeprefix("http://doi.org/").removeprefix("doi:")


@dataclass(frozen=True)
class PaperIdentity:
    arxiv: str | None  # without version, lower case
    doi: str | None  # lower case, without the resolver
    title: str  # normalise_title(title), "" when too short to say anything
    written_title: str = ""  # as written, for the words it shares with another

    def keys(self) -> list[str]:
        """Index keys: an entry can only be the same paper as one sharing a key."""
        found = []
        if self.arxiv:
            found.append("arxiv:" + self.arxiv)
        if self.doi:
            found.append("doi:" + self.doi)
        if self.title:
            found.append("title:" + self.title)
        return found


def identity_of(title: str, urls: Iterable[str] = (), arxiv: str | None = None,
                doi: str | None = None) -> PaperIdentity:
    """The identity of a paper from its title, links and ids (an arXiv abs/pdf link or a doi.org
    link stands for the id when the id is not given)."""
    arxiv_id = arxiv_key(arxiv) if arxiv else None
    doi_id = doi_key(doi) if doi else None
    for url in urls:
        match = _ARXIV_IN_URL.search(url)
        if match and arxiv_id is None:
            arxiv_id = arxiv_key(match.group(1))
        match = _DOI_IN_URL.match(url.strip())
        if match and doi_id is None:
            doi_id = doi_key(match.group(1))
    if doi_id:
        match = _ARXIV_DOI.match(doi_id)
        if match:
            arxiv_id = arxiv_id or arxiv_key(match.group(1))
            doi_id = None
    key = normalise_title(title)
    return PaperIdentity(arxiv_id, doi_id, key if len(key) >= MIN_TITLE_KEY else "", title)


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _words(title: str) -> set[str]:
    text = unicodedata.normalize("NFKC", title).casefold()
    words = set()
    for word in _WORD.findall(text):
        if _CJK.search(word):
            words.update(_CJK.findall(word))  # Chinese: characters count as words
            words.update(_CJK.sub(" ", word).split())
        else:
            words.add(word)
    return words


def unrelated_titles(a: PaperIdentity, b: PaperIdentity) -> bool:
    """Titles that cannot belong to one paper (see the module's docstring): both full titles of
    four words or more in the same script, neither holding the other, sharing less than half of
    their words. A short name ("CLIP"), a translation (知识蒸馏综述 / Knowledge Distillation: A
    Survey) or a placeholder ("arXiv:2106.09685") is never called unrelated."""
    if not a.title or not b.title or a.title in b.title or b.title in a.title:
        return False
    for identity in (a, b):
        if identity.arxiv and identity.arxiv.replace(".", "") in identity.title.replace(".", ""):
            return False  # "arXiv:2106.09685": a placeholder title
    if bool(_CJK.search(a.written_title)) != bool(_CJK.search(b.written_title)):
        return False  # one is written in Chinese, the other not: perhaps a translation
    words_a, words_b = _words_of(a), _words_of(b)
    if len(words_a) < 4 or len(words_b) < 4:
        return False
    return len(words_a & words_b) * 2 < min(len(words_a), len(words_b))


def _words_of(identity: PaperIdentity) -> set[str]:
    return _words(identity.written_title)


def conflict(a: PaperIdentity, b: PaperIdentity) -> str | None:
    """Why ``a`` and ``b`` are certainly different papers, or None."""
    if a.arxiv and b.arxiv and a.arxiv != b.arxiv:
        return "different arXiv ids"
    if a.doi and b.doi and a.doi != b.doi:
        return "different DOIs"
    return None


def same_paper(a: PaperIdentity, b: PaperIdentity) -> str | None:
    """What makes ``a`` and ``b`` the same paper ("arXiv id", "DOI", "title"), or None."""
    if conflict(a, b):
        return None
    if a.arxiv and a.arxiv == b.arxiv:
        return None if unrelated_titles(a, b) else "arXiv id"
    if a.doi and a.doi == b.doi:
        return None if unrelated_titles(a, b) else "DOI"
    if a.title and a.title == b.title:
        return "title"
    return None


class IdentityIndex:
    """Papers looked up by identity; ``find`` gives the first one added that is the same paper."""

    def __init__(self) -> None:
        self._by_key: dict[str, list[int]] = {}
        self._items: list[tuple[PaperIdentity, object]] = []

    def add(self, identity: PaperIdentity, item: object) -> None:
        index = len(self._items)
        self._items.append((identity, item))
        for key in identity.keys():
            self._by_key.setdefault(key, []).append(index)

    def sharing_an_id(self, identity: PaperIdentity) -> list[object]:
        """The papers added that share an arXiv id or DOI with ``identity`` but whose titles are
        unrelated to its title (so they were kept apart: one of the ids is probably wrong)."""
        keys = [k for k in identity.keys() if not k.startswith("title:")]
        found = sorted({i for key in keys for i in self._by_key.get(key, ())})
        return [item for i in found for other, item in [self._items[i]]
                if same_paper(identity, other) is None and not conflict(identity, other)
                and unrelated_titles(identity, other)]

    def find(self, identity: PaperIdentity) -> tuple[object, str] | None:
        """(item, reason) of the first paper added that is the same paper, else None."""
        candidates = sorted({i for key in identity.keys() for i in self._by_key.get(key, ())})
        for index in candidates:
            other, item = self._items[index]
            reason = same_paper(identity, other)
            if reason:
                return item, reason
        return None
