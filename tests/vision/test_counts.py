"""Store counts (line crossings, zone entrants and dwell, visitors): the ground truth's, counted by the product's
geometry from known positions, and the pipeline's, from its events. Frames are 1/8 s apart."""

from datetime import UTC, datetime, timedelta

import pytest

from vision.events import LineCrossed, VisitEnded, ZoneEntered, ZoneExited
from vision.geometry import Line, SceneGeometry, Zone
from vision.metrics import SceneCounts, count_errors, counts_from_events, counts_from_positions

START = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
FPS = 8
DOOR = Line("door", (0.5, 0.0), (0.5, 1.0), "left")  # walking down the screen, the left is x > 0.5
FLOOR = Zone("floor", "area", ((0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)))  # the lower half
GEOMETRY = SceneGeometry(zones=(FLOOR,), lines=(DOOR,))
ON_FLOOR, OFF_FLOOR = (0.25, 0.75), (0.25, 0.25)


def t(frame: int) -> datetime:
    return START + timedelta(seconds=frame / FPS)


def counts(tracks: dict[int, list]) -> SceneCounts:
    """Ground-truth counts of people given one point per frame each (None: not in that frame's boxes)."""
    frames = range(max(len(points) for points in tracks.values()))
    positions = {
        frame: {person: points[frame] for person, points in tracks.items() if frame < len(points) and points[frame]}
        for frame in frames
    }
    return counts_from_positions(positions, {frame: t(frame) for frame in frames}, GEOMETRY)


def across(x_from: float, x_to: float, y: float, frames: int = 9) -> list:
    return [(x_from + (x_to - x_from) * n / (frames - 1), y) for n in range(frames)]


@pytest.mark.parametrize(("x_from", "x_to", "line_in", "line_out"), [(0.1, 0.9, 1, 0), (0.9, 0.1, 0, 1)])
def test_walking_across_the_line_is_one_crossing_in_the_walkers_direction(x_from, x_to, line_in, line_out):
    result = counts({1: across(x_from, x_to, y=0.25)})
    assert result == SceneCounts({"door": line_in}, {"door": line_out}, {"floor": 0}, {"floor": 0.0}, visitors=1)


def test_staying_two_seconds_in_the_zone_is_one_entrant_with_two_seconds_of_dwell():
    staying = [ON_FLOOR] * (2 * FPS + 1)  # frames 0..16: 2 s from the first to the last
    passing_above = [OFF_FLOOR] * (4 * FPS)
    result = counts({1: staying, 2: passing_above})
    assert (result.zone_entrants, result.zone_dwell_s, result.visitors) == ({"floor": 1}, {"floor": 2.0}, 2)


def test_a_person_missing_from_some_frames_keeps_their_stay_and_their_side_of_the_line():
    in_zone_with_a_gap = [ON_FLOOR] * FPS + [None] * FPS + [ON_FLOOR] * (FPS + 1)  # seen 0..7 and 16..24
    crossing_unseen = [(0.2, 0.25)] * 4 + [None] * 8 + [(0.8, 0.25)] * 4
    result = counts({1: in_zone_with_a_gap, 2: crossing_unseen})
    assert result.zone_entrants == {"floor": 1}
    assert result.zone_dwell_s == {"floor": pytest.approx(3.0)}  # one stay, frames 0 to 24
    assert (result.line_in, result.line_out) == ({"door": 1}, {"door": 0})


def test_leaving_and_coming_back_is_one_entrant_with_both_stays_dwell():
    result = counts({1: [ON_FLOOR] * 9 + [OFF_FLOOR] * 8 + [ON_FLOOR] * 5})  # inside 0..8 and 17..21
    assert (result.zone_entrants, result.zone_dwell_s) == ({"floor": 1}, {"floor": pytest.approx(1.5)})


def test_a_person_seen_too_briefly_for_the_geometry_still_counts_as_a_visitor():
    result = counts({1: [ON_FLOOR] * 2, 2: [OFF_FLOOR] * 10})  # 2 frames: shorter than an entry takes
    assert (result.zone_entrants, result.visitors) == ({"floor": 0}, 2)


def test_the_pipelines_counts_come_from_its_events():
    events = [
        ZoneEntered(1, t(0), "floor"),
        LineCrossed(1, t(4), "door", "in"),
        ZoneExited(1, t(8), "floor", entered_at=t(0)),
        ZoneExited(1, t(24), "floor", entered_at=t(16)),
        LineCrossed(2, t(10), "door", "in"),
        LineCrossed(2, t(20), "door", "out"),
        ZoneExited(2, t(12), "floor", entered_at=t(8)),
        VisitEnded(1, t(24), first_seen=t(0), zone_visits=(), trajectory=()),
        VisitEnded(2, t(20), first_seen=t(4), zone_visits=(), trajectory=()),
    ]
    assert counts_from_events(events, GEOMETRY) == SceneCounts(
        {"door": 2}, {"door": 1}, {"floor": 2}, {"floor": 2.5}, visitors=2
    )


def test_an_unused_line_or_zone_counts_zero():
    assert counts_from_events([], GEOMETRY).figures() == {
        "line_in.door": 0, "line_out.door": 0, "zone_entrants.floor": 0, "zone_dwell_s.floor": 0.0, "visitors": 0,
    }  # fmt: skip


def test_count_errors_are_signed_and_relative_to_the_truth():
    measured = SceneCounts({"door": 3}, {"door": 1}, {"floor": 4}, {"floor": 30.0}, visitors=5)
    truth = SceneCounts({"door": 4}, {"door": 0}, {"floor": 4}, {"floor": 20.0}, visitors=4)
    errors = count_errors(measured, truth)
    assert {name: (e.error, e.relative_error) for name, e in errors.items()} == {
        "line_in.door": (-1, -0.25),
        "line_out.door": (1, None),  # nothing to be relative to
        "zone_entrants.floor": (0, 0.0),
        "zone_dwell_s.floor": (10.0, 0.5),
        "visitors": (1, 0.25),
    }
