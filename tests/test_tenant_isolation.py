import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import include, path

from core.tenancy import all_tenants
from tests.conftest import key_client, session_client
from tests.isolation import ROUTES, Detail, walk
from venues.models import Venue

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("visitors")]


def clients_of(world):
    return {
        "B's owner (session)": (session_client(world.owner), False),
        "B's API key": (key_client(world.key), True),
    }


def test_tenant_b_reaches_nothing_of_tenant_a_on_any_route(world_a, world_b):
    assert walk(world_a, clients_of(world_b)) == []


def _leaky_venue_page(request, venue_id):
    with all_tenants():  # the bug under test: a view that forgets the caller's tenant
        return HttpResponse(Venue.objects.get(pk=venue_id).name)


urlpatterns = [
    path("leaky/<int:venue_id>/", _leaky_venue_page, name="leaky-venue"),
    path("", include("config.urls")),
]


@override_settings(ROOT_URLCONF=__name__)
def test_the_walk_fails_on_a_new_route_and_on_one_that_forgets_scoping(world_a, world_b):
    problems = walk(world_a, clients_of(world_b))
    assert problems == ["route 'leaky-venue' is not covered by the tenant-isolation walk"]

    routes = {**ROUTES, "leaky-venue": Detail("venue", api=False, methods=("get",))}
    problems = walk(world_a, clients_of(world_b), routes=routes)
    assert any("GET /leaky/" in p and "gave 200" in p for p in problems), problems
