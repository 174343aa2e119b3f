"""What each alert rule checks, for one venue and one local clock hour, from the stored customer data (staff are
already left out of it). Each check returns the firings it finds; `alerts.services.alert_check` stores them.

Limits live in the rule's `params`, defaulting to `DEFAULTS`. Traffic is judged against the same hour of the
same weekday over recent weeks with a median and the median absolute deviation (robust to one odd week), with a
Poisson floor so quiet hours do not fire on noise.
"""

from __future__ import annotations

import statistics
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q, Sum

from analytics.selectors import counts_entrances
from ingest.models import LineCrossing, VenueHour, Visit, ZoneEvent, ZoneHour
from ingest.rollups import histogram_percentile
from venues.hours import open_minutes
from venues.models import Zone

DEFAULTS = {
    "traffic_spike": {"weeks": 6, "sensitivity": 3.0, "min_visitors": 10},
    "traffic_drop": {"weeks": 6, "sensitivity": 3.0, "min_baseline": 10},
    "after_hours": {"min_visitors": 1},
    "crowding": {"max_occupancy": 100},
    "long_dwell": {"max_dwell_minutes": 20},
    "dead_zone": {"hours": 3, "min_venue_visitors": 30},
    "queue_abandonment": {"max_rate": 0.25, "min_joined": 5},
    "queue_wait": {"max_p90_wait_minutes": 5, "min_waits": 5},
    "camera_silent": {"hours": 2, "weeks": 4},
}
LIMITS = {  # the range each parameter may take
    "weeks": (3, 26), "sensitivity": (1.0, 10.0), "min_visitors": (1, 100000), "min_baseline": (1, 100000),
    "max_occupancy": (1, 100000), "max_dwell_minutes": (1, 1440), "hours": (1, 48), "min_venue_visitors": (1, 100000),
    "max_rate": (0.01, 1.0), "min_joined": (1, 100000), "max_p90_wait_minutes": (0.5, 240), "min_waits": (1, 100000),
}  # fmt: skip
ONGOING = {"dead_zone", "camera_silent"}  # conditions that last: fire again only after the last one was resolved
MIN_BASELINE_WEEKS = 3


@dataclass(frozen=True)
class Firing:
    title: str
    message: str
    numbers: dict
    subject: str = ""
    zone_id: int | None = None
    camera_id: int | None = None


@dataclass(frozen=True)
class Hour:
    """The local clock hour being checked, at one venue."""

    venue: object
    start: datetime  # an instant
    rule: object

    @property
    def params(self) -> dict:
        return {**DEFAULTS[self.rule.kind], **self.rule.params}

    @property
    def local(self) -> datetime:
        return self.start.astimezone(zoneinfo.ZoneInfo(self.venue.time_zone))

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=1)

    @property
    def label(self) -> str:
        return f"{self.local:%a %d %b %H:00}-{(self.local + timedelta(hours=1)):%H:00}"

    def weeks_before(self, weeks: int) -> datetime:
        """The same local wall-clock hour `weeks` weeks earlier, as an instant."""
        wall = self.local.replace(tzinfo=None) - timedelta(weeks=weeks)
        return wall.replace(tzinfo=zoneinfo.ZoneInfo(self.venue.time_zone)).astimezone(self.start.tzinfo)

    def open_minutes(self, hours_back: int = 0) -> int | None:
        local = (self.start - timedelta(hours=hours_back)).astimezone(zoneinfo.ZoneInfo(self.venue.time_zone))
        return open_minutes(self.venue, local)


def _visitors(row: dict, entrances: bool) -> int:
    return row["entries"] if entrances else row["visits"]


def _hour_rows(venue, starts: list[datetime]) -> dict[datetime, dict]:
    rows = VenueHour.objects.filter(venue=venue, hour_start__in=starts).values("hour_start", "visits", "entries",
                                                                            "peak_occupancy")  # fmt: skip
    return {row["hour_start"]: row for row in rows}


def _baseline(hour: Hour, weeks: int) -> tuple[int, list[int]]:
    """This hour's visitors and the same hour's in each earlier week that has any data that day."""
    entrances = counts_entrances(hour.venue)
    earlier = [hour.weeks_before(k) for k in range(1, weeks + 1)]
    rows = _hour_rows(hour.venue, [hour.start, *earlier])
    days_with_data = set(
        VenueHour.objects.filter(venue=hour.venue, hour_start__gte=earlier[-1] - timedelta(hours=12),
                                 hour_start__lt=earlier[0] + timedelta(hours=12))
        .values_list("hour_start", flat=True)
    )  # fmt: skip
    series = [
        _visitors(rows[t], entrances) if t in rows else 0
        for t in earlier
        if any(abs((d - t).total_seconds()) < 12 * 3600 for d in days_with_data)
    ]
    now = _visitors(rows[hour.start], entrances) if hour.start in rows else 0
    return now, series


def _spread(series: list[int]) -> tuple[float, float]:
    median = statistics.median(series)
    mad = statistics.median(abs(v - median) for v in series)
    return median, max(1.4826 * mad, median**0.5, 1.0)


def _traffic(hour: Hour, spike: bool) -> list[Firing]:
    p = hour.params
    if not spike and hour.open_minutes() not in (None, 60):  # a drop only in hours the venue is open throughout
        return []
    now, series = _baseline(hour, p["weeks"])
    if len(series) < MIN_BASELINE_WEEKS:
        return []
    median, spread = _spread(series)
    limit = median + p["sensitivity"] * spread if spike else median - p["sensitivity"] * spread
    if (now < p["min_visitors"] or now <= limit) if spike else (median < p["min_baseline"] or now >= limit):
        return []
    return [Firing(
        f"Traffic {'spike' if spike else 'drop'} at {hour.venue.name}",
        f"{now} visitors {hour.label}, usually {median:g} (median of the same hour in {len(series)} earlier weeks).",
        {"visitors": now, "baseline_median": median, "baseline": series, "limit": round(limit, 1)},
    )]  # fmt: skip


def traffic_spike(hour: Hour) -> list[Firing]:
    return _traffic(hour, spike=True)


def traffic_drop(hour: Hour) -> list[Firing]:
    return _traffic(hour, spike=False)


def after_hours(hour: Hour) -> list[Firing]:
    if hour.open_minutes() != 0:  # open for part of the hour, or no opening hours set
        return []
    row = _hour_rows(hour.venue, [hour.start]).get(hour.start)
    seen = max(row["visits"], row["entries"]) if row else 0
    if seen < hour.params["min_visitors"]:
        return []
    return [Firing(
        f"Activity outside opening hours at {hour.venue.name}",
        f"{seen} people seen {hour.label}, while the venue is closed.",
        {"people": seen, "visits": row["visits"], "entries": row["entries"]},
    )]  # fmt: skip


def _zones(hour: Hour, kinds: tuple[str, ...]):
    zones = Zone.objects.filter(camera__venue=hour.venue, kind__in=kinds)
    return zones.filter(pk=hour.rule.zone_id) if hour.rule.zone_id else zones


def crowding(hour: Hour) -> list[Firing]:
    """The most people present at once in the hour (visits, or stays in a zone, open at the same moment), over the
    limit."""
    limit = hour.params["max_occupancy"]
    if hour.rule.zone_id is None:
        row = _hour_rows(hour.venue, [hour.start]).get(hour.start)
        peak = row["peak_occupancy"] if row else 0
        if peak <= limit:
            return []
        return [Firing(f"Crowding at {hour.venue.name}",
                       f"Up to {peak} people inside at once {hour.label}, above the limit of {limit:g}.",
                       {"occupancy": peak, "limit": limit})]  # fmt: skip
    firings = []
    for zone in _zones(hour, tuple(Zone.Kind.values)):
        peak = ZoneHour.objects.filter(zone=zone, hour_start=hour.start).aggregate(p=Max("peak_occupancy"))["p"] or 0
        if peak > limit:
            firings.append(Firing(
                f"Crowding in {zone.name} at {hour.venue.name}",
                f"Up to {peak} people in {zone.name} at once {hour.label}, above the limit of {limit:g}.",
                {"occupancy": peak, "limit": limit}, subject=f"zone:{zone.pk}", zone_id=zone.pk,
            ))  # fmt: skip
    return firings


def long_dwell(hour: Hour) -> list[Firing]:
    limit = hour.params["max_dwell_minutes"] * 60
    stays = (
        ZoneEvent.objects.filter(venue=hour.venue, staff=False, kind=ZoneEvent.Kind.EXITED, at__gte=hour.start,
                                 at__lt=hour.end, dwell_seconds__gte=limit,
                                 zone__in=_zones(hour, (Zone.Kind.AREA, Zone.Kind.CHECKOUT)))
        .values("zone", "zone__name").annotate(stays=Count("pk"), longest=Max("dwell_seconds")).order_by("zone")
    )  # fmt: skip
    return [
        Firing(
            f"Long dwell in {s['zone__name']} at {hour.venue.name}",
            f"{s['stays']} stay(s) in {s['zone__name']} over {limit / 60:g} minutes ending {hour.label}; the longest "
            f"{s['longest'] / 60:.0f} minutes.",
            {"stays": s["stays"], "longest_seconds": round(s["longest"]), "limit_seconds": limit},
            subject=f"zone:{s['zone']}",
            zone_id=s["zone"],
        )
        for s in stays
    ]


def dead_zone(hour: Hour) -> list[Firing]:
    p = hour.params
    if any(hour.open_minutes(back) not in (None, 60) for back in range(p["hours"])):
        return []
    window = (hour.end - timedelta(hours=p["hours"]), hour.end)
    venue_rows = VenueHour.objects.filter(venue=hour.venue, hour_start__gte=window[0], hour_start__lt=window[1])
    busy = venue_rows.aggregate(v=Sum("visits"))["v"] or 0
    if busy < p["min_venue_visitors"]:
        return []
    visited = set(
        ZoneHour.objects.filter(venue=hour.venue, hour_start__gte=window[0], hour_start__lt=window[1])
        .filter(Q(visits__gt=0) | Q(queue_joined__gt=0)).values_list("zone_id", flat=True)
    )  # fmt: skip
    return [
        Firing(
            f"Nobody in {zone.name} at {hour.venue.name}",
            f"No one entered {zone.name} in the {p['hours']} hours to {hour.local:%H:00} while {busy} people visited.",
            {"zone_visitors": 0, "venue_visitors": busy, "hours": p["hours"]},
            subject=f"zone:{zone.pk}",
            zone_id=zone.pk,
        )
        for zone in _zones(hour, (Zone.Kind.AREA,))
        if zone.pk not in visited
    ]


def _queue_rows(hour: Hour):
    return (
        ZoneHour.objects.filter(venue=hour.venue, hour_start=hour.start,
                                zone__in=_zones(hour, (Zone.Kind.QUEUE,)))
        .select_related("zone")
    )  # fmt: skip


def queue_abandonment(hour: Hour) -> list[Firing]:
    p, firings = hour.params, []
    for row in _queue_rows(hour):
        outcomes = row.queue_served + row.queue_abandoned
        rate = row.queue_abandoned / outcomes if outcomes else 0
        if row.queue_joined >= p["min_joined"] and rate > p["max_rate"]:
            firings.append(Firing(
                f"Queue abandonment in {row.zone.name} at {hour.venue.name}",
                f"{row.queue_abandoned} of {outcomes} people left {row.zone.name} without being served {hour.label} "
                f"({rate:.0%}, limit {p['max_rate']:.0%}).",
                {"abandoned": row.queue_abandoned, "served": row.queue_served, "joined": row.queue_joined,
                 "rate": round(rate, 3), "limit": p["max_rate"]},
                subject=f"zone:{row.zone_id}", zone_id=row.zone_id,
            ))  # fmt: skip
    return firings


def queue_wait(hour: Hour) -> list[Firing]:
    p, firings = hour.params, []
    for row in _queue_rows(hour):
        waits = sum(row.wait_histogram.values())
        p90 = histogram_percentile(row.wait_histogram, 0.9)
        if waits >= p["min_waits"] and p90 is not None and p90 > p["max_p90_wait_minutes"] * 60:
            firings.append(Firing(
                f"Long queue wait in {row.zone.name} at {hour.venue.name}",
                f"1 in 10 people waited over {p90 / 60:.1f} minutes in {row.zone.name} {hour.label} "
                f"(limit {p['max_p90_wait_minutes']:g}).",
                {"p90_wait_seconds": round(p90), "waits": waits, "limit_seconds": p["max_p90_wait_minutes"] * 60},
                subject=f"zone:{row.zone_id}", zone_id=row.zone_id,
            ))  # fmt: skip
    return firings


def _events_by_camera(venue, start: datetime, end: datetime) -> dict[int, int]:
    counts: dict[int, int] = {}
    for model in (Visit, LineCrossing):
        for row in (
            model.objects.filter(venue=venue, at__gte=start, at__lt=end, camera__isnull=False)
            .values("camera")
            .annotate(n=Count("pk"))
        ):
            counts[row["camera"]] = counts.get(row["camera"], 0) + row["n"]
    return counts


def camera_silent(hour: Hour) -> list[Firing]:
    """A camera with no events in the last hours, which had events in the same hours of most earlier weeks."""
    p = hour.params
    span = timedelta(hours=p["hours"])
    now = _events_by_camera(hour.venue, hour.end - span, hour.end)
    earlier = [_events_by_camera(hour.venue, (t := hour.weeks_before(k) + timedelta(hours=1)) - span, t)
               for k in range(1, p["weeks"] + 1)]  # fmt: skip
    firings = []
    for camera in hour.venue.cameras.order_by("pk"):
        usual = sum(1 for counts in earlier if counts.get(camera.pk))
        if not now.get(camera.pk) and usual > p["weeks"] / 2:
            firings.append(Firing(
                f"Camera {camera.name} at {hour.venue.name} went silent",
                f"No events from {camera.name} in the {p['hours']} hours to {hour.local:%H:00}; it sent events at "
                f"this time in {usual} of the last {p['weeks']} weeks.",
                {"events": 0, "hours": p["hours"], "usual_weeks": usual, "weeks": p["weeks"]},
                subject=f"camera:{camera.pk}", camera_id=camera.pk,
            ))  # fmt: skip
    return firings


RULES: dict[str, Callable[[Hour], list[Firing]]] = {
    "traffic_spike": traffic_spike,
    "traffic_drop": traffic_drop,
    "after_hours": after_hours,
    "crowding": crowding,
    "long_dwell": long_dwell,
    "dead_zone": dead_zone,
    "queue_abandonment": queue_abandonment,
    "queue_wait": queue_wait,
    "camera_silent": camera_silent,
}
