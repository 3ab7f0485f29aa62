"""BibTeX for notes: citation keys, one entry per note, and the site's ``papers.bib``.

Pure functions over :class:`~papernotes.model.Note` objects; entries are built and written with
bibtexparser (v2), never by pasting strings together. The file is UTF-8: accents and Chinese stay
as they are; only the characters BibTeX or LaTeX would misread are escaped (see
:func:`escape_text`).

Citation keys (:func:`citation_keys`):

* a note with a valid own ``bibtex:`` entry in its front matter keeps that entry's key;
* otherwise the *base key* is ``<family name of the first author><year><first title word>``,
  ASCII-folded and lower-cased (``hu2022lora``); ``anon`` without authors (or when the name has
  no Latin letters, e.g. 张三), ``nd`` without a year, and when the title has no ASCII word (a
  Chinese title) the file name's ASCII letters or nothing;
* a key that no other note shares (letter case ignored, as BibTeX does) is used as it is; notes that
  share one each get ``-`` and four base32 characters of a hash of their note key appended
  (``hu2022lora-ab3d``), which depends only on the note itself. Among notes whose own entries
  share a key, the first by note key keeps it. So a note's key depends only on the notes with the
  same :func:`citation_base_key`.
"""

from __future__ import annotations

import base64
import logging
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares.parsestack import default_unparse_stack
from bibtexparser.model import Entry, Field
from bibtexparser.writer import BibtexFormat

from .diagnostics import clip

from .model import Note

# -- escaping ------------------------------------------------------------------------------------

_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}
_STRAY_BRACE = {"{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NEEDS_ESCAPE = re.compile(r"[{}\\&%$#_~^\x00-\x1f\x7f]|[^\S ]|  |^ | $")




def _parse_problem(error: BaseException) -> str:
    if "Aborted" in type(error).__name__ + str(error):
        return "the entry ends before it is complete (is a { or \" left open?)"
    return clip(str(error).splitlines()[0]) if str(error) else type(error).__name__


def parse_quietly(text: str, **options) -> Library:
    """``bibtexparser.parse_string`` without the lines bibtexparser logs for every block it cannot
    read (~30 for one bad entry): papernotes reports the problem itself, with the note's line."""
    logger = logging.getLogger("bibtexparser")
    level, logger.level = logger.level, logging.CRITICAL + 1
    try:
        return bibtexparser.parse_string(text, **options)
    finally:
        logger.setLevel(level)

def escape_text(text: str) -> str:
    """Plain text as a BibTeX field value that LaTeX prints as the same text.

    ``& % $ # _`` get a backslash, ``\\ ~ ^`` become text commands, braces that pair up become
    ``\\{``/``\\}`` and a stray one ``\\textbraceleft{}``/``\\textbraceright{}`` (BibTeX counts
    every brace, escaped or not, so the value always stays balanced). Whitespace runs and control
    characters become one space. Unicode is kept.
    """
    if not _NEEDS_ESCAPE.search(text):
        return text
    text = " ".join(_CONTROL.sub(" ", text).split())
    paired: set[int] = set()
    opened: list[int] = []
    for index, char in enumerate(text):
        if char == "{":
            opened.append(index)
        elif char == "}" and opened:
            paired.update((opened.pop(), index))
    out: list[str] = []
    for index, char in enumerate(text):
        if char in "{}":
            out.append("\\" + char if index in paired else _STRAY_BRACE[char])
        else:
            out.append(_SPECIAL.get(char, char))
    return "".join(out)


def _needs_case_protection(word: str) -> bool:
    """``LoRA``, ``BERT``, ``GPT-3``, ``ImageNet``: a capital after the first letter of a part."""
    for part in re.split(r"[-/]", word):
        letters = [c for c in part if c.isalpha()]
        if any(c.isupper() for c in letters[1:]):
            return True
    return False


def escape_title(title: str) -> str:
    """:func:`escape_text`, with words whose capitals matter (``LoRA``, ``GPT-3``) braced against
    styles that lower-case titles."""
    plain = " ".join(_CONTROL.sub(" ", title).split())
    escaped = escape_text(plain)
    if not plain:
        return escaped
    words, parts = plain.split(" "), escaped.split(" ")  # escaping adds no spaces: they line up
    return " ".join(_protect(word) if _needs_case_protection(word) and not {"{", "}"} & set(word) else part
                    for word, part in zip(words, parts))


_CORE = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)


def _protect(word: str) -> str:
    """``LoRA:`` -> ``{LoRA}:`` (for a word without braces): punctuation around it stays outside."""
    lead, core, trail = _CORE.match(word).groups()  # type: ignore[union-attr]
    if not core:
        return escape_text(word)
    return escape_text(lead) + "{" + escape_text(core) + "}" + escape_text(trail)


def _balanced(text: str) -> bool:
    """Whether every ``{`` and ``}`` pairs up, counting escaped ones too (as BibTeX does)."""
    depth = 0
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


_ET_AL = {"et al", "et al.", "et. al.", "others", "等", "等人", "..."}
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]")
_AND = re.compile(r"\band\b", re.IGNORECASE)


def escape_name(name: str) -> str:
    """One author for the ``author`` field. A name BibTeX would split wrongly (one containing the
    word "and", or a CJK name without "Last, First") is braced so it is taken as written."""
    escaped = escape_text(name)
    if _AND.search(name) or (_CJK.search(name) and "," not in name):
        return "{" + escaped + "}"
    return escaped


def authors_field(authors: Iterable[str]) -> str | None:
    names = [a for a in authors if a.strip()]
    if not names:
        return None
    parts = [escape_name(a) for a in names]
    if names[-1].strip().casefold() in _ET_AL:
        parts[-1] = "others"  # BibTeX's "et al."
        if len(parts) == 1:
            return None
    return " and ".join(parts)


# -- citation keys -------------------------------------------------------------------------------

_STOP_WORDS = frozenset("""
a an the on of in at to for from by with and or towards toward via is are be do does what how why
when where can we our your you its their this that these those
""".split())
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
                       "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i"})
_NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}


def ascii_fold(text: str) -> str:
    """``Dessì`` -> ``Dessi``, ``Łukasz`` -> ``Lukasz``; characters without a Latin form are dropped."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in text if c.isascii() and not unicodedata.combining(c))


def _family_name(name: str) -> str:
    name = name.replace("{", "").replace("}", "").strip()
    if "," in name:  # "Hu, Edward J."
        family = name.split(",", 1)[0]
    else:
        words = [w for w in name.split() if w.casefold() not in _NAME_SUFFIXES]
        family = words[-1] if words else ""
    return re.sub(r"[^a-z]", "", ascii_fold(family).lower())


def _first_title_word(title: str) -> str:
    for word in re.findall(r"[a-z0-9]+", ascii_fold(title).lower()):
        if word not in _STOP_WORDS and any(c.isalpha() for c in word):
            return word
    return ""


def generated_base_key(note: Note) -> str:
    """``hu2022lora``: first author's family name, year (or ``nd``), first meaningful title word."""
    authors = [a for a in note.authors if a.strip().casefold() not in _ET_AL]
    family = _family_name(authors[0]) if authors else ""
    word = _first_title_word(note.title)
    if not word:  # e.g. a Chinese title: the file name's ASCII letters, if any
        word = re.sub(r"[^a-z0-9]", "", ascii_fold(note.key.rsplit("/", 1)[-1]).lower())[:20]
    return f"{family or 'anon'}{note.year or 'nd'}{word}"


def citation_base_key(note: Note) -> str:
    """What a note's citation key is decided from, letter case folded: its own entry's key, or
    :func:`generated_base_key`. Notes with different base keys affect each other's keys only
    through :func:`key_groups`."""
    own, _ = _parse_own(note)
    return own.key.casefold() if own is not None else generated_base_key(note)


def key_groups(note: Note) -> set[str]:
    """The base keys of the notes whose citation keys may change with this note's key inputs:
    its own base key, and, when that key (its own entry's, letter case folded, or the generated
    one) has the shape of a told-apart key ``stem-hash``, the base key ``stem``: the notes told
    apart there step aside from it (``citation_keys``), though their base key differs from this one's."""
    base = citation_base_key(note)
    stem, dash, _ = base.rpartition("-")
    return {base, stem} if dash and stem else {base}


class BaseKeys:
    """:func:`citation_base_key` per note, remembered while the note's key inputs stay the same
    (the note pages' dependencies and every Cite block ask for all of them)."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[tuple, str]] = {}

    @staticmethod
    def _inputs(note: Note) -> tuple:
        extra = note.extra.get("bibtex") if isinstance(note.extra, dict) else None
        return (note.title, note.authors, note.year, extra if isinstance(extra, str) else repr(extra))

    def __call__(self, note: Note) -> str:
        inputs = self._inputs(note)
        known = self._known.get(note.key)
        if known is not None and known[0] == inputs:
            return known[1]
        base = citation_base_key(note)
        self._known[note.key] = (inputs, base)
        return base

    def remember(self, note: Note, base: str) -> None:
        """``base``: ``citation_base_key(note)`` as computed before (kept with the note in the
        build cache)."""
        self._known[note.key] = (self._inputs(note), base)


def key_hash(note_key: str, length: int = 4) -> str:
    """A short lower-case base32 digest of a note key (its path below notes/), stable forever."""
    digest = hashlib.sha256(note_key.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:length]


def citation_keys(notes: Iterable[Note], base_of: Callable[[Note], str] = citation_base_key) -> dict[str, str]:
    """Note key -> citation key, unique (letter case ignored) and independent of the order of
    ``notes``; see the module docstring for the scheme. ``base_of``: :func:`citation_base_key`
    or a :class:`BaseKeys` that remembers it."""
    ordered = sorted(notes, key=lambda n: n.key)
    own_keys: dict[str, str] = {}
    groups: dict[str, list[Note]] = {}
    for note in ordered:
        own, _ = _parse_own(note)
        if own is not None:
            own_keys[note.key] = own.key
        groups.setdefault(base_of(note), []).append(note)

    fixed: dict[str, str] = {}
    suffixed: dict[str, str] = {}  # note key -> stem that gets a hash
    for group, members in groups.items():
        if len(members) == 1:
            note = members[0]
            fixed[note.key] = own_keys.get(note.key, group)
            continue
        winner = next((n for n in members if n.key in own_keys), None)
        for note in members:
            if note is winner:
                fixed[note.key] = own_keys[note.key]
            else:
                suffixed[note.key] = own_keys.get(note.key, group)

    keys = dict(fixed)
    taken = {k.casefold() for k in fixed.values()}
    for note_key, stem in sorted(suffixed.items()):
        length = 4
        key = f"{stem}-{key_hash(note_key, length)}"
        while key.casefold() in taken:  # practically never: a clash of hashes or with an own key
            length += 4
            key = f"{stem}-{key_hash(note_key, length)}"
        keys[note_key] = key
        taken.add(key.casefold())
    return {n.key: keys[n.key] for n in ordered}


# -- a note's own entry ----------------------------------------------------------------------------

#: What an own entry's key may hold: letters, digits and ``_ : . / + - ! ? * @ &`` (enough for
#: DBLP keys such as ``DBLP:conf/iclr/HuSWALWWC22``); nothing BibTeX, LaTeX or HTML reads specially.
_KEY_OK = re.compile(r"^[\w:./+\-!?*@&]+$")


def _parse_own(note: Note) -> tuple[Entry | None, str | None]:
    """(the note's own ``bibtex:`` entry, None) when it is usable; (None, why not) when it is
    given but unusable; (None, None) when the note has none."""
    value = note.extra.get("bibtex") if isinstance(note.extra, dict) else None
    if value is None:
        return None, None
    if not isinstance(value, str):
        return None, "bibtex must be text (a BibTeX entry, e.g. in a '|' block), not a list or mapping"
    if not value.strip():
        return None, None
    try:
        library = parse_quietly(value)
    except Exception as exc:  # noqa: BLE001 - any parser failure means "not usable"
        return None, f"bibtex cannot be read: {_parse_problem(exc)}"
    if library.failed_blocks:
        return None, f"bibtex cannot be read: {_parse_problem(library.failed_blocks[0].error)}"
    if len(library.entries) != 1:
        return None, f"bibtex holds {len(library.entries)} entries; write exactly one '@type{{key, …}}'"
    entry = library.entries[0]
    if not _KEY_OK.match(entry.key or ""):
        return None, f"bibtex entry key '{entry.key}' is not a usable citation key"
    for item in entry.fields:
        if not isinstance(item.value, str) or not _balanced(item.value):
            return None, f"bibtex field '{item.key}' has unbalanced braces"
    return entry, None


def own_entry(note: Note) -> Entry | None:
    """The note's own ``bibtex:`` entry when it is exactly one well-formed entry, else None (a
    generated entry is used instead; :func:`own_entry_problem` says why)."""
    return _parse_own(note)[0]


def own_entry_problem(note: Note) -> str | None:
    """Why the note's ``bibtex:`` front matter is not used, for a warning; None when it is used
    or absent."""
    return _parse_own(note)[1]


# -- generated entries -----------------------------------------------------------------------------

_CONFERENCES = frozenset("""
iclr neurips nips icml acl emnlp naacl eacl aacl coling conll lrec cvpr iccv eccv wacv bmvc kdd www
thewebconf aaai ijcai sigir wsdm cikm recsys icde sigmod vldb icdm sdm colt uai aistats corl rss icra
iros miccai interspeech icassp chi uist siggraph colm mlsys osdi sosp nsdi
""".split())
_CONFERENCE_WORDS = ("workshop", "conference", "proceedings", "symposium", "findings", "congress")
_JOURNALS = frozenset("jmlr tpami pami ijcv tacl tmlr tkde tnnls tip tog pnas nature science".split())
_JOURNAL_WORDS = ("journal", "transactions", "letters", "magazine", "review")
_PREPRINT_WORDS = ("arxiv", "corr", "preprint", "biorxiv", "medrxiv")


def venue_kind(venue: str | None) -> str:
    """``inproceedings``, ``article`` or ``misc`` (preprints, blogs, no venue)."""
    if not venue:
        return "misc"
    lowered = venue.casefold()
    words = set(re.findall(r"[a-z]+", lowered))
    if words & _JOURNALS or any(w in lowered for w in _JOURNAL_WORDS):
        return "article"
    if words & _CONFERENCES or any(w in lowered for w in _CONFERENCE_WORDS):
        return "inproceedings"
    return "misc"


def _is_preprint_venue(venue: str | None) -> bool:
    return venue is None or any(w in venue.casefold() for w in _PREPRINT_WORDS)


def _verbatim(text: str) -> str:
    """A URL or DOI, which styles print verbatim: only what could break the file is changed."""
    return "".join(f"%{ord(c):02X}" if c in '{}\\" ' or ord(c) < 0x20 else c for c in text.strip())


def _doi(note: Note) -> str | None:
    if not note.doi:
        return None
    doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", note.doi.strip(), flags=re.IGNORECASE)
    return _verbatim(doi) or None


_NOT_THE_PAPER = {"code", "video", "slides", "blog", "hugging face", "papers with code"}


def _url(note: Note) -> str | None:
    """The first http(s) link, preferring one that is not labelled as code, video, slides …"""
    web = [link for link in note.links if link.url.lower().startswith(("http://", "https://"))]
    paper = [link for link in web if link.label.casefold() not in _NOT_THE_PAPER]
    chosen = (paper or web)[:1]
    return _verbatim(chosen[0].url) if chosen else None


_ARXIV_LINK = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/"
                         r"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?/?$")


def arxiv_id(note: Note) -> str | None:
    """The note's ``arxiv`` id without version, else one read from an arxiv.org link."""
    found = note.arxiv
    if not found:
        for link in note.links:
            match = _ARXIV_LINK.match(link.url.strip())
            if match:
                found = match.group(1)
                break
    return re.sub(r"v\d+$", "", found) if found else None


def entry_for(note: Note, key: str) -> Entry:
    """The entry generated from the note's front matter (its own ``bibtex:`` is not looked at).

    No authors: no ``author`` field; no year: no ``year`` field (both are still valid BibTeX).
    """
    kind = venue_kind(note.venue)
    eprint = arxiv_id(note)
    fields: list[Field] = [Field("title", escape_title(note.title))]
    author = authors_field(note.authors)
    if author:
        fields.append(Field("author", author))
    if kind == "inproceedings":
        fields.append(Field("booktitle", escape_text(note.venue or "")))
    elif kind == "article":
        fields.append(Field("journal", escape_text(note.venue or "")))
    elif eprint:
        fields.append(Field("howpublished", escape_text(f"arXiv preprint arXiv:{eprint}")))
    elif note.venue and not _is_preprint_venue(note.venue):
        fields.append(Field("howpublished", escape_text(note.venue)))
    if note.year:
        fields.append(Field("year", str(note.year)))
    doi = _doi(note)
    if doi:
        fields.append(Field("doi", doi))
    if eprint:
        fields.append(Field("eprint", eprint))
        fields.append(Field("archivePrefix", "arXiv"))
        if "/" in eprint:  # old-style ids name their archive: hep-th/9901001
            fields.append(Field("primaryClass", eprint.split("/", 1)[0]))
    url = _url(note)
    if url:
        fields.append(Field("url", url))
    return Entry(kind, key, fields)


def note_entry(note: Note, key: str) -> Entry:
    """The note's entry as cited: its own ``bibtex:`` entry (under ``key``) when usable, else the
    generated one."""
    own = own_entry(note)
    if own is None:
        return entry_for(note, key)
    return Entry(own.entry_type, key, [Field(f.key, f.value, enclosing=f.enclosing) for f in own.fields])


# -- writing -----------------------------------------------------------------------------------------

def _format() -> BibtexFormat:
    fmt = BibtexFormat()
    fmt.indent = "  "
    fmt.value_column = 0
    fmt.block_separator = "\n"
    fmt.trailing_comma = False
    return fmt


def write_entries(entries: list[Entry]) -> str:
    return bibtexparser.write_string(
        Library(entries), unparse_stack=default_unparse_stack(allow_inplace_modification=True),
        bibtex_format=_format(),
    )


def entry_text(note: Note, key: str) -> str:
    """One note's entry as BibTeX text (what its page's Cite block shows)."""
    return write_entries([note_entry(note, key)])


HEADER = "% papers.bib: generated by papernotes; UTF-8. Edit the notes' front matter, not this file.\n\n"


def bibliography(notes: Iterable[Note], text_of: Callable[[Note, str], str] = entry_text) -> str:
    """The whole ``papers.bib``: one entry per note, ordered by note key. ``text_of(note, key)``
    gives one entry's text (:func:`entry_text`, or a cache of it)."""
    notes = sorted(notes, key=lambda n: n.key)
    keys = citation_keys(notes)
    # Each entry's text ends with a newline; the writer puts one blank line between entries.
    return HEADER + "\n".join(text_of(n, keys[n.key]) for n in notes)


def entry_inputs(note: Note, key: str) -> tuple:
    """Everything :func:`entry_text` reads from a note: equal inputs, equal text."""
    return (key, note.title, note.authors, note.venue, note.year, note.arxiv, note.doi, note.links,
            note.extra.get("bibtex") if isinstance(note.extra, dict) else None)


@dataclass(frozen=True)
class Citation:
    """What a note page's Cite block shows."""

    key: str
    text: str
