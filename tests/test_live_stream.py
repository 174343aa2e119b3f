"""The live event stream, served by uvicorn: what the writer stores reaches listeners at once, with the venue's
occupancy; a listener that reconnects with Last-Event-ID gets exactly what it missed; listeners of a venue share
one Redis reader; another tenant's venue is a 404."""

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import redis

from alerts.services import alert_check
from analytics import live_stream as live_feeds
from core.tenancy import tenant_scope
from ingest import live
from ingest.writer import Origin, events_write
from tests.asgi_server import asgi_server  # noqa: F401 (fixture)
from tests.conftest import build_world
from tests.test_alerts import open_daily, people
from venues.models import Venue
from vision.events import LineCrossed, VisitEnded, VisitStarted, ZoneEntered, ZoneExited, ZoneVisit

START = datetime(2026, 11, 20, 15, tzinfo=UTC)


@pytest.fixture
def world(asgi_server, settings):  # noqa: F811
    """Alpha's world with an empty live stream (venue ids repeat across test runs, Redis keeps streams)."""
    settings.LIVE_HEARTBEAT_SECONDS = 0.5
    world = build_world("Alpha Stores")
    client = redis.Redis.from_url(settings.LIVE_REDIS_URL)
    venue = world.venue.pk
    client.delete(live.stream_key(venue), live.visits_key(venue), live.stays_key(venue))
    world.url = f"{asgi_server}/api/v1/venues/{venue}/events/stream"
    return world


class Stream:
    """A listener: its server-sent events, read one at a time (a read that waits over 10 s fails the test)."""

    def __init__(self, url: str, key: str, last_event_id: str | None = None):
        headers = {"Authorization": f"Api-Key {key}", "Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.client = httpx.Client(timeout=httpx.Timeout(10.0))
        self.response = self.client.send(self.client.build_request("GET", url, headers=headers), stream=True)
        self.lines = self.response.iter_lines()

    def next(self) -> dict:
        """The next event (comments and the retry hint skipped): its id, type and data."""
        fields = {}
        for line in self.lines:
            if not line:
                if "data" in fields:
                    return {"id": fields.get("id"), "type": fields.get("event"), "data": json.loads(fields["data"])}
                fields = {}
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        raise AssertionError("the stream ended")

    def take(self, count: int) -> list[dict]:
        return [self.next() for _ in range(count)]

    def close(self):
        self.response.close()
        self.client.close()


@pytest.fixture
def listen(world):
    """Opens listeners of the world's venue; each is closed after the test, even a failed one."""
    streams = []

    def opened(last_event_id: str | None = None) -> Stream:
        streams.append(Stream(world.url, world.key, last_event_id))
        return streams[-1]

    yield opened
    for stream in streams:
        stream.close()


def write(world, events):
    origin = Origin("device:door", world.tenant.pk, world.venue.pk, world.camera.pk)
    with tenant_scope(world.tenant):
        events_write(origin, events, {"Front": world.zone.pk}, {"Door": world.line.pk})


def arrival(track: int, at: datetime):
    return [VisitStarted(track, at), LineCrossed(track, at, "Door", "in"), ZoneEntered(track, at, "Front")]


def departure(track: int, at: datetime, left: datetime):
    return [ZoneExited(track, left, "Front", entered_at=at),
            VisitEnded(track, left, first_seen=at, zone_visits=(ZoneVisit("Front", at, left),), trajectory=())]  # fmt: skip


def test_listeners_see_visits_crossings_and_zone_stays_as_they_are_written_with_the_occupancy(world, listen):
    stream = listen()
    assert stream.next() == {"id": None, "type": "occupancy", "data": {"type": "occupancy", "venue": 0, "zones": {}}}

    write(world, arrival(1, START))
    started, crossed, entered, occupancy = stream.take(4)
    assert [started["type"], crossed["type"], entered["type"]] == ["visit.started", "line.crossed", "zone.entered"]
    assert crossed["data"] | {"visit": None} == {
        "type": "line.crossed", "visit": None, "at": START.isoformat(), "camera": world.camera.pk,
        "line": world.line.pk, "line_name": "Door", "direction": "in",
    }  # fmt: skip
    assert entered["data"]["zone_name"] == "Front"
    assert occupancy["data"] == {"type": "occupancy", "venue": 1, "zones": {str(world.zone.pk): 1}}

    write(world, arrival(2, START + timedelta(minutes=1)))
    assert stream.take(4)[-1]["data"]["venue"] == 2
    write(world, departure(1, START, START + timedelta(minutes=7)))
    exited, ended, occupancy = stream.take(3)
    assert exited["data"]["dwell_seconds"] == 420 and ended["data"]["duration_seconds"] == 420
    assert occupancy["data"] == {"type": "occupancy", "venue": 1, "zones": {str(world.zone.pk): 1}}


def test_a_listener_that_reconnects_with_its_last_event_id_gets_exactly_what_it_missed(world, listen):
    stream = listen()
    stream.next()  # occupancy on connecting
    write(world, arrival(1, START))
    seen = stream.take(4)
    stream.close()

    write(world, departure(1, START, START + timedelta(minutes=5)))  # while disconnected
    write(world, arrival(2, START + timedelta(minutes=6)))
    again = listen(seen[-1]["id"])
    missed = again.take(8)
    assert [e["type"] for e in missed] == [
        "zone.exited", "visit.ended", "occupancy", "visit.started", "line.crossed", "zone.entered", "occupancy",
        "occupancy",  # the occupancy now, once caught up: not a stored event, so without an id
    ]  # fmt: skip
    assert [e["data"]["visit"] for e in missed[:2]] == [seen[0]["data"]["visit"]] * 2
    ids = [e["id"] for e in missed[:-1]]
    assert None not in ids and len(set(ids)) == 7 and missed[-1]["id"] is None
    assert min(map(live_feeds.event_order, ids)) > live_feeds.event_order(seen[-1]["id"])
    assert missed[-1]["data"]["venue"] == 1


def test_events_already_stored_are_not_published_again(world, settings):
    client = redis.Redis.from_url(settings.LIVE_REDIS_URL)
    write(world, arrival(1, START))
    published = client.xlen(live.stream_key(world.venue.pk))
    assert published == 4  # three events and the occupancy
    write(world, arrival(1, START))  # a retried batch: stored once, published once
    assert client.xlen(live.stream_key(world.venue.pk)) == published


def test_a_listener_resuming_after_events_it_can_no_longer_get_is_told_so(world, listen, settings):
    settings.LIVE_STREAM_MAXLEN = 5
    write(world, arrival(1, START))
    first = redis.Redis.from_url(settings.LIVE_REDIS_URL).xrange(live.stream_key(world.venue.pk), count=1)[0][0]
    write(world, departure(1, START, START + timedelta(minutes=2)) + arrival(2, START + timedelta(minutes=3)))
    stream = listen(first.decode())
    gap, *kept = stream.take(6)
    assert gap["type"] == "gap" and "may no longer be kept" in gap["data"]["message"]
    assert [e["type"] for e in kept] == ["visit.ended", "visit.started", "line.crossed", "zone.entered", "occupancy"]


def test_a_new_alert_is_published(world, listen):
    open_daily(world, ["09:00-20:00"])
    evening = datetime(2026, 11, 16, 21, tzinfo=UTC)  # 22:00 in Paris: closed
    people(world, evening, 2)
    stream = listen()
    stream.next()
    with tenant_scope(world.tenant):
        alerts = alert_check(Venue.objects.get(pk=world.venue.pk), evening)  # with its opening hours
    events = {event["data"]["alert"]: event for event in stream.take(len(alerts))}
    assert set(events) == {alert.pk for alert in alerts}
    [alert] = [alert for alert in alerts if alert.kind == "after_hours"]
    assert events[alert.pk]["type"] == "alert"
    assert events[alert.pk]["data"] == {
        "type": "alert", "alert": alert.pk, "kind": "after_hours", "severity": alert.severity, "title": alert.title,
        "at": evening.isoformat(), "link": alert.link,
    }  # fmt: skip


def test_the_listeners_of_a_venue_share_one_reader_of_its_stream(world, listen):
    streams = [listen() for _ in range(3)]
    for stream in streams:
        stream.next()
    [feeds] = [feeds for feeds in list(live_feeds._per_loop.values()) if world.venue.pk in feeds.venues]
    assert len(feeds.venues[world.venue.pk].listeners) == 3
    write(world, arrival(1, START))
    received = [[event["id"] for event in stream.take(4)] for stream in streams]
    assert received[0] == received[1] == received[2] and None not in received[0]
    for stream in streams:
        stream.close()
    deadline = time.monotonic() + 5
    while feeds.venues[world.venue.pk].listeners and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not feeds.venues[world.venue.pk].listeners  # a closed connection leaves the feed
    assert feeds.venues[world.venue.pk].reader is None  # and the last one stops its reader


def test_a_bad_last_event_id_is_refused_and_another_tenants_venue_is_not_found(world, asgi_server):  # noqa: F811
    answer = httpx.get(world.url, headers={"Authorization": f"Api-Key {world.key}", "Last-Event-ID": "yesterday"})
    assert answer.status_code == 400 and "not an event id" in answer.json()["last_event_id"]
    other = build_world("Beta Markets")
    answer = httpx.get(world.url, headers={"Authorization": f"Api-Key {other.key}"})
    assert answer.status_code == 404


def test_a_visit_that_ends_leaves_its_zones_even_without_a_zone_exit(world, listen):
    stream = listen()
    stream.next()
    write(world, arrival(1, START))
    assert stream.take(4)[-1]["data"]["zones"] == {str(world.zone.pk): 1}
    end = START + timedelta(minutes=3)  # the device never sent the zone exit
    write(world, [VisitEnded(1, end, first_seen=START, zone_visits=(), trajectory=())])
    ended, occupancy = stream.take(2)
    assert ended["type"] == "visit.ended" and occupancy["data"] == {"type": "occupancy", "venue": 0, "zones": {}}
