"""The REST API of every app under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from ingest.api import EdgeEventsView, VideoJobViewSet
from venues.api import ApiKeyViewSet, CameraViewSet, CountingLineViewSet, VenueViewSet, ZoneViewSet

router = SimpleRouter()
router.register("venues", VenueViewSet, basename="venue")
router.register("cameras", CameraViewSet, basename="camera")
router.register("zones", ZoneViewSet, basename="zone")
router.register("lines", CountingLineViewSet, basename="line")
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("jobs", VideoJobViewSet, basename="job")

urlpatterns = [
    *router.urls,
    path("events", EdgeEventsView.as_view(), name="edge-events"),
]
