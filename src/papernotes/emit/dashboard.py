"""The reading dashboard: counts per status and category, notes read per month, oldest triage."""

from __future__ import annotations

from typing import Iterable

from . import Output
from .context import EmitContext


class DashboardPage:
    name = "DashboardPage"

    def outputs(self, ctx: EmitContext) -> Iterable[Output]:
        return []
