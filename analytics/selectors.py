"""Read-only questions about visitor events. Nothing here writes: events come in through `ingest`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, Q

from ingest.models import LineCrossing, Visit, ZoneEvent


@dataclass(frozen=True)
class VenueSummary:
    visits: int
    entries: int
    exits: int
    average_visit_seconds: float | None
    with_demographics: int
    zones: list[dict]  # name, visits, average dwell seconds


def venue_summary(venue) -> VenueSummary:
    """All-time totals of a venue, straight from its events (the analytics API brings date ranges and rollups)."""
    visits = Visit.objects.filter(venue=venue).aggregate(
        count=Count("id"), average=Avg("duration_seconds"), with_demographics=Count("id", filter=~Q(age_bracket=""))
    )
    crossings = LineCrossing.objects.filter(venue=venue).aggregate(
        entries=Count("id", filter=Q(direction="in")), exits=Count("id", filter=Q(direction="out"))
    )
    zones = (
        ZoneEvent.objects.filter(venue=venue, kind=ZoneEvent.Kind.EXITED)
        .values("zone__name")
        .annotate(visits=Count("id"), average_dwell=Avg("dwell_seconds"))
        .order_by("-visits")
    )
    return VenueSummary(
        visits=visits["count"], entries=crossings["entries"], exits=crossings["exits"],
        average_visit_seconds=visits["average"], with_demographics=visits["with_demographics"],
        zones=[{"name": z["zone__name"], "visits": z["visits"], "average_dwell": z["average_dwell"]} for z in zones],
    )  # fmt: skip
