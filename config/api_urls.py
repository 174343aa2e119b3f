"""The REST API of every app under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from alerts.api import AlertRecipientViewSet, AlertRuleViewSet, AlertSettingsView, AlertViewSet, VenueAlertCheckView
from analytics.api import (
    VenueComparisonView,
    VenueEventsView,
    VenueExportView,
    VenueSummaryView,
    VenueWeeklyView,
    VideoJobQueueView,
    analytics_views,
)
from analytics.live_stream import VenueEventStreamView
from core.api import ApiKeyViewSet
from ingest.api import EdgeEventsView, VideoJobViewSet
from ingest.sales_api import VenueSalesCsvView, VenueSalesView
from reid.api import TenantSettingsView, VisitorViewSet
from venues.api import BenchmarkReferenceViewSet, CameraViewSet, CountingLineViewSet, VenueViewSet, ZoneViewSet

router = SimpleRouter()
router.register("venues", VenueViewSet, basename="venue")
router.register("cameras", CameraViewSet, basename="camera")
router.register("zones", ZoneViewSet, basename="zone")
router.register("lines", CountingLineViewSet, basename="line")
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("jobs", VideoJobViewSet, basename="job")
router.register("visitors", VisitorViewSet, basename="visitor")
router.register("alerts", AlertViewSet, basename="alert")
router.register("alert-rules", AlertRuleViewSet, basename="alert-rule")
router.register("alert-recipients", AlertRecipientViewSet, basename="alert-recipient")
router.register("benchmark-references", BenchmarkReferenceViewSet, basename="benchmark-reference")

urlpatterns = [
    path("jobs/queue/", VideoJobQueueView.as_view(), name="job-queue-stats"),  # before the router's jobs/{id}/
    *router.urls,
    path("events", EdgeEventsView.as_view(), name="edge-events"),
    path("tenant/", TenantSettingsView.as_view(), name="tenant-settings"),
    path("alert-settings/", AlertSettingsView.as_view(), name="alert-settings"),
    path("analytics/venues/", VenueComparisonView.as_view(), name="analytics-venues"),
    path("venues/<int:venue_id>/summary", VenueSummaryView.as_view(), name="venue-summary"),
    path("venues/<int:venue_id>/alerts/check/", VenueAlertCheckView.as_view(), name="venue-alert-check"),
    path("venues/<int:venue_id>/events/", VenueEventsView.as_view(), name="venue-events"),
    path("venues/<int:venue_id>/events/stream", VenueEventStreamView.as_view(), name="venue-event-stream"),
    *(
        path(
            f"venues/<int:venue_id>/export.{extension}",
            VenueExportView.as_view(),
            {"extension": extension},
            name=f"venue-export-{extension}",
        )
        for extension in ("csv", "json")
    ),
    *(
        path(f"venues/<int:venue_id>/analytics/{name}/", view.as_view(), name=f"analytics-{name}")
        for name, view in analytics_views().items()
    ),
    path("venues/<int:venue_id>/analytics/weekly/", VenueWeeklyView.as_view(), name="analytics-weekly"),
    path("venues/<int:venue_id>/sales/", VenueSalesView.as_view(), name="sales-list"),
    path("venues/<int:venue_id>/sales/csv/", VenueSalesCsvView.as_view(), name="sales-csv"),
]
