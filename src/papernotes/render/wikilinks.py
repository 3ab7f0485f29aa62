"""Wikilinks (Obsidian and Foam style): ``[[file]]``, ``[[file|label]]``, ``[[file#heading]]``,
``[[title]]``, as a markdown-it inline rule.

A target is looked up by file name (the name without ``.md``, any letter case, optionally with a
folder path: relative to the linking note, then from the notes folder, then any note whose path
ends so), then by title (any letter case). One match is a link; none, or several, is a warning
and a visibly broken link. ``#heading`` goes to the heading's id (the renderer's slugging).
The rule runs before markdown-it's own link rule; code spans and math are consumed by their own
rules first, so ``[[…]]`` inside them stays text.
"""

from __future__ import annotations

import html
import posixpath
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from ..model import Note

#: Longest target (with label) a wikilink may have; beyond it ``[[`` is text.
_MAX_LENGTH = 400


def fold(name: str) -> str:
    """A name as wikilinks compare it: Unicode NFC, runs of white space as one space, case folded."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def _strip_extension(name: str) -> str:
    lowered = name.lower()
    for extension in (".markdown", ".md"):
        if lowered.endswith(extension) and len(name) > len(extension):
            return name[: -len(extension)]
    return name


def names_of(note: Note) -> set[str]:
    """The names a wikilink may use for ``note``: its file name and its title, folded."""
    return {fold(note.source.stem), fold(note.title)}


@dataclass
class WikiIndex:
    by_stem: dict[str, list[Note]] = field(default_factory=dict)
    by_title: dict[str, list[Note]] = field(default_factory=dict)

    @classmethod
    def of(cls, notes: Iterable[Note]) -> "WikiIndex":
        index = cls()
        for note in sorted((n for n in notes if not n.describes_category), key=lambda n: n.key):
            index.by_stem.setdefault(fold(note.source.stem), []).append(note)
            index.by_title.setdefault(fold(note.title), []).append(note)
        return index

    def state(self, name: str) -> tuple:
        """What a lookup of ``name`` finds now (the build cache compares it with the last build's)."""
        found = self.by_stem.get(name, []) + self.by_title.get(name, [])
        return tuple((n.key, n.url, fold(n.source.stem), fold(n.title)) for n in found)


@dataclass(frozen=True)
class WikiTarget:
    note: Note | None
    problem: str | None  # why there is no link (no such note; several notes)
    names: frozenset[str]  # the folded names looked up


def resolve_wikilink(index: WikiIndex, note: Note, target: str) -> WikiTarget:
    written = target.strip()
    name = _strip_extension(written)
    path = fold(name).strip("/")
    stem = path.rpartition("/")[2]
    names = frozenset({stem, fold(written)})
    if "/" in path:
        candidates = index.by_stem.get(stem, [])
        here = posixpath.dirname(note.key)
        relative = posixpath.normpath(posixpath.join(here, path))
        for wanted in (relative.casefold(), posixpath.normpath(path)):
            found = [n for n in candidates if n.key.casefold() == wanted]
            if found:
                return WikiTarget(found[0], None, names)
        found = [n for n in candidates if n.key.casefold().endswith("/" + path)]
    else:
        found = index.by_stem.get(stem, [])
    if not found:
        found = index.by_title.get(fold(written), [])
    if len(found) == 1:
        return WikiTarget(found[0], None, names)
    if not found:
        return WikiTarget(None, f"no note called '{written}'", names)
    shown = ", ".join(n.rel_path for n in found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
    return WikiTarget(None, f"'{written}' could mean several notes ({shown}); write its folder too, "
                            f"as [[{found[0].key}]]", names)


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    src, start = state.src, state.pos
    if not src.startswith("[[", start):
        return False
    end = src.find("]]", start + 2, min(state.posMax, start + 2 + _MAX_LENGTH + 2))
    if end < 0:
        return False
    inner = src[start + 2 : end]
    if not inner.strip() or "[" in inner or "]" in inner or "\n" in inner:
        return False
    if not silent:
        # In a table cell the separator is written \| (a bare | would end the cell).
        target, sep, label = inner.replace("\\|", "|").partition("|")
        token = state.push("wikilink", "", 0)
        token.content = inner
        token.meta = {"target": target, "label": label.strip() if sep else ""}
    state.pos = end + 2
    return True


def render_wikilink(self, tokens: list[Token], idx: int, options, env) -> str:
    """The HTML of a wikilink token, once the post-processing rule has resolved it."""
    meta = tokens[idx].meta
    label = html.escape(meta.get("shown", ""))
    href = meta.get("href")
    if href is None:
        problem = html.escape(meta.get("problem") or "not resolved", quote=True)
        return f'<span class="wikilink broken" title="{problem}">{label}</span>'
    return f'<a class="wikilink" href="{html.escape(href, quote=True)}">{label}</a>'


def shown_label(target: str, label: str) -> str:
    """What a wikilink reads as: its label, else the target as written (``file › heading``)."""
    if label:
        return label
    name, sep, heading = target.strip().partition("#")
    name = _strip_extension(name.strip())
    if not sep:
        return name
    return f"{name} › {heading.strip()}" if name else heading.strip()


def wikilinks_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("link", "wikilink", _wikilink_rule)
    md.add_render_rule("wikilink", render_wikilink)
