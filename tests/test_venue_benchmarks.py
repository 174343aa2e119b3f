"""Venues against each other per venue type, and against reference figures the user gives (never assumed)."""

from dataclasses import replace

import pytest
from django.urls import reverse

from core.models import Membership
from core.tenancy import tenant_scope
from tests.conftest import PASSWORD, key_client, page_text, web_client
from tests.test_analytics import crossing, post, visit
from venues.models import BenchmarkReference, Venue

pytestmark = pytest.mark.django_db
PERIOD = {"from": "2026-11-20", "to": "2026-11-21"}


@pytest.fixture
def venues(world_a):
    """Over two days: the flagship (retail) 4 visitors through its door, a second retail store 8 visits, a fashion
    boutique 2 visits (venues without a counting line count visits). No reference figure is stored."""
    with tenant_scope(world_a.tenant):
        BenchmarkReference.objects.all().delete()
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


def test_stored_references_are_compared_with_and_a_given_one_takes_a_stored_ones_place(venues):
    client = key_client(venues.key)
    url = reverse("benchmark-reference-list")
    stored = client.post(url, {"venue_type": "retail", "figure": "visitors_per_day", "value": 4, "source": "2025"})
    assert stored.status_code == 201, stored.content
    by_name, types = compare(venues)
    assert by_name[venues.venue.name]["against_reference"]["visitors_per_day"] == -0.5
    assert types["retail"]["reference"] == {"visitors_per_day": 4.0}
    by_name, types = compare(venues, **{"reference.retail.visitors_per_day": "2"})
    assert by_name[venues.venue.name]["against_reference"]["visitors_per_day"] == 0.0
    assert types["fashion"]["reference"] is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({"venue_type": "retail", "figure": "visitors_per_day", "value": 9}, "figure"),  # one per type and figure
        ({"venue_type": "retail", "figure": "conversion", "value": 1.5}, "value"),  # a share: 0 to 1
        ({"venue_type": "retail", "figure": "conversion", "value": 0}, "value"),
        ({"venue_type": "kiosk", "figure": "conversion", "value": 0.2}, "venue_type"),
    ],
)
def test_a_reference_that_cannot_be_stored_is_a_400_naming_the_field(venues, body, field):
    client = key_client(venues.key)
    first = {"venue_type": "retail", "figure": "visitors_per_day", "value": 4}
    assert client.post(reverse("benchmark-reference-list"), first).status_code == 201
    response = client.post(reverse("benchmark-reference-list"), body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    with tenant_scope(venues.tenant):
        assert BenchmarkReference.objects.count() == 1


def test_the_compare_stores_page_shows_each_type_with_its_average_and_the_references_set_there(venues):
    client = web_client(venues.owner)
    form = reverse("benchmark-references-form", args=["retail"])
    saved = client.post(form, {"visitors_per_day": "4", "conversion_percent": "25", "source": "Our 2025 plan"})
    assert saved.status_code == 302 and saved["Location"] == reverse("venue-benchmarks")
    with tenant_scope(venues.tenant):
        stored = dict(BenchmarkReference.objects.values_list("figure", "value"))
    assert stored == {"visitors_per_day": 4.0, "conversion": 0.25}

    page = client.get(reverse("venue-benchmarks"), PERIOD)
    text = page_text(page)
    assert page.status_code == 200
    assert "Our 2025 plan" in text and "25.0 % conversion" in text
    fashion, retail = text.split('data-venue-type="retail"')  # types in alphabetical order
    flagship = retail[retail.index(f'data-venue="{venues.venue.pk}"') :]
    assert '<td class="number" data-figure="visitors_per_day">2.0</td>' in flagship
    assert '<td class="number" data-against-reference="visitors_per_day"><span class="bad">-50%</span>' in flagship
    assert "no sales" in flagship  # a conversion reference, but no sales to compare with it
    assert "counted by entrance line" in flagship and "counted by visits" in retail
    assert "No reference figures for this type" in fashion and "No reference figures" not in retail

    emptied = client.post(form, {"visitors_per_day": "", "conversion_percent": "25", "source": ""})
    assert emptied.status_code == 302
    with tenant_scope(venues.tenant):
        assert list(BenchmarkReference.objects.values_list("figure", flat=True)) == ["conversion"]


@pytest.mark.parametrize(
    "field, typed", [("conversion_percent", "150"), ("visitors_per_day", "0"), ("average_visit_minutes", "-3")]
)
def test_a_reference_form_that_cannot_be_saved_says_why_and_stores_nothing(venues, field, typed):
    response = web_client(venues.owner).post(reverse("benchmark-references-form", args=["retail"]), {field: typed})
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    with tenant_scope(venues.tenant):
        assert not BenchmarkReference.objects.exists()


def test_viewers_compare_but_do_not_set_references(venues):
    viewer = type(venues.owner).objects.create_user(username="viewer", password=PASSWORD)
    Membership.objects.create(user=viewer, tenant=venues.tenant, role=Membership.Role.VIEWER)
    client = web_client(viewer)
    page = client.get(reverse("venue-benchmarks"), PERIOD)
    assert page.status_code == 200 and "Set references" not in page_text(page)
    assert client.get(reverse("benchmark-references-form", args=["retail"])).status_code == 403


def test_without_visits_the_page_says_why_instead_of_showing_empty_stores(world_a):
    text = page_text(web_client(world_a.owner).get(reverse("venue-benchmarks"), PERIOD))
    assert 'data-why-empty="no_visits"' in text and "not an empty store" in text
