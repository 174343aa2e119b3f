"""Where analytics' pages read a venue's alerts. Alerts are checked on analytics' numbers (alerts imports
analytics), so analytics does not import alerts back: the alerts app registers its selectors here when it starts
(alerts.apps), the way one app above hands a hook to one below."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from analytics.periods import Period


@dataclass(frozen=True)
class AlertSource:
    open_counts: Callable[[], dict[int, int]]  # venue id -> its alerts not resolved (in the active scope)
    during: Callable[[Any, Period], Any]  # (venue, period) -> its alerts overlapping the period, oldest first


_registered: list[AlertSource] = []


def alert_source_register(source: AlertSource) -> None:
    _registered[:] = [source]


def alert_source() -> AlertSource:
    if not _registered:
        raise RuntimeError("No alert source registered: the alerts app registers one when it starts (alerts.apps).")
    return _registered[0]
