"""Alert rules on crafted series: each fires on its anomaly and stays quiet on a normal hour; opening hours and
time zones; one alert per rule and period however often the check runs; emails."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from alerts.models import Alert, AlertRule, AlertSettings
from alerts.rules import RULES, Hour
from alerts.services import alert_check, digest_period, digest_send, last_complete_hour
from config.celery import app
from core.tenancy import tenant_scope
from ingest.writer import Origin, events_write
from tests.conftest import session_client
from venues.models import Venue, Zone
from vision.events import LineCrossed, QueueAbandoned, QueueJoined, QueueServed, VisitEnded, ZoneExited, ZoneVisit

pytestmark = pytest.mark.django_db

HOUR = datetime(2026, 11, 16, 14, tzinfo=UTC)  # Monday 16 November, 15:00-16:00 in Paris
_tracks = count(1)


def people(world, start: datetime, n: int, *, minutes: float = 10, zone_minutes: float = 0, camera=True):
    """`n` visitors entering through the door in the hour from `start`, each staying `minutes`; with
    `zone_minutes`, each also stays that long in the Front zone."""
    origin = Origin(
        f"device:test-{next(_tracks)}", world.tenant.pk, world.venue.pk, world.camera.pk if camera else None
    )
    events = []
    for i in range(n):
        track, at = next(_tracks), start + timedelta(seconds=10 + i * (3000 // max(n, 1)))
        zone_visits = (ZoneVisit("Front", at, at + timedelta(minutes=zone_minutes)),) if zone_minutes else ()
        events += [LineCrossed(track, at, "Door", "in"),
                   VisitEnded(track, at + timedelta(minutes=minutes), first_seen=at, zone_visits=zone_visits,
                              trajectory=())]  # fmt: skip
        if zone_minutes:
            events.append(ZoneExited(track, at + timedelta(minutes=zone_minutes), "Front", entered_at=at))
    with tenant_scope(world.tenant):
        zones = {z.name: z.pk for z in Zone.objects.filter(camera=world.camera)}
        events_write(origin, events, zones, {"Door": world.line.pk})


def check(world, kind: str, hour: datetime = HOUR, **params) -> list:
    with tenant_scope(world.tenant):
        rule = AlertRule.objects.get(venue=world.venue, kind=kind)
        if params:
            rule.params = params
        venue = Venue.objects.get(pk=world.venue.pk)
        return RULES[kind](Hour(venue, hour, rule))


def weeks(world, counts: list[int], hour: datetime = HOUR):
    for k, n in enumerate(counts, start=1):
        with tenant_scope(world.tenant):
            venue = Venue.objects.get(pk=world.venue.pk)
        people(world, Hour(venue, hour, None).weeks_before(k), n)


def open_daily(world, hours: list[str]):
    opening_hours(world, {d: hours for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})


def opening_hours(world, hours: dict):
    with tenant_scope(world.tenant):
        Venue.objects.filter(pk=world.venue.pk).update(opening_hours=hours)


def test_every_new_venue_gets_every_default_rule(world_a):
    with tenant_scope(world_a.tenant):
        assert set(AlertRule.objects.filter(venue=world_a.venue).values_list("kind", flat=True)) == set(RULES)


def test_traffic_spike_against_the_same_hour_of_recent_weeks(world_a):
    weeks(world_a, [20, 22, 18, 21, 19, 45])  # one odd week does not move a median baseline
    people(world_a, HOUR, 26)
    assert check(world_a, "traffic_spike") == []
    people(world_a, HOUR, 34)  # 60 in all
    [firing] = check(world_a, "traffic_spike")
    assert firing.numbers["visitors"] == 60 and firing.numbers["baseline_median"] == 20.5
    assert "usually 20.5" in firing.message


def test_traffic_needs_enough_weeks_of_history(world_a):
    weeks(world_a, [20, 20])
    people(world_a, HOUR, 80)
    assert check(world_a, "traffic_spike") == []


def test_traffic_drop_only_while_open(world_a):
    weeks(world_a, [20, 22, 18, 21, 19, 20])
    people(world_a, HOUR, 3)
    open_daily(world_a, ["09:00-20:00"])
    [firing] = check(world_a, "traffic_drop")
    assert firing.numbers["visitors"] == 3
    open_daily(world_a, ["09:00-15:30"])  # closes halfway through the hour: fewer visitors are expected
    assert check(world_a, "traffic_drop") == []


def test_a_normal_hour_is_quiet_on_every_rule(world_a):
    open_daily(world_a, ["09:00-20:00"])
    for k in range(1, 5):
        for back in range(3):
            people(world_a, HOUR - timedelta(weeks=k, hours=back), 12, zone_minutes=3)
    for back in range(3):
        people(world_a, HOUR - timedelta(hours=back), 13, zone_minutes=3)
    assert {kind: check(world_a, kind) for kind in RULES} == {kind: [] for kind in RULES}


def test_activity_outside_opening_hours_in_local_time(world_a):
    open_daily(world_a, ["09:00-20:00"])
    evening = datetime(2026, 11, 16, 21, tzinfo=UTC)  # 22:00-23:00 in Paris: closed
    people(world_a, evening, 2)
    [firing] = check(world_a, "after_hours", evening)
    assert firing.numbers["people"] == 2 and "22:00-23:00" in firing.message
    people(world_a, HOUR, 2)
    assert check(world_a, "after_hours") == []  # 15:00 is open


def test_opening_hours_past_midnight_belong_to_the_day_they_open(world_a):
    opening_hours(world_a, {"fri": ["22:00-02:00"]})
    saturday_1am = datetime(2026, 11, 21, 0, tzinfo=UTC)  # Saturday 01:00 in Paris: Friday's late opening
    saturday_3am = datetime(2026, 11, 21, 2, tzinfo=UTC)
    people(world_a, saturday_1am, 3)
    people(world_a, saturday_3am, 3)
    assert check(world_a, "after_hours", saturday_1am) == []
    assert len(check(world_a, "after_hours", saturday_3am)) == 1


def test_no_opening_hours_means_no_after_hours_alert(world_a):
    people(world_a, datetime(2026, 11, 16, 2, tzinfo=UTC), 5)
    assert check(world_a, "after_hours", datetime(2026, 11, 16, 2, tzinfo=UTC)) == []


def test_crowding_in_the_venue_and_in_a_zone(world_a):
    people(world_a, HOUR, 4, minutes=55, zone_minutes=20)  # arriving every 12.5 min: 4 inside at once, 2 in the zone
    [venue_firing] = check(world_a, "crowding", max_occupancy=3)
    assert venue_firing.numbers["occupancy"] == 4 and "Up to 4 people inside at once" in venue_firing.message
    assert check(world_a, "crowding", max_occupancy=4) == []
    with tenant_scope(world_a.tenant):
        AlertRule.objects.filter(venue=world_a.venue, kind="crowding").update(zone=world_a.zone)
    [zone_firing] = check(world_a, "crowding", max_occupancy=1)
    assert zone_firing.zone_id == world_a.zone.pk and zone_firing.subject == f"zone:{world_a.zone.pk}"
    assert check(world_a, "crowding", max_occupancy=2) == []


def test_long_dwell(world_a):
    people(world_a, HOUR, 2, minutes=40, zone_minutes=3)
    assert check(world_a, "long_dwell") == []
    people(world_a, HOUR - timedelta(minutes=20), 1, minutes=40, zone_minutes=25)  # leaves the zone in the hour
    [firing] = check(world_a, "long_dwell")
    assert firing.numbers["stays"] == 1 and firing.numbers["longest_seconds"] == 1500


def test_dead_zone_fires_once_until_resolved(world_a):
    open_daily(world_a, ["09:00-20:00"])
    for back in range(4):
        people(world_a, HOUR - timedelta(hours=back), 15)  # busy, but nobody goes to the Front zone
    [firing] = check(world_a, "dead_zone")
    assert firing.numbers == {"zone_visitors": 0, "venue_visitors": 45, "hours": 3}
    with tenant_scope(world_a.tenant):
        venue = Venue.objects.get(pk=world_a.venue.pk)
        assert len(alert_check(venue, HOUR)) == 1
        assert alert_check(venue, HOUR + timedelta(hours=1)) == []  # still dead, already alerted
        Alert.objects.filter(kind="dead_zone").update(state=Alert.State.RESOLVED)
        people(world_a, HOUR + timedelta(hours=1), 15)
        assert [a.kind for a in alert_check(venue, HOUR + timedelta(hours=1))] == ["dead_zone"]


def queue(world, start: datetime, served: list[float], abandoned: list[float]):
    with tenant_scope(world.tenant):
        Zone.objects.get_or_create(camera=world.camera, name="Till queue", kind=Zone.Kind.QUEUE,
                                   defaults={"polygon": [[0.5, 0], [1, 0], [1, 1]]})  # fmt: skip
        Zone.objects.get_or_create(camera=world.camera, name="Till", kind=Zone.Kind.CHECKOUT,
                                   defaults={"polygon": [[0.5, 0.5], [1, 0.5], [1, 1]]})  # fmt: skip
        zones = {z.name: z.pk for z in Zone.objects.filter(camera=world.camera)}
    events = []
    for waits, outcome in ((served, QueueServed), (abandoned, QueueAbandoned)):
        for wait in waits:
            track, at = next(_tracks), start + timedelta(seconds=30)
            events.append(QueueJoined(track, at, "Till queue"))
            end = at + timedelta(seconds=wait)
            events.append(QueueServed(track, end, "Till queue", "Till", at) if outcome is QueueServed
                          else QueueAbandoned(track, end, "Till queue", at))  # fmt: skip
    with tenant_scope(world.tenant):
        events_write(Origin(f"device:queue-{next(_tracks)}", world.tenant.pk, world.venue.pk, world.camera.pk),
                     events, zones, {})  # fmt: skip


def test_queue_abandonment_and_wait(world_a):
    queue(world_a, HOUR, served=[60] * 8, abandoned=[90] * 2)
    assert check(world_a, "queue_abandonment") == [] and check(world_a, "queue_wait") == []
    queue(world_a, HOUR, served=[600] * 2, abandoned=[400] * 6)
    [abandonment] = check(world_a, "queue_abandonment")
    assert abandonment.numbers["abandoned"] == 8 and abandonment.numbers["rate"] == 0.444
    [wait] = check(world_a, "queue_wait")
    assert wait.numbers["p90_wait_seconds"] > 300


def test_a_camera_that_usually_sends_events_and_went_silent(world_a):
    open_daily(world_a, ["09:00-20:00"])
    for k in (1, 2, 3):
        people(world_a, HOUR - timedelta(weeks=k), 5)
    [firing] = check(world_a, "camera_silent")
    assert firing.camera_id == world_a.camera.pk and firing.numbers["usual_weeks"] == 3
    people(world_a, HOUR, 1)
    assert check(world_a, "camera_silent") == []


def test_a_rerun_stores_nothing_twice(world_a):
    open_daily(world_a, ["09:00-20:00"])
    evening = datetime(2026, 11, 16, 21, tzinfo=UTC)
    people(world_a, evening, 2)
    with tenant_scope(world_a.tenant):
        venue = Venue.objects.get(pk=world_a.venue.pk)
        first = alert_check(venue, evening)
        assert [a.kind for a in first] == ["after_hours"] and alert_check(venue, evening) == []
        assert Alert.objects.filter(kind="after_hours").count() == 1
        alert = first[0]
    assert alert.link == f"/venues/{world_a.venue.pk}/?from=2026-11-16&to=2026-11-16#after_hours"


@pytest.fixture
def eager_tasks():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_a_critical_alert_is_emailed_at_once_with_an_unsubscribe_link(
    world_a, eager_tasks, client, django_capture_on_commit_callbacks
):
    open_daily(world_a, ["09:00-20:00"])
    evening = datetime(2026, 11, 16, 21, tzinfo=UTC)
    people(world_a, evening, 2)
    with tenant_scope(world_a.tenant), django_capture_on_commit_callbacks(execute=True):
        alert_check(Venue.objects.get(pk=world_a.venue.pk), evening)  # after hours: critical
        alert_check(Venue.objects.get(pk=world_a.venue.pk), evening)
    [message] = mail.outbox
    assert message.to == [world_a.recipient.email] and message.subject.startswith("[Critical] Activity outside")
    assert "2 people seen" in message.body and "2 people seen" in message.alternatives[0][0]
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe in message.body
    path = unsubscribe.removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 200  # a page with one button; a GET changes nothing
    world_a.recipient.refresh_from_db()
    assert world_a.recipient.unsubscribed_at is None
    assert client.post(path).status_code == 200
    world_a.recipient.refresh_from_db()
    assert world_a.recipient.unsubscribed_at is not None
    people(world_a, evening + timedelta(hours=1), 2)
    with tenant_scope(world_a.tenant), django_capture_on_commit_callbacks(execute=True):
        alert_check(Venue.objects.get(pk=world_a.venue.pk), evening + timedelta(hours=1))
    assert len(mail.outbox) == 1  # unsubscribed


def test_acknowledge_resolve_and_filters(world_a):
    client = session_client(world_a.owner)
    url = reverse("alert-list")
    assert client.get(url, {"state": "open", "severity": world_a.alert.severity}).json()["count"] == 1
    assert client.get(url, {"state": "sleeping"}).status_code == 400
    response = client.post(reverse("alert-acknowledge", args=[world_a.alert.pk]))
    assert response.json()["state"] == "acknowledged" and response.json()["acknowledged_by"] == world_a.owner.pk
    assert client.get(url, {"state": "open"}).json()["count"] == 0
    assert client.post(reverse("alert-resolve", args=[world_a.alert.pk])).json()["state"] == "resolved"


def test_rule_limits_are_checked(world_a):
    client = session_client(world_a.owner)
    for params, message in [
        ({"max_occupancy": -3}, "between"),
        ({"maximum": 3}, "is not a limit of crowding"),
        ({"max_occupancy": "lots"}, "must be a number"),
    ]:
        body = {"venue": world_a.venue.pk, "kind": "crowding", "params": params}
        response = client.post(reverse("alert-rule-list"), body, format="json")
        assert response.status_code == 400 and message in str(response.json()["params"])
    other_zone_rule = {"venue": world_a.venue.pk, "kind": "traffic_spike", "zone": world_a.zone.pk}
    assert "zone" in client.post(reverse("alert-rule-list"), other_zone_rule, format="json").json()


def test_the_last_complete_hour_is_local(world_a):
    with tenant_scope(world_a.tenant):
        venue = Venue.objects.get(pk=world_a.venue.pk)
    assert last_complete_hour(venue, datetime(2026, 11, 16, 14, 5, tzinfo=UTC)) == HOUR - timedelta(hours=1)


def test_the_digest_says_how_each_venue_did_and_what_is_open(world_a):
    people(world_a, datetime(2026, 11, 9, 10, tzinfo=UTC), 10)  # the same weekday a week before: 10 visitors
    people(world_a, HOUR, 15)  # Monday 16 November: 15 (+50 %)
    with tenant_scope(world_a.tenant):
        assert digest_send(world_a.tenant, date(2026, 11, 16), date(2026, 11, 16)) == 1
        assert digest_send(world_a.tenant, date(2026, 11, 16), date(2026, 11, 16)) == 0  # once per period
    [message] = mail.outbox
    assert message.subject == "Alpha Stores: your stores, 16 Nov"
    text, html = message.body, message.alternatives[0][0]
    assert "Alpha Stores Flagship\n  Visitors: 15 (+50% vs. a week before)" in text
    assert "Open alerts: 1" in text and world_a.alert.title in text
    assert ">+50%<" in html and world_a.alert.title in html and "Unsubscribe" in html


@pytest.mark.parametrize(
    ("digest", "now", "period"),
    [
        ("daily", datetime(2026, 11, 17, 6, 59, tzinfo=UTC), None),  # 07:59 in Paris: before 08:00
        ("daily", datetime(2026, 11, 17, 7, 1, tzinfo=UTC), (date(2026, 11, 16), date(2026, 11, 16))),
        ("daily", datetime(2026, 11, 16, 23, 30, tzinfo=UTC), None),  # 00:30 on the 17th in Paris
        ("weekly", datetime(2026, 11, 16, 7, 30, tzinfo=UTC), (date(2026, 11, 9), date(2026, 11, 15))),  # a Monday
        ("weekly", datetime(2026, 11, 17, 7, 30, tzinfo=UTC), None),
        ("off", datetime(2026, 11, 17, 7, 30, tzinfo=UTC), None),
    ],
)
def test_when_a_digest_is_due_in_the_tenants_time(digest, now, period):
    row = AlertSettings(digest=digest, digest_time=time(8), time_zone="Europe/Paris")
    assert digest_period(row, now) == period


def test_the_alerts_page_filters_and_acknowledges(world_a):
    client = Client()
    client.force_login(world_a.owner)
    page = client.get(reverse("alerts-page"), {"state": "open", "severity": world_a.alert.severity})
    assert page.status_code == 200 and world_a.alert.title.encode() in page.content
    assert world_a.alert.title.encode() not in client.get(reverse("alerts-page"), {"state": "resolved"}).content
    response = client.post(reverse("alert-acknowledge-form", args=[world_a.alert.pk]), {"query": "state=open"})
    assert response.status_code == 302 and response["Location"].endswith("?state=open")
    with tenant_scope(world_a.tenant):
        assert Alert.objects.get(pk=world_a.alert.pk).state == Alert.State.ACKNOWLEDGED
    client.post(reverse("alert-resolve-form", args=[world_a.alert.pk]))
    with tenant_scope(world_a.tenant):
        assert Alert.objects.get(pk=world_a.alert.pk).state == Alert.State.RESOLVED
