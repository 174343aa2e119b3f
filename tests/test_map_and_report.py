"""The venue map's GeoJSON (tenant's venues, H3 cells, today's visitors) and the printable venue report."""

import re
import zoneinfo
from dataclasses import replace
from datetime import timedelta

import h3
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from analytics.report import bar_chart
from analytics.views import NO_TRAFFIC, TRAFFIC_COLOURS, traffic_scale
from core.tenancy import tenant_scope
from tests.conftest import session_client
from tests.test_analytics import crossing, post, visit
from venues.models import Venue, Zone

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def no_tiles(settings):
    """This machine has no internet: no tile server."""
    settings.MAP_TILE_URL = ""


def place_venues(world) -> dict[str, Venue]:
    """World's flagship and a kiosk share one H3 cell in Paris, an outlet has its own, a depot has no coordinates.
    Today: 3 visitors at the flagship (entrance line; 1 the same day last week), 2 at the kiosk, none at the outlet."""
    with tenant_scope(world.tenant):
        flagship = Venue.objects.get(pk=world.venue.pk)
        flagship.latitude, flagship.longitude = 48.8566, 2.3522
        flagship.save()
        kiosk = Venue.objects.create(tenant=world.tenant, name="Kiosk", time_zone="Europe/Paris",
                                     latitude=48.8567, longitude=2.3523)  # fmt: skip
        outlet = Venue.objects.create(tenant=world.tenant, name="Outlet", time_zone="Europe/Paris",
                                      latitude=48.8600, longitude=2.3600)  # fmt: skip
        Venue.objects.create(tenant=world.tenant, name="Depot", time_zone="Europe/Paris", city="Lyon")
    assert flagship.h3_cell == kiosk.h3_cell != outlet.h3_cell
    local_now = timezone.now().astimezone(PARIS)
    at = max(local_now - timedelta(minutes=1), local_now.replace(hour=0, minute=0, second=0, microsecond=0))
    stamp = lambda moment: moment.isoformat(timespec="seconds")  # noqa: E731
    events = [crossing(n, stamp(at)) | {"line": world.line.pk} for n in range(3)]
    events.append(crossing(9, stamp(at - timedelta(days=7))) | {"line": world.line.pk})
    post(world, events)
    post(replace(world, venue=kiosk), [visit(n, stamp(at), stamp(at)) for n in (10, 11)])
    return {"flagship": flagship, "kiosk": kiosk, "outlet": outlet}


def test_the_geojson_has_the_callers_venues_their_cells_and_todays_visitors(world_a, world_b):
    venues = place_venues(world_a)
    with tenant_scope(world_b.tenant):
        b_venue = Venue.objects.get(pk=world_b.venue.pk)
        b_venue.latitude, b_venue.longitude = 48.8566, 2.3522  # the same spot as A's flagship
        b_venue.save()
    client = session_client(world_a.owner)
    response = client.get(reverse("venue-map-geojson"))
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    features = response.json()["features"]

    points = {f["properties"]["name"]: f for f in features if f["properties"]["kind"] == "venue"}
    assert set(points) == {world_a.venue.name, "Kiosk", "Outlet"}  # not B's venue, not the depot (no coordinates)
    flagship = points[world_a.venue.name]
    assert flagship["geometry"] == {"type": "Point", "coordinates": [2.3522, 48.8566]}
    assert (flagship["properties"]["visitors"], flagship["properties"]["change_week_over_week"]) == (3, 2.0)
    assert flagship["properties"]["open_alerts"] == 1  # the world's crowding alert
    assert flagship["properties"]["url"] == reverse("venue-page", args=[venues["flagship"].pk])
    assert (points["Kiosk"]["properties"]["visitors"], points["Outlet"]["properties"]["visitors"]) == (2, 0)

    cells = {f["properties"]["h3_cell"]: f for f in features if f["properties"]["kind"] == "cell"}
    shared, alone = venues["flagship"].h3_cell, venues["outlet"].h3_cell
    assert set(cells) == {shared, alone}
    ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(shared)]
    assert cells[shared]["geometry"] == {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    assert cells[shared]["properties"]["visitors"] == 5 and cells[alone]["properties"]["visitors"] == 0
    assert sorted(cells[shared]["properties"]["venues"]) == sorted([world_a.venue.name, "Kiosk"])
    # the busiest cell is the darkest; the flagship's 3 of 5 falls in the third step; nobody is grey
    assert cells[shared]["properties"]["colour"] == TRAFFIC_COLOURS[-1]
    assert flagship["properties"]["colour"] == TRAFFIC_COLOURS[2]
    assert cells[alone]["properties"]["colour"] == points["Outlet"]["properties"]["colour"] == NO_TRAFFIC

    (b_cell, b_point) = session_client(world_b.owner).get(reverse("venue-map-geojson")).json()["features"]
    assert (b_cell["properties"]["venues"], b_point["properties"]["name"]) == ([world_b.venue.name], world_b.venue.name)

    today = client.get(reverse("venues-today")).content.decode()  # the home page's live table: the same numbers
    for venue in venues.values():
        shown = re.search(rf'data-today="{venue.pk}">(\d+)<', today).group(1)
        assert int(shown) == points[venue.name]["properties"]["visitors"]


def test_the_map_page_lists_venues_without_coordinates_and_configures_the_tiles(world_a, world_b, settings):
    place_venues(world_a)
    client = session_client(world_a.owner)
    page = client.get(reverse("venue-map")).content.decode()
    assert f'data-geojson="{reverse("venue-map-geojson")}"' in page and 'data-tile-url=""' in page
    without = page[page.index('id="without-coordinates"') :]
    assert "Depot" in without and "Kiosk" not in without and world_b.venue.name not in page
    settings.MAP_TILE_URL = "https://tiles.example.com/{z}/{x}/{y}.png"
    assert (
        'data-tile-url="https://tiles.example.com/{z}/{x}/{y}.png"' in client.get(reverse("venue-map")).content.decode()
    )
    anonymous = Client()
    for name in ("venue-map", "venue-map-geojson"):
        assert anonymous.get(reverse(name)).status_code == 302  # to the login page


def test_the_traffic_scale_ends_with_the_busiest_in_the_darkest_step():
    assert traffic_scale(0) == [{"from": 0, "to": 0, "colour": NO_TRAFFIC}]
    assert [(s["from"], s["to"]) for s in traffic_scale(10)] == [(0, 0), (1, 2), (3, 5), (6, 7), (8, 10)]
    assert traffic_scale(1)[1:] == [{"from": 1, "to": 1, "colour": TRAFFIC_COLOURS[-1]}]


def test_a_bar_chart_scales_its_bars_to_round_ticks():
    chart = bar_chart([("Mon", 3), ("Tue", 1), ("Wed", 0)], width=348, height=170, labels=2)
    assert [t["label"] for t in chart["ticks"]] == ["0", "1", "2", "3", "4"]
    plot = chart["bottom"] - 8  # the plot's height: four ticks of 1
    assert [b["height"] for b in chart["bars"]] == [plot * 3 / 4, plot / 4, 0]
    assert [b["x"] for b in chart["bars"]] == [66.0, 166.0, 266.0] and chart["bars"][0]["width"] == 56  # centred
    assert bar_chart([("a", 1)] * 100, width=348)["bars"][0]["width"] == 2.4  # 80 % of its slot
    assert [b["label"] for b in chart["bars"]] == ["Mon", "", "Wed"]  # every second label of three
    assert [t["label"] for t in bar_chart([("a", 0.3)])["ticks"]][-1] == "0.4"


@pytest.fixture
def two_days(world_a):
    """Monday 2 and Tuesday 3 November 2026 in Paris (the world's crowding alert is on the 2nd at 10:00), and the
    two days before them, the previous period."""
    with tenant_scope(world_a.tenant):
        queue = Zone.objects.create(camera=world_a.camera, name="Tills queue", kind="queue",
                                    polygon=[[0.5, 0.5], [1, 0.5], [1, 1]])  # fmt: skip
    zone, line = world_a.zone.pk, world_a.line.pk
    events = [
        visit(1, "2026-11-02T10:00:00+01:00", "2026-11-02T10:10:00+01:00",
              demographics={"age_bracket": "25-34", "age_confidence": 0.6, "gender": "female", "gender_confidence": 0.9}),
        visit(2, "2026-11-02T10:30:00+01:00", "2026-11-02T10:32:00+01:00"),
        visit(3, "2026-11-02T15:00:00+01:00", "2026-11-02T15:20:00+01:00"),
        visit(4, "2026-11-03T11:00:00+01:00", "2026-11-03T11:04:00+01:00"),
        {"id": "z1", "type": "zone_exited", "visit": "v1", "at": "2026-11-02T10:05:00+01:00", "zone": zone,
         "entered_at": "2026-11-02T10:01:00+01:00"},
        {"id": "q1", "type": "queue_joined", "visit": "v3", "at": "2026-11-02T15:10:00+01:00", "zone": queue.pk},
        {"id": "q2", "type": "queue_abandoned", "visit": "v3", "at": "2026-11-02T15:12:00+01:00", "zone": queue.pk,
         "joined_at": "2026-11-02T15:10:00+01:00"},
        visit(8, "2026-11-01T12:00:00+01:00", "2026-11-01T12:10:00+01:00"),  # the previous period
        visit(9, "2026-10-31T12:00:00+01:00", "2026-10-31T12:10:00+01:00"),
    ]  # fmt: skip
    events += [crossing(n, f"2026-11-02T{h}:00:01+01:00") | {"line": line} for n, h in ((1, 10), (2, 10), (3, 15))]
    events += [crossing(4, "2026-11-03T11:00:01+01:00") | {"line": line}]
    events += [crossing(n, f"2026-{d}T12:00:01+01:00") | {"line": line} for n, d in ((8, "11-01"), (9, "10-31"))]
    post(world_a, events)
    return world_a


def report(world, **period):
    return session_client(world.owner).get(reverse("venue-report", args=[world.venue.pk]), period)


def test_the_report_shows_the_numbers_of_its_period(two_days):
    response = report(two_days, **{"from": "2026-11-02", "to": "2026-11-03"})
    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>{two_days.venue.name}</h1>" in page
    assert "2 Nov 2026 \N{EN DASH} 3 Nov 2026 (2 days, Europe/Paris)" in page
    assert "31 Oct 2026 \N{EN DASH} 1 Nov 2026" in page  # the previous period, compared with

    def kpi(key):
        row = re.search(rf'<tr data-kpi="{key}">(.*?)</tr>', page).group(1)
        return re.findall(r'<td class="number">(.*?)</td>', row)

    assert kpi("visitors") == ["4", "2", "+100%"]  # 4 entrance crossings against 2 in the two days before
    assert kpi("visits") == ["4", "2", "+100%"]
    assert kpi("average_visit_seconds") == ["9 min 00 s", "10 min 00 s", "-10%"]  # (600+120+1200+240)/4 s
    assert kpi("conversion") == ["—", "—", "—"]  # no sales
    assert "<title>02 Nov: 3</title>" in page and "<title>03 Nov: 1</title>" in page  # daily bars
    assert "<title>10: 1</title>" in page and "<title>15: 0.5</title>" in page  # visitors per day by hour
    assert re.search(r"<td>Front</td><td class=\"number\">1</td>", page)  # one stay in the zone
    assert re.search(r"<td>Tills queue</td><td class=\"number\">1</td><td class=\"number\">0</td>\s*"
                     r"<td class=\"number\">1 \(100%\)</td>", page)  # fmt: skip
    assert re.search(r"<td>Entered</td><td class=\"number\">4</td>", page)
    assert re.search(r"<td>25-34</td><td class=\"number\">1</td><td class=\"number\">100.0%</td>", page)
    assert two_days.alert.title in page  # the crowding alert of 2 November
    assert 'id="print"' in page


def test_the_report_leaves_out_alerts_of_other_periods(two_days):
    page = report(two_days, **{"from": "2026-11-03", "to": "2026-11-03"}).content.decode()
    assert two_days.alert.title not in page and "No alerts." in page


def test_a_bad_period_is_a_400_with_the_reason(two_days):
    response = report(two_days, **{"from": "2026-13-01"})
    assert response.status_code == 400
    assert "from: &#x27;2026-13-01&#x27; is not a date like 2026-11-20." in response.content.decode()
    response = report(two_days, **{"from": "2026-11-03", "to": "2026-11-02"})
    assert response.status_code == 400 and "The first day is after the last day." in response.content.decode()


def test_another_tenants_venue_has_no_report(two_days, world_b):
    url = reverse("venue-report", args=[two_days.venue.pk])
    assert session_client(world_b.owner).get(url).status_code == 404


def test_the_dashboard_links_its_period_to_the_report(world_a):
    url = reverse("venue-page", args=[world_a.venue.pk])
    page = session_client(world_a.owner).get(url, {"from": "2026-11-02", "to": "2026-11-08"}).content.decode()
    report_url = reverse("venue-report", args=[world_a.venue.pk])
    assert f'href="{report_url}?from=2026-11-02&to=2026-11-08">Printable report</a>' in page
