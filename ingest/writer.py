"""The one writer of visitor events: pipeline or device events in, rows out, idempotently.

Every row's `key` is `<origin>:<kind>:<visit>:<n>` (origin: `job:<id>` or `device:<id>`), unique per tenant, so
writing the same events twice stores them once. A visit is one row: inserted when it starts, completed
(upserted) when it ends.
"""

from __future__ import annotations

import contextvars
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain

from django.db import connection, transaction
from django.db.models import JSONField

from ingest import live
from ingest.models import LineCrossing, QueueEvent, Visit, ZoneEvent
from ingest.rollups import hours_pend, hours_refresh, moments_spanned, written_hours_refresh
from venues.models import Venue
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
    "gender_confidence", "engagement_score", "behaviour", "posture", "visitor", "staff",
]  # fmt: skip


@dataclass(frozen=True)
class Origin:
    """Where events come from: a video job of a camera, or an edge device."""

    key: str  # "job:12" or "device:<id>"
    tenant_id: int
    venue_id: int
    camera_id: int | None
    job_id: int | None = None


@dataclass(frozen=True)
class Face:
    """A visit's face embedding: handed to re-identification, never stored on the visit."""

    embedding: tuple[float, ...]
    model: str


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
            row.posture = event.engagement.posture or ""
    return row


@dataclass
class Rows:
    """Rows to store for one origin: new events, and visits to insert or complete (upsert)."""

    events: dict[type, list] = field(default_factory=lambda: defaultdict(list))
    visits: dict[str, Visit] = field(default_factory=dict)  # by key; the last one of a key wins
    faces: dict[str, Face] = field(default_factory=dict)  # by visit key

    def __len__(self) -> int:
        return len(self.visits) + sum(map(len, self.events.values()))


@dataclass(frozen=True)
class Written:
    accepted: int
    duplicates: int


def rows_from_events(origin: Origin, events: list[Event], zones: dict[str, int], lines: dict[str, int]) -> Rows:
    """Pipeline events as rows; `zones`/`lines` map the camera's geometry names to ids."""
    rows = Rows()
    ended: set[str] = set()
    counters: dict[tuple[str, int], int] = defaultdict(int)
    for event in events:
        visit_key = f"{origin.key}:visit:{event.track_id}"
        if isinstance(event, VisitStarted | VisitEnded):
            if isinstance(event, VisitEnded):
                ended.add(visit_key)
                if event.face_embedding is not None and event.face_model:
                    rows.faces[visit_key] = Face(event.face_embedding, event.face_model)
            if isinstance(event, VisitEnded) or visit_key not in ended:
                rows.visits[visit_key] = _visit_row(origin, event, visit_key)
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
                rows.events[ZoneEvent].append(ZoneEvent(**common, zone_id=zones[zone], kind=ZoneEvent.Kind.ENTERED))
            case ZoneExited(zone=zone):
                rows.events[ZoneEvent].append(
                    ZoneEvent(
                        **common, zone_id=zones[zone], kind=ZoneEvent.Kind.EXITED, dwell_seconds=event.dwell_seconds
                    )
                )
            case LineCrossed(line=line, direction=direction):
                rows.events[LineCrossing].append(LineCrossing(**common, line_id=lines[line], direction=direction))
            case QueueJoined(zone=zone):
                rows.events[QueueEvent].append(QueueEvent(**common, zone_id=zones[zone], kind=QueueEvent.Kind.JOINED))
            case QueueServed(zone=zone) | QueueAbandoned(zone=zone):
                kind = QueueEvent.Kind.SERVED if isinstance(event, QueueServed) else QueueEvent.Kind.ABANDONED
                rows.events[QueueEvent].append(
                    QueueEvent(**common, zone_id=zones[zone], kind=kind, wait_seconds=event.wait_seconds)
                )
    return rows


_BATCH_LOCK = 7302  # pg_advisory_xact_lock class: writes of the same batch one after the other (rollups: 7301)


def rows_write(venue, rows: Rows) -> Written:
    """Store rows of one venue: events whose key is already stored are duplicates and left alone; visits
    are inserted or completed. The hours touched are marked pending and then rebuilt (`ingest.rollups`)."""
    duplicates = 0
    stored_events, news = [], []
    with transaction.atomic():
        keys = [row.key for batch in rows.events.values() for row in batch] + list(rows.visits)
        if keys:  # the same batch written again at the same moment waits for the first, then finds it stored
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_BATCH_LOCK, min(keys)])
        for model, batch in rows.events.items():
            unique = {row.key: row for row in batch}  # a key repeated within the batch: its last row
            inserted = _rows_insert(model, list(unique.values()), "ON CONFLICT DO NOTHING")
            fresh = [row for key, row in unique.items() if key in inserted]
            duplicates += len(batch) - len(fresh)
            stored_events += fresh
        if rows.visits:
            stored = dict(Visit.objects.filter(key__in=list(rows.visits)).values_list("key", "ended_at"))
            # a stored visit is completed by its end, never reopened or rewritten
            news = [v for key, v in rows.visits.items() if key not in stored or (v.ended_at and not stored[key])]
            duplicates += len(rows.visits) - len(news)
            _visitors_identify(venue, news, rows.faces)
            _rows_insert(Visit, news, _VISIT_COMPLETED)
        moments = {row.at for row in chain(rows.visits.values(), *rows.events.values())}
        moments.update(_staff_tag([v.key for v in rows.visits.values() if v.staff], staff=True))
        if rows.visits:  # a visit's engagement counts in the hours of its zone stays, which may be stored already
            moments.update(ZoneEvent.objects.filter(visit_key__in=list(rows.visits)).values_list("at", flat=True))
        hours_pend(venue, moments)
        if news or stored_events:  # published in this write's tenant scope, whenever the commit comes
            context = contextvars.copy_context()
            transaction.on_commit(lambda: context.run(live.rows_publish, venue.pk, news, stored_events))
    written_hours_refresh(venue)
    return Written(accepted=len(rows) - duplicates, duplicates=duplicates)


_VISIT_COMPLETED = "ON CONFLICT (tenant_id, key) DO UPDATE SET " + ", ".join(
    f"{Visit._meta.get_field(name).column} = EXCLUDED.{Visit._meta.get_field(name).column}"
    for name in VISIT_SUMMARY_FIELDS
)


def _rows_insert(model, rows: list, on_conflict: str) -> set[str]:
    """Insert model instances in one statement, a column per array (no per-row SQL); the keys inserted."""
    if not rows:
        return set()
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    values = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for row in rows]
        if isinstance(field, JSONField)  # the others are passed as they are
        else [getattr(row, field.attname) for row in rows]
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({columns}) SELECT * FROM unnest({arrays}) {on_conflict} RETURNING key",
            values,
        )
        return {key for (key,) in cursor.fetchall()}


# How a finished visit's face finds its visitor: (venue, embedding, model, visit start, visit key) -> the visitor or
# None. Registered by the reid app when it is ready (`reid.matching.visitor_identify`), so that the writer imports
# nothing of reid while reid's services call the writer.
_visitor_identify: Callable | None = None


def visitor_identify_register(identify: Callable) -> None:
    global _visitor_identify
    _visitor_identify = identify


def _visitors_identify(venue, visits: list[Visit], faces: dict[str, Face]) -> None:
    """Link each completed visit with a face to its visitor (the registered matching); a staff member's visit is
    tagged staff. Without a registered matching (the reid app not installed) faces link to nobody."""
    if _visitor_identify is None:
        return
    for visit in visits:
        face = faces.get(visit.key)
        if not (visit.ended_at and face):
            continue
        if visitor := _visitor_identify(venue, face.embedding, face.model, visit.at, visit.key):
            visit.visitor_id, visit.staff = visitor.pk, visitor.staff


def _staff_tag(visit_keys: list[str], *, staff: bool) -> set:
    """Tag (or untag) the events of these visits as a staff member's; returns their times, for the rollups."""
    moments = set()
    if visit_keys:
        for model in EVENT_MODELS:
            rows = model.objects.filter(visit_key__in=visit_keys).exclude(staff=staff)
            moments.update(rows.values_list("at", flat=True))
            rows.update(staff=staff)
    return moments


def visitor_visits_staff_set(visitor, *, staff: bool) -> None:
    """Tag every visit of a visitor (and its zone, line and queue events) as staff or not, and recompute the
    hours they touch, so that customer metrics leave them out (or count them again)."""
    with transaction.atomic():
        by_venue = defaultdict(list)
        for venue_id, key in Visit.objects.filter(visitor=visitor).values_list("venue_id", "key"):
            by_venue[venue_id].append(key)
        for venue in Venue.objects.filter(pk__in=list(by_venue)):
            hours_refresh(venue, _staff_tag(by_venue[venue.pk], staff=staff))


def visitor_visits_unlink(visitor) -> None:
    """Cut the link from a visitor's visits (erasure); the visits themselves, anonymous, stay counted, each now a
    person of its own in the hours they touch."""
    with transaction.atomic():
        visits = Visit.objects.filter(visitor=visitor)
        by_venue = defaultdict(list)
        for venue_id, at in visits.values_list("venue_id", "at"):
            by_venue[venue_id].append(at)
        visits.update(visitor=None)
        for venue in Venue.objects.filter(pk__in=list(by_venue)):
            hours_refresh(venue, by_venue[venue.pk])


def events_write(origin: Origin, events: list[Event], zones: dict[str, int], lines: dict[str, int]) -> Written:
    """Store pipeline events of one origin."""
    return rows_write(Venue.objects.get(pk=origin.venue_id), rows_from_events(origin, events, zones, lines))


def job_events_clear(job) -> None:
    """Remove what an earlier attempt of a job wrote (and its share of the rollups), so that a re-run replaces it."""
    moments = []
    for model in EVENT_MODELS:
        moments += model.objects.filter(job_id=job.pk).values_list("at", flat=True).distinct()
    moments = moments_spanned(job.venue, moments)  # read before the rows go: the hours they were open in
    for model in EVENT_MODELS:
        model.objects.filter(job_id=job.pk).delete()
    hours_refresh(job.venue, moments)
