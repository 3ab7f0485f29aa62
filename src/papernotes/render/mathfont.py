"""The site's own math font: STIX Two Math, subset to the characters its formulas use, as WOFF2.

Browsers draw MathML with an OpenType MATH font: it holds the bigger variants and the pieces
of stretchy parentheses, radicals, braces and arrows. Many machines have none (Android, many
Linux desktops), and a page in ``lang="zh-CN"`` then falls back to a CJK font that has no MATH
table: nothing stretches. So every site carries one (docs/math.md compares the candidates).

* The font comes from the ``ziamath`` wheel on PyPI (installed with papernotes; it ships STIX Two
  Math 2.11 under the SIL Open Font License). Its file is located without importing ziamath.
* ``math_characters`` collects the characters of a rendered body's ``<math>`` elements (the TeX
  annotations left out); the subset holds those, a fixed base (ASCII, Greek, the mathematical
  italic and bold alphabets Chromium maps letters to), and everything the MATH, GSUB and GPOS
  tables reach from them (size variants, stretchy parts, ``ssty`` script forms, primes).
* Subsetting and WOFF2 compression take about a second. ``MathFontSubsetter`` keeps the last
  subset in memory (a rebuild whose formulas draw no new character costs nothing) and every subset
  in a cache shared by all sites of the user (``$XDG_CACHE_HOME/papernotes/math-font/``, else
  ``~/.cache/…``; ``PAPERNOTES_FONT_CACHE`` names another folder), keyed by the font file, the
  characters and ``SUBSET_VERSION``: the same characters always give the same bytes.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import io
import os
import re
import tempfile
from pathlib import Path

from ..usercache import user_cache_dir

FONT_FILE = "STIXTwoMath-Regular.ttf"
FONT_FAMILY = "papernotes math"  # the @font-face name in style.css
OUTPUT_PATH = "assets/math.woff2"
LICENSE_PATH = "assets/math-font-OFL.txt"
SUBSET_VERSION = "1"  # change with the subsetting options below: the shared cache is keyed by it


def _base_characters() -> str:
    ranges = [(0x20, 0x7E), (0xA0, 0xFF), (0x391, 0x3A9), (0x3B1, 0x3C9), (0x3D1, 0x3D6),
              (0x2032, 0x2037),  # primes
              (0x221A, 0x221C),  # radicals: <msqrt>/<mroot> draw one that is in no text
              (0x2212, 0x2212),  # the minus sign Chromium draws for "-" in <mo>
              (0x2061, 0x2064),  # invisible operators
              (0x1D400, 0x1D433), (0x1D434, 0x1D467), (0x1D468, 0x1D49B),  # bold, italic, bold italic
              (0x1D6A8, 0x1D6E1), (0x1D6E2, 0x1D71B), (0x1D71C, 0x1D755),  # Greek bold, italic, bold italic
              (0x210E, 0x210E)]  # ℎ, the italic h
    return "".join(chr(c) for first, last in ranges for c in range(first, last + 1))


BASE_CHARACTERS = _base_characters()

_MATH_RE = re.compile(r"<math\b.*?</math>", re.S)
_ANNOTATION_RE = re.compile(r"<annotation\b.*?</annotation>", re.S)
_TAG_RE = re.compile(r"<[^>]*>")


def math_characters(body_html: str) -> str:
    """The characters drawn by the ``<math>`` elements of ``body_html``, sorted, each once."""
    if "<math" not in body_html:
        return ""
    found: set[str] = set()
    for element in _MATH_RE.findall(body_html):
        text = _TAG_RE.sub("", _ANNOTATION_RE.sub("", element))
        found.update(html.unescape(text))
    found.difference_update(" \n\t\r")
    return "".join(sorted(found))


def font_source() -> Path:
    """The full STIX Two Math file of the installed ``ziamath`` package."""
    spec = importlib.util.find_spec("ziamath")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = Path(folder) / "fonts" / FONT_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(f"the math font {FONT_FILE} was not found: papernotes needs the 'ziamath' "
                            "package (pip install ziamath), which ships it")


def subset_font(characters: str, source: Path | None = None) -> bytes:
    """A WOFF2 of the math font with ``characters`` (plus the base set) and what its MATH, GSUB
    and GPOS tables reach from them."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # ssty (script forms), dtls, flac, …
    options.name_IDs = ["*"]  # copyright and licence stay in the file
    options.notdef_outline = True
    options.hinting = False  # browsers draw it unhinted at text sizes anyway
    options.drop_tables += ["FFTM"]
    font = TTFont(source or font_source(), recalcTimestamp=False)  # the same bytes for the same subset
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=BASE_CHARACTERS + characters)
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff2"
    font.save(out)
    return out.getvalue()


LICENSE_TEXT = """\
The math font of this site (math.woff2) is a subset of STIX Two Math 2.11,
Copyright 2001-2020 The STIX Fonts Project Authors (https://github.com/stipub/stixfonts),
licensed under the SIL Open Font License, Version 1.1 (https://openfontlicense.org).
It is included as the site's math font by papernotes; the subset keeps the font's own
copyright and licence entries.
"""


def shared_cache_dir() -> Path:
    if os.environ.get("PAPERNOTES_FONT_CACHE"):
        return Path(os.environ["PAPERNOTES_FONT_CACHE"])
    return user_cache_dir("math-font")


class MathFontSubsetter:
    """Subsets the math font once per character set: the last subset in memory, all of them in
    the shared cache folder (a folder that cannot be written is simply not used)."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self._cache_dir = cache_dir
        self._done: dict[str, bytes] = {}
        self._source: tuple[Path, str] | None = None  # the font file and its digest

    @staticmethod
    def characters_of(sets: list[str]) -> str:
        return "".join(sorted(set().union(*sets))) if sets else ""

    def font(self, characters: str) -> bytes:
        if self._source is None:
            path = font_source()
            self._source = (path, hashlib.sha256(path.read_bytes()).hexdigest())
        path, digest = self._source
        key = hashlib.sha256("\0".join([SUBSET_VERSION, digest, characters]).encode("utf-8", "surrogatepass")).hexdigest()
        data = self._done.get(key)
        if data is not None:
            return data
        folder = self._cache_dir or shared_cache_dir()
        stored = folder / f"{key}.woff2"
        try:
            data = stored.read_bytes()
        except OSError:
            data = b""
        if not data.startswith(b"wOF2"):
            data = subset_font(characters, path)
            _store(stored, data)
        self._done = {key: data}  # the last one only: the font of the site as it is now
        return data


def _store(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".woff2")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError:
        pass
