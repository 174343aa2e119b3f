from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts.models import Alert, AlertRecipient, AlertRule, Severity
from alerts.serializers import (
    AlertCheckResultSerializer,
    AlertCheckSerializer,
    AlertRecipientSerializer,
    AlertRuleSerializer,
    AlertSerializer,
    AlertSettingsSerializer,
)
from alerts.services import alert_acknowledge, alert_check_now, alert_resolve, alert_settings_of
from venues.api import venue_filter
from venues.models import Venue

ALERT_FILTERS = {"severity": Severity.values, "state": Alert.State.values, "kind": AlertRule.Kind.values}


@extend_schema_view(
    list=extend_schema(
        parameters=[venue_filter.parameter]
        + [OpenApiParameter(name, str, enum=values) for name, values in ALERT_FILTERS.items()]
    )
)
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Fired alerts, newest first, with the numbers behind each; filter by venue, severity, state and kind."""

    queryset = Alert.objects.all()  # for the schema; requests use get_queryset
    serializer_class = AlertSerializer

    def get_queryset(self):
        queryset = venue_filter(self, Alert.objects.all())
        for name, values in ALERT_FILTERS.items():
            value = self.request.query_params.get(name)
            if value is not None:
                if value not in values:
                    raise ValidationError({name: f"Unknown {name} {value!r}; use one of {', '.join(values)}."})
                queryset = queryset.filter(**{name: value})
        return queryset

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Someone is on it."""
        return Response(AlertSerializer(alert_acknowledge(self.get_object(), _user(request))).data)

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Done: an ongoing condition (dead zone, silent camera) may fire again after this."""
        return Response(AlertSerializer(alert_resolve(self.get_object(), _user(request))).data)


def _user(request):
    return request.user if request.user.is_authenticated else None


@extend_schema_view(list=extend_schema(parameters=[venue_filter.parameter]))
class AlertRuleViewSet(viewsets.ModelViewSet):
    """Alert rules: a venue's own (created with defaults for every new venue) and tenant-wide ones (no venue)."""

    queryset = AlertRule.objects.all()
    serializer_class = AlertRuleSerializer

    def get_queryset(self):
        return venue_filter(self, AlertRule.objects.all())

    def perform_create(self, serializer):
        serializer.save(tenant=self.request.tenant)


class AlertRecipientViewSet(viewsets.ModelViewSet):
    """Who gets alert emails (instant) and the digest; each email has a one-click unsubscribe link."""

    queryset = AlertRecipient.objects.all()
    serializer_class = AlertRecipientSerializer

    def get_queryset(self):
        return AlertRecipient.objects.all()

    def perform_create(self, serializer):
        serializer.save(tenant=self.request.tenant)


class AlertSettingsView(APIView):
    """Which severity is emailed at once, and the digest: off, daily or weekly, at a local time."""

    serializer_class = AlertSettingsSerializer

    def get(self, request):
        return Response(AlertSettingsSerializer(alert_settings_of(request.tenant)).data)

    @extend_schema(request=AlertSettingsSerializer, responses=AlertSettingsSerializer)
    def patch(self, request):
        serializer = AlertSettingsSerializer(alert_settings_of(request.tenant), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)


class VenueAlertCheckView(APIView):
    """Run the venue's alert rules on one hour now, as the hourly schedule does (and stores each firing once)."""

    @extend_schema(request=AlertCheckSerializer, responses=AlertCheckResultSerializer)
    def post(self, request, venue_id):
        venue = get_object_or_404(Venue.objects.all(), pk=venue_id)
        given = AlertCheckSerializer(data=request.data, context={"venue": venue})
        given.is_valid(raise_exception=True)
        result = alert_check_now(venue, given.validated_data.get("hour"))
        return Response(AlertCheckResultSerializer(result, context={"venue": venue}).data)
