from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api_keys import api_key_create, api_key_revoke
from core.models import ApiKey
from core.serializers import ApiKeyCreatedSerializer, ApiKeySerializer, ApiKeyUpdateSerializer


@extend_schema_view(create=extend_schema(responses={201: ApiKeyCreatedSerializer}))
class ApiKeyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """API keys of the tenant (owners only). The plain key appears once, in the create response."""

    owner_only = True

    def get_queryset(self):
        return ApiKey.objects.select_related("venue", "created_by")

    def get_serializer_class(self):
        return ApiKeyUpdateSerializer if self.action in ("update", "partial_update") else ApiKeySerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, key = api_key_create(tenant=request.tenant, created_by=request.user, **serializer.validated_data)
        api_key.key = key
        return Response(ApiKeyCreatedSerializer(api_key).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke the key at once; it stays listed with its revocation time."""
        return Response(ApiKeySerializer(api_key_revoke(self.get_object())).data)
