"""Live events: what the writer stores (and each new alert) is published, once committed, to its venue's Redis
stream, which `analytics.live` follows for the server-sent event stream.

The stream's entry ids are the events' ids, so a client that reconnects with `Last-Event-ID` resumes exactly
after the last event it saw, as long as that event is still among the venue's last `LIVE_STREAM_MAXLEN`.
Occupancy (who is inside now) is kept beside it: a sorted set per venue of open visits and one of open zone
stays, scored by when they began; an entry older than `LIVE_PRESENCE_MAX_SECONDS` (say, of a live stream that
died without ending its visits) no longer counts. Publishing is best effort: the rows are stored whatever Redis
says, and a failure is logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from functools import lru_cache

import redis
from django.conf import settings

from ingest.models import LineCrossing, Visit, ZoneEvent
from venues.models import CountingLine, Zone

logger = logging.getLogger(__name__)
SAME_MOMENT_ORDER = {"visit.started": 0, "line.crossed": 1, "visit.ended": 3}  # zone and queue events: 2


def stream_key(venue_id: int) -> str:
    return f"live:venue:{venue_id}:events"


def visits_key(venue_id: int) -> str:
    return f"live:venue:{venue_id}:visits"


def stays_key(venue_id: int) -> str:
    """Members are `<zone id>|<visit key>`."""
    return f"live:venue:{venue_id}:stays"


@lru_cache(maxsize=1)
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.LIVE_REDIS_URL, socket_timeout=5)


def occupancy_from(visits: int, stays: list) -> dict:
    """The occupancy message: people in the venue now, and per zone (from the open stays' members)."""
    per_zone = Counter(member.decode().split("|", 1)[0] for member in stays)
    return {"type": "occupancy", "venue": visits, "zones": {zone: count for zone, count in sorted(per_zone.items())}}


def occupancy_ranges(venue_id: int) -> tuple[tuple, tuple]:
    """ZCOUNT and ZRANGE arguments for the open visits and stays that still count."""
    since = time.time() - settings.LIVE_PRESENCE_MAX_SECONDS
    return (visits_key(venue_id), since, "+inf"), (stays_key(venue_id), since, "+inf")


def _visit_described(row: Visit) -> dict:
    if row.ended_at is None:
        return {"type": "visit.started", "visit": row.visit_key, "at": row.at.isoformat(), "camera": row.camera_id}
    return {
        "type": "visit.ended", "visit": row.visit_key, "at": row.ended_at.isoformat(), "camera": row.camera_id,
        "started": row.at.isoformat(), "duration_seconds": row.duration_seconds, "zones": row.zone_path,
        "staff": row.staff, "returning": row.visitor_id is not None,
    }  # fmt: skip


def _event_described(row, zones: dict[int, str], lines: dict[int, str]) -> dict:
    common = {"visit": row.visit_key, "at": row.at.isoformat(), "camera": row.camera_id}
    if isinstance(row, LineCrossing):
        return {"type": "line.crossed", **common, "line": row.line_id, "line_name": lines.get(row.line_id, ""),
                "direction": row.direction}  # fmt: skip
    where = {"zone": row.zone_id, "zone_name": zones.get(row.zone_id, "")}
    if isinstance(row, ZoneEvent):
        return {"type": f"zone.{row.kind}", **common, **where, "dwell_seconds": row.dwell_seconds}
    return {"type": f"queue.{row.kind}", **common, **where, "wait_seconds": row.wait_seconds}


# One round trip per write: the presence changes in order (`ZADD NX` or `ZREM` of a member of the visits' or the
# stays' set), the pruning of stale presence, every message appended, then what the occupancy message needs.
_PUBLISH = """
local now, maxlen, stale, since, changes = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local i = 6
for _ = 1, changes do
    local key = KEYS[tonumber(ARGV[i + 1])]
    if ARGV[i] == 'add' then redis.call('ZADD', key, 'NX', now, ARGV[i + 2]) else redis.call('ZREM', key, ARGV[i + 2]) end
    i = i + 3
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', stale)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', stale)
for j = i, #ARGV do redis.call('XADD', KEYS[1], 'MAXLEN', maxlen, '*', 'data', ARGV[j]) end
return {redis.call('ZCOUNT', KEYS[2], since, '+inf'), redis.call('ZRANGEBYSCORE', KEYS[3], since, '+inf')}
"""
_VISITS, _STAYS = "2", "3"  # their places in the script's KEYS


@lru_cache(maxsize=1)
def _publish_script():
    return _client().register_script(_PUBLISH)


def rows_publish(venue_id: int, visits: list[Visit], events: list) -> None:
    """Publish rows of one venue that were just stored (the writer calls this once its transaction commits),
    then the venue's occupancy. A visit that ends leaves every zone (a device may never send the zone exit),
    and entries older than LIVE_PRESENCE_MAX_SECONDS are dropped, so the sets stay as small as the crowd."""
    zones = dict(Zone.objects.filter(camera__venue_id=venue_id).values_list("pk", "name"))
    line_ids = {row.line_id for row in events if isinstance(row, LineCrossing)}
    lines = dict(CountingLine.objects.filter(pk__in=line_ids).values_list("pk", "name")) if line_ids else {}
    messages = [_visit_described(v) for v in visits] + [_event_described(r, zones, lines) for r in events]
    messages.sort(key=lambda message: (message["at"], SAME_MOMENT_ORDER.get(message["type"], 2)))
    changes = []
    for row in events:
        if isinstance(row, ZoneEvent):
            changes += (
                "add" if row.kind == ZoneEvent.Kind.ENTERED else "remove",
                _STAYS,
                f"{row.zone_id}|{row.visit_key}",
            )
    for visit in visits:
        if visit.ended_at is None:
            changes += ("add", _VISITS, visit.visit_key)
        else:
            changes += ("remove", _VISITS, visit.visit_key)
            for zone in zones:
                changes += ("remove", _STAYS, f"{zone}|{visit.visit_key}")
    (_, since, _), _ = occupancy_ranges(venue_id)
    now = since + settings.LIVE_PRESENCE_MAX_SECONDS
    try:
        open_visits, open_stays = _publish_script()(
            keys=[stream_key(venue_id), visits_key(venue_id), stays_key(venue_id)],
            args=[now, settings.LIVE_STREAM_MAXLEN, f"({since}", since, len(changes) // 3, *changes,
                  *(_encoded(message) for message in messages)],
        )  # fmt: skip
        _append(_client(), venue_id, occupancy_from(open_visits, open_stays))
    except redis.RedisError as error:
        logger.warning("live events of venue %s were not published: %s", venue_id, error)


def alert_publish(alert) -> None:
    """Publish a new alert of a venue (called once the alert is committed)."""
    message_publish(alert.venue_id, {
        "type": "alert", "alert": alert.pk, "kind": alert.kind, "severity": alert.severity, "title": alert.title,
        "at": alert.period_start.isoformat(), "link": alert.link,
    })  # fmt: skip


def message_publish(venue_id: int, message: dict) -> None:
    """Publish one message (a dict with its `type`) to a venue's listeners."""
    try:
        _append(_client(), venue_id, message)
    except redis.RedisError as error:
        logger.warning("a live %s of venue %s was not published: %s", message["type"], venue_id, error)


def _encoded(message: dict) -> str:
    return json.dumps(message, separators=(",", ":"))


def _append(client, venue_id: int, message: dict) -> None:
    client.xadd(
        stream_key(venue_id), {"data": _encoded(message)}, maxlen=settings.LIVE_STREAM_MAXLEN, approximate=False
    )
