"""Properties of the answers over random days of events, posted through the real edge API, writer and rollups:
the funnel never rises, nothing is negative, the most people at once is at least the average and is the one
counted from the raw visits, and the counts are those of the rows posted."""

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.tenancy import tenant_scope
from tests.conftest import key_client
from tests.test_analytics import answer
from venues.models import Zone

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
FIRST_DAY = date(2026, 6, 1)
_days = itertools.count()

visit_plan = st.fixed_dictionaries({
    "start": st.integers(0, 600),  # minutes after 10:00
    "minutes": st.integers(0, 120),
    "crossed_in": st.booleans(),
    "stay": st.none() | st.tuples(st.integers(0, 60), st.integers(0, 60)),  # in the area: offset and length
    "till": st.none() | st.tuples(st.integers(0, 60), st.integers(0, 30)),  # at the checkout
    "queued": st.booleans(),
})  # fmt: skip


def _brute_occupancy(spans: list[tuple[datetime, datetime]]) -> tuple[int, float | None]:
    """The most spans open at once (one ending as another starts is not two) and the average while any is open."""
    edges = sorted([(a, 1) for a, b in spans] + [(b, -1) for a, b in spans], key=lambda e: (e[0], e[1]))
    running = peak = 0
    busy = person = 0.0
    for (moment, delta), (following, _) in zip(edges, [*edges[1:], (None, 0)], strict=True):
        running += delta
        peak = max(peak, running)
        if following is not None and running > 0:
            seconds = (following - moment).total_seconds()
            busy, person = busy + seconds, person + running * seconds
    return peak, (round(person / busy, 2) if busy else None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=st.lists(visit_plan, min_size=1, max_size=12), sales=st.lists(st.integers(0, 720), max_size=5))
def test_the_answers_of_any_day_keep_their_invariants(world_a, plans, sales):
    day = FIRST_DAY + timedelta(days=next(_days))
    opening = datetime(day.year, day.month, day.day, 10, tzinfo=PARIS)
    with tenant_scope(world_a.tenant):
        till, _ = Zone.objects.get_or_create(camera=world_a.camera, name="Till", defaults={
            "kind": Zone.Kind.CHECKOUT, "polygon": [[0.6, 0.6], [0.9, 0.6], [0.9, 0.9]]})  # fmt: skip
    events, spans, entered, browsed, queued = [], [], 0, 0, 0
    for n, plan in enumerate(plans):
        start = opening + timedelta(minutes=plan["start"])
        end = start + timedelta(minutes=plan["minutes"])
        visit = f"{day}-{n}"
        spans.append((start, end))
        events.append(
            {"id": f"v{visit}", "type": "visit", "visit": visit, "at": start.isoformat(), "ended_at": end.isoformat()}
        )
        if plan["crossed_in"]:
            events.append({"id": f"c{visit}", "type": "line_crossed", "visit": visit, "at": start.isoformat(),
                           "line": world_a.line.pk, "direction": "in"})  # fmt: skip
        stays = [(world_a.zone.pk, plan["stay"]), (till.pk, plan["till"])]
        for zone, stay in stays:
            if stay:
                since = min(start + timedelta(minutes=stay[0]), end)
                until = min(since + timedelta(minutes=stay[1]), end)
                events.append({"id": f"z{zone}-{visit}", "type": "zone_exited", "visit": visit, "zone": zone,
                               "at": until.isoformat(), "entered_at": since.isoformat()})  # fmt: skip
        if plan["queued"]:
            events.append({"id": f"q{visit}", "type": "queue_joined", "visit": visit, "zone": till.pk,
                           "at": start.isoformat()})  # fmt: skip
        in_zone = plan["stay"] is not None or plan["till"] is not None
        entered += plan["crossed_in"]
        browsed += plan["crossed_in"] and in_zone
        queued += plan["crossed_in"] and in_zone and (plan["queued"] or plan["till"] is not None)
    client = key_client(world_a.key)
    response = client.post(reverse("edge-events"), {"device": "cam-1", "venue": world_a.venue.pk, "events": events},
                           format="json")  # fmt: skip
    assert response.status_code == 200 and not response.json()["rejected"], response.json()
    if sales:
        rows = [{"id": f"{day}-s{n}", "at": (opening + timedelta(minutes=m)).replace(tzinfo=None).isoformat(),
                 "amount": "1.00"} for n, m in enumerate(sales)]  # fmt: skip
        assert client.post(reverse("sales-list", kwargs={"venue_id": world_a.venue.pk}), {"sales": rows},
                           format="json").status_code < 300  # fmt: skip

    period = {"from": day.isoformat(), "to": day.isoformat()}
    overview = answer(world_a, "overview", **period)
    peak, average = _brute_occupancy(spans)
    assert (overview["visits"], overview["entries"], overview["transactions"]) == (len(plans), entered, len(sales))
    assert overview["peak_occupancy"] == (peak or None) and overview["average_occupancy"] == average
    assert average is None or peak >= average >= 1.0
    stages = {s["stage"]: s["count"] for s in answer(world_a, "funnel", **period)["stages"]}
    assert (stages["entered"], stages["browsed"], stages["queued"]) == (entered, browsed, queued)
    assert stages["purchased"] <= min(queued, len(sales))  # nested, and a sale buys for one visit at most
    zones = answer(world_a, "zones", **period)["zones"]
    assert all(z["visits"] >= 0 and z["total_dwell_seconds"] >= 0 for z in zones)
    for zone in zones:
        assert zone["peak_occupancy"] is None or zone["peak_occupancy"] >= (zone["average_occupancy"] or 0)
