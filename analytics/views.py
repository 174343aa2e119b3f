"""The venue pages: the dashboard (a page of panels, each loaded as its own HTMX partial), the home page's live
table, the venue map, the printable report, the glossary of what each number means, and the video job queue's
figures on the Process video page."""

import json
from collections import defaultdict
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import h3
import markdown
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from analytics.alert_source import alert_source
from analytics.dashboard import PANELS, benchmark_chart, heat_colour
from analytics.jobs import video_job_queue
from analytics.periods import Period, PeriodError, period_parse
from analytics.report import report_assemble
from analytics.selectors import benchmark_references, overview, venue_comparison
from core.pages import tenant_page
from ingest.models import VideoJob
from venues.models import BenchmarkReference, Camera, Venue, Zone


def _period(request, venue) -> tuple[Period, dict]:
    try:
        return period_parse(request.GET, venue), {}
    except PeriodError as error:
        return period_parse({}, venue), error.errors


@tenant_page
def venue_dashboard(request, venue_id):
    venue = get_object_or_404(Venue.objects.all(), pk=venue_id)
    period, errors = _period(request, venue)
    presets = [(label, period.last - timedelta(days=days - 1), period.last) for label, days in
               (("Day", 1), ("7 days", 7), ("28 days", 28), ("90 days", 90))]  # fmt: skip
    context = {
        "venue": venue, "period": period, "errors": errors, "panels": PANELS, "presets": presets,
        "jobs": VideoJob.objects.filter(venue=venue).select_related("camera")[:5],
        "zone_names": {zone.pk: zone.name for zone in Zone.objects.filter(camera__venue=venue)},
    }  # fmt: skip
    return render(request, "analytics/dashboard.html", context)


@tenant_page
def venue_panel(request, venue_id, name):
    venue = get_object_or_404(Venue.objects.all(), pk=venue_id)
    panel = PANELS.get(name)
    if panel is None:
        raise Http404(f"No panel {name!r}.")
    period, _ = _period(request, venue)
    answer = panel.answer(venue, period)
    chart = panel.chart(answer)
    context = {"venue": venue, "period": period, "panel": panel, "name": name, "answer": answer,
               "chart": json.dumps(chart) if chart else None}  # fmt: skip
    if name == "heatmap":
        top = max((max(row) for row in answer["visitors"]), default=0)
        context["rows"] = [(day, [(v, heat_colour(v, top)) for v in row])
                           for day, row in zip(answer["weekdays"], answer["visitors"], strict=True)]  # fmt: skip
    if name == "spatial":  # each camera's grid over its snapshot, when it has one
        snapshots = {c.pk: c.snapshot_url for c in Camera.objects.filter(venue=venue).exclude(snapshot="")}
        context["cameras"] = [
            (
                {**camera, "snapshot": snapshots.get(camera["camera"])},
                [[heat_colour(v, max(map(max, camera["grid"]), default=0)) for v in row] for row in camera["grid"]],
            )
            for camera in answer["cameras"]
        ]
    return render(request, f"analytics/panels/{name}.html", context)


def _today_by_venue(venues) -> list[dict]:
    """Each venue's overview of today so far (its own local day, against the same day last week) and its open
    alerts: the home page's live table and the venue map show the same numbers."""
    open_alerts = alert_source().open_counts()
    rows = []
    for venue in venues:
        last = period_parse({}, venue).last  # today at the venue
        today = Period(last, last, venue.time_zone)
        rows.append({"venue": venue, "today": overview(venue, today), "open_alerts": open_alerts.get(venue.pk, 0)})
    return rows


PRESETS = (("7 days", 7), ("28 days", 28), ("90 days", 90))


@tenant_page
def venue_benchmarks(request):
    """Compare stores: the tenant's venues side by side per venue type over the same local days, against the type's
    average and the reference figures the tenant stored for the type (`BenchmarkReference`)."""
    venues = list(Venue.objects.order_by("name"))
    period, errors = _period(request, venues[0] if venues else Venue(time_zone="UTC"))
    comparison = venue_comparison(venues, period.first, period.last, benchmark_references())
    sources = {(r.venue_type, r.figure): r.source for r in BenchmarkReference.objects.exclude(source="")}
    groups = []
    for benchmark in comparison["benchmarks"]:
        kind = benchmark["venue_type"]
        rows = [_readable(venue) for venue in comparison["venues"] if venue["venue_type"] == kind]
        groups.append({
            **benchmark, "label": Venue.VenueType(kind).label, "rows": rows, "average": _readable(benchmark),
            "reference_readable": _readable(benchmark["reference"]) if benchmark["reference"] else None,
            "sources": sorted({sources[kind, f] for f in (benchmark["reference"] or {}) if (kind, f) in sources}),
            "chart": json.dumps(benchmark_chart(rows, benchmark)),
        })  # fmt: skip
    context = {
        "period": period, "errors": errors, "groups": groups, "venues": venues,
        "no_visits": bool(venues) and not any(venue["visitors"] for venue in comparison["venues"]),
        "presets": [(label, period.last - timedelta(days=days - 1), period.last) for label, days in PRESETS],
    }  # fmt: skip
    return render(request, "analytics/benchmarks.html", context)


def _readable(figures: dict) -> dict:
    """Conversion in per cent and visits in minutes, as the page shows them (none stays none)."""
    conversion, seconds = figures.get("conversion"), figures.get("average_visit_seconds")
    return {**figures, "conversion_percent": None if conversion is None else round(conversion * 100, 1),
            "average_visit_minutes": None if seconds is None else round(seconds / 60, 1)}  # fmt: skip


@tenant_page
def venues_today(request):
    """The home page's live table: each venue's visitors today so far, against the same day last week, and its
    open alerts (refreshed every 30 seconds)."""
    rows = _today_by_venue(Venue.objects.annotate(camera_count=Count("cameras")).order_by("name"))
    return render(request, "analytics/venues_today.html", {"rows": rows})


TRAFFIC_COLOURS = ("#c6d4f7", "#86a3ec", "#4470de", "#1c3a94")  # light to dark blue
NO_TRAFFIC = "#b8bec9"


def traffic_scale(top: int) -> list[dict]:
    """The map's colour bins for today's visitors: grey for none, then quarters of the busiest cell's total
    (empty quarters left out, so the busiest cell is always the darkest)."""
    scale = [{"from": 0, "to": 0, "colour": NO_TRAFFIC}]
    for n, colour in enumerate(TRAFFIC_COLOURS):
        low, high = top * n // 4 + 1, top * (n + 1) // 4
        if low <= high:
            scale.append({"from": low, "to": high, "colour": colour})
    return scale


def _scale_colour(scale: list[dict], visitors: int) -> str:
    return next(step["colour"] for step in scale if step["from"] <= visitors <= step["to"])


def _cell_ring(cell: str) -> list[list[float]]:
    """The H3 cell's hexagon as a closed GeoJSON ring ([longitude, latitude] pairs)."""
    ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(cell)]
    return [*ring, ring[0]]


def venue_features(rows: list[dict]) -> dict:
    """Today's rows (`_today_by_venue`) of the venues with coordinates as a GeoJSON FeatureCollection: a polygon
    per H3 cell coloured by the total of the venues in it, a point per venue coloured by its own visitors, and the
    colour `scale` (a foreign member, for the legend)."""
    cells = defaultdict(list)
    for row in rows:
        if row["venue"].h3_cell:  # kept by Venue.save from the coordinates
            cells[row["venue"].h3_cell].append(row)
    totals = {cell: sum(row["today"]["visitors"] for row in in_cell) for cell, in_cell in cells.items()}
    scale = traffic_scale(max(totals.values(), default=0))
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [_cell_ring(cell)]},
            "properties": {
                "kind": "cell",
                "h3_cell": cell,
                "visitors": totals[cell],
                "venues": [row["venue"].name for row in in_cell],
                "colour": _scale_colour(scale, totals[cell]),
            },
        }
        for cell, in_cell in cells.items()
    ]
    for row in rows:
        venue, today = row["venue"], row["today"]
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [venue.longitude, venue.latitude]},
            "properties": {
                "kind": "venue", "id": venue.pk, "name": venue.name, "city": venue.city, "h3_cell": venue.h3_cell,
                "url": reverse("venue-page", args=[venue.pk]), "visitors": today["visitors"],
                "change_week_over_week": today["visitors_change_week_over_week"], "open_alerts": row["open_alerts"],
                "colour": _scale_colour(scale, today["visitors"]),
            },
        })  # fmt: skip
    return {"type": "FeatureCollection", "features": features, "scale": scale}


@tenant_page
def venue_map(request):
    """Every venue on a map (tiles from MAP_TILE_URL, else vendored country outlines); map.js fetches the GeoJSON."""
    context = {
        "without_coordinates": Venue.objects.filter(Q(latitude=None) | Q(longitude=None)).order_by("name"),
        "tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "h3_resolution": settings.H3_RESOLUTION,
    }  # fmt: skip
    return render(request, "analytics/map.html", context)


@login_required
def venue_map_geojson(request):
    if request.tenant is None:
        return JsonResponse({"detail": "You are not a member of any tenant."}, status=403)
    placed = Venue.objects.exclude(latitude=None).exclude(longitude=None).order_by("name")
    return JsonResponse(venue_features(_today_by_venue(placed)), content_type="application/geo+json")


@lru_cache(maxsize=1)
def _glossary_html() -> str:
    """docs/metrics.md as HTML: the one definition of every number, in the app as in the repository."""
    text = (Path(settings.BASE_DIR) / "docs" / "metrics.md").read_text()
    return markdown.markdown(text, extensions=["tables", "toc"])


@login_required
def glossary(request):
    return render(request, "analytics/glossary.html", {"glossary": _glossary_html()})


@tenant_page
def venue_report(request, venue_id):
    """The venue's printable report for `?from=&to=` (the dashboard's period); a bad period is a 400."""
    venue = get_object_or_404(Venue.objects.all(), pk=venue_id)
    try:
        period = period_parse(request.GET, venue)
    except PeriodError as error:
        return render(request, "analytics/report.html", {"venue": venue, "errors": error.errors}, status=400)
    return render(request, "analytics/report.html", {"venue": venue, "report": report_assemble(venue, period)})


@tenant_page
def jobs_queue_stats(request):
    """The queue's figures on the Process video page, polled every few seconds."""
    return render(request, "analytics/_job_queue_stats.html", {"queue": video_job_queue()})
