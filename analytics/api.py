import math

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors, visitors
from analytics.event_listing import EVENT_TYPES, events_of, page_of, streamed
from analytics.jobs import video_job_queue
from analytics.periods import Period, PeriodError, period_parse
from analytics.summary import venue_summary
from venues.models import Venue

PERIOD_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First local day (default: 6 days before `to`)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last local day, included (default: today at the venue)."),
]
ANSWERS = {
    "overview": selectors.overview,
    "hourly": selectors.hourly,
    "daily": selectors.daily,
    "heatmap": selectors.heatmap,
    "zones": selectors.zones,
    "queues": selectors.queues,
    "demographics": selectors.demographics,
    "engagement": selectors.engagement,
    "sales": selectors.sales,
    "funnel": selectors.funnel,
    "spatial": selectors.spatial,
    "visitors": visitors.returning_visitors,
}


def period_from(request, venue) -> Period:
    """The request's period; a bad one is a 400 naming the parameter."""
    try:
        return period_parse(request.query_params, venue)
    except PeriodError as error:
        raise ValidationError(error.errors) from error


class VenueAnalyticsView(APIView):
    """One analytics answer for a venue over whole local days (`?from=&to=`), with its coverage."""

    selector = staticmethod(selectors.overview)

    def get(self, request, venue_id):
        venue = get_object_or_404(Venue.objects.all(), pk=venue_id)
        return Response(self.selector(venue, period_from(request, venue)))


def answer_view(name: str, selector) -> type:
    """A documented view class for one answer (its own operation in the OpenAPI schema)."""
    doc = (selector.__doc__ or "").strip()
    view = type(f"Venue{name.title()}View", (VenueAnalyticsView,), {"selector": staticmethod(selector), "__doc__": doc})
    return extend_schema(parameters=PERIOD_PARAMETERS, responses=OpenApiTypes.OBJECT, summary=name)(view)


def analytics_views() -> dict[str, type]:
    """A view class per answer of `ANSWERS`, by name."""
    return {name: answer_view(name, selector) for name, selector in ANSWERS.items()}


VenueSummaryView = answer_view("summary", venue_summary)


MAX_WEEKS = 104
WEEKLY_PARAMETERS = [
    OpenApiParameter("weeks", int, description=f"How many weeks (1-{MAX_WEEKS}, default 12)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="A day of the last week (default: today at the venue)."),
]


def weekly_parse(params, venue) -> tuple:
    """`weeks` and `to` of query parameters, checked (a PeriodError naming the parameter)."""
    raw = params.get("weeks") or "12"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_WEEKS:
        raise PeriodError({"weeks": f"{raw!r} is not a number of weeks from 1 to {MAX_WEEKS}."})
    return period_parse({"to": params.get("to", "")}, venue).last, int(raw)


class VenueWeeklyView(APIView):
    """Visitors per local week (Monday to Sunday) with week-over-week and year-over-year change (docs/metrics.md)."""

    @extend_schema(parameters=WEEKLY_PARAMETERS, responses=OpenApiTypes.OBJECT, summary="weekly")
    def get(self, request, venue_id):
        venue = get_object_or_404(Venue.objects.all(), pk=venue_id)
        try:
            last_day, weeks = weekly_parse(request.query_params, venue)
        except PeriodError as error:
            raise ValidationError(error.errors) from error
        return Response(selectors.weekly(venue, last_day, weeks))


def references_parse(params) -> dict:
    """Reference figures the user gives, `reference.<venue type>.<figure>=<number>` (e.g. `reference.fashion.
    conversion=0.2`), as {venue type: {figure: number}}; anything else named `reference.` is a 400 naming it."""
    references: dict[str, dict] = {}
    for name, raw in params.items():
        if not name.startswith("reference."):
            continue
        _, kind, figure = [*name.split("."), "", ""][:3]
        if kind not in Venue.VenueType.values or figure not in selectors.COMPARED or name.count(".") != 2:
            raise ValidationError({name: f"Use reference.<venue type>.<figure> with a venue type of "
                                         f"{', '.join(Venue.VenueType.values)} and a figure of "
                                         f"{', '.join(selectors.COMPARED)}."})  # fmt: skip
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value <= 0:
            raise ValidationError({name: f"{raw!r} is not a positive number."})
        references.setdefault(kind, {})[figure] = value
    return references


class VenueComparisonView(APIView):
    """The tenant's venues side by side over the same local days (`?from=&to=`): per venue type its average, each
    venue against it, and against the reference figures stored for the type (`/api/v1/benchmark-references/`), or
    given here instead (`reference.<venue type>.<figure>=<number>`)."""

    @extend_schema(
        parameters=[*PERIOD_PARAMETERS, OpenApiParameter(
            "reference.retail.conversion", float,
            description="A reference figure for a venue type (any of `reference.<type>.<figure>`, figures "
                        f"{', '.join(selectors.COMPARED)}): each venue and the type's average are compared with it.",
        )],
        responses=OpenApiTypes.OBJECT,
    )  # fmt: skip
    def get(self, request):
        venues = list(Venue.objects.order_by("name"))
        reference = venues[0] if venues else Venue(time_zone="UTC")
        period = period_from(request, reference)
        references = selectors.benchmark_references(references_parse(request.query_params))
        return Response(selectors.venue_comparison(venues, period.first, period.last, references))


class _VenueEvents(APIView):
    def _query(self, request, venue_id):
        venue = get_object_or_404(Venue.objects.all(), pk=venue_id)
        kind = request.query_params.get("type", "visit")
        if kind not in EVENT_TYPES:
            raise ValidationError({"type": f"Unknown event type {kind!r}; use one of {', '.join(EVENT_TYPES)}."})
        camera = request.query_params.get("camera")
        if camera is not None and not camera.isdigit():
            raise ValidationError({"camera": f"Expected a camera id, got {camera!r}."})
        return venue, kind, period_from(request, venue), int(camera) if camera else None


EVENT_PARAMETERS = [
    *PERIOD_PARAMETERS,
    OpenApiParameter("type", str, enum=list(EVENT_TYPES), description="Which events (default: visit)."),
    OpenApiParameter("camera", int, description="Only this camera's events."),
]


class EventsPagination(CursorPagination):
    """Cursor pages (`next`/`previous` links): no count of a range that may hold millions of events."""

    ordering = ("at", "pk")
    page_size = 100


class VenueEventsView(_VenueEvents):
    """A venue's stored events of one type, oldest first, in cursor pages, times in local time."""

    @extend_schema(parameters=EVENT_PARAMETERS, responses=OpenApiTypes.OBJECT)
    def get(self, request, venue_id):
        venue, kind, period, camera = self._query(request, venue_id)
        paginator = EventsPagination()
        page = paginator.paginate_queryset(events_of(venue, kind, period, camera), request, view=self)
        return paginator.get_paginated_response(page_of(page, period))


EXPORTED = "The events: a CSV file with a header row (export.csv) or a JSON array of objects (export.json)."


class VenueExportView(_VenueEvents):
    """All of a venue's events of one type in a period as CSV or JSON, streamed (large ranges are fine)."""

    @extend_schema(
        parameters=EVENT_PARAMETERS,
        responses={  # the extension says which
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=EXPORTED),
            (200, "application/json"): OpenApiResponse({"type": "array", "items": {"type": "object"}}, EXPORTED),
        },
    )
    def get(self, request, venue_id, extension):
        venue, kind, period, camera = self._query(request, venue_id)
        as_csv = extension == "csv"
        response = StreamingHttpResponse(
            streamed(venue, kind, period, camera, as_csv), content_type="text/csv" if as_csv else "application/json"
        )
        name = f"{venue.slug}-{kind}-{period.first}-{period.last}.{extension}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class VideoJobQueueView(APIView):
    """The video job queue now: waiting, running, finished in the last 24 hours, and the mean wait before a worker
    started a job (definitions: docs/metrics.md)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(video_job_queue())
