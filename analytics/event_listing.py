"""Stored events of a venue as a paginated, filterable list and as streamed CSV or JSON exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from core.tenancy import tenant_scope
from ingest.models import LineCrossing, QueueEvent, Visit, ZoneEvent

# Per event type: its model and the columns given (a column may follow a relation: "zone__name").
EVENT_TYPES = {
    "visit": (Visit, ["visit_key", "camera_id", "at", "ended_at", "duration_seconds", "zone_path", "age_bracket",
                      "age_confidence", "gender", "gender_confidence", "engagement_score", "behaviour"]),
    "zone": (ZoneEvent, ["visit_key", "camera_id", "at", "zone_id", "zone__name", "kind", "dwell_seconds"]),
    "line": (LineCrossing, ["visit_key", "camera_id", "at", "line_id", "line__name", "direction"]),
    "queue": (QueueEvent, ["visit_key", "camera_id", "at", "zone_id", "zone__name", "kind", "wait_seconds"]),
}  # fmt: skip


def events_of(venue, kind: str, period, camera_id: int | None = None):
    """Rows (dicts) of one event type of a venue in a period, oldest first, times in the venue's local time."""
    model, columns = EVENT_TYPES[kind]
    rows = model.objects.filter(venue=venue, at__gte=period.start, at__lt=period.end)
    if camera_id is not None:
        rows = rows.filter(camera_id=camera_id)
    return rows.order_by("at", "pk").values(*columns)


def _localised(row: dict, period) -> dict:
    for field in ("at", "ended_at"):
        if row.get(field) is not None:
            row[field] = period.local(row[field]).isoformat()
    return row


def page_of(rows, period) -> list[dict]:
    return [_localised(dict(row), period) for row in rows]


def _csv_cells(row: dict) -> dict:
    """A list (a visit's zone path) as one readable cell, "Shop front; Till"; the JSON export keeps it a list."""
    return {name: "; ".join(map(str, value)) if isinstance(value, list) else value for name, value in row.items()}


def streamed(venue, kind: str, period, camera_id: int | None, as_csv: bool) -> Iterator[str]:
    """The export, a chunk at a time. It is read after the view has returned, so it opens the tenant's scope
    itself."""
    with tenant_scope(venue.tenant):
        rows = events_of(venue, kind, period, camera_id).iterator(chunk_size=2000)
        columns = EVENT_TYPES[kind][1]
        if as_csv:
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=columns)
            writer.writeheader()
            for n, row in enumerate(rows, 1):
                writer.writerow(_csv_cells(_localised(row, period)))
                if n % 1000 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()
        else:
            yield "["
            for n, row in enumerate(rows):
                yield ("," if n else "") + json.dumps(_localised(row, period), default=str)
            yield "]"
