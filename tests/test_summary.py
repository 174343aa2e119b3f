"""The executive summary on crafted data: each rule fires on its pattern with the expected numbers and stays silent
on an ordinary series or below its data threshold; low coverage gives no findings; the API, the dashboard panel
and the digest email show the findings. Times are local (Europe/Paris)."""

from datetime import date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from alerts.services import digest_send
from analytics import summary
from analytics.periods import Period
from analytics.summary import Answers, Finding, Number, venue_summary
from core.tenancy import tenant_scope
from ingest.sales import sales_record
from ingest.writer import Origin, events_write
from tests.conftest import face_embedding, face_visit, key_client, session_client
from tests.test_alerts import people, queue
from venues.models import Venue, Zone
from vision.events import ZoneExited

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
WEEK = [date(2026, 11, 16) + timedelta(days=n) for n in range(7)]  # Monday 16 to Sunday 22 November
PREVIOUS = [day - timedelta(days=7) for day in WEEK]
_tracks = count(10_000)


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), PARIS)


def venue_of(world) -> Venue:
    with tenant_scope(world.tenant):
        return Venue.objects.get(pk=world.venue.pk)


def run(world, rule, days=WEEK) -> Finding | None:
    with tenant_scope(world.tenant):
        venue = Venue.objects.get(pk=world.venue.pk)
        return rule(Answers(venue, Period(days[0], days[-1], venue.time_zone)))


def summary_of(world, days=WEEK) -> dict:
    with tenant_scope(world.tenant):
        venue = Venue.objects.get(pk=world.venue.pk)
        return venue_summary(venue, Period(days[0], days[-1], venue.time_zone))


def numbers(finding: Finding) -> dict:
    return {number.name: number.value for number in finding.numbers}


def stays(world, zone: str, start: datetime, n: int, seconds: float):
    """`n` stays of `seconds` in a zone, starting a second apart from `start`."""
    events = [ZoneExited(next(_tracks), start + timedelta(seconds=i + seconds), zone, entered_at=start + timedelta(seconds=i))
              for i in range(n)]  # fmt: skip
    with tenant_scope(world.tenant):
        zones = {z.name: z.pk for z in Zone.objects.filter(camera=world.camera)}
        events_write(Origin(f"device:stays-{next(_tracks)}", world.tenant.pk, world.venue.pk, world.camera.pk),
                     events, zones, {})  # fmt: skip


def trading_days(world, days, per_hour: dict[int, int]):
    for day in days:
        for hour, n in per_hour.items():
            if n:
                people(world, local(day, hour), n)


@pytest.mark.parametrize(
    ("per_hour_before", "per_hour_now", "days_before", "title"),
    [
        (10, 15, 7, "Visitors up 50 % on the previous 7 days"),
        (20, 12, 7, "Visitors down 40 % on the previous 7 days"),
        (10, 11, 7, None),  # +10 %: ordinary
        (10, 15, 2, None),  # footage on 2 of the previous 7 days
        (3, 5, 7, None),  # 42 visitors before: too few to compare
    ],
)
def test_traffic_change(world_a, per_hour_before, per_hour_now, days_before, title):
    trading_days(world_a, PREVIOUS[:days_before], {11: per_hour_before, 16: per_hour_before})
    trading_days(world_a, WEEK, {11: per_hour_now, 16: per_hour_now})
    finding = run(world_a, summary.traffic_change)
    assert (finding and finding.title) == title
    if finding:
        assert numbers(finding)["visitors per day"] == 2 * per_hour_now
        assert numbers(finding)["visitors per day before"] == 2 * per_hour_before
        assert finding.basis == "16-22 Nov against 9-15 Nov, per day with footage (7 and 7 days)"


@pytest.mark.parametrize("peak", [28, 7])
def test_peak_hours(world_a, peak):
    days = WEEK[:3]
    trading_days(world_a, days, {hour: peak if hour >= 16 else 7 for hour in range(9, 19)})
    finding = run(world_a, summary.peak_hours, days)
    if peak == 7:  # even over the ten trading hours
        assert finding is None
        return
    assert finding.title == "63 % of visitors come between 16:00 and 19:00"  # 84 of 133 a day
    assert numbers(finding) == {"share of visitors 16:00-19:00": 63, "visitors per day 16:00-19:00": 84.0,
                                "even share": 30}  # fmt: skip
    assert finding.recommendation.startswith("Have most staff on the floor and at the tills from 16:00 to 19:00")


@pytest.mark.parametrize("pattern", ["weekday evenings", "even", "one evening"])
def test_queue_abandonment_in_a_band(world_a, pattern):
    for day in WEEK:
        people(world_a, local(day, 12), 3)
        if day.weekday() >= 5:
            queue(world_a, local(day, 17), served=[60] * 10, abandoned=[60])
            continue
        queue(world_a, local(day, 10), served=[60] * 10, abandoned=[60])
        for hour in (17, 18):
            if pattern == "weekday evenings" or (pattern == "one evening" and day == WEEK[0] and hour == 17):
                queue(world_a, local(day, hour), served=[60] * 6, abandoned=[60] * 4)
            elif pattern == "even":
                queue(world_a, local(day, hour), served=[60] * 9, abandoned=[60])
    finding = run(world_a, summary.queue_abandonment_band)
    if pattern != "weekday evenings":  # an ordinary rate, or 4 of 10 on one evening: too few to tell
        assert finding is None
        return
    assert finding.title == (
        "Queue abandonment at Till queue is 40 % 17:00-19:00 on weekdays, against 9.1 % at other times"
    )
    assert finding.basis.startswith("40 of 100 queue outcomes abandoned 17:00-19:00 on weekdays, 7 of 77 at other")
    assert (
        finding.recommendation == "Open a second checkout (or call staff to the tills) on weekdays from 17:00 to 19:00."
    )


@pytest.mark.parametrize(("wait", "waits", "fires"), [(600, 30, True), (120, 30, False), (600, 20, False)])
def test_queue_wait_above_target(world_a, wait, waits, fires):
    for day in WEEK[:3]:
        queue(world_a, local(day, 17), served=[wait] * (waits // 3), abandoned=[])
        queue(world_a, local(day, 11), served=[60], abandoned=[])
    finding = run(world_a, summary.queue_wait)
    if not fires:
        assert finding is None
        return
    assert 10 / 1.15 <= numbers(finding)["90th-percentile wait"] <= 10 * 1.15  # histogram buckets: about 7 %
    assert finding.title.startswith("1 in 10 customers at Till queue waits more than ")
    assert finding.recommendation.startswith("Add a till or a queue-buster from 17:00,")


@pytest.fixture
def three_zones(world_a):
    with tenant_scope(world_a.tenant):
        for name in ("Middle", "Back"):
            Zone.objects.create(camera=world_a.camera, name=name, polygon=[[0.5, 0], [1, 0], [1, 1]])
    people(world_a, local(WEEK[0], 9), 100)
    return world_a


@pytest.mark.parametrize(
    ("counts", "seconds", "pass_through", "hidden_gem"),
    [
        ((60, 32, 10), (30, 240, 1200), "Front draws 60 % of visitors but holds only 8.4 % of the time spent in zones",
         "Few visitors find Back (9.8 % of zone stays), but it holds 56 % of the time spent in zones"),
        ((60, 32, 10), (240, 240, 240), None, None),  # everyone stays alike
        ((30, 16, 5), (30, 240, 1200), None, None),  # 51 stays: too few
    ],
)  # fmt: skip
def test_zone_pass_through_and_hidden_gem(three_zones, counts, seconds, pass_through, hidden_gem):
    for zone, n, dwell in zip(("Front", "Middle", "Back"), counts, seconds, strict=True):
        stays(three_zones, zone, local(WEEK[0], 10), n, dwell)
    found = run(three_zones, summary.zone_pass_through), run(three_zones, summary.zone_hidden_gem)
    assert tuple(f and f.title for f in found) == (pass_through, hidden_gem)
    if pass_through:
        assert numbers(found[0])["share of zone stays"] == 59 and numbers(found[1])["share of zone stays"] == 9.8


@pytest.mark.parametrize(("passing", "browsing", "title"), [
    (90, 30, "75 % of visitors leave without stopping in any zone"),
    (40, 80, None),  # two in three browse
    (30, 10, None),  # 40 visitors: too few
])  # fmt: skip
def test_funnel_drop(world_a, passing, browsing, title):
    people(world_a, local(WEEK[0], 10), passing)
    people(world_a, local(WEEK[0], 11), browsing, zone_minutes=2)
    finding = run(world_a, summary.funnel_drop)
    assert (finding and finding.title) == title
    if finding:
        assert numbers(finding) == {"entered to browsed": 25, "entered": 120, "browsed": 30}


def sales(world, days, per_day: int):
    rows = [{"id": f"{day}-{n}", "at": f"{day}T{12 + n % 6:02d}:30:00", "amount": "10.00"} for day in days
            for n in range(per_day)]  # fmt: skip
    with tenant_scope(world.tenant):
        assert sales_record(venue_of(world), rows).accepted == len(rows)


@pytest.mark.parametrize(("before", "now", "title"), [
    (12, 6, "Conversion down from 24 % to 12 %"),
    (6, 12, "Conversion up from 12 % to 24 %"),
    (12, 12, None),
    (4, 2, None),  # 28 transactions before: too few
])  # fmt: skip
def test_conversion_change(world_a, before, now, title):
    trading_days(world_a, PREVIOUS + WEEK, {11: 25, 16: 25})
    sales(world_a, PREVIOUS, before)
    sales(world_a, WEEK, now)
    finding = run(world_a, summary.conversion_change)
    assert (finding and finding.title) == title
    if finding:
        assert numbers(finding)["visitors"] == 350 and numbers(finding)["transactions"] == 7 * now


@pytest.mark.parametrize("history", [True, False])
def test_returning_visitors_change(world_a, history):
    """Faces by seed: the same seed is the same person."""

    def come(day, seeds):
        for seed in seeds:
            face_visit(world_a, next(_tracks), local(day, 10), face_embedding(seed))

    if history:
        come(date(2026, 11, 2), range(1, 21))
        come(PREVIOUS[1], [*range(1, 21), *range(101, 111)])  # 20 of 30 seen before
    else:
        come(PREVIOUS[1], range(101, 131))  # a venue that has just begun recognising faces: nobody returns yet
    come(WEEK[1], [*range(1, 6), *range(201, 226)] if history else [*range(101, 106), *range(201, 226)])
    finding = run(world_a, summary.returning_change)
    if not history:
        assert finding is None
        return
    assert finding.title == "Returning visitors down from 67 % to 17 % of recognised visitors"
    assert numbers(finding) == {"returning": 17, "returning before": 67, "recognised visitors": 30}


@pytest.mark.parametrize(("opening", "quiet_hour", "quiet", "expected"), [
    ("09:00-19:00", 9, 1, "Consider opening at 10:00, or run 09:00-10:00 with a minimal team and use it for restocking."),
    ("09:00-19:00", 13, 1, "Use 13:00-14:00 for restocking, training and breaks, with a minimal team on the floor."),
    ("09:00-19:00", 18, 1, "Consider closing at 18:00, or run 18:00-19:00 with a minimal team."),
    ("09:00-19:00", 13, 10, None),  # every hour alike
    ("09:00-19:00", 9, 0, None),  # nobody at all: perhaps the camera was off
    (None, 9, 1, None),  # no opening hours set
])  # fmt: skip
def test_dead_hours_inside_opening_hours(world_a, opening, quiet_hour, quiet, expected):
    if opening:
        with tenant_scope(world_a.tenant):
            Venue.objects.filter(pk=world_a.venue.pk).update(
                opening_hours={day: [opening] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
            )
    days = WEEK[:3]
    trading_days(world_a, days, {hour: quiet if hour == quiet_hour else 10 for hour in range(9, 19)})
    finding = run(world_a, summary.dead_hours, days)
    assert (finding and finding.recommendation) == expected
    if finding:
        hours = f"{quiet_hour:02d}:00-{quiet_hour + 1:02d}:00"
        assert finding.title == f"Few visitors {hours}: 1.0 an hour against 9.1 in an average open hour"
        assert numbers(finding) == {f"visitors per hour {hours}": 1.0, "visitors in an average open hour": 9.1}


def test_low_coverage_gives_no_findings_even_where_a_rule_would_fire(world_a):
    trading_days(world_a, WEEK[:2], {hour: 28 if hour >= 16 else 7 for hour in range(9, 19)})
    assert run(world_a, summary.peak_hours) is not None
    answer = summary_of(world_a)
    assert answer["status"] == "not_enough_data" and answer["findings"] == []
    assert answer["reason"] == (
        "Footage covers 2 of 7 days; findings need at least 3 days with data, and at least half of the period."
    )
    assert (answer["coverage"]["days_with_data"], answer["coverage"]["days_in_period"]) == (2, 7)
    assert summary_of(world_a, WEEK[:3])["status"] == "not_enough_data"  # 2 of 3 days, but fewer than 3 days


def test_findings_are_ranked_and_at_most_five(world_a, monkeypatch):
    def rule(importance):
        return lambda answers: Finding(f"rule-{importance}", importance, "t", (Number("n", 1.5, "%"),), "b", "r")

    monkeypatch.setattr(summary, "RULES", (*map(rule, (10, 80, 30, 55, 20, 90)), lambda answers: None))
    trading_days(world_a, WEEK[:3], {12: 1})
    answer = summary_of(world_a, WEEK[:3])
    assert answer["status"] == "ok" and answer["reason"] is None
    assert [f["importance"] for f in answer["findings"]] == [90, 80, 55, 30, 20]
    assert list(answer["findings"][0]["numbers"]) == [{"name": "n", "value": 1.5, "unit": "%"}]
    assert (answer["first_day"], answer["previous_first_day"], answer["previous_last_day"]) == (
        "2026-11-16", "2026-11-13", "2026-11-15"
    )  # fmt: skip


def test_the_api_answers_validates_the_period_and_stays_in_its_tenant(world_a, world_b):
    trading_days(world_a, WEEK[:3], {hour: 28 if hour >= 16 else 7 for hour in range(9, 19)})
    url = reverse("venue-summary", args=[world_a.venue.pk])
    assert url == f"/api/v1/venues/{world_a.venue.pk}/summary"
    answer = key_client(world_a.key).get(url, {"from": "2026-11-16", "to": "2026-11-18"}).json()
    assert answer["status"] == "ok" and answer["time_zone"] == "Europe/Paris"
    assert [f["key"] for f in answer["findings"]] == ["peak_hours"]
    client = session_client(world_a.owner)
    assert client.get(url, {"from": "2026-11-31"}).json() == {"from": "'2026-11-31' is not a date like 2026-11-20."}
    assert client.get(url, {"from": "2026-11-18", "to": "2026-11-16"}).status_code == 400
    assert session_client(world_b.owner).get(url).status_code == 404
    assert key_client(world_b.key).get(url).status_code == 404
    schema = client.get(reverse("api-schema")).content.decode()
    assert "/api/v1/venues/{venue_id}/summary:" in schema and "The few findings that matter" in schema


def test_the_dashboard_panel_shows_findings_or_why_there_are_none(world_a):
    client = session_client(world_a.owner)
    url = reverse("venue-panel", args=[world_a.venue.pk, "summary"])
    page = client.get(url, {"from": "2026-11-16", "to": "2026-11-18"}).content.decode()
    assert "Not enough data for findings." in page and "Footage covers 0 of 3 days" in page
    trading_days(world_a, WEEK[:3], {hour: 28 if hour >= 16 else 7 for hour in range(9, 19)})
    page = client.get(url, {"from": "2026-11-16", "to": "2026-11-18"}).content.decode()
    assert 'data-finding="peak_hours"' in page and "63 % of visitors come between 16:00 and 19:00" in page
    assert "keep breaks, deliveries and restocking out of those hours" in page
    assert "Data in 30 of 72 hours" in page


def test_the_digest_lists_each_venues_top_findings(world_a):
    trading_days(world_a, PREVIOUS, {11: 10, 16: 10})
    trading_days(world_a, WEEK, {11: 15, 16: 15})
    with tenant_scope(world_a.tenant):
        Venue.objects.create(tenant=world_a.tenant, name="Quiet outlet", time_zone="Europe/Paris")
        assert digest_send(world_a.tenant, WEEK[-1], WEEK[-1]) == 1  # a daily digest: findings over the last 7 days
    [message] = mail.outbox
    text, html = message.body, message.alternatives[0][0]
    assert "What to do (16 Nov to 22 Nov)" in text
    assert "Alpha Stores Flagship\n  - Visitors up 50 % on the previous 7 days\n    Plan staff and stock" in text
    assert "Quiet outlet\n  Not enough data for findings: Footage covers 0 of 7 days" in text
    assert "<strong>Visitors up 50 % on the previous 7 days</strong>" in html and "find out what drove it" in html
