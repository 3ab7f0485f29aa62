"""Atom feeds (site and per category), sitemap.xml and robots.txt."""

from __future__ import annotations

from typing import Iterable

from . import Output
from .context import EmitContext


class AtomFeeds:
    name = "AtomFeeds"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        return []


class Sitemap:
    name = "Sitemap"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        return []


class RobotsFile:
    name = "RobotsFile"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        return []
