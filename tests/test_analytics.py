"""Analytics answers checked against hand-computed ones, in the venue's local time (Europe/Paris)."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from core.models import Tenant
from core.tenancy import tenant_scope
from ingest.models import VenueHour
from ingest.writer import Origin, events_write
from tests.conftest import key_client, session_client
from venues.models import Camera, Zone
from vision.events import Engagement, VisitEnded

pytestmark = pytest.mark.django_db


def post(world, events):
    response = key_client(world.key).post(
        reverse("edge-events"), {"device": "cam-1", "venue": world.venue.pk, "events": events}, format="json"
    )
    assert response.status_code == 200 and not response.json()["rejected"], response.json()


def visit(n, at, ended, **extra):
    return {"id": f"v{n}", "type": "visit", "visit": f"v{n}", "at": at, "ended_at": ended, **extra}


def crossing(n, at, direction="in"):
    return {"id": f"c{n}", "type": "line_crossed", "visit": f"v{n}", "at": at, "line": "LINE", "direction": direction}


def answer(world, name, **period):
    response = session_client(world.owner).get(reverse(f"analytics-{name}", args=[world.venue.pk]), period)
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.fixture
def week(world_a):
    """Friday 20 and Saturday 21 November 2026 in Paris (UTC+1), with a visit crossing midnight."""
    line = world_a.line.pk
    events = [
        visit(1, "2026-11-20T10:00:00+01:00", "2026-11-20T10:10:00+01:00", engagement={"score": 80, "behaviour": "engaged"},
              demographics={"age_bracket": "25-34", "age_confidence": 0.6, "gender": "female", "gender_confidence": 0.9}),
        visit(2, "2026-11-20T10:30:00+01:00", "2026-11-20T10:31:00+01:00", engagement={"score": 10, "behaviour": "passing"}),
        visit(3, "2026-11-20T23:50:00+01:00", "2026-11-21T00:20:00+01:00"),  # counted on the day it started
        crossing(1, "2026-11-20T10:00:05+01:00"), crossing(2, "2026-11-20T10:30:05+01:00"),
        crossing(3, "2026-11-20T23:50:10+01:00"), crossing(4, "2026-11-21T00:05:00+01:00"),
        crossing(1, "2026-11-20T10:09:55+01:00", "out") | {"id": "c1-out"},
    ]  # fmt: skip
    for event in events:
        if event.get("line") == "LINE":
            event["line"] = line
    post(world_a, events)
    return world_a


def test_overview(week):
    result = answer(week, "overview", **{"from": "2026-11-20", "to": "2026-11-21"})
    assert (result["visitors"], result["visitors_counted_by"], result["visits"]) == (4, "entrance line", 3)
    assert result["unique_visitors"] == 3
    assert (result["entries"], result["exits"]) == (4, 1)
    assert result["average_visit_seconds"] == pytest.approx((600 + 60 + 1800) / 3, abs=0.1)
    assert 600 / 1.15 <= result["median_visit_seconds"] <= 600 * 1.15  # the middle visit lasted 10 minutes
    assert result["peak_occupancy"] == 1 and result["average_occupancy"] == 1.0  # the visits never overlap
    assert result["peak_occupancy_hour"] == "2026-11-20T10:00:00+01:00"  # the first hour it was reached
    assert result["visitors_change_week_over_week"] is None  # nothing the week before
    assert result["coverage"] == {
        "hours_in_period": 48,
        "hours_with_data": 3,
        "share": 0.0625,
        "first_hour": "2026-11-20T10:00:00+01:00",
        "last_hour": "2026-11-21T00:00:00+01:00",
    }


def test_occupancy_counts_the_people_present_at_once_per_venue_and_zone(world_a):
    """A 12:00-12:30, B 12:10-12:20, C 12:15-13:10, D 12:20-12:25 (arriving as B leaves): three at once at most.
    In the Front zone, A 12:01-12:11 and B 12:05-12:06: two at once."""
    spans = {1: ("12:00", "12:30"), 2: ("12:10", "12:20"), 3: ("12:15", "13:10"), 4: ("12:20", "12:25")}
    events = [visit(n, f"2026-11-20T{a}:00+01:00", f"2026-11-20T{b}:00+01:00") for n, (a, b) in spans.items()]
    events += [
        {"id": f"z{n}", "type": "zone_exited", "visit": f"v{n}", "at": f"2026-11-20T{b}:00+01:00",
         "zone": world_a.zone.pk, "entered_at": f"2026-11-20T{a}:00+01:00"}
        for n, (a, b) in {1: ("12:01", "12:11"), 2: ("12:05", "12:06")}.items()
    ]  # fmt: skip
    post(world_a, events)
    day = {"from": "2026-11-20", "to": "2026-11-20"}
    result = answer(world_a, "overview", **day)
    assert (result["peak_occupancy"], result["peak_occupancy_hour"]) == (3, "2026-11-20T12:00:00+01:00")
    # person-time 30 + 10 + 55 + 5 min over the 70 min anyone was in
    assert result["average_occupancy"] == round(100 / 70, 2)
    with tenant_scope(world_a.tenant):
        thirteen = VenueHour.objects.get(venue=world_a.venue, hour_start="2026-11-20T13:00:00+01:00")
    assert (thirteen.peak_occupancy, thirteen.occupancy_seconds, thirteen.occupied_seconds) == (1, 600, 600)  # C

    (front,) = [z for z in answer(world_a, "zones", **day)["zones"] if z["name"] == "Front"]
    assert (front["peak_occupancy"], front["average_occupancy"]) == (2, round(11 / 10, 2))

    with tenant_scope(world_a.tenant):  # hours stored before occupancy was kept get it from rollups_refresh
        VenueHour.objects.filter(venue=world_a.venue).update(peak_occupancy=0, occupancy_seconds=0, occupied_seconds=0)
    call_command("rollups_refresh", venue=world_a.venue.pk, stdout=io.StringIO())
    assert answer(world_a, "overview", **day)["peak_occupancy"] == 3


def test_empty_demographics_and_returning_visitors_say_why_and_what_to_do(world_a):
    day = {"from": "2026-11-20", "to": "2026-11-20"}
    assert answer(world_a, "demographics", **day)["why_empty"]["reason"] == "no_visits"
    post(world_a, [visit(1, "2026-11-20T10:00:00+01:00", "2026-11-20T10:10:00+01:00")])  # no face
    assert answer(world_a, "demographics", **day)["why_empty"]["reason"] == "no_usable_face"
    with tenant_scope(world_a.tenant):  # what the camera's last job measured: people about 90 px tall
        scale = {"input_size": [960, 1280], "small_people": True, "face_px": 11, "face_px_needed": 40}
        Camera.objects.filter(pk=world_a.camera.pk).update(detection_scale=scale)
    for name in ("demographics", "visitors"):
        why = answer(world_a, name, **day)["why_empty"]
        assert why["reason"] == "faces_too_small" and why["cameras"] == [
            {"camera": world_a.camera.name, "face_px": 11, "needed_px": 40}
        ]
        panel = session_client(world_a.owner).get(reverse("venue-panel", args=[world_a.venue.pk, name]), day)
        assert f"Faces are too small to analyse ({world_a.camera.name}: about 11 px tall" in panel.content.decode()
    world_a.tenant.face_processing = Tenant.FaceProcessing.DEMOGRAPHICS
    world_a.tenant.save()
    assert answer(world_a, "visitors", **day)["why_empty"]["reason"] == "face_processing"  # no embeddings kept
    assert answer(world_a, "demographics", **day)["why_empty"]["reason"] == "faces_too_small"
    sales_panel = session_client(world_a.owner).get(reverse("venue-panel", args=[world_a.venue.pk, "sales"]), day)
    assert (
        "No sales in this period: send the tills&#x27; sales to the API or upload them as CSV"
        in sales_panel.content.decode()
    )
    post(world_a, [visit(2, "2026-11-20T11:00:00+01:00", "2026-11-20T11:10:00+01:00", demographics={
        "age_bracket": "25-34", "age_confidence": 0.6, "gender": "female", "gender_confidence": 0.9})])  # fmt: skip
    assert answer(world_a, "demographics", **day)["why_empty"] is None


def test_daily_and_hourly_in_local_time(week):
    days = answer(week, "daily", **{"from": "2026-11-20", "to": "2026-11-21"})["days"]
    assert [(d["date"], d["visitors"], d["visits"]) for d in days] == [("2026-11-20", 3, 3), ("2026-11-21", 1, 0)]
    hours = answer(week, "hourly", **{"from": "2026-11-20", "to": "2026-11-21"})["hours"]
    assert {h["hour"]: h["visitors"] for h in hours if h["visitors"]} == {0: 1, 10: 2, 23: 1}
    assert hours[10]["visitors_per_day"] == 1.0


def test_heatmap_weekday_by_hour(week):
    grid = answer(week, "heatmap", **{"from": "2026-11-16", "to": "2026-11-22"})["visitors"]
    assert grid[4][10] == 2 and grid[4][23] == 1 and grid[5][0] == 1  # Friday 10:00 and 23:00, Saturday 00:00
    assert sum(map(sum, grid)) == 4


def test_engagement_and_demographics(week):
    engagement = answer(week, "engagement", **{"from": "2026-11-20", "to": "2026-11-20"})
    assert engagement["average_score"] == 45.0 and engagement["behaviours"]["engaged"] == 1
    assert engagement["by_hour"] == [{"hour": 10, "average_score": 45.0}]
    people = answer(week, "demographics", **{"from": "2026-11-20", "to": "2026-11-20"})
    assert people["age_brackets"] == {"25-34": 1} and people["genders"] == {"female": 1}
    assert people["share_with_demographics"] == pytest.approx(1 / 3, abs=1e-4)


def test_a_dst_day_has_25_hours_and_its_repeated_hour_counts_twice(world_a):
    """Sunday 25 October 2026: Paris clocks go back from 03:00 CEST to 02:00 CET."""
    events = [visit(1, "2026-10-25T02:30:00+02:00", "2026-10-25T02:35:00+02:00"),
              visit(2, "2026-10-25T02:30:00+01:00", "2026-10-25T02:40:00+01:00"),
              crossing(1, "2026-10-25T02:30:01+02:00"), crossing(2, "2026-10-25T02:30:01+01:00")]  # fmt: skip
    for event in events[2:]:
        event["line"] = world_a.line.pk
    post(world_a, events)
    overview = answer(world_a, "overview", **{"from": "2026-10-25", "to": "2026-10-25"})
    # the repeated 02:00 hour is one local-hour bucket (PostgreSQL reads the local 02:00 as one instant)
    assert overview["coverage"]["hours_in_period"] == 25 and overview["coverage"]["hours_with_data"] == 1
    hours = answer(world_a, "hourly", **{"from": "2026-10-25", "to": "2026-10-25"})["hours"]
    assert hours[2]["visitors"] == hours[2]["visits"] == 2  # both 02:30s, an hour apart, are 02:xx local
    assert answer(world_a, "heatmap", **{"from": "2026-10-25", "to": "2026-10-25"})["visitors"][6][2] == 2


def test_zones_and_queues(world_a):
    with tenant_scope(world_a.tenant):
        queue = Zone.objects.create(camera=world_a.camera, name="Tills queue", kind="queue",
                                    polygon=[[0.5, 0.5], [1, 0.5], [1, 1]])  # fmt: skip
    zone = world_a.zone.pk
    events = [visit(n, f"2026-11-20T11:0{n}:00+01:00", f"2026-11-20T11:0{n}:59+01:00") for n in range(1, 4)] + [
        {"id": "z1", "type": "zone_exited", "visit": "v1", "at": "2026-11-20T11:02:00+01:00", "zone": zone,
         "entered_at": "2026-11-20T11:01:00+01:00"},
        {"id": "z2", "type": "zone_exited", "visit": "v2", "at": "2026-11-20T11:07:00+01:00", "zone": zone,
         "entered_at": "2026-11-20T11:02:00+01:00"},
        {"id": "q1", "type": "queue_joined", "visit": "v1", "at": "2026-11-20T11:03:00+01:00", "zone": queue.pk},
        {"id": "q2", "type": "queue_served", "visit": "v1", "at": "2026-11-20T11:05:00+01:00", "zone": queue.pk,
         "joined_at": "2026-11-20T11:03:00+01:00"},
        {"id": "q3", "type": "queue_joined", "visit": "v2", "at": "2026-11-20T11:04:00+01:00", "zone": queue.pk},
        {"id": "q4", "type": "queue_abandoned", "visit": "v2", "at": "2026-11-20T11:04:30+01:00", "zone": queue.pk,
         "joined_at": "2026-11-20T11:04:00+01:00"},
    ]  # fmt: skip
    post(world_a, events)
    zones = {z["name"]: z for z in answer(world_a, "zones", **{"from": "2026-11-20", "to": "2026-11-20"})["zones"]}
    front = zones["Front"]
    assert front["visits"] == 2 and front["total_dwell_seconds"] == 360.0 and not front["dead"]
    assert 60 / 1.15 <= front["dwell_median_seconds"] <= 60 * 1.15  # 60 s and 300 s: the lower one is the median
    assert 300 / 1.15 <= front["dwell_p90_seconds"] <= 300 * 1.15
    assert front["occupancy_by_hour"] == [{"hour": 11, "average_people": 0.1}]  # 360 s of stays in that hour
    assert zones["Tills queue"]["dead"]  # nobody's stay was recorded in it (only queue events)
    (tills,) = answer(world_a, "queues", **{"from": "2026-11-20", "to": "2026-11-20"})["queues"]
    assert (tills["joined"], tills["served"], tills["abandoned"], tills["abandonment_rate"]) == (2, 1, 1, 0.5)
    assert tills["by_hour"] == [{"hour": 11, "joined": 2, "served": 1, "abandoned": 1}]


def test_bad_periods_are_400s_and_other_tenants_404(week, world_b):
    client = session_client(week.owner)
    url = reverse("analytics-overview", args=[week.venue.pk])
    assert client.get(url, {"from": "2026-13-01"}).json() == {"from": "'2026-13-01' is not a date like 2026-11-20."}
    assert client.get(url, {"from": "2026-11-21", "to": "2026-11-20"}).status_code == 400
    assert client.get(url, {"from": "2020-01-01", "to": "2026-11-20"}).status_code == 400
    for far in ("9999-12-25", "0001-01-01"):  # days whose instants overflow were 500s
        assert client.get(url, {"from": far, "to": far}).json() == {
            "from": f"'{far}' is not in the years 2000-2100.", "to": f"'{far}' is not in the years 2000-2100."}  # fmt: skip
        page = client.get(reverse("venue-page", args=[week.venue.pk]), {"from": far, "to": far})
        assert page.status_code == 200 and "is not in the years 2000-2100" in page.content.decode()
    assert session_client(world_b.owner).get(url).status_code == 404


def test_the_funnel_nests_the_same_people_stage_by_stage_and_links_sales_to_visits_at_the_tills(world_a):
    """Five visits; 1-4 cross in, 5 never does. 1-3 stay in Front, 5 too (not entered: not counted); 1 and 2 then
    stand at the Till (a checkout), 4 only queues (no zone stay: not browsed). A sale at 12:01:55 (visit 1 left the
    till at 12:01:50) links to visit 1, one at 12:30 to nobody."""
    with tenant_scope(world_a.tenant):
        till = Zone.objects.create(camera=world_a.camera, name="Till", kind=Zone.Kind.CHECKOUT,
                                   polygon=[[0.6, 0.6], [0.9, 0.6], [0.9, 0.9]])  # fmt: skip
    events = [visit(n, f"2026-11-20T12:0{n}:00+01:00", f"2026-11-20T12:0{n}:59+01:00") for n in range(1, 6)]
    events += [crossing(n, f"2026-11-20T12:0{n}:01+01:00") for n in range(1, 5)]

    def stay(n, zone, a, b):
        return {
            "id": f"z{n}-{zone}",
            "type": "zone_exited",
            "visit": f"v{n}",
            "zone": zone,
            "at": f"2026-11-20T12:0{n}:{b}+01:00",
            "entered_at": f"2026-11-20T12:0{n}:{a}+01:00",
        }

    events += [stay(n, world_a.zone.pk, "05", "20") for n in (1, 2, 3, 5)]
    events += [stay(n, till.pk, "30", "50") for n in (1, 2)]
    events.append(
        {"id": "q4", "type": "queue_joined", "visit": "v4", "at": "2026-11-20T12:04:30+01:00", "zone": till.pk}
    )
    for event in events:
        if event.get("line") == "LINE":
            event["line"] = world_a.line.pk
    post(world_a, events)
    sales = [{"id": "T1", "at": "2026-11-20T12:01:55", "amount": "9.90"}, {"id": "T2", "at": "2026-11-20T12:30:00",
             "amount": "5.00"}]  # fmt: skip
    session_client(world_a.owner).post(
        reverse("sales-list", kwargs={"venue_id": world_a.venue.pk}), {"sales": sales}, format="json"
    )  # the sales come after the visits, as a till upload does
    result = answer(world_a, "funnel", **{"from": "2026-11-20", "to": "2026-11-20"})
    stages = result["stages"]
    assert [(s["stage"], s["count"]) for s in stages] == [("entered", 4), ("browsed", 3), ("queued", 2),
                                                           ("purchased", 1)]  # fmt: skip
    assert [s["share_of_entered"] for s in stages] == [1.0, 0.75, 0.5, 0.25]  # never above 100 %, never rising
    assert (result["entered_counted_by"], result["transactions"], result["transactions_not_linked"]) == (
        "entrance line", 2, 1)  # fmt: skip


def test_spatial_heatmap_counts_trajectory_points_on_the_grid(world_a):
    track = [[0, 0.01, 0.99], [1, 0.01, 0.99], [2, 0.99, 0.01]]  # twice bottom-left, once top-right
    key_client(world_a.key).post(
        reverse("edge-events"),
        {"device": "cam-1", "venue": world_a.venue.pk, "camera": world_a.camera.pk,
         "events": [visit(1, "2026-11-20T12:00:00+01:00", "2026-11-20T12:00:03+01:00", trajectory=track)]},
        format="json",
    )  # fmt: skip
    (camera,) = answer(world_a, "spatial", **{"from": "2026-11-20", "to": "2026-11-20"})["cameras"]
    grid = camera["grid"]
    assert len(grid) == 18 and len(grid[0]) == 32
    assert grid[17][0] == 2 and grid[0][31] == 1 and sum(map(sum, grid)) == 3


def test_venue_comparison_and_type_benchmarks(week, world_b):
    with tenant_scope(week.tenant):
        from venues.models import Venue

        Venue.objects.create(tenant=week.tenant, name="Quiet outlet", venue_type="fashion", time_zone="Europe/Paris")
    response = session_client(week.owner).get(reverse("analytics-venues"), {"from": "2026-11-20", "to": "2026-11-21"})
    assert response.status_code == 200
    result = response.json()
    by_name = {v["name"]: v for v in result["venues"]}
    assert set(by_name) == {week.venue.name, "Quiet outlet"}  # never another tenant's
    assert by_name[week.venue.name]["visitors"] == 4 and by_name[week.venue.name]["visitors_per_day"] == 2.0
    types = {b["venue_type"]: b for b in result["benchmarks"]}
    assert types["retail"]["visitors_per_day"] == 2.0 and types["fashion"]["visitors_per_day"] == 0.0


def test_events_list_is_paginated_filtered_and_in_local_time(week):
    client = session_client(week.owner)
    url = reverse("venue-events", args=[week.venue.pk])
    visits = client.get(url, {"from": "2026-11-20", "to": "2026-11-21"}).json()
    assert [v["at"] for v in visits["results"]] == ["2026-11-20T10:00:00+01:00", "2026-11-20T10:30:00+01:00",
                                                    "2026-11-20T23:50:00+01:00"]  # fmt: skip
    assert visits["next"] is None
    lines = client.get(url, {"type": "line", "from": "2026-11-21", "to": "2026-11-21"}).json()
    assert [(r["line__name"], r["direction"]) for r in lines["results"]] == [("Door", "in")]
    assert client.get(url, {"type": "teleport"}).json() == {
        "type": "Unknown event type 'teleport'; use one of visit, zone, line, queue."
    }


def test_exports_stream_csv_and_json(week):
    client = session_client(week.owner)
    period = {"from": "2026-11-20", "to": "2026-11-21", "type": "line"}
    response = client.get(reverse("venue-export-csv", args=[week.venue.pk]), period)
    assert response.streaming and response["Content-Type"] == "text/csv"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "visit_key,camera_id,at,line_id,line__name,direction" and len(lines) == 1 + 5
    assert lines[1].endswith(f",2026-11-20T10:00:05+01:00,{week.line.pk},Door,in")
    response = client.get(reverse("venue-export-json", args=[week.venue.pk]), {**period, "type": "visit"})
    rows = json.loads(b"".join(response.streaming_content))
    assert [r["duration_seconds"] for r in rows] == [600.0, 60.0, 1800.0]


def test_exports_write_a_zone_path_as_a_list_in_json_and_as_text_in_csv(world_a):
    post(world_a, [visit(1, "2026-11-20T10:00:00+01:00", "2026-11-20T10:10:00+01:00", zone_path=["Front", "Till"])])
    client = session_client(world_a.owner)
    period = {"from": "2026-11-20", "to": "2026-11-20", "type": "visit"}
    csv_rows = list(csv.DictReader(b"".join(client.get(
        reverse("venue-export-csv", args=[world_a.venue.pk]), period).streaming_content).decode().splitlines()))  # fmt: skip
    assert [row["zone_path"] for row in csv_rows] == ["Front; Till"]
    json_rows = json.loads(
        b"".join(client.get(reverse("venue-export-json", args=[world_a.venue.pk]), period).streaming_content)
    )
    assert [row["zone_path"] for row in json_rows] == [["Front", "Till"]]


@pytest.mark.parametrize("visit_first", [True, False])
def test_engagement_by_zone_whichever_arrives_first(world_a, visit_first):
    the_visit = visit(1, "2026-11-20T12:00:00+01:00", "2026-11-20T12:10:00+01:00",
                      engagement={"score": 80, "behaviour": "engaged"})  # fmt: skip
    stay = {"id": "z1", "type": "zone_exited", "visit": "v1", "at": "2026-11-20T13:05:00+01:00",
            "zone": world_a.zone.pk, "entered_at": "2026-11-20T12:01:00+01:00"}  # fmt: skip
    for batch in ([the_visit], [stay]) if visit_first else ([stay], [the_visit]):
        post(world_a, batch)
    zones = {z["name"]: z for z in answer(world_a, "zones", **{"from": "2026-11-20", "to": "2026-11-20"})["zones"]}
    assert zones["Front"]["average_engagement"] == 80.0


def test_events_list_pages_follow_each_other(world_a):
    post(world_a, [visit(n, f"2026-11-20T12:{n // 60:02d}:{n % 60:02d}+01:00", None) for n in range(150)])
    client = session_client(world_a.owner)
    page = client.get(reverse("venue-events", args=[world_a.venue.pk]), {"from": "2026-11-20", "to": "2026-11-20"})
    first = page.json()
    second = client.get(first["next"]).json()
    assert len(first["results"]) == 100 and len(second["results"]) == 50 and second["next"] is None
    times = [row["at"] for row in first["results"] + second["results"]]
    assert times == sorted(times) and len(set(times)) == 150


def test_the_glossary_gives_the_definitions_of_docs_metrics_and_the_key_numbers_link_to_it(world_a):
    client = session_client(world_a.owner)
    page = client.get(reverse("glossary")).content.decode()
    assert '<h2 id="key-numbers-analyticsoverview">' in page and "<table>" in page
    assert "The most people present at the same moment" in page
    panel = client.get(reverse("venue-panel", args=[world_a.venue.pk, "overview"])).content.decode()
    assert f'href="{reverse("glossary")}#key-numbers-analyticsoverview"' in panel
    anonymous = client.__class__().get(reverse("glossary"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_every_number_of_the_overview_is_defined_in_docs_metrics(week):
    defined = (Path(__file__).resolve().parents[1] / "docs" / "metrics.md").read_text()
    result = answer(week, "overview", **{"from": "2026-11-20", "to": "2026-11-21"})
    assert [key for key in result if f"`{key}`" not in defined] == []
    stages = answer(week, "funnel", **{"from": "2026-11-20", "to": "2026-11-21"})
    assert [key for key in stages if f"`{key}`" not in defined and key != "stages"] == []


def test_visits_are_counted_by_the_posture_they_held_most(world_a):
    """Through the pipeline's own events: the posture comes with a visit's engagement and is kept per hour."""
    origin = Origin(f"job:{world_a.job.pk}", world_a.tenant.pk, world_a.venue.pk, world_a.camera.pk, world_a.job.pk)
    start = datetime(2026, 11, 20, 9, tzinfo=UTC)  # 10:00 in Paris
    held = ["upright", "upright", "arms crossed", "leaning", None]
    events = [
        VisitEnded(n, start + timedelta(minutes=n + 2), first_seen=start + timedelta(minutes=n), zone_visits=(),
                   trajectory=(), engagement=Engagement(40, "browsing", 0.5, 0.5, posture=posture))
        for n, posture in enumerate(held)
    ]  # fmt: skip
    with tenant_scope(world_a.tenant):
        events_write(origin, events, {}, {})
    engagement = answer(world_a, "engagement", **{"from": "2026-11-20", "to": "2026-11-20"})
    assert engagement["postures"] == {"upright": 2, "leaning": 1, "arms crossed": 1}  # the fifth: no pose told
    assert engagement["behaviours"]["browsing"] == 5
