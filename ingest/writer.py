"""The one writer of visitor events: pipeline or device events in, rows out, idempotently.

Every row's `key` is `<origin>:<kind>:<visit>:<n>` (origin: `job:<id>` or `device:<id>`), unique per tenant, so
writing the same events twice stores them once. A visit is one row: inserted when it starts, completed
(upserted) when it ends.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction

from ingest.models import LineCrossing, QueueEvent, Visit, ZoneEvent
from vision.events import (
    Event,
    LineCrossed,
    QueueAbandoned,
    QueueJoined,
    QueueServed,
    VisitEnded,
    VisitStarted,
    ZoneEntered,
    ZoneExited,
)

EVENT_MODELS = (Visit, ZoneEvent, LineCrossing, QueueEvent)
VISIT_SUMMARY_FIELDS = [
    "at", "ended_at", "duration_seconds", "zone_path", "trajectory", "age_bracket", "age_confidence", "gender",
    "gender_confidence", "engagement_score", "behaviour", "face_embedding", "face_model",
]  # fmt: skip


@dataclass(frozen=True)
class Origin:
    """Where events come from: a video job of a camera, or an edge device."""

    key: str  # "job:12" or "device:<id>"
    tenant_id: int
    venue_id: int
    camera_id: int | None
    job_id: int | None = None


def _visit_row(origin: Origin, event: VisitStarted | VisitEnded, visit_key: str) -> Visit:
    row = Visit(
        tenant_id=origin.tenant_id, venue_id=origin.venue_id, camera_id=origin.camera_id, job_id=origin.job_id,
        key=visit_key, visit_key=visit_key, at=event.at,
    )  # fmt: skip
    if isinstance(event, VisitEnded):
        row.at, row.ended_at = event.first_seen, event.at
        row.duration_seconds = event.duration_seconds
        row.zone_path = list(event.zone_path)
        row.trajectory = [list(point) for point in event.trajectory]
        if event.demographics:
            d = event.demographics
            row.age_bracket, row.age_confidence = d.age_bracket, d.age_confidence
            row.gender, row.gender_confidence = d.gender, d.gender_confidence
        if event.engagement:
            row.engagement_score, row.behaviour = event.engagement.score, event.engagement.behaviour
        if event.face_embedding is not None:
            row.face_embedding, row.face_model = list(event.face_embedding), event.face_model or ""
    return row


def events_write(origin: Origin, events: list[Event], zones: dict[str, int], lines: dict[str, int]) -> None:
    """Store events of one origin; `zones`/`lines` map the camera's geometry names to ids."""
    rows: dict[type, list] = defaultdict(list)
    ended: dict[str, Visit] = {}
    counters: dict[tuple[str, int], int] = defaultdict(int)
    for event in events:
        visit_key = f"{origin.key}:visit:{event.track_id}"
        if isinstance(event, VisitStarted | VisitEnded):
            row = _visit_row(origin, event, visit_key)
            if isinstance(event, VisitEnded):
                ended[visit_key] = row
            elif visit_key not in ended:
                rows[Visit].append(row)
            continue
        kind = type(event).__name__
        counters[(kind, event.track_id)] += 1
        common = dict(
            tenant_id=origin.tenant_id, venue_id=origin.venue_id, camera_id=origin.camera_id, job_id=origin.job_id,
            key=f"{origin.key}:{kind}:{event.track_id}:{counters[(kind, event.track_id)]}", visit_key=visit_key,
            at=event.at,
        )  # fmt: skip
        match event:
            case ZoneEntered(zone=zone):
                rows[ZoneEvent].append(ZoneEvent(**common, zone_id=zones[zone], kind=ZoneEvent.Kind.ENTERED))
            case ZoneExited(zone=zone):
                rows[ZoneEvent].append(
                    ZoneEvent(
                        **common, zone_id=zones[zone], kind=ZoneEvent.Kind.EXITED, dwell_seconds=event.dwell_seconds
                    )
                )
            case LineCrossed(line=line, direction=direction):
                rows[LineCrossing].append(LineCrossing(**common, line_id=lines[line], direction=direction))
            case QueueJoined(zone=zone):
                rows[QueueEvent].append(QueueEvent(**common, zone_id=zones[zone], kind=QueueEvent.Kind.JOINED))
            case QueueServed(zone=zone) | QueueAbandoned(zone=zone):
                kind = QueueEvent.Kind.SERVED if isinstance(event, QueueServed) else QueueEvent.Kind.ABANDONED
                rows[QueueEvent].append(
                    QueueEvent(**common, zone_id=zones[zone], kind=kind, wait_seconds=event.wait_seconds)
                )
    with transaction.atomic():
        for model, batch in rows.items():
            model.objects.bulk_create(batch, ignore_conflicts=True)
        if ended:
            Visit.objects.bulk_create(
                list(ended.values()), update_conflicts=True, unique_fields=["tenant", "key"],
                update_fields=VISIT_SUMMARY_FIELDS,
            )  # fmt: skip


def job_events_clear(job_id: int) -> None:
    """Remove what an earlier attempt of a job wrote, so that a re-run replaces it."""
    for model in EVENT_MODELS:
        model.objects.filter(job_id=job_id).delete()
