"""The second pass over a file (vision.stitching): tracklets of one person joined, two people never."""

from datetime import UTC, datetime, timedelta

import numpy as np

from vision.events import LineCrossed, VisitEnded, VisitStarted, ZoneEntered, ZoneExited, ZoneVisit
from vision.geometry import Line, SceneGeometry, Zone
from vision.stitching import Tracklet, stitch_plan, stitched

START = datetime(2026, 12, 1, 10, tzinfo=UTC)
SIZE = (800, 600)
RED, BLUE = np.array([50, 160, 140] * 3, np.float32), np.array([40, 120, 60] * 3, np.float32)  # Lab bands
GEOMETRY = SceneGeometry(
    zones=(Zone("aisle", "area", ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))),),
    lines=(Line("door", (0.5, 0.0), (0.5, 1.0), "left"),),
)


def at(seconds):
    return START + timedelta(seconds=seconds)


def tracklet(visit_id, first, last, x_first, x_last, looks=RED, speed=50.0):
    """A person 90 px tall walking right at `speed` px/s along y = 300, seen from `first` to `last` seconds."""
    box = lambda x: (x - 15.0, 210.0, x + 15.0, 300.0)  # noqa: E731
    return Tracklet(visit_id, first, last, box(x_first), box(x_last), (speed, 0.0), (speed, 0.0), looks)


def visit(tracklet_, zone_visits=()):
    return VisitEnded(
        tracklet_.visit_id, at(tracklet_.last_seen), first_seen=at(tracklet_.first_seen), zone_visits=zone_visits,
        trajectory=((0.0, 0.5, 0.5), (1.0, 0.6, 0.5)),
    )  # fmt: skip


def test_a_person_hidden_for_two_seconds_is_joined_to_their_own_earlier_tracklet():
    before, after = tracklet(1, 0, 4, 200, 390), tracklet(2, 6, 9, 420, 560)
    stranger = tracklet(3, 6, 9, 700, 760, looks=BLUE)
    assert stitch_plan([before, after, stranger]) == {2: 1}


def test_two_people_who_could_both_continue_a_tracklet_continue_none():
    before = tracklet(1, 0, 4, 200, 390)
    twins = [tracklet(2, 4.5, 9, 400, 560), tracklet(3, 4.6, 9, 405, 565)]  # a group, dressed alike
    assert stitch_plan([before, *twins]) == {}


def test_someone_leaving_where_another_arrives_walking_the_other_way_is_not_joined():
    leaving = tracklet(1, 0, 4, 200, 390)
    arriving = tracklet(2, 4.5, 9, 395, 200, speed=-50.0)
    assert stitch_plan([leaving, arriving]) == {}


def test_the_stitched_events_are_those_of_one_visit_with_its_stay_whole_and_the_hidden_crossing_counted():
    before, after = tracklet(1, 0, 4, 200, 390), tracklet(2, 6, 9, 420, 560)
    events = [
        VisitStarted(1, at(0)), ZoneEntered(1, at(0), "aisle"), ZoneExited(1, at(4), "aisle", at(0)),
        visit(before, (ZoneVisit("aisle", at(0), at(4)),)),
        VisitStarted(2, at(6)), ZoneEntered(2, at(6), "aisle"), ZoneExited(2, at(9), "aisle", at(6)),
        visit(after, (ZoneVisit("aisle", at(6), at(9)),)),
    ]  # fmt: skip
    result = stitched(events, {2: 1}, [before, after], GEOMETRY, SIZE, dead_band=0.01)
    assert {e.track_id for e in result} == {1}
    assert [type(e) for e in result] == [VisitStarted, ZoneEntered, LineCrossed, ZoneExited, VisitEnded]
    crossing = result[2]
    assert crossing.at == at(6) and crossing.direction == "in"  # vanished left of x = 400, reappeared right of it
    (one,) = [e for e in result if isinstance(e, VisitEnded)]
    assert one.first_seen == at(0) and one.at == at(9)
    assert one.zone_visits == (ZoneVisit("aisle", at(0), at(9)),)  # hidden in the aisle, not gone from it
    assert [t for t, _, _ in one.trajectory] == [0.0, 1.0, 6.0, 7.0]  # on the person's clock


def test_nothing_stitched_leaves_the_events_as_they_were():
    events = [VisitStarted(1, at(0)), visit(tracklet(1, 0, 4, 200, 390))]
    assert stitched(events, {}, [], GEOMETRY, SIZE, dead_band=0.01) is events
