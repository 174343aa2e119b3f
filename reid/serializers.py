from rest_framework import serializers

from core.models import Tenant


class VisitorSerializer(serializers.Serializer):
    """An anonymous visitor: no image, no name; `samples` is how many face embeddings are held."""

    id = serializers.IntegerField()
    venue = serializers.IntegerField(source="venue_id", help_text="Where they were first seen.")
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    staff = serializers.BooleanField()
    staff_since = serializers.DateTimeField(allow_null=True)
    visit_count = serializers.IntegerField()
    samples = serializers.IntegerField()
    window_visit_days = serializers.IntegerField(help_text="Visit days within the tenant's loyalty window.")
    tier = serializers.SerializerMethodField()

    def get_tier(self, visitor) -> str:
        return self.context["tenant"].loyalty_tier(visitor.window_visit_days)


class StaffSerializer(serializers.Serializer):
    staff = serializers.BooleanField(help_text="True: a staff member, left out of customer metrics.")


class VisitSerializer(serializers.Serializer):
    """One visit in a visitor's history, in the venue's local time."""

    at = serializers.CharField()
    ended_at = serializers.CharField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    venue = serializers.IntegerField()
    venue_name = serializers.CharField()
    camera = serializers.IntegerField(allow_null=True)
    camera_name = serializers.CharField(allow_null=True)
    staff = serializers.BooleanField()
    zones = serializers.ListField(child=serializers.DictField(), help_text="Zones stayed in: zone, dwell_seconds.")


class TenantSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = [
            "name", "face_processing", "reid_scope", "embedding_retention_days", "loyalty_window_days",
            "loyalty_tiers", "blur_faces_in_clips", "clip_retention_days",
        ]  # fmt: skip
        read_only_fields = ["name"]
