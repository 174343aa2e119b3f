"""The printable report of a venue for a period: the dashboard's answers put together as one document, with its
bar charts drawn on the server as SVG geometry (they print reliably and need no JavaScript)."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from analytics import selectors, visitors
from analytics.alert_source import alert_source
from analytics.periods import Period

ALERTS_LISTED = 50
MAX_BAR_WIDTH = 56  # a period of a few days still looks like a bar chart


def _count(value) -> str:
    return f"{value:,}"


def _duration(seconds) -> str:
    total = round(seconds)
    return f"{total // 60} min {total % 60:02d} s" if total >= 60 else f"{total} s"


def _share(value) -> str:
    return f"{value:.1%}"


def _occupancy(value) -> str:
    return f"{value:g} people"


# label, key of the overview answer, how its value reads
KPIS = (
    ("Visitors", "visitors", _count),
    ("Visits", "visits", _count),
    ("People (each recognised face once)", "unique_visitors", _count),
    ("Average visit", "average_visit_seconds", _duration),
    ("Median visit", "median_visit_seconds", _duration),
    ("Most people at once", "peak_occupancy", _occupancy),
    ("Transactions", "transactions", _count),
    ("Revenue", "revenue", lambda value: f"{Decimal(value):,.2f}"),
    ("Conversion (transactions per visitor)", "conversion", _share),
)


def _signed_change(now, before) -> str | None:
    """The relative change as "+12%" or "-3%"; None where there is nothing to compare with."""
    if now is None or before is None or not float(before):  # revenue comes as a string
        return None
    return f"{float(now) / float(before) - 1:+.0%}"


def kpi_rows(now: dict, before: dict) -> list[dict]:
    """The overview's headline numbers next to the previous period's, formatted, with the change."""
    rows = []
    for label, key, reads in KPIS:
        value, previous = now[key], before[key]
        rows.append({
            "label": label, "key": key, "now": "—" if value is None else reads(value),
            "before": "—" if previous is None else reads(previous), "change": _signed_change(value, previous),
        })  # fmt: skip
    return rows


def _tick_step(top: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) so that four steps reach `top`."""
    if top <= 0:
        return 1
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def bar_chart(points: list[tuple[str, float]], *, width: int = 680, height: int = 170, labels: int = 16) -> dict:
    """SVG geometry of a bar chart of (label, value) points in a `width` x `height` box: bars, four round y
    ticks, and the labels of every n-th bar so that at most `labels` show."""
    left, right, top_margin, bottom = 44, width - 4, 8, height - 18
    step = _tick_step(max((value for _, value in points), default=0))
    top = 4 * step
    slot = (right - left) / max(len(points), 1)
    every = math.ceil(len(points) / labels) if points else 1
    bar_width = min(slot * 0.8, MAX_BAR_WIDTH)
    bars = []
    for n, (label, value) in enumerate(points):
        bar_height = (bottom - top_margin) * value / top
        centre = left + (n + 0.5) * slot
        bars.append({
            "x": round(centre - bar_width / 2, 2), "y": round(bottom - bar_height, 2), "width": round(bar_width, 2),
            "height": round(bar_height, 2), "centre": round(centre, 2), "label": label if n % every == 0 else "",
            "title": f"{label}: {value:g}",
        })  # fmt: skip
    ticks = [
        {"y": round(bottom - (bottom - top_margin) * k / 4, 2), "label": f"{round(k * step, 6):g}"} for k in range(5)
    ]
    return {"width": width, "height": height, "left": left, "right": right, "bottom": bottom, "label_y": height - 4,
            "bars": bars, "ticks": ticks}  # fmt: skip


def _shares(counts: dict) -> list[dict]:
    total = sum(counts.values())
    return [{"label": label, "count": count, "share": _share(count / total)} for label, count in counts.items()]


def report_assemble(venue, period: Period) -> dict:
    """Everything the printed report shows for the venue and period. The KPIs are compared with the period of
    the same length just before."""
    previous = period.shifted(-period.days)
    now = selectors.overview(venue, period)
    days = selectors.daily(venue, period)["days"]
    hours = selectors.hourly(venue, period)["hours"]
    demographics = selectors.demographics(venue, period)
    alerts = alert_source().during(venue, period)
    return {
        "period": period,
        "previous": previous,
        "generated_at": timezone.now(),
        "overview": now,
        "busiest_hour": datetime.fromisoformat(now["peak_occupancy_hour"]) if now["peak_occupancy_hour"] else None,
        "kpis": kpi_rows(now, selectors.overview(venue, previous)),
        "daily_chart": bar_chart([(date.fromisoformat(d["date"]).strftime("%d %b"), d["visitors"]) for d in days]),
        "hourly_chart": bar_chart([(f"{h['hour']:02d}", h["visitors_per_day"]) for h in hours], labels=12),
        "zones": selectors.zones(venue, period)["zones"],
        "queues": selectors.queues(venue, period)["queues"],
        "funnel": selectors.funnel(venue, period)["stages"],
        "ages": _shares(demographics["age_brackets"]),
        "genders": _shares(demographics["genders"]),
        "demographics": demographics,
        "returning": visitors.returning_visitors(venue, period),
        "alerts": alerts[:ALERTS_LISTED],
        "alert_count": alerts.count(),
    }
