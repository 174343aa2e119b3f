"""API-key scopes: `ingest` keys only send events and sales, `read` keys only read, keys made before scopes are
`full`; enforced on every API route."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from core.api_keys import api_key_create
from core.models import ApiKey
from core.tenancy import tenant_scope
from tests.conftest import key_client, session_client
from tests.isolation import ROUTES, Detail, iter_routes
from venues.models import Venue

pytestmark = pytest.mark.django_db

INGESTING = {("post", "edge-events"), ("post", "sales-list"), ("post", "sales-csv")}
ALLOWED = {
    ApiKey.Scope.INGEST: lambda method, name: (method, name) in INGESTING,
    ApiKey.Scope.READ: lambda method, name: method == "get",
}


def api_requests(world):
    """(route name, method, URL) of every API route and each method it answers, on `world`'s own objects."""
    for route in iter_routes():
        kind = ROUTES.get(route.name)
        target = world.objects().get(kind.target) if isinstance(kind, Detail) else world.venue
        kwargs = {param: target.pk if target else 999_999 for param in route.params}
        url = reverse(route.name, kwargs=kwargs) if kind is not None and not route.name.startswith("admin:") else ""
        if not url.startswith("/api/v1/"):
            continue
        view = route.callback
        answers = getattr(view, "actions", None) or {m: m for m in dir(view.cls)}  # a viewset's, or an APIView's
        for method in ("get", "post", "put", "patch", "delete"):
            if method in answers:
                yield route.name, method, url


@pytest.mark.parametrize("scope", [ApiKey.Scope.INGEST, ApiKey.Scope.READ])
def test_every_api_route_answers_a_key_as_its_scope_says(world_a, scope):
    _, key = api_key_create(tenant=world_a.tenant, name=f"{scope} key", scope=scope)
    client = key_client(key)
    problems, walked = [], set()
    for name, method, url in api_requests(world_a):
        walked.add((method, name))
        response = getattr(client, method)(url, {}, format="json")
        detail = response.json()["detail"] if response.status_code in (401, 403) else ""
        if getattr(ROUTES[name], "owner_only", False):  # no key of any scope manages keys
            expected, answered = "refused to keys", response.status_code == 403 and "cannot manage" in detail
        elif ALLOWED[scope](method, name):
            expected, answered = "allowed", response.status_code not in (401, 403)
        else:
            expected, answered = "refused", response.status_code == 403 and f"scope is '{scope}'" in detail
        if not answered:
            problems.append(f"{method.upper()} {url}: {expected} for {scope}, got {response.status_code} {detail}")
    assert problems == []
    assert INGESTING | {("delete", "venue-detail"), ("get", "venue-summary"), ("patch", "tenant-settings")} <= walked
    with tenant_scope(world_a.tenant):
        assert Venue.objects.filter(pk=world_a.venue.pk).exists()


def test_an_edge_device_key_sends_events_but_cannot_read_or_delete(world_a):
    _, key = api_key_create(tenant=world_a.tenant, name="door", scope=ApiKey.Scope.INGEST, venue=world_a.venue)
    client = key_client(key)
    event = {"id": "e1", "type": "line_crossed", "visit": "v1", "at": "2026-11-20T10:00:00+00:00",
             "line": world_a.line.pk, "direction": "in"}  # fmt: skip
    sent = client.post(reverse("edge-events"), {"device": "door-1", "events": [event]}, format="json")
    assert sent.status_code == 200 and sent.json()["accepted"] == 1
    response = client.delete(reverse("venue-detail", args=[world_a.venue.pk]))
    assert response.status_code == 403
    assert "only send events" in response.json()["detail"]
    assert client.get(reverse("venue-list")).status_code == 403
    with tenant_scope(world_a.tenant):
        assert Venue.objects.filter(pk=world_a.venue.pk).exists()


def test_a_new_key_is_ingest_unless_chosen_and_its_scope_is_fixed(world_a):
    client = session_client(world_a.owner)
    created = client.post(reverse("api-key-list"), {"name": "till 4"}, format="json").json()
    assert created["scope"] == "ingest"
    url = reverse("api-key-detail", args=[created["id"]])
    assert client.patch(url, {"scope": "full", "name": "till four"}, format="json").json()["scope"] == "ingest"
    response = client.post(reverse("api-key-list"), {"name": "x", "scope": "admin"}, format="json")
    assert response.status_code == 400 and "scope" in response.json()


def test_the_keys_page_makes_a_key_of_the_chosen_scope(world_a):
    client = session_client(world_a.owner)
    page = client.get(reverse("api-keys-page")).content.decode()
    assert '<option value="ingest">' in page and '<option value="read">' in page
    client.post(reverse("api-keys-page"), {"name": "dashboard", "scope": "read"})
    client.post(reverse("api-keys-page"), {"name": "sensor"})
    response = client.post(reverse("api-keys-page"), {"name": "bad", "scope": "everything"}, follow=True)
    assert "Choose what the key may do" in response.content.decode()
    with tenant_scope(world_a.tenant):
        scopes = dict(ApiKey.objects.values_list("name", "scope"))
    assert scopes == {"dashboard": "read", "sensor": "ingest", world_a.api_key.name: "full"}


@pytest.mark.django_db(transaction=True)
def test_keys_made_before_scopes_become_full():
    executor = MigrationExecutor(connection)
    executor.migrate([("venues", "0006_detection_scale")])
    old = executor.loader.project_state([("venues", "0006_detection_scale")]).apps
    tenant = old.get_model("venues", "Tenant").objects.create(name="Old Co", slug="old-co")
    old.get_model("venues", "ApiKey").objects.create(tenant=tenant, name="old edge", prefix="oldkey01", hashed_key="x")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    with tenant_scope(tenant):
        assert ApiKey.objects.get(prefix="oldkey01").scope == ApiKey.Scope.FULL
        made_now = ApiKey.objects.create(tenant_id=tenant.pk, name="new", prefix="newkey01", hashed_key="y")
    assert made_now.scope == ApiKey.Scope.INGEST
