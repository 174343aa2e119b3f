"""The digest's time zone defaults to the venue's: an empty setting means the tenant's first venue's zone."""

import importlib
from datetime import UTC, date, datetime, time

import pytest
from django.apps import apps
from django.urls import reverse

from alerts.models import AlertSettings
from alerts.services import alert_settings_of, digest_period, digest_time_zone
from core.models import Tenant
from core.tenancy import all_tenants, tenant_scope
from tests.conftest import build_world, key_client, session_client
from venues.models import Venue

pytestmark = pytest.mark.django_db

SIX_THIRTY_UTC = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)  # 07:30 in Paris


def test_a_new_tenants_digest_goes_out_in_its_venues_time_zone(world_a):
    answer = key_client(world_a.key).get(reverse("alert-settings")).json()
    assert answer["time_zone"] == "" and answer["effective_time_zone"] == "Europe/Paris"
    with tenant_scope(world_a.tenant):
        row = alert_settings_of(world_a.tenant)
        row.digest_time = time(7)
        assert digest_period(row, SIX_THIRTY_UTC) == (date(2026, 11, 19), date(2026, 11, 19))  # 07:30 in Paris
        row.time_zone = "UTC"
        assert digest_period(row, SIX_THIRTY_UTC) is None  # 06:30 in UTC: not yet


def test_a_chosen_zone_wins_and_emptying_it_returns_to_the_venues(world_a):
    client = key_client(world_a.key)
    chosen = client.patch(reverse("alert-settings"), {"time_zone": "America/New_York"}, format="json").json()
    assert chosen["time_zone"] == chosen["effective_time_zone"] == "America/New_York"
    emptied = client.patch(reverse("alert-settings"), {"time_zone": ""}, format="json").json()
    assert emptied["time_zone"] == "" and emptied["effective_time_zone"] == "Europe/Paris"


def test_the_first_venue_decides_and_without_a_venue_it_is_utc(world_a):
    with tenant_scope(world_a.tenant):
        Venue.objects.create(tenant=world_a.tenant, name="Tokyo Outlet", time_zone="Asia/Tokyo")
        assert digest_time_zone(alert_settings_of(world_a.tenant)) == "Europe/Paris"  # the first venue
    empty = Tenant.objects.create(name="No Venues Yet", slug="no-venues-yet")
    with tenant_scope(empty):
        assert digest_time_zone(alert_settings_of(empty)) == "UTC"


def test_the_settings_page_says_which_zone_applies(world_a):
    page = session_client(world_a.owner).get(reverse("alert-settings-page")).content.decode()
    assert 'placeholder="the venue\'s: Europe/Paris"' in page and "sent at its time in Europe/Paris" in page


def test_the_migration_turns_the_old_utc_default_into_the_venues(db):
    world = build_world("Old Default")
    AlertSettings.objects.create(tenant=world.tenant, time_zone="UTC")
    kept = build_world("Chose Lisbon")
    AlertSettings.objects.create(tenant=kept.tenant, time_zone="Europe/Lisbon")
    migration = importlib.import_module("alerts.migrations.0002_digest_time_zone_of_the_venue")
    with all_tenants():  # the app's own model (a migration's historical model has a plain manager)
        migration.utc_to_the_venues(apps, None)
    with tenant_scope(world.tenant):
        assert alert_settings_of(world.tenant).time_zone == ""
    with tenant_scope(kept.tenant):
        assert alert_settings_of(kept.tenant).time_zone == "Europe/Lisbon"
