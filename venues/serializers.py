import math

from django.core.exceptions import ValidationError as ModelValidationError
from django.urls import reverse
from rest_framework import serializers

from core.serializers import ScopedRelatedField
from venues.models import BenchmarkReference, Camera, CountingLine, Venue, Zone


class VenueSerializer(serializers.ModelSerializer):
    class Meta:
        model = Venue
        fields = [
            "id", "name", "slug", "time_zone", "venue_type", "address", "city", "country",
            "latitude", "longitude", "h3_cell", "opening_hours", "created_at",
        ]  # fmt: skip
        read_only_fields = ["h3_cell", "created_at"]

    def validate_slug(self, value):
        others = Venue.objects.filter(slug=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if value and others.exists():
            raise serializers.ValidationError(f"Another venue already uses the slug {value!r}.")
        return value

    def validate(self, attrs):
        latitude = attrs.get("latitude", getattr(self.instance, "latitude", None))
        longitude = attrs.get("longitude", getattr(self.instance, "longitude", None))
        if (latitude is None) != (longitude is None):
            raise serializers.ValidationError({"latitude": "Give both latitude and longitude, or neither."})
        for field in ("latitude", "longitude"):
            if attrs.get(field) is not None and not math.isfinite(attrs[field]):
                raise serializers.ValidationError({field: "Must be a finite number."})
        return attrs


class CameraSerializer(serializers.ModelSerializer):
    venue = ScopedRelatedField(Venue)
    snapshot_url = serializers.SerializerMethodField(
        help_text="The API address of the camera's snapshot (a frame of its last video job, a JPEG); null until a "
        "video of the camera is processed. The version in the query changes with each new snapshot.",
    )

    def get_snapshot_url(self, camera) -> str | None:
        if not camera.snapshot:
            return None
        return f"{reverse('camera-snapshot-image', args=[camera.pk])}?v={int(camera.snapshot_at.timestamp())}"

    class Meta:
        model = Camera
        fields = [
            "id",
            "venue",
            "name",
            "role",
            "people_size",
            "detection_scale",
            "stream_url",
            "frame_width",
            "frame_height",
            "snapshot_url",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class CameraGeometrySerializer(serializers.ModelSerializer):
    camera = ScopedRelatedField(Camera)


class ZoneSerializer(CameraGeometrySerializer):
    class Meta:
        model = Zone
        fields = ["id", "camera", "name", "kind", "polygon", "created_at"]
        read_only_fields = ["created_at"]


class CountingLineSerializer(CameraGeometrySerializer):
    class Meta:
        model = CountingLine
        fields = ["id", "camera", "name", "points", "in_side", "created_at"]
        read_only_fields = ["created_at"]


class BenchmarkReferenceSerializer(serializers.ModelSerializer):
    """One reference figure per venue type and figure: a second one for the same pair is refused (change the first)."""

    class Meta:
        model = BenchmarkReference
        fields = ["id", "venue_type", "figure", "value", "source", "updated_at"]
        read_only_fields = ["updated_at"]

    def validate(self, attrs):
        reference = BenchmarkReference(**{**self._current(), **attrs})
        try:
            reference.clean()
        except ModelValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        others = BenchmarkReference.objects.filter(venue_type=reference.venue_type, figure=reference.figure)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(
                {"figure": f"There is a {reference.figure} reference for {reference.venue_type} already: change it."}
            )
        return attrs

    def _current(self) -> dict:
        fields = ("venue_type", "figure", "value")
        return {name: getattr(self.instance, name) for name in fields} if self.instance is not None else {}
