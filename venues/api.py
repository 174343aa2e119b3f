from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.renderers import JSONRenderer

from core.models import ApiKey
from core.renderers import own_bytes_renderer
from venues.camera_views import snapshot_response
from venues.models import BenchmarkReference, Camera, CountingLine, Venue, Zone
from venues.serializers import (
    BenchmarkReferenceSerializer,
    CameraSerializer,
    CountingLineSerializer,
    VenueSerializer,
    ZoneSerializer,
)


def _parent_filter(name: str, model):
    """A `?name=<id>` list filter on one of the caller's own objects (another tenant's id: 404)."""

    def apply(viewset, queryset):
        raw = viewset.request.query_params.get(name)
        if raw is None:
            return queryset
        if not raw.isdigit():
            raise ValidationError({name: f"Expected an integer id, got {raw!r}."})
        return queryset.filter(**{name: get_object_or_404(model.objects.all(), pk=int(raw))})

    apply.parameter = OpenApiParameter(name, int, description=f"Only objects of this {name} (id).")
    return apply


class VenueViewSet(viewsets.ModelViewSet):
    """Venues (stores) of the caller's tenant."""

    serializer_class = VenueSerializer

    def get_queryset(self):
        return Venue.objects.all()

    def perform_create(self, serializer):
        if isinstance(self.request.auth, ApiKey) and self.request.auth.venue_id:
            raise PermissionDenied("This API key is limited to one venue and cannot create venues.")
        serializer.save(tenant=self.request.tenant)


venue_filter = _parent_filter("venue", Venue)
camera_filter = _parent_filter("camera", Camera)


@extend_schema_view(list=extend_schema(parameters=[venue_filter.parameter]))
class CameraViewSet(viewsets.ModelViewSet):
    """Cameras of the caller's venues, with their role and optional live stream."""

    serializer_class = CameraSerializer

    def get_queryset(self):
        return venue_filter(self, Camera.objects.select_related("venue"))

    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="snapshot", url_name="snapshot-image",
            renderer_classes=[JSONRenderer, own_bytes_renderer("image/jpeg", "jpg")])  # fmt: skip
    def snapshot(self, request, pk=None):
        """The camera's snapshot (a frame of its last video job, heads blurred as the tenant's clips are); 404
        until a video of it has been processed."""
        return snapshot_response(self.get_object())


@extend_schema_view(list=extend_schema(parameters=[camera_filter.parameter]))
class ZoneViewSet(viewsets.ModelViewSet):
    """Zones: named polygons on a camera's image (normalised 0..1 coordinates)."""

    serializer_class = ZoneSerializer

    def get_queryset(self):
        return camera_filter(self, Zone.objects.all())


@extend_schema_view(list=extend_schema(parameters=[camera_filter.parameter]))
class CountingLineViewSet(viewsets.ModelViewSet):
    """Counting lines for entrance counts: two points and the side that is 'in'."""

    serializer_class = CountingLineSerializer

    def get_queryset(self):
        return camera_filter(self, CountingLine.objects.all())


class BenchmarkReferenceViewSet(viewsets.ModelViewSet):
    """Reference figures per venue type that you give (your own targets, last year's figures): the venue
    comparison measures each venue of the type against them. None is ever assumed."""

    serializer_class = BenchmarkReferenceSerializer

    def get_queryset(self):
        return BenchmarkReference.objects.all()

    def perform_create(self, serializer):
        serializer.save(tenant=self.request.tenant)
