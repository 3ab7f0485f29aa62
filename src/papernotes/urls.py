"""URL checks and link labels, and the slugs that make stable, safe page names."""

from __future__ import annotations

import hashlib
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
#: Signs that make one name another (``C``, ``C++``, ``C#``): spelled out in page names.
_SPELLED = {"+": "-plus-", "#": "-sharp-", "&": "-and-", "@": "-at-"}
_SIGNS = re.compile("[" + re.escape("".join(_SPELLED)) + "]")

#: Longest page-name part in bytes (UTF-8): file systems allow 255 per name, and a page adds
#: ``.html`` (a category's feed ``.atom.xml``).
PART_BYTES = 200
#: Longest site path of a page, in bytes (a safe total below every system's limit, the output
#: folder's own path in front of it included).
PATH_BYTES = 1000
_KEEP_CHARS = 120  # a part up to this many characters (and PART_BYTES) is kept whole


def short_hash(text: str, length: int = 8) -> str:
    """A stable, short digest of ``text`` (the same in every build and on every machine)."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def slugify(text: str, fallback: str = "item") -> str:
    """A page-name part: Unicode letters kept, ASCII lower-cased, everything else a dash.

    Safe on Linux, macOS and Windows file systems and in URLs (no ``?``, ``:``, ``#``,
    ``%``, dots or spaces).
    """
    return cut_bytes(_clean(text, spell=False)[:_KEEP_CHARS], PART_BYTES).strip("-_") or fallback


def page_slug(text: str, fallback: str = "item") -> str:
    """The page-name part of a tag, venue, category or note file name.

    As :func:`slugify`, and: ``+ # & @`` are spelled out (``c-plus-plus``, ``c-sharp``); a name
    with nothing left (``!!!``) is ``<fallback>-<hash>``; a name too long for a file system
    (over 120 characters or 200 bytes) is cut and ends in a hash of the whole name, so that
    two long names sharing a beginning still get two pages."""
    clean = _clean(text)
    if not clean:
        return f"{fallback}-{short_hash(text, 6)}" if text.strip() else fallback
    if not _too_long(clean):
        return clean
    return f"{cut_bytes(clean[:_KEEP_CHARS - 9], PART_BYTES - 9).rstrip('-_')}-{short_hash(text)}"


def _clean(text: str, spell: bool = True) -> str:
    """NFKC, ASCII lower-cased, anything but letters, digits, ``_`` and ``-`` a dash (``spell``:
    ``+ # & @`` spelled out first)."""
    clean = unicodedata.normalize("NFKC", text)
    if spell:
        clean = unicodedata.normalize("NFKC", _SIGNS.sub(lambda m: _SPELLED[m.group()], clean))
    clean = "".join(ch.lower() if ch.isascii() else ch for ch in clean.strip())
    return _DASHES.sub("-", _UNSAFE.sub("-", clean)).strip("-_")


def _too_long(clean: str) -> bool:
    return len(clean) > _KEEP_CHARS or len(clean.encode("utf-8", "surrogatepass")) > PART_BYTES


def is_shortened(parts: list[str] | tuple[str, ...]) -> bool:
    """The page name of this name (or nested name) had to be shortened to fit a file system."""
    return any(_too_long(_clean(part)) for part in parts) or \
        len("/".join(_clean(p) for p in parts).encode("utf-8", "surrogatepass")) > PATH_BYTES - 100


def cut_bytes(text: str, limit: int) -> str:
    """The longest beginning of ``text`` whose UTF-8 form has at most ``limit`` bytes."""
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", "ignore")


def slug_path(parts: list[str] | tuple[str, ...], fallback: str = "item") -> str:
    """The page path of a nested name (a category, a note's folders and file name): each part a
    :func:`page_slug`, the whole within PATH_BYTES (past it, the rest becomes one hashed part)."""
    slugs = [page_slug(p, fallback) for p in parts]
    joined = "/".join(slugs)
    if len(joined.encode("utf-8", "surrogatepass")) <= PATH_BYTES - 100:
        return joined
    kept: list[str] = []
    used = 0
    for slug in slugs:
        size = len(slug.encode("utf-8", "surrogatepass")) + 1
        if used + size > PATH_BYTES - 300:
            break
        kept.append(slug)
        used += size
    rest = "/".join(parts[len(kept):])
    return "/".join([*kept, f"{cut_bytes(slugs[len(kept)], 60).rstrip('-_')}-{short_hash(rest)}"])


def term_url(kind: str, name: str, slug: str | None = None) -> str:
    """Page of one tag, venue, year or status (``kind`` is tags, venues, years or status);
    ``slug`` when the site gave the name another page name (two names sharing one)."""
    return f"{kind}/{slug or page_slug(str(name), kind)}.html"


def category_url(path: tuple[str, ...] | list[str], slug: str | None = None) -> str:
    """Page of one category; the root (no path) is the home page."""
    if not path:
        return "index.html"
    return f"categories/{slug or slug_path(tuple(path), 'category')}.html"


def href(path: str) -> str:
    """Percent-encode a site path for use in an href (Unicode page names stay valid URLs)."""
    return quote(path, safe="/#?=&.-_~")
