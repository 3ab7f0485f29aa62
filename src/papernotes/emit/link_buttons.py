"""A note's links as the buttons under its title: each address once, each label once."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from ..model import Link


def _same_address(url: str) -> str:
    """``http://arxiv.org/abs/1/`` and ``https://arxiv.org/abs/1`` lead to the same page."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # "http://[oops": compared as written
        return url.strip()
    if parts.scheme.lower() in ("http", "https"):
        host = parts.netloc.lower().removeprefix("www.")
        return f"{host}{parts.path.rstrip('/')}?{parts.query}#{parts.fragment}"
    return url.strip()


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower().removeprefix("www.")
    except ValueError:
        return ""


def link_buttons(links: tuple[Link, ...] | list[Link]) -> list[Link]:
    """The links without a second one to the same address (the first label wins); two links
    that share a label ("PDF" from the arXiv id and "PDF" written by hand) are told apart by
    their site, or, on the same site, by number ("PDF", "PDF 2")."""
    kept: list[Link] = []
    seen: set[str] = set()
    for link in links:
        address = _same_address(link.url)
        if address not in seen:
            seen.add(address)
            kept.append(link)
    shared = {label for label, n in Counter(link.label for link in kept).items() if n > 1}
    labelled: list[Link] = []
    used: set[str] = set()
    for link in kept:
        label = link.label
        if label in shared and _host(link.url):
            label = f"{label} ({_host(link.url)})"
        number = 2
        unique = label
        while unique in used:
            unique = f"{label} {number}"
            number += 1
        used.add(unique)
        labelled.append(Link(unique, link.url))
    return labelled
