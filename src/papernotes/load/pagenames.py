"""Page names: every distinct note, tag, venue and category gets a page of its own.

Two names can share a slug (``LoRA.md`` beside ``lora.md``, categories ``ML`` and ``ml``, tags
``a b`` and ``a-b``), and a note's page can land on a file of the user's (``notes/foo.html``
beside ``notes/foo.md``). The rule, the same for notes, tags, venues and categories:

* names are grouped by their slug, compared without letter case (a case-insensitive file system,
  as macOS and Windows have by default, would make ``Ω.html`` and ``ω.html`` one file);
* in a group, the name that is spelled as its slug keeps it (``lora.md`` keeps ``lora.html`` when
  ``LoRA.md`` is added), else the first name in sort order;
* every other name gets ``<slug>-<6 hex digits of a hash of the name itself>``: stable across
  builds, whatever other names come and go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, TypeVar

from ..urls import short_hash

Name = TypeVar("Name")


@dataclass
class SlugChoice:
    """The page names chosen for a set of names, and the names that had to move."""

    slugs: dict = field(default_factory=dict)  # name -> slug
    moved: list = field(default_factory=list)  # (name, slug it wanted, who has it, slug it got)


def distinct_slugs(names: Iterable[Name], slug_of: Callable[[Name], str], spelled: Callable[[Name], str],
                   reserved: Callable[[str], str | None] = lambda slug: None,
                   exact: Callable[[Name, str], bool] | None = None) -> SlugChoice:
    """A slug per name, no two alike (ignoring letter case) and none that ``reserved`` names a
    holder for (it returns who holds that slug, e.g. the user's file, or None).

    ``spelled``: the name as text (sorted by, and hashed for a suffix); ``exact(name, slug)``: the
    name is spelled as its slug (it keeps the slug when others share it); by default
    ``spelled(name) == slug``."""
    if exact is None:
        def exact(name: Name, slug: str) -> bool:
            return spelled(name) == slug
    groups: dict[str, list[Name]] = {}
    wanted: dict[Name, str] = {}
    for name in names:
        slug = wanted[name] = slug_of(name)
        groups.setdefault(slug.casefold(), []).append(name)
    choice = SlugChoice()
    for members in groups.values():
        if len(members) == 1 and reserved(wanted[members[0]]) is None:  # nearly every name
            choice.slugs[members[0]] = wanted[members[0]]
            continue
        members.sort(key=lambda n: (not exact(n, wanted[n]), spelled(n)))
        holder = reserved(wanted[members[0]])
        for i, name in enumerate(members):
            slug = wanted[name]
            if i == 0 and holder is None:
                choice.slugs[name] = slug
                continue
            got = f"{slug}-{short_hash(spelled(name), 6)}"
            choice.slugs[name] = got
            choice.moved.append((name, slug, holder if holder is not None else members[0], got))
    return choice
