from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.visitors import visitor_visits, visitors_listed, visits_described
from core.models import ApiKey
from reid.models import Visitor
from reid.serializers import StaffSerializer, TenantSettingsSerializer, VisitorSerializer, VisitSerializer
from reid.services import tenant_privacy_update, visitor_erase, visitor_staff_set
from venues.api import venue_filter

STAFF_PARAMETER = OpenApiParameter("staff", bool, description="Only staff (true) or only customers (false).")


class VisitorPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema_view(
    list=extend_schema(parameters=[venue_filter.parameter, STAFF_PARAMETER]),
    destroy=extend_schema(description="Erase the visitor: every face embedding and the link from their visits."),
)
class VisitorViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Returning visitors recognised by face, most recently seen first, with their loyalty tier."""

    queryset = Visitor.objects.all()  # for the schema; requests use get_queryset
    serializer_class = VisitorSerializer
    pagination_class = VisitorPagination

    def get_queryset(self):
        queryset = venue_filter(self, Visitor.objects.all())
        staff = self.request.query_params.get("staff")
        if staff is not None:
            if staff not in ("true", "false"):
                raise ValidationError({"staff": "Use true or false."})
            queryset = queryset.filter(staff=staff == "true")
        return visitors_listed(queryset, self.request.tenant).order_by("-last_seen", "-pk")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "tenant": self.request.tenant}

    def perform_destroy(self, visitor):
        visitor_erase(visitor)

    @extend_schema(request=StaffSerializer, responses=VisitorSerializer)
    @action(detail=True, methods=["post"])
    def staff(self, request, pk=None):
        """Mark or unmark a staff member: their visits, past and future, leave (or rejoin) customer metrics."""
        visitor = self.get_object()
        serializer = StaffSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visitor_staff_set(visitor, serializer.validated_data["staff"])
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(responses=VisitSerializer(many=True))
    @action(detail=True, methods=["get"])
    def visits(self, request, pk=None):
        """The visitor's visits, latest first: when, where, how long, and dwell per zone."""
        paginator = VisitorPagination()
        page = paginator.paginate_queryset(visitor_visits(self.get_object()), request, view=self)
        return paginator.get_paginated_response(VisitSerializer(visits_described(page), many=True).data)


class TenantSettingsView(APIView):
    """The tenant's face processing, re-identification scope, embedding retention and loyalty tiers. Only a
    signed-in owner changes them; leaving 'returning' face processing erases every stored embedding."""

    serializer_class = TenantSettingsSerializer

    def get(self, request):
        return Response(TenantSettingsSerializer(request.tenant).data)

    @extend_schema(request=TenantSettingsSerializer, responses=TenantSettingsSerializer)
    def patch(self, request):
        if isinstance(request.auth, ApiKey) or request.membership.role != request.membership.Role.OWNER:
            raise PermissionDenied("Only the tenant's owners, signed in, can change privacy and loyalty settings.")
        serializer = TenantSettingsSerializer(request.tenant, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        tenant_privacy_update(request.tenant, **serializer.validated_data)
        return Response(TenantSettingsSerializer(request.tenant).data, status=status.HTTP_200_OK)
