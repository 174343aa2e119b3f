"""Edge devices post events: idempotent, partly rejected with reasons, scoped by the key, rolled up."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.urls import reverse

from core.api_keys import api_key_create
from core.models import ApiKey
from core.tenancy import tenant_scope
from ingest.models import LineCrossing, QueueEvent, VenueHour, Visit, ZoneEvent, ZoneHour
from tests.conftest import key_client, session_client
from venues.models import Venue

pytestmark = pytest.mark.django_db
URL = reverse("edge-events")


def batch(world, events, **extra):
    return {"device": "door-1", "venue": world.venue.pk, "events": events, **extra}


def visit_events(world):
    zone, line = world.zone.pk, world.line.pk
    return [
        {"id": "e1", "type": "visit", "visit": "v1", "at": "2026-11-20T10:00:00", "ended_at": "2026-11-20T10:05:00",
         "zone_path": ["Front"], "demographics": {"age_bracket": "25-34", "age_confidence": 0.7, "gender": "female",
                                                   "gender_confidence": 0.9},
         "engagement": {"score": 64, "behaviour": "engaged"}},
        {"id": "e2", "type": "line_crossed", "visit": "v1", "at": "2026-11-20T10:00:02", "line": line, "direction": "in"},
        {"id": "e3", "type": "zone_entered", "visit": "v1", "at": "2026-11-20T10:01:00", "zone": zone},
        {"id": "e4", "type": "zone_exited", "visit": "v1", "at": "2026-11-20T10:03:00", "zone": zone,
         "entered_at": "2026-11-20T10:01:00"},
        {"id": "e5", "type": "queue_joined", "visit": "v1", "at": "2026-11-20T10:03:30", "zone": zone},
        {"id": "e6", "type": "queue_abandoned", "visit": "v1", "at": "2026-11-20T10:04:30", "zone": zone,
         "joined_at": "2026-11-20T10:03:30"},
        {"id": "e7", "type": "line_crossed", "visit": "v1", "at": "2026-11-20T10:04:58", "line": line, "direction": "out"},
    ]  # fmt: skip


def counts(world):
    with tenant_scope(world.tenant):
        return tuple(m.objects.filter(venue=world.venue).count() for m in (Visit, ZoneEvent, LineCrossing, QueueEvent))


def test_a_batch_is_stored_once_even_when_retried(world_a):
    client = key_client(world_a.key)
    first = client.post(URL, batch(world_a, visit_events(world_a)), format="json")
    assert first.status_code == 200, first.json()
    assert first.json() == {"accepted": 7, "duplicates": 0, "rejected": []}
    again = client.post(URL, batch(world_a, visit_events(world_a)), format="json")
    assert again.json() == {"accepted": 0, "duplicates": 7, "rejected": []}
    assert counts(world_a) == (1, 2, 2, 2)
    with tenant_scope(world_a.tenant):
        visit = Visit.objects.get(venue=world_a.venue)
        assert visit.duration_seconds == 300 and visit.age_bracket == "25-34" and visit.behaviour == "engaged"
        assert visit.at.isoformat() == "2026-11-20T09:00:00+00:00"  # 10:00 in Paris
        exited = ZoneEvent.objects.get(kind="exited")
        assert exited.dwell_seconds == 120
        assert QueueEvent.objects.get(kind="abandoned").wait_seconds == 60


def test_rollups_follow_the_events(world_a):
    key_client(world_a.key).post(URL, batch(world_a, visit_events(world_a)), format="json")
    with tenant_scope(world_a.tenant):
        hour = VenueHour.objects.get(venue=world_a.venue)
        assert (hour.visits, hour.entries, hour.exits, hour.with_demographics, hour.engaged) == (1, 1, 1, 1, 1)
        assert hour.hour_start.isoformat() == "2026-11-20T09:00:00+00:00" and hour.visit_seconds == 300
        zone = ZoneHour.objects.get(zone=world_a.zone)
        assert (zone.visits, zone.dwell_seconds, zone.queue_joined, zone.queue_abandoned) == (1, 120.0, 1, 1)
        assert zone.wait_seconds == 60.0
        # geometric buckets of ratio 1.15: 120 s falls in bucket 34 (1.15^34 = 115.5), 60 s in 29, 300 s in 40
        assert (zone.dwell_histogram, zone.wait_histogram, hour.visit_histogram) == ({"34": 1}, {"29": 1}, {"40": 1})


def test_bad_events_are_rejected_one_by_one_with_reasons(world_a, world_b):
    events = [
        *visit_events(world_a)[:2],
        {"id": "b1", "type": "teleported", "visit": "v2", "at": "2026-11-20T10:00:00"},
        {"id": "b2", "type": "line_crossed", "visit": "v2", "at": "yesterday", "line": world_a.line.pk, "direction": "in"},
        {"id": "b3", "type": "line_crossed", "visit": "v2", "at": "2026-11-20T10:00:00", "line": world_b.line.pk,
         "direction": "in"},
        {"id": "b4", "type": "zone_entered", "visit": "v2", "at": "2026-11-20T10:00:00"},
        {"id": "b5", "type": "visit", "visit": "v2", "at": "2026-11-20T10:00:00", "engagement": {"score": 140,
                                                                                                   "behaviour": "engaged"}},
        "not an event",
        {"type": "visit", "visit": "v3", "at": "2026-11-20T10:00:00"},
    ]  # fmt: skip
    response = key_client(world_a.key).post(URL, batch(world_a, events), format="json")
    assert response.status_code == 200
    result = response.json()
    assert (result["accepted"], result["duplicates"]) == (2, 0)
    reasons = {r["index"]: (r["field"], r["message"]) for r in result["rejected"]}
    assert reasons == {
        2: ("type", "type must be one of visit, zone_entered, zone_exited, line_crossed, queue_joined, queue_served, "
                    "queue_abandoned"),
        3: ("at", "at must be an ISO 8601 date and time, e.g. 2026-11-20T10:15:00+01:00"),
        4: ("line", f"line no line {world_b.line.pk} in this venue"),
        5: ("zone", "zone is required"),
        6: ("engagement.score", "engagement.score must be between 0 and 100"),
        7: ("event", "event must be an object"),
        8: ("id", "id is required"),
    }  # fmt: skip
    assert counts(world_a) == (1, 0, 1, 0)


def test_impossible_times_and_times_out_of_order_reject_their_event_only(world_a):
    """Were one of them a 500, the valid events posted with it would be lost on every retry of the batch."""
    crossing = {"type": "line_crossed", "visit": "v9", "line": world_a.line.pk, "direction": "in"}
    events = [
        *visit_events(world_a),
        {**crossing, "id": "t1", "at": "2026-02-30T10:00:00"},
        {**crossing, "id": "t2", "at": "2026-11-20T10:00:00+25:00"},
        {**crossing, "id": "t3", "at": "9999-12-31T10:00:00"},
        {"id": "t4", "type": "visit", "visit": "v8", "at": "2026-11-20T11:00:00", "ended_at": "2026-11-20T10:00:00"},
        {"id": "t5", "type": "zone_exited", "visit": "v8", "at": "2026-11-20T10:00:00", "zone": world_a.zone.pk,
         "entered_at": "2026-11-20T10:05:00"},
    ]  # fmt: skip
    result = key_client(world_a.key).post(URL, batch(world_a, events), format="json").json()
    assert result["accepted"] == len(visit_events(world_a))  # the valid ones are stored
    reasons = {r["id"]: (r["field"], r["message"]) for r in result["rejected"]}
    assert reasons["t1"] == ("at", "at is not a valid date and time (day is out of range for month)")
    assert reasons["t2"][0] == "at" and reasons["t2"][1].startswith("at is not a valid date and time (offset must be")
    assert reasons["t3"] == ("at", "at must be in the years 2000-2100")
    assert reasons["t4"] == ("ended_at", "ended_at must not be before at")
    assert reasons["t5"] == ("at", "at must not be before entered_at")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"venue": 1, "events": []}, "device"), ({"device": "d", "events": []}, "events"),
     ({"device": "d", "events": [{}] * 5001}, "events"), ({"device": "d", "events": [{}]}, "venue"),
     ({"device": "a b", "venue": 1, "events": [{}]}, "device"), ({"device": "d", "venue": "x", "events": [{}]}, "venue")],
)  # fmt: skip
def test_an_unusable_batch_is_a_400_naming_the_field(world_a, body, field):
    response = key_client(world_a.key).post(URL, body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_keys_write_only_where_they_may(world_a, world_b):
    foreign = key_client(world_b.key).post(URL, batch(world_a, visit_events(world_a)), format="json")
    assert foreign.status_code == 404
    with tenant_scope(world_a.tenant):
        other = Venue.objects.create(tenant=world_a.tenant, name="Outlet")
    _, limited = api_key_create(tenant=world_a.tenant, name="door", scope=ApiKey.Scope.INGEST, venue=world_a.venue)
    elsewhere = key_client(limited).post(
        URL, {**batch(world_a, visit_events(world_a)), "venue": other.pk}, format="json"
    )
    assert elsewhere.status_code == 404
    no_venue = {"device": "door-1", "events": visit_events(world_a)}  # the key's venue is implied
    assert key_client(limited).post(URL, no_venue, format="json").json()["accepted"] == 7
    assert counts(world_a) == (1, 2, 2, 2)


def test_viewers_cannot_post_events(world_a):
    from tests.conftest import build_world

    viewer = build_world("Viewer Co", role="viewer")
    response = session_client(viewer.owner).post(URL, batch(viewer, visit_events(viewer)), format="json")
    assert response.status_code == 403


def test_the_event_schema_is_published(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    body = schema["paths"]["/api/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    kinds = {variant["title"] for variant in body["properties"]["events"]["items"]["oneOf"]}
    assert kinds == {"visit", "zone_entered", "zone_exited", "line_crossed", "queue_joined", "queue_served",
                     "queue_abandoned"}  # fmt: skip


def test_a_body_nested_thousands_deep_is_a_400_not_a_500(world_a):
    events = "[" * 50000 + "]" * 50000
    body = f'{{"device": "d", "venue": {world_a.venue.pk}, "events": {events}}}'
    response = key_client(world_a.key).post(URL, body, content_type="application/json")
    assert response.status_code == 400 and response.json() == {"detail": "The JSON body is nested too deeply."}


def test_a_full_batch_with_trajectories_is_stored_and_a_body_over_the_limit_is_a_json_413(world_a, settings):
    """5,000 visits with 40 trajectory points each (about 5 MB) were an HTML 400 under Django's 2.5 MB default."""
    track = [[i, 0.5, 0.5] for i in range(40)]
    events = [{"id": f"e{n}", "type": "visit", "visit": f"v{n}", "at": "2026-11-20T10:00:00",
               "ended_at": "2026-11-20T10:10:00", "trajectory": track} for n in range(5000)]  # fmt: skip
    response = key_client(world_a.key).post(URL, batch(world_a, events), format="json")
    assert response.status_code == 200 and response.json()["accepted"] == 5000
    settings.API_MAX_BODY_BYTES = 1000
    response = key_client(world_a.key).post(URL, batch(world_a, events[:10]), format="json")
    assert response.status_code == 413 and response.json()["detail"].endswith(
        "bytes; at most 1,000 are accepted (send a large batch of events as several batches)."
    )


@pytest.mark.django_db(transaction=True)
def test_a_batch_posted_many_times_at_once_is_stored_and_reported_accepted_once(world_a):
    events = visit_events(world_a)

    def post_once(_):
        try:
            body = key_client(world_a.key).post(URL, batch(world_a, events), format="json").json()
            return body["accepted"], body["duplicates"]
        finally:
            connection.close()  # each thread's own connection, so that the test database can be dropped

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(post_once, range(6)))
    assert sum(accepted for accepted, _ in answers) == len(events)  # each row reported accepted by one post only
    assert sum(duplicates for _, duplicates in answers) == 5 * len(events)
    assert counts(world_a) == (1, 2, 2, 2)
