from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.api_keys import api_key_create, api_key_revoke
from core.models import ApiKey
from core.tenancy import tenant_scope
from tests.conftest import build_world, key_client, session_client
from venues.models import Venue

pytestmark = pytest.mark.django_db

VENUES = reverse("venue-list")


def test_only_the_prefix_and_a_hash_are_stored(world_a):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM venues_apikey")
        rows = cursor.fetchall()
    stored = " ".join(str(value) for row in rows for value in row)
    prefix, secret = world_a.key.split(".")
    assert prefix in stored
    assert secret not in stored and world_a.key not in stored
    assert world_a.api_key.hashed_key != world_a.key and len(world_a.api_key.hashed_key) == 64


def test_a_valid_key_reads_its_tenant_and_records_last_use(world_a, world_b):
    response = key_client(world_a.key).get(VENUES)
    assert response.status_code == 200
    assert [v["name"] for v in response.json()["results"]] == [world_a.venue.name]
    world_a.api_key.refresh_from_db()
    assert world_a.api_key.last_used_at is not None
    assert timezone.now() - world_a.api_key.last_used_at < timedelta(seconds=30)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Api-Key not-a-key", "Malformed API key"),
        ("Api-Key ", "Malformed API key"),
        ("Api-Key abcdefgh.tooshort", "Malformed API key"),
        ("Api-Key abcdefgh.abcdefghijklmnopqrstuvwxyz012345", "Unknown API key"),
    ],
)
def test_malformed_and_unknown_keys_get_401_with_a_reason(world_a, header, message):
    client = session_client(world_a.owner)  # even a logged-in session does not rescue a bad key
    response = client.get(VENUES, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert message in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Api-Key"


def test_right_prefix_with_wrong_secret_is_unknown(world_a):
    prefix = world_a.key.split(".")[0]
    response = key_client(f"{prefix}.{'x' * 32}").get(VENUES)
    assert response.status_code == 401
    assert response.json()["detail"] == "Unknown API key."


def test_revoked_key_gets_401(world_a):
    api_key_revoke(world_a.api_key)
    response = key_client(world_a.key).get(VENUES)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_expired_key_gets_401(world_a):
    with tenant_scope(world_a.tenant):
        ApiKey.objects.filter(pk=world_a.api_key.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = key_client(world_a.key).get(VENUES)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_no_credentials_gets_401(world_a):
    from rest_framework.test import APIClient

    assert APIClient().get(VENUES).status_code == 401


def test_key_of_another_tenant_gets_404_on_its_venue(world_a, world_b):
    response = key_client(world_b.key).get(reverse("venue-detail", args=[world_a.venue.pk]))
    assert response.status_code == 404


def test_venue_limited_key_sees_and_writes_only_its_venue(world_a):
    with tenant_scope(world_a.tenant):
        other = Venue.objects.create(tenant=world_a.tenant, name="Second store")
    _, key = api_key_create(tenant=world_a.tenant, name="door sensor", scope=ApiKey.Scope.FULL, venue=world_a.venue)
    client = key_client(key)

    listed = client.get(VENUES).json()["results"]
    assert [v["id"] for v in listed] == [world_a.venue.pk]
    assert client.get(reverse("venue-detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("camera-list")).json()["count"] == 1

    response = client.post(reverse("camera-list"), {"venue": other.pk, "name": "Sneaky"}, format="json")
    assert response.status_code == 400 and "venue" in response.json()
    response = client.post(reverse("camera-list"), {"venue": world_a.venue.pk, "name": "Till 2"}, format="json")
    assert response.status_code == 201

    response = client.post(VENUES, {"name": "New store"}, format="json")
    assert response.status_code == 403
    assert "limited to one venue" in response.json()["detail"]


def test_keys_cannot_manage_keys(world_a):
    response = key_client(world_a.key).get(reverse("api-key-list"))
    assert response.status_code == 403
    assert "cannot manage API keys" in response.json()["detail"]


def test_owner_creates_a_key_that_is_shown_once_and_works(world_a):
    client = session_client(world_a.owner)
    body = {"name": "till 3", "scope": "read", "venue": world_a.venue.pk}
    response = client.post(reverse("api-key-list"), body, format="json")
    assert response.status_code == 201
    created = response.json()
    assert created["key"].startswith(created["prefix"] + ".")
    assert created["venue"] == world_a.venue.pk and created["created_by"] == world_a.owner.username
    assert created["scope"] == "read"

    detail = client.get(reverse("api-key-detail", args=[created["id"]])).json()
    assert "key" not in detail and detail["prefix"] == created["prefix"]
    assert key_client(created["key"]).get(VENUES).status_code == 200

    revoked = client.post(reverse("api-key-revoke", args=[created["id"]])).json()
    assert revoked["revoked_at"] is not None
    assert key_client(created["key"]).get(VENUES).status_code == 401


def test_key_expiry_must_be_in_the_future(world_a):
    client = session_client(world_a.owner)
    past = (timezone.now() - timedelta(days=1)).isoformat()
    response = client.post(reverse("api-key-list"), {"name": "old", "expires_at": past}, format="json")
    assert response.status_code == 400
    assert "future" in response.json()["expires_at"][0]


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_only_owners_manage_keys(role):
    world = build_world(f"Gamma {role}", role=role)
    response = session_client(world.owner).get(reverse("api-key-list"))
    assert response.status_code == 403
    assert "owners" in response.json()["detail"]


def test_viewer_reads_but_cannot_write():
    world = build_world("Delta", role="viewer")
    client = session_client(world.owner)
    assert client.get(VENUES).status_code == 200
    response = client.patch(reverse("venue-detail", args=[world.venue.pk]), {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_admin_shows_a_new_key_once(admin_client, world_a):
    response = admin_client.post(
        reverse("admin:core_apikey_add"),
        {"name": "from admin", "scope": "read", "tenant": world_a.tenant.pk},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"] if "copy it now" in str(m)]
    assert len(shown) == 1
    key = shown[0].rsplit(" ", 1)[1]
    assert key_client(key).get(VENUES).status_code == 200
    changelist = admin_client.get(reverse("admin:core_apikey_changelist")).content.decode()
    assert key.split(".")[0] in changelist and key not in changelist
