"""Rollups rebuilt off the write: a write marks its hours pending, writes that come together are rebuilt together,
and whoever reads the rollups first rebuilds what is pending, so that answers count every stored event."""

import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse

from core.tenancy import tenant_scope
from ingest import rollups
from ingest.models import PendingHour, VenueHour
from tests.conftest import key_client
from tests.test_edge_events import batch, visit_events

pytestmark = pytest.mark.django_db
URL = reverse("edge-events")


def _renamed(events, visit):
    return [{**event, "id": f"{visit}-{event['id']}", "visit": visit} for event in events]


def _built_hours(venue) -> int:
    """Rollup rows as stored, read in SQL: reading them through the model would rebuild pending hours first."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ingest_venuehour WHERE venue_id = %s", [venue.pk])
        return cursor.fetchone()[0]


def test_writes_that_come_together_are_rebuilt_together_by_the_first_reader(world_a, monkeypatch):
    monkeypatch.setattr(rollups, "SETTLE_SECONDS", 3600)  # no writer rebuilds: they come within the hour
    rebuilds = []
    monkeypatch.setattr(rollups, "hours_refresh", lambda venue, moments, real=rollups.hours_refresh: (
        rebuilds.append(list(moments)), real(venue, moments)))  # fmt: skip
    client = key_client(world_a.key)
    for visit in ("v1", "v2"):
        assert (
            client.post(URL, batch(world_a, _renamed(visit_events(world_a), visit)), format="json").status_code == 200
        )
    with tenant_scope(world_a.tenant):
        assert list(PendingHour.objects.values_list("version", flat=True)) == [2]  # one hour, marked twice
        assert _built_hours(world_a.venue) == 0 and not rebuilds
        assert VenueHour.objects.get(venue=world_a.venue).visits == 2  # the reader rebuilt it, once
        assert len(rebuilds) == 1 and not PendingHour.objects.exists()


def test_an_hour_marked_again_while_it_is_rebuilt_stays_pending(world_a, monkeypatch):
    monkeypatch.setattr(rollups, "SETTLE_SECONDS", 3600)
    client = key_client(world_a.key)
    client.post(URL, batch(world_a, _renamed(visit_events(world_a), "v1")), format="json")
    with tenant_scope(world_a.tenant):
        hour = PendingHour.objects.get().hour_start
        real = rollups.hours_refresh

        def rebuild_while_a_write_comes(venue, moments):
            real(venue, moments)
            rollups.hours_pend(venue, [hour])  # as a write committing during the rebuild would

        monkeypatch.setattr(rollups, "hours_refresh", rebuild_while_a_write_comes)
        assert rollups.pending_hours_refresh(world_a.venue, wait=True) == 1
        assert list(PendingHour.objects.values_list("hour_start", "version")) == [(hour, 2)]
        monkeypatch.setattr(rollups, "hours_refresh", real)
        assert rollups.pending_hours_refresh(world_a.venue, wait=True) == 1
        assert not PendingHour.objects.exists() and _built_hours(world_a.venue) == 1


@pytest.mark.django_db(transaction=True)
def test_a_write_does_not_wait_for_a_rebuild_in_progress_and_readers_wait_for_it(world_a):
    held, release = threading.Event(), threading.Event()

    def rebuild_in_progress():  # another process's rebuild of the venue: it holds the venue's rollup lock
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [rollups._ROLLUP_LOCK, world_a.venue.pk])
                held.set()
                release.wait(30)
        finally:
            connection.close()

    other = threading.Thread(target=rebuild_in_progress)
    other.start()
    try:
        assert held.wait(30)
        answer = key_client(world_a.key).post(URL, batch(world_a, visit_events(world_a)), format="json")
        assert answer.json()["accepted"] == 7  # answered while the lock is held: it did not wait for it
        with tenant_scope(world_a.tenant):
            assert PendingHour.objects.count() == 1 and _built_hours(world_a.venue) == 0
    finally:
        release.set()
        other.join()
    with tenant_scope(world_a.tenant):
        assert VenueHour.objects.get(venue=world_a.venue).visits == 1
        assert not PendingHour.objects.exists()
