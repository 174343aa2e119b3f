"""The venue dashboard: a page of panels, each loaded as its own HTMX partial."""

import json
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from alerts.models import Alert
from analytics.api import PeriodError, period_parse
from analytics.dashboard import PANELS, heat_colour
from analytics.periods import Period
from analytics.selectors import overview
from ingest.models import VideoJob
from venues.models import Venue


def _period(request, venue) -> tuple[Period, dict]:
    try:
        return period_parse(request.GET, venue), {}
    except PeriodError as error:
        return period_parse({}, venue), error.errors


@login_required
def venue_dashboard(request, venue_id):
    if request.tenant is None:
        return render(request, "venues/no_tenant.html", status=403)
    venue = get_object_or_404(Venue.objects.all(), pk=venue_id)
    period, errors = _period(request, venue)
    presets = [(label, period.last - timedelta(days=days - 1), period.last) for label, days in
               (("Day", 1), ("7 days", 7), ("28 days", 28), ("90 days", 90))]  # fmt: skip
    context = {
        "venue": venue, "period": period, "errors": errors, "panels": PANELS, "presets": presets,
        "jobs": VideoJob.objects.filter(venue=venue).select_related("camera")[:5],
    }  # fmt: skip
    return render(request, "analytics/dashboard.html", context)


@login_required
def venue_panel(request, venue_id, name):
    if request.tenant is None:
        return render(request, "venues/no_tenant.html", status=403)
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
    if name == "spatial":
        context["cameras"] = [
            (
                camera,
                [[heat_colour(v, max(map(max, camera["grid"]), default=0)) for v in row] for row in camera["grid"]],
            )
            for camera in answer["cameras"]
        ]
    return render(request, f"analytics/panels/{name}.html", context)


@login_required
def venues_today(request):
    """The home page's live table: each venue's visitors today so far, against the same day last week, and its
    open alerts (refreshed every 30 seconds)."""
    if request.tenant is None:
        return render(request, "venues/no_tenant.html", status=403)
    open_alerts = dict(
        Alert.objects.exclude(state=Alert.State.RESOLVED)
        .values("venue")
        .annotate(n=Count("pk"))
        .values_list("venue", "n")
    )
    rows = []
    for venue in Venue.objects.annotate(camera_count=Count("cameras")).order_by("name"):
        last = period_parse({}, venue).last  # today at the venue
        today = Period(last, last, venue.time_zone)
        rows.append({"venue": venue, "today": overview(venue, today), "open_alerts": open_alerts.get(venue.pk, 0)})
    return render(request, "analytics/venues_today.html", {"rows": rows})
