import math
from datetime import timedelta

from django.db import models
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alerts.models import Alert, AlertRecipient, AlertRule, AlertSettings
from alerts.rules import DEFAULTS, LIMITS
from alerts.services import digest_time_zone
from ingest.sales_api import ShownInVenueTimeField
from venues.models import Venue, Zone
from venues.serializers import ScopedRelatedField
from venues.validators import SUPPORTED_YEARS

ZONE_KINDS = {"crowding", "long_dwell", "dead_zone", "queue_abandonment", "queue_wait"}


class AlertRuleSerializer(serializers.ModelSerializer):
    venue = ScopedRelatedField(Venue, required=False, allow_null=True)
    zone = ScopedRelatedField(Zone, required=False, allow_null=True)
    effective_params = serializers.SerializerMethodField()

    class Meta:
        model = AlertRule
        fields = ["id", "venue", "zone", "kind", "severity", "enabled", "params", "effective_params", "created_at"]
        read_only_fields = ["created_at"]

    def get_effective_params(self, rule) -> dict:
        return {**DEFAULTS[rule.kind], **rule.params}

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        params = attrs.get("params", getattr(self.instance, "params", {}))
        zone = attrs.get("zone", getattr(self.instance, "zone", None))
        venue = attrs.get("venue", getattr(self.instance, "venue", None))
        if not isinstance(params, dict):
            raise serializers.ValidationError({"params": 'Expected an object such as {"max_occupancy": 40}.'})
        for name, value in params.items():
            if name not in DEFAULTS[kind]:
                raise serializers.ValidationError(
                    {"params": f"{name!r} is not a limit of {kind}; it takes {', '.join(DEFAULTS[kind])}."}
                )
            low, high = LIMITS[name]
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise serializers.ValidationError({"params": f"{name} must be a number."})
            if not low <= value <= high:
                raise serializers.ValidationError({"params": f"{name} must be between {low} and {high}."})
        if zone is not None:
            if kind not in ZONE_KINDS:
                raise serializers.ValidationError({"zone": f"{kind} rules are about the whole venue, not a zone."})
            if venue is None or zone.camera.venue_id != venue.pk:
                raise serializers.ValidationError({"zone": "The zone must be in the rule's venue."})
        return attrs


class AlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = [
            "id", "rule", "venue", "zone", "camera", "kind", "severity", "subject", "period_start", "period_end",
            "title", "message", "numbers", "link", "state", "created_at", "acknowledged_at", "acknowledged_by",
            "resolved_at", "resolved_by", "emailed_at",
        ]  # fmt: skip
        read_only_fields = fields


class AlertRecipientSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertRecipient
        fields = ["id", "email", "instant", "digest", "unsubscribed_at", "created_at"]
        read_only_fields = ["unsubscribed_at", "created_at"]

    def validate_email(self, value):
        others = AlertRecipient.objects.filter(email__iexact=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(f"{value} is a recipient already.")
        return value.lower()


@extend_schema_field({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
                      "example": "07:00"})  # fmt: skip
class LocalTimeField(serializers.TimeField):
    """A time of day in the tenant's time zone, such as 07:00:00: OpenAPI's `time` format would need an offset."""


class AlertSettingsSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.TimeField: LocalTimeField,
    }
    effective_time_zone = serializers.SerializerMethodField(
        help_text="The zone the digest is sent in: `time_zone`, or the tenant's first venue's when that is empty."
    )

    class Meta:
        model = AlertSettings
        fields = ["instant_severity", "digest", "digest_time", "time_zone", "effective_time_zone"]

    def get_effective_time_zone(self, settings_row) -> str:
        return digest_time_zone(settings_row)


class AlertCheckSerializer(serializers.Serializer):
    """An on-demand check of one venue hour: a whole hour that has ended (default: the last complete one)."""

    hour = ShownInVenueTimeField(
        required=False, help_text="The hour's start, e.g. 2026-11-20T10:00; without an offset the venue's local time."
    )

    def validate_hour(self, value):
        if value.minute or value.second or value.microsecond:
            raise serializers.ValidationError(f"An hour starts on the hour, e.g. {value:%Y-%m-%dT%H}:00.")
        if not SUPPORTED_YEARS[0] <= value.year <= SUPPORTED_YEARS[1]:
            raise serializers.ValidationError(f"Not in the years {SUPPORTED_YEARS[0]}-{SUPPORTED_YEARS[1]}.")
        if value + timedelta(hours=1) > timezone.now():
            raise serializers.ValidationError("That hour has not ended yet: only complete hours are checked.")
        return value


class AlertCheckResultSerializer(serializers.Serializer):
    venue = serializers.IntegerField(source="venue.pk")
    hour_start = ShownInVenueTimeField(help_text="The hour checked, in the venue's local time.")
    hour_end = ShownInVenueTimeField()
    new_alerts = AlertSerializer(many=True, help_text="Alerts this check fired; ones stored before are not repeated.")
