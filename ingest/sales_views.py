"""The Upload sales page: a venue's point-of-sale CSV export in, each refused row shown with its line, field and
reason (`ingest.sales_csv`, as the API's CSV upload)."""

from django.core.exceptions import ValidationError
from django.db.models import Count, Max
from django.shortcuts import get_object_or_404, render

from core.pages import member_writes, tenant_page, writer_required
from ingest.models import Sale
from ingest.sales_csv import SALES_CSV_MAX_BYTES, SALES_CSV_REQUIRED_COLUMNS, sales_csv_record
from venues.models import Venue
from vision.sources import human_size


@tenant_page
def sales_upload_page(request, venue_id):
    """What the venue's sales are so far and, for analysts and owners, the upload: the accepted rows are stored,
    the others listed (200); a file that cannot be read as a whole is refused with the reason (400)."""
    venue = get_object_or_404(Venue.objects.all(), pk=venue_id)
    result, errors = None, []
    if request.method == "POST":
        writer_required(request)
        upload = request.FILES.get("file")
        if upload is None:
            errors = ["Choose the CSV file to upload."]
        else:
            try:
                result = sales_csv_record(venue, upload)
            except ValidationError as refused:
                errors = [message for messages in refused.message_dict.values() for message in messages]
    context = {
        "venue": venue, "result": result, "errors": errors, "can_edit": member_writes(request),
        "stored": Sale.objects.filter(venue=venue).aggregate(count=Count("pk"), latest=Max("at")),
        "columns": SALES_CSV_REQUIRED_COLUMNS, "max_size": human_size(SALES_CSV_MAX_BYTES),
    }  # fmt: skip
    return render(request, "ingest/sales_upload.html", context, status=400 if errors else 200)
