"""The venue dashboard's panels: which answer each shows and how it becomes a chart.

Each panel is its own HTMX partial (`/venues/<id>/panels/<name>/`), so a slow panel never blocks the page. A
chart is a Chart.js configuration built here and handed to the page as JSON (`static/analytics/dashboard.js`
draws every `canvas[data-chart]` that arrives).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analytics import selectors, visitors
from analytics.summary import venue_summary

BLUE, GREEN, AMBER, RED, GREY, VIOLET = "#2457d6", "#0f9d58", "#f59e0b", "#d93025", "#9aa3b2", "#7c3aed"


def chart_config(kind: str, labels: list, datasets: list[dict], **options) -> dict:
    return {"type": kind, "data": {"labels": labels, "datasets": datasets},
            "options": {"responsive": True, "maintainAspectRatio": False, "animation": False, **options}}  # fmt: skip


def benchmark_chart(rows: list[dict], benchmark: dict) -> dict:
    """Visitors per day of each venue of a type as bars, the type's average and its reference as lines across."""
    names = [row["name"] for row in rows]
    lines = [("Average of the type", benchmark["visitors_per_day"], GREY)]
    if (benchmark["reference"] or {}).get("visitors_per_day"):
        lines.append(("Your reference", benchmark["reference"]["visitors_per_day"], AMBER))
    datasets = [{"type": "bar", "label": "Visitors per day", "data": [row["visitors_per_day"] for row in rows],
                 "backgroundColor": BLUE, "order": 2}]  # fmt: skip
    datasets += [{"type": "line", "label": label, "data": [value] * len(rows), "borderColor": colour,
                  "borderDash": [6, 4], "pointRadius": 0, "order": 1} for label, value, colour in lines]  # fmt: skip
    return chart_config("bar", names, datasets)


def _hourly(answer: dict) -> dict:
    hours = answer["hours"]
    return chart_config("bar", [f"{h['hour']:02d}:00" for h in hours], [
        {"label": "Visitors per day", "data": [h["visitors_per_day"] for h in hours], "backgroundColor": BLUE},
    ])  # fmt: skip


def _daily(answer: dict) -> dict:
    days = answer["days"]
    return chart_config("line", [d["date"] for d in days], [
        {"label": "Visitors", "data": [d["visitors"] for d in days], "borderColor": BLUE, "tension": 0.25},
        {"label": "Transactions", "data": [d["transactions"] for d in days], "borderColor": GREEN, "tension": 0.25},
    ])  # fmt: skip


def _demographics(answer: dict) -> dict:
    ages = answer["age_brackets"]
    return chart_config(
        "bar", list(ages), [{"label": "Visits", "data": list(ages.values()), "backgroundColor": VIOLET}]
    )


def _engagement(answer: dict) -> dict:
    behaviours = answer["behaviours"]
    return chart_config("doughnut", [b.title() for b in behaviours], [
        {"data": list(behaviours.values()), "backgroundColor": [GREEN, BLUE, AMBER, GREY]},
    ])  # fmt: skip


def _funnel(answer: dict) -> dict:
    stages = answer["stages"]
    return chart_config("bar", [s["stage"].title() for s in stages], [
        {"label": "Visitors", "data": [s["count"] for s in stages], "backgroundColor": [BLUE, VIOLET, AMBER, GREEN]},
    ], indexAxis="y", plugins={"legend": {"display": False}})  # fmt: skip


def _sales(answer: dict) -> dict:
    by_hour = {row["hour"]: row for row in answer["by_hour"]}
    hours = sorted(by_hour)
    return chart_config("bar", [f"{h:02d}:00" for h in hours], [
        {"label": "Transactions", "data": [by_hour[h]["transactions"] for h in hours], "backgroundColor": GREEN},
    ])  # fmt: skip


def _visitors(answer: dict) -> dict:
    days = answer["days"]
    return chart_config("bar", [d["start"] for d in days], [
        {"label": "New", "data": [d["new"] for d in days], "backgroundColor": BLUE},
        {"label": "Returning", "data": [d["returning"] for d in days], "backgroundColor": GREEN},
        {"label": "Not recognised", "data": [d["unrecognised_visits"] for d in days], "backgroundColor": GREY},
    ], scales={"x": {"stacked": True}, "y": {"stacked": True}})  # fmt: skip


def _weekly(answer: dict) -> dict:
    weeks = answer["weeks"]
    year_ago = [w["year_ago"]["visitors"] if w["year_ago"] else None for w in weeks]
    return chart_config("bar", [w["week_start"] for w in weeks], [
        {"label": "Visitors", "data": [w["visitors"] for w in weeks], "backgroundColor": BLUE, "order": 2},
        {"label": "A year earlier", "data": year_ago, "type": "line", "borderColor": GREY, "order": 1,
         "spanGaps": False},
    ])  # fmt: skip


def _no_chart(answer: dict) -> None:
    return None


TREND_WEEKS = 12  # the weekly panel: the weeks up to the period's last day


def _weekly_trend(venue, period) -> dict:
    return selectors.weekly(venue, period.last, TREND_WEEKS)


@dataclass(frozen=True)
class Panel:
    title: str
    answer: Callable
    chart: Callable[[dict], dict | None] = _no_chart


PANELS = {
    "summary": Panel("What to do", venue_summary),
    "overview": Panel("Key numbers", selectors.overview),
    "hourly": Panel("Visitors by hour of the day", selectors.hourly, _hourly),
    "daily": Panel("Visitors and transactions by day", selectors.daily, _daily),
    "weekly": Panel(f"Visitors by week ({TREND_WEEKS} weeks to the period's end)", _weekly_trend, _weekly),
    "heatmap": Panel("Weekday x hour", selectors.heatmap),
    "spatial": Panel("Where people stand", selectors.spatial),
    "zones": Panel("Zones", selectors.zones),
    "queues": Panel("Queues", selectors.queues),
    "funnel": Panel("Funnel", selectors.funnel, _funnel),
    "demographics": Panel("Demographics", selectors.demographics, _demographics),
    "engagement": Panel("Engagement", selectors.engagement, _engagement),
    "visitors": Panel("Returning visitors", visitors.returning_visitors, _visitors),
    "sales": Panel("Sales vs. traffic", selectors.sales, _sales),
}


def heat_colour(value: float, top: float) -> str:
    """A white-to-blue background for a heatmap cell."""
    strength = value / top if top else 0
    return f"rgba(36, 87, 214, {0.08 + 0.85 * strength:.2f})" if value else "transparent"
