"""URL checks and link labels, and the slugs that make stable, safe page names."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

_ALLOWED_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]")

_LABELS = [
    ("arxiv.org/pdf", "PDF"),
    ("arxiv.org", "arXiv"),
    ("openreview.net/pdf", "PDF"),
    ("openreview.net", "OpenReview"),
    ("github.com", "Code"),
    ("gitlab.com", "Code"),
    ("huggingface.co", "Hugging Face"),
    ("paperswithcode.com", "Papers with Code"),
    ("aclanthology.org", "ACL Anthology"),
    ("doi.org", "DOI"),
    ("dl.acm.org", "ACM DL"),
    ("ieeexplore.ieee.org", "IEEE Xplore"),
    ("proceedings.neurips.cc", "NeurIPS"),
    ("papers.nips.cc", "NeurIPS"),
    ("proceedings.mlr.press", "PMLR"),
    ("semanticscholar.org", "Semantic Scholar"),
    ("scholar.google", "Google Scholar"),
    ("youtube.com", "Video"),
    ("youtu.be", "Video"),
]


def url_problem(url: str) -> str | None:
    """Why ``url`` may not be used as a link, or None when it is fine.

    Only http(s), mailto and relative URLs pass. Browsers ignore tabs, newlines and
    control characters inside a scheme (``java\\tscript:``), so those are removed first.
    """
    compact = _INVISIBLE.sub("", url)
    if not compact:
        return "is empty"
    match = _SCHEME.match(compact)
    if match and match.group(1).lower() not in _ALLOWED_SCHEMES:
        return f"uses the scheme '{match.group(1)}:'; only http(s), mailto and relative URLs are allowed"
    return None


_MACHINE_LOCAL = re.compile(
    r"^(?:file:|~[/\\]|[A-Za-z]:[/\\]|\\\\"  # file:// URLs, ~/…, C:\…, \\server\…
    r"|/(?:Users|home|private|var/folders|Volumes|mnt|media|tmp|root|opt|Library|Applications)/)")


def is_machine_local(url: str) -> bool:
    """A path that exists only on the author's machine (``/Users/me/Library/…/typora-user-images/
    x.png``, ``C:\\Users\\…``, ``file:///…``, ``~/Pictures/…``): nobody else has the file."""
    return bool(_MACHINE_LOCAL.match(url.strip().strip("<>")))


_REPOSITORY = re.compile(r"^(?:https?://|ssh://)?(?:[\w.-]+@)?(?:www\.)?github\.com[:/]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$",
                         re.IGNORECASE)
_BLOB = re.compile(r"^https?://(?:www\.)?github\.com/([\w.-]+)/([\w.-]+)/(?:blob|tree|raw)/[^/]+/([^?#]+)"
                   r"(?:\?[^#]*)?(#.*)?$|^https?://raw\.githubusercontent\.com/([\w.-]+)/([\w.-]+)/[^/]+/([^?#]+)(#.*)?$",
                   re.IGNORECASE)


def github_repository(url: str) -> tuple[str, str] | None:
    """(owner, name), lower case, of a GitHub repository address (https, ssh or ``git@`` form)."""
    match = _REPOSITORY.match(url.strip())
    return (match.group(1).lower(), match.group(2).lower()) if match else None


def github_file(url: str) -> tuple[tuple[str, str], str, str] | None:
    """((owner, name), path in the repository, "#fragment" or "") of a link to a file on GitHub
    (``…/blob/<branch>/<path>``, ``/tree/``, ``/raw/``, raw.githubusercontent.com)."""
    match = _BLOB.match(url.strip())
    if not match:
        return None
    groups = match.groups()
    owner, name, path, fragment = groups[:4] if groups[0] else groups[4:]
    return (owner.lower(), name.lower()), path, fragment or ""


def guess_label(url: str) -> str:
    lowered = url.lower()
    for needle, label in _LABELS:
        if needle in lowered:
            return label
    if lowered.split("?")[0].endswith(".pdf"):
        return "PDF"
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # 'http://[oops': an unbalanced IPv6 bracket (found by fuzzing, scripts/fuzz.py)
        host = ""
    return host.removeprefix("www.") or "Link"


_UNSAFE = re.compile(r"[^\w\-]+")
_DASHES = re.compile(r"-{2,}")


def slugify(text: str, fallback: str = "item") -> str:
    """A page-name part: Unicode letters kept, ASCII lower-cased, everything else a dash.

    Safe on Linux, macOS and Windows file systems and in URLs (no ``?``, ``:``, ``#``,
    ``%``, dots or spaces).
    """
    text = unicodedata.normalize("NFKC", text).strip()
    text = "".join(ch.lower() if ch.isascii() else ch for ch in text)
    text = _UNSAFE.sub("-", text)
    text = _DASHES.sub("-", text).strip("-_")
    return text[:120].strip("-_") or fallback


def slugify_path(parts: list[str] | tuple[str, ...], fallback: str = "item") -> str:
    return "/".join(slugify(p, fallback) for p in parts)


def term_url(kind: str, name: str) -> str:
    """Page of one tag, venue, year or status (``kind`` is tags, venues, years or status)."""
    return f"{kind}/{slugify(str(name), kind)}.html"


def category_url(path: tuple[str, ...] | list[str]) -> str:
    """Page of one category; the root (no path) is the home page."""
    if not path:
        return "index.html"
    return f"categories/{slugify_path(tuple(path), 'category')}.html"


def href(path: str) -> str:
    """Percent-encode a site path for use in an href (Unicode page names stay valid URLs)."""
    return quote(path, safe="/#?=&.-_~")
