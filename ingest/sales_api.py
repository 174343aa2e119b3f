"""The sales API of a venue: post point-of-sale transactions (JSON or a CSV file) and list them."""

import zoneinfo
from datetime import datetime
from functools import cached_property

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ingest.models import Sale
from ingest.sales import SALES_BATCH_MAX, pos_id, sales_record
from ingest.sales_csv import SALES_CSV_MAX_BYTES, SALES_CSV_REQUIRED_COLUMNS, sales_csv_record
from ingest.services import venue_local
from venues.models import Venue
from vision.sources import human_size


class ShownInVenueTimeField(serializers.DateTimeField):
    """A time shown in the time zone of the venue in the serializer's context."""

    def default_timezone(self):
        return zoneinfo.ZoneInfo(self.context["venue"].time_zone)


class SaleSerializer(serializers.ModelSerializer):
    id = serializers.SerializerMethodField(help_text="The POS transaction id, as posted.")
    at = ShownInVenueTimeField(read_only=True, help_text="When the sale happened, in the venue's local time.")

    class Meta:
        model = Sale
        fields = ["id", "at", "amount", "items", "basket_id"]
        read_only_fields = fields

    def get_id(self, sale) -> str:
        return pos_id(sale)


class SaleRowSerializer(serializers.Serializer):
    """One sale of a batch, as the API schema shows it (`sales_record` checks each row on its own)."""

    id = serializers.CharField(help_text="The POS transaction id: posting it again stores nothing new.")
    at = serializers.DateTimeField(help_text="ISO 8601; without an offset it is the venue's local time.")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    items = serializers.IntegerField(min_value=1, default=1)
    basket_id = serializers.CharField(required=False, allow_blank=True, max_length=100)


@extend_schema_field(SaleRowSerializer(many=True))
class SaleRowsField(serializers.ListField):
    """The rows pass unchecked here, so that one bad row is reported by `sales_record` and not the whole batch."""


class SalesBatchSerializer(serializers.Serializer):
    sales = SaleRowsField(help_text=f"At most {SALES_BATCH_MAX} sales.")


class SalesCsvSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=(
            f"UTF-8 CSV, at most {human_size(SALES_CSV_MAX_BYTES)}, comma or semicolon separated, with a header "
            f"row naming {', '.join(SALES_CSV_REQUIRED_COLUMNS)} and optionally items, basket_id (other columns "
            "are ignored)."
        )
    )


class SaleRejectionSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row's number: 1 for the first sale; in a CSV, its line.")
    id = serializers.CharField(allow_null=True, help_text="The row's id, if it had one.")
    field = serializers.CharField(allow_null=True, help_text="The field at fault (null: the row is not an object).")
    message = serializers.CharField()


class SalesResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Sales stored now.")
    duplicates = serializers.IntegerField(help_text="Sales whose id was already stored: left as they were.")
    rejected = SaleRejectionSerializer(many=True, help_text="Rows not stored, one entry each, with the reason.")


def _venue(venue_id: int) -> Venue:
    """One of the caller's venues (another tenant's, or not a venue-limited key's own: 404)."""
    return get_object_or_404(Venue.objects.all(), pk=venue_id)


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="Sales at or after this ISO 8601 time (no offset: local)."),
            OpenApiParameter("to", str, description="Sales before this ISO 8601 time (no offset: local)."),
        ]
    ),
    post=extend_schema(request=SalesBatchSerializer, responses=SalesResultSerializer),
)
class VenueSalesView(generics.ListAPIView):
    """Point-of-sale transactions of a venue, oldest first."""

    queryset = Sale.objects.all()  # bound per request (see core.tenancy)
    serializer_class = SaleSerializer

    @cached_property
    def venue(self) -> Venue:
        return _venue(self.kwargs["venue_id"])

    def get_queryset(self):
        sales = super().get_queryset().filter(venue=self.venue).order_by("at", "pk")
        start, end = self._time_param("from"), self._time_param("to")
        if start is not None:
            sales = sales.filter(at__gte=start)
        if end is not None:
            sales = sales.filter(at__lt=end)
        return sales

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "venue": self.venue}

    def post(self, request, venue_id):
        """Store a batch of sales. Each row is checked on its own: the response (200) reports the rows rejected,
        with row number and field, besides those accepted and those already stored (duplicates)."""
        venue = self.venue
        given = SalesBatchSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return Response(SalesResultSerializer(sales_record(venue, given.validated_data["sales"])).data)

    def _time_param(self, name: str) -> datetime | None:
        raw = self.request.query_params.get(name)
        if not raw:
            return None
        try:
            return venue_local(datetime.fromisoformat(raw), self.venue)
        except ValueError:
            raise ValidationError({name: f"{raw!r} is not an ISO 8601 date or date and time."}) from None


class VenueSalesCsvView(APIView):
    """Store the sales of a CSV export of the venue's point of sale (rejected rows are named by their line)."""

    parser_classes = [MultiPartParser]

    @extend_schema(request=SalesCsvSerializer, responses=SalesResultSerializer)
    def post(self, request, venue_id):
        venue = _venue(venue_id)
        given = SalesCsvSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return Response(SalesResultSerializer(sales_csv_record(venue, given.validated_data["file"])).data)
