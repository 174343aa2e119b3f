from datetime import timedelta

import pytest

from analytics.selectors import venue_summary
from ingest.video import scene_geometry
from ingest.writer import Origin, events_write
from venues.tenancy import tenant_scope
from vision.events import Demographics, LineCrossed, VisitEnded, ZoneExited, ZoneVisit

pytestmark = pytest.mark.django_db


def test_venue_summary_counts_what_was_written(world_a, world_b):
    t0 = world_a.job.created_at
    zone, line = world_a.zone.name, world_a.line.name

    def visit(track, seconds, demographics=None, dwell=None):
        zone_visits = (ZoneVisit(zone, t0, t0 + timedelta(seconds=dwell)),) if dwell else ()
        return VisitEnded(track, t0 + timedelta(seconds=seconds), first_seen=t0, zone_visits=zone_visits,
                          trajectory=(), demographics=demographics)  # fmt: skip

    adult = Demographics("25-34", 0.6, "female", 0.9)
    events = [
        visit(1, 10, adult, dwell=4), visit(2, 20, dwell=8), visit(3, 60),
        ZoneExited(1, t0 + timedelta(seconds=4), zone, t0), ZoneExited(2, t0 + timedelta(seconds=8), zone, t0),
        LineCrossed(1, t0, line, "in"), LineCrossed(2, t0, line, "in"), LineCrossed(1, t0, line, "out"),
    ]  # fmt: skip
    with tenant_scope(world_a.tenant):
        _, zones, lines = scene_geometry(world_a.camera)
        events_write(
            Origin("device:test", world_a.tenant.pk, world_a.venue.pk, world_a.camera.pk), events, zones, lines
        )
        summary = venue_summary(world_a.venue)
    assert (summary.visits, summary.entries, summary.exits, summary.with_demographics) == (3, 2, 1, 1)
    assert summary.average_visit_seconds == pytest.approx(30.0)  # (10 + 20 + 60) / 3
    assert summary.zones == [{"name": zone, "visits": 2, "average_dwell": pytest.approx(6.0)}]
    with tenant_scope(world_b.tenant):
        assert venue_summary(world_b.venue).visits == 0
