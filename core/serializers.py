from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.models import ApiKey


@extend_schema_field(OpenApiTypes.INT)
class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to one of the caller's own objects; another tenant's id reads as 'does not exist'."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.model.objects.all()


class ApiKeySerializer(serializers.ModelSerializer):
    venue = ScopedRelatedField(ApiKey.venue.field.related_model, required=False, allow_null=True)  # core imports no app
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Who created it (null: not a signed-in user)."
    )

    class Meta:
        model = ApiKey
        fields = [
            "id", "name", "scope", "venue", "prefix", "created_by", "created_at", "last_used_at", "expires_at",
            "revoked_at",
        ]  # fmt: skip
        read_only_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
        extra_kwargs = {"scope": {"default": ApiKey.Scope.INGEST}}  # most keys are for edge devices

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The expiry time must be in the future.")
        return value


class ApiKeyUpdateSerializer(ApiKeySerializer):
    """After creation only the name and expiry can change; the scope and venue limit are fixed (a key's powers never
    grow once it is on a device: make another key)."""

    class Meta(ApiKeySerializer.Meta):
        read_only_fields = [*ApiKeySerializer.Meta.read_only_fields, "scope", "venue"]


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The plain key. Shown only in this response.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
