"""Venues against each other per venue type, and against reference figures the user gives (never assumed)."""

from dataclasses import replace

import pytest
from django.urls import reverse

from core.tenancy import tenant_scope
from tests.conftest import key_client
from tests.test_analytics import crossing, post, visit
from venues.models import Venue

pytestmark = pytest.mark.django_db
PERIOD = {"from": "2026-11-20", "to": "2026-11-21"}


@pytest.fixture
def venues(world_a):
    """Over two days: the flagship (retail) 4 visitors through its door, a second retail store 8 visits, a fashion
    boutique 2 visits (venues without a counting line count visits)."""
    with tenant_scope(world_a.tenant):
        second = Venue.objects.create(tenant=world_a.tenant, name="Second store", time_zone="Europe/Paris")
        boutique = Venue.objects.create(tenant=world_a.tenant, name="Boutique", venue_type="fashion",
                                        time_zone="Europe/Paris")  # fmt: skip
    at = lambda n: f"2026-11-20T1{n % 10}:00:00+01:00"  # noqa: E731
    post(world_a, [crossing(n, at(n)) | {"line": world_a.line.pk} for n in range(4)])
    post(replace(world_a, venue=second), [visit(n, at(n), at(n)) for n in range(10, 18)])
    post(replace(world_a, venue=boutique), [visit(n, at(n), at(n)) for n in range(20, 22)])
    return world_a


def compare(world, **params):
    response = key_client(world.key).get(reverse("analytics-venues"), {**PERIOD, **params})
    assert response.status_code == 200, response.content
    answer = response.json()
    return {v["name"]: v for v in answer["venues"]}, {b["venue_type"]: b for b in answer["benchmarks"]}


def test_each_venue_against_its_types_average(venues):
    by_name, types = compare(venues)
    flagship, second, boutique = by_name[venues.venue.name], by_name["Second store"], by_name["Boutique"]
    assert (flagship["visitors_per_day"], second["visitors_per_day"], types["retail"]["visitors_per_day"]) == (2, 4, 3)
    assert flagship["against_type_average"]["visitors_per_day"] == -0.3333
    assert second["against_type_average"]["visitors_per_day"] == 0.3333
    assert second["against_type_average"]["conversion"] is None  # no sales: nothing to compare
    assert boutique["against_type_average"] is None  # the only fashion venue
    assert all(v["against_reference"] is None for v in by_name.values())  # no reference given, none assumed
    assert types["retail"]["reference"] is None and types["retail"]["against_reference"] is None


def test_against_the_reference_figures_given(venues):
    by_name, types = compare(venues, **{"reference.retail.visitors_per_day": "4"})
    assert by_name[venues.venue.name]["against_reference"]["visitors_per_day"] == -0.5
    assert by_name["Second store"]["against_reference"]["visitors_per_day"] == 0.0
    assert by_name["Second store"]["against_reference"]["average_visit_seconds"] is None  # no reference for it
    assert types["retail"]["reference"] == {"visitors_per_day": 4.0}
    assert types["retail"]["against_reference"]["visitors_per_day"] == -0.25
    assert types["fashion"]["reference"] is None and by_name["Boutique"]["against_reference"] is None


@pytest.mark.parametrize(
    "name, value, reason",
    [
        ("reference.kiosk.conversion", "0.2", "venue type"),
        ("reference.retail.smiles", "3", "figure"),
        ("reference.retail", "3", "venue type"),
        ("reference.retail.conversion", "-1", "not a positive number"),
        ("reference.retail.conversion", "lots", "not a positive number"),
        ("reference.retail.conversion", "nan", "not a positive number"),
    ],
)
def test_a_bad_reference_is_a_400_naming_it(world_a, name, value, reason):
    response = key_client(world_a.key).get(reverse("analytics-venues"), {**PERIOD, name: value})
    assert response.status_code == 400 and reason in str(response.json()[name]), response.content
