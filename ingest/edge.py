"""Events from edge devices: the pipeline's event schema as JSON, checked one event at a time.

A batch names its device; each event carries the device's own `id`, so the stored key
`device:<device>:<id>` makes a retried batch harmless. Events refer to the visit they belong to by the
device's visit id, and to zones and lines by their ids. One bad event is rejected with its reason; the
others are stored. Validation is plain Python against the table below, which also publishes the schema.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.dateparse import parse_datetime

from ingest.models import LineCrossing, QueueEvent, Visit, ZoneEvent
from ingest.services import venue_local
from ingest.writer import Rows
from venues.models import CountingLine, Zone
from venues.validators import SUPPORTED_YEARS
from vision.events import AGE_BRACKETS

MAX_EVENTS = 5000
_ID = re.compile(r"^[\w.:@/-]{1,64}$")


class Reject(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Context:
    venue: object
    zones: frozenset[int]  # ids of the venue's zones
    lines: frozenset[int]


def _schema(schema: dict):
    def mark(parse):
        parse.schema = schema
        return parse

    return mark


@_schema({"type": "string", "pattern": _ID.pattern})
def device_id(value, name, ctx):
    if not isinstance(value, str | int) or isinstance(value, bool) or not _ID.match(str(value)):
        raise Reject(name, "must be 1-64 letters, digits or . _ : @ / -")
    return str(value)


@_schema({"type": "string", "format": "date-time", "description": "Without a time zone: the venue's local time."})
def _time(value, name, ctx) -> datetime:
    try:  # well-formed but impossible (30 February, an offset of 25 hours) raises rather than giving None
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError as error:
        raise Reject(name, f"is not a valid date and time ({error})") from None
    if parsed is None:
        raise Reject(name, "must be an ISO 8601 date and time, e.g. 2026-11-20T10:15:00+01:00")
    if not SUPPORTED_YEARS[0] <= parsed.year <= SUPPORTED_YEARS[1]:
        raise Reject(name, f"must be in the years {SUPPORTED_YEARS[0]}-{SUPPORTED_YEARS[1]}")
    return venue_local(parsed, ctx.venue)


def _number(low: float, high: float):
    @_schema({"type": "number", "minimum": low, "maximum": high})
    def parse(value, name, ctx) -> float:
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise Reject(name, "must be a number")
        if not low <= value <= high:
            raise Reject(name, f"must be between {low} and {high}")
        return float(value)

    return parse


def _choice(*choices: str):
    @_schema({"type": "string", "enum": list(choices)})
    def parse(value, name, ctx) -> str:
        if value not in choices:
            raise Reject(name, f"must be one of {', '.join(choices)}")
        return value

    return parse


def _reference(kind: str):
    @_schema({"type": "integer", "description": f"The id of one of the venue's {kind}."})
    def parse(value, name, ctx) -> int:
        known = getattr(ctx, kind)
        if not isinstance(value, int) or isinstance(value, bool) or value not in known:
            raise Reject(name, f"no {kind[:-1]} {value!r} in this venue")
        return value

    return parse


def _optional(parse):
    @_schema({**parse.schema, "nullable": True})
    def optional(value, name, ctx):
        return None if value is None else parse(value, name, ctx)

    optional.optional = True
    return optional


def _object(fields: dict):
    @_schema({"type": "object", "properties": {key: f.schema for key, f in fields.items()}, "required": list(fields)})
    def parse(value, name, ctx) -> dict:
        if not isinstance(value, dict):
            raise Reject(name, "must be an object")
        return {key: field_value(value, key, parse_one, ctx, f"{name}.{key}") for key, parse_one in fields.items()}

    return parse


@_schema({"type": "array", "items": {"type": "string"}, "description": "Names of the zones visited, in order."})
def _zone_path(value, name, ctx) -> list[str]:
    if not isinstance(value, list) or len(value) > 200 or not all(isinstance(z, str) and len(z) <= 120 for z in value):
        raise Reject(name, "must be a list of zone names")
    return value


@_schema(
    {
        "type": "array",
        "maxItems": 20000,
        "items": {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3},
        "description": "[[seconds since the visit started, x, y], ...]: the feet, 0..1 of the image.",
    }
)
def _trajectory(value, name, ctx) -> list:
    if not isinstance(value, list) or len(value) > 20000:
        raise Reject(name, "must be a list of [seconds, x, y] points")
    for point in value:
        if (not isinstance(point, list) or len(point) != 3
                or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in point)
                or not (0 <= point[1] <= 1 and 0 <= point[2] <= 1)):  # fmt: skip
            raise Reject(name, "must be [seconds, x, y] points with x and y between 0 and 1")
    return value


_confidence = _number(0, 1)
DEMOGRAPHICS = {"age_bracket": _choice(*AGE_BRACKETS), "age_confidence": _confidence,
                "gender": _choice("female", "male"), "gender_confidence": _confidence}  # fmt: skip
ENGAGEMENT = {"score": _number(0, 100), "behaviour": _choice("engaged", "browsing", "waiting", "passing")}

# Per event type, the time that may not come before another (a visit's end, a stay's exit, a wait's end).
TIME_ORDER = {"visit": ("ended_at", "at"), "zone_exited": ("at", "entered_at"), "queue_served": ("at", "joined_at"),
              "queue_abandoned": ("at", "joined_at")}  # fmt: skip
# Per event type: its fields (all events also have `id`, `type` and `visit`).
EVENT_FIELDS: dict[str, dict[str, Callable]] = {
    "visit": {
        "at": _time,
        "ended_at": _optional(_time),
        "zone_path": _optional(_zone_path),
        "demographics": _optional(_object(DEMOGRAPHICS)),
        "engagement": _optional(_object(ENGAGEMENT)),
        "trajectory": _optional(_trajectory),
    },
    "zone_entered": {"at": _time, "zone": _reference("zones")},
    "zone_exited": {"at": _time, "zone": _reference("zones"), "entered_at": _time},
    "line_crossed": {"at": _time, "line": _reference("lines"), "direction": _choice("in", "out")},
    "queue_joined": {"at": _time, "zone": _reference("zones")},
    "queue_served": {"at": _time, "zone": _reference("zones"), "joined_at": _time},
    "queue_abandoned": {"at": _time, "zone": _reference("zones"), "joined_at": _time},
}


def field_value(event: dict, key: str, parse, ctx=None, name: str | None = None):
    if key not in event or event[key] is None:
        if getattr(parse, "optional", False):
            return None
        raise Reject(name or key, "is required")
    return parse(event[key], name or key, ctx)


def context_for(venue) -> Context:
    zones = frozenset(Zone.objects.filter(camera__venue=venue).values_list("pk", flat=True))
    lines = frozenset(CountingLine.objects.filter(camera__venue=venue).values_list("pk", flat=True))
    return Context(venue, zones, lines)


def rows_from_device(device: str, venue, camera_id: int | None, events: list, ctx: Context) -> tuple[Rows, list]:
    """The batch's valid events as rows, and the rejected ones as {index, id, field, message}."""
    rows, rejected = Rows(), []
    origin = f"device:{device}"
    base = {"tenant_id": venue.tenant_id, "venue_id": venue.pk, "camera_id": camera_id}
    for index, event in enumerate(events):
        try:
            if not isinstance(event, dict):
                raise Reject("event", "must be an object")
            event_id = field_value(event, "id", device_id, ctx)
            kind = field_value(event, "type", _choice(*EVENT_FIELDS), ctx)
            visit = field_value(event, "visit", device_id, ctx)
            values = {key: field_value(event, key, parse, ctx) for key, parse in EVENT_FIELDS[kind].items()}
            later, earlier = TIME_ORDER.get(kind, (None, None))
            if later and values[later] is not None and values[later] < values[earlier]:
                raise Reject(later, f"must not be before {earlier}")
        except Reject as reason:
            raw_id = event.get("id") if isinstance(event, dict) else None
            rejected.append({"index": index, "id": raw_id if isinstance(raw_id, str | int) else None,
                             "field": reason.field, "message": f"{reason.field} {reason.message}"})  # fmt: skip
            continue
        visit_key = f"{origin}:visit:{visit}"
        common = {**base, "key": f"{origin}:{event_id}", "visit_key": visit_key, "at": values["at"]}
        if kind == "visit":
            rows.visits[visit_key] = _visit(common, values, visit_key)
        elif kind.startswith("zone_"):
            entered = kind == "zone_entered"
            dwell = None if entered else (values["at"] - values["entered_at"]).total_seconds()
            rows.events[ZoneEvent].append(
                ZoneEvent(
                    **common, zone_id=values["zone"], kind="entered" if entered else "exited", dwell_seconds=dwell
                )
            )
        elif kind == "line_crossed":
            rows.events[LineCrossing].append(
                LineCrossing(**common, line_id=values["line"], direction=values["direction"])
            )
        else:
            outcome = kind.removeprefix("queue_")
            wait = (values["at"] - values["joined_at"]).total_seconds() if "joined_at" in values else None
            rows.events[QueueEvent].append(
                QueueEvent(**common, zone_id=values["zone"], kind=outcome, wait_seconds=wait)
            )
    return rows, rejected


def _visit(common: dict, values: dict, visit_key: str) -> Visit:
    visit = Visit(
        **{**common, "key": visit_key}, ended_at=values["ended_at"], zone_path=values["zone_path"] or [],
        trajectory=values["trajectory"] or [],
    )  # fmt: skip
    if visit.ended_at:
        visit.duration_seconds = (visit.ended_at - visit.at).total_seconds()
    if values["demographics"]:
        for key, value in values["demographics"].items():
            setattr(visit, key, value)
    if values["engagement"]:
        visit.engagement_score, visit.behaviour = (
            round(values["engagement"]["score"]),
            values["engagement"]["behaviour"],
        )
    return visit


def batch_schema() -> dict:
    """The OpenAPI schema of a batch, from the same table that validates it."""
    common = {"id": device_id.schema, "visit": {**device_id.schema, "description": "The device's id of the visit."}}
    variants = [
        {"type": "object", "title": kind, "required": ["id", "type", "visit", *[k for k, f in fields.items()
                                                                              if not getattr(f, "optional", False)]],
         "properties": {**common, "type": {"type": "string", "enum": [kind]},
                        **{key: parse.schema for key, parse in fields.items()}}}
        for kind, fields in EVENT_FIELDS.items()
    ]  # fmt: skip
    return {
        "type": "object",
        "required": ["device", "events"],
        "properties": {
            "device": {
                **device_id.schema,
                "description": "The device's own id: with each event's id, it makes retries safe.",
            },
            "venue": {"type": "integer", "description": "Required unless the API key is limited to one venue."},
            "camera": {"type": "integer", "nullable": True},
            "events": {"type": "array", "maxItems": MAX_EVENTS, "items": {"oneOf": variants}},
        },
    }
