"""Zones, lines and queues on hand-made tracks; frames are 1 s apart unless said otherwise, so t(n) is frame n."""

from datetime import UTC, datetime, timedelta

import pytest

from vision.events import (
    LineCrossed,
    QueueAbandoned,
    QueueJoined,
    QueueServed,
    ZoneEntered,
    ZoneExited,
    ZoneVisit,
)
from vision.geometry import GeometryConfig, GeometryEngine, Line, SceneGeometry, Zone

START = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def t(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def square(name: str, x0: float, y0: float, x1: float, y1: float, kind: str = "area") -> Zone:
    return Zone(name, kind, ((x0, y0), (x1, y0), (x1, y1), (x0, y1)))


SHELF = square("shelf", 0.2, 0.2, 0.6, 0.6)
IN_SHELF, OUT = (0.4, 0.4), (0.9, 0.9)


def walk(engine: GeometryEngine, track_id: int, points: list, start: int = 0) -> dict[int, list]:
    """Feed one point a second from t(start), None meaning "not seen"; the events by frame that returned them."""
    returned = {}
    for frame, point in enumerate(points, start=start):
        events = engine.update(t(frame), {} if point is None else {track_id: point})
        if events:
            returned[frame] = events
    return returned


# Zones


@pytest.mark.parametrize(
    ("point", "inside"),
    [
        ((0.4, 0.4), True),
        ((0.2, 0.4), True),  # on the left edge
        ((0.6, 0.6), True),  # on a vertex
        ((0.61, 0.4), False),
        ((0.4, 0.1), False),
    ],
)
def test_zone_contains_with_edges_inside(point, inside):
    assert SHELF.contains(point) is inside


def test_zone_contains_follows_a_concave_polygon():
    ell = Zone("ell", "area", ((0, 0), (0.6, 0), (0.6, 0.2), (0.2, 0.2), (0.2, 0.6), (0, 0.6)))  # an L
    assert ell.contains((0.1, 0.5))
    assert ell.contains((0.5, 0.1))
    assert not ell.contains((0.4, 0.4))  # in the notch, inside the bounding box


def test_jitter_shorter_than_the_thresholds_makes_nothing_and_a_stay_has_exact_times():
    engine = GeometryEngine(SceneGeometry(zones=(SHELF,)))
    points = [OUT, IN_SHELF, IN_SHELF, OUT, OUT]  # 2 frames in: under min_frames_enter
    points += [IN_SHELF, IN_SHELF, IN_SHELF, IN_SHELF]  # frames 5-8: entry confirmed at 7, dated 5
    points += [OUT, IN_SHELF, IN_SHELF]  # frame 9 out alone: no exit
    points += [OUT, OUT, OUT, OUT]  # frames 12-15: exit confirmed at 14, dated 11 (last inside)

    returned = walk(engine, 1, points)

    assert returned == {
        7: [ZoneEntered(1, at=t(5), zone="shelf")],
        14: [ZoneExited(1, at=t(11), zone="shelf", entered_at=t(5))],
    }
    assert engine.zone_visits(1) == (ZoneVisit("shelf", t(5), t(11)),)
    assert engine.zone_visits(1)[0].dwell_seconds == 6


def test_leaving_and_returning_makes_two_visits():
    engine = GeometryEngine(SceneGeometry(zones=(SHELF,)))
    walk(engine, 1, [IN_SHELF] * 4 + [OUT] * 3 + [IN_SHELF] * 5 + [OUT] * 3)
    assert engine.zone_visits(1) == (ZoneVisit("shelf", t(0), t(3)), ZoneVisit("shelf", t(7), t(11)))


def test_overlapping_zones_each_get_their_full_dwell():
    aisle = square("aisle", 0.0, 0.0, 0.5, 1.0)
    promo = square("promo", 0.3, 0.0, 1.0, 1.0)  # overlaps the aisle on 0.3 <= x <= 0.5
    engine = GeometryEngine(SceneGeometry(zones=(aisle, promo)))
    aisle_only, both, promo_only = (0.1, 0.5), (0.4, 0.5), (0.8, 0.5)
    walk(engine, 1, [aisle_only] * 3 + [both] * 4 + [promo_only] * 3)  # frames 0-2, 3-6, 7-9
    engine.end_track(1, t(9))
    visits = engine.zone_visits(1)
    assert set(visits) == {ZoneVisit("aisle", t(0), t(6)), ZoneVisit("promo", t(3), t(9))}
    assert sorted(v.dwell_seconds for v in visits) == [6, 6]


def test_a_gap_in_detection_is_not_an_exit():
    engine = GeometryEngine(SceneGeometry(zones=(SHELF,)))
    returned = walk(engine, 1, [IN_SHELF] * 4 + [None] * 6 + [IN_SHELF] * 2 + [OUT] * 3)  # unseen at 4-9
    assert [type(e) for events in returned.values() for e in events] == [ZoneEntered, ZoneExited]
    assert engine.zone_visits(1) == (ZoneVisit("shelf", t(0), t(11)),)


def test_a_track_ending_inside_exits_at_its_last_inside_time():
    engine = GeometryEngine(SceneGeometry(zones=(SHELF,)))
    walk(engine, 1, [IN_SHELF] * 4 + [OUT] * 2)  # inside 0-3, then an exit not yet confirmed
    assert engine.end_track(1, t(5)) == [ZoneExited(1, at=t(3), zone="shelf", entered_at=t(0))]
    assert engine.zone_visits(1) == (ZoneVisit("shelf", t(0), t(3)),)


def test_a_track_ending_before_its_entry_is_confirmed_has_no_visit():
    engine = GeometryEngine(SceneGeometry(zones=(SHELF,)))
    walk(engine, 1, [OUT, IN_SHELF, IN_SHELF])
    assert engine.end_track(1, t(2)) == []
    assert engine.zone_visits(1) == ()


def test_an_ended_tracks_visits_are_handed_over_once():
    engine = GeometryEngine(SceneGeometry(zones=(SHELF,)))
    walk(engine, 1, [IN_SHELF] * 3)
    engine.end_track(1, t(2))
    assert engine.zone_visits(1) == (ZoneVisit("shelf", t(0), t(2)),)
    assert engine.zone_visits(1) == ()


def test_finish_ends_every_live_track_in_time_order():
    engine = GeometryEngine(SceneGeometry(zones=(SHELF,)))
    for frame in range(5):
        engine.update(t(frame), {1: IN_SHELF} if frame < 4 else {1: IN_SHELF, 2: IN_SHELF})
    engine.update(t(5), {2: IN_SHELF})
    engine.update(t(6), {2: IN_SHELF})  # track 2 entered at 4; track 1 last inside at 4
    assert engine.finish(t(7)) == [
        ZoneExited(1, at=t(4), zone="shelf", entered_at=t(0)),
        ZoneExited(2, at=t(6), zone="shelf", entered_at=t(4)),
    ]


def test_footage_time_cannot_go_backwards():
    engine = GeometryEngine(SceneGeometry(zones=(SHELF,)))
    engine.update(t(5), {1: IN_SHELF})
    with pytest.raises(ValueError, match="backwards"):
        engine.update(t(4), {1: IN_SHELF})


# Lines


def test_left_is_as_seen_on_screen_with_y_down():
    # Stand at the top of the picture facing its bottom and walk down the screen: your left hand points to the
    # screen's RIGHT. So for a line drawn downwards, x > 0.5 is its left side.
    downwards = Line("door", start=(0.5, 0.0), end=(0.5, 1.0), in_side="left")
    assert downwards.side((0.7, 0.5), dead_band=0.01) == "left"
    assert downwards.side((0.3, 0.5), dead_band=0.01) == "right"
    # Walking rightwards along the screen, your left hand points up: y < 0.5 (y grows downwards) is the left.
    rightwards = Line("door", start=(0.0, 0.5), end=(1.0, 0.5), in_side="left")
    assert rightwards.side((0.5, 0.3), dead_band=0.01) == "left"
    assert rightwards.side((0.5, 0.7), dead_band=0.01) == "right"
    assert rightwards.side((0.5, 0.505), dead_band=0.01) is None


DOOR = Line("door", start=(0.5, 0.2), end=(0.5, 0.6), in_side="left")  # drawn downwards: left is x > 0.5


def test_crossing_onto_the_in_side_is_in_and_back_is_out():
    engine = GeometryEngine(SceneGeometry(lines=(DOOR,)))
    returned = walk(engine, 7, [(0.3, 0.4), (0.45, 0.4), (0.7, 0.4), (0.8, 0.4), (0.2, 0.5)])
    assert returned == {
        2: [LineCrossed(7, at=t(2), line="door", direction="in")],
        4: [LineCrossed(7, at=t(4), line="door", direction="out")],
    }


def test_in_side_right_reverses_the_directions():
    engine = GeometryEngine(SceneGeometry(lines=(Line("door", (0.5, 0.2), (0.5, 0.6), in_side="right"),)))
    returned = walk(engine, 7, [(0.7, 0.4), (0.3, 0.4)])  # from x > 0.5 (left) onto the right
    assert returned == {1: [LineCrossed(7, at=t(1), line="door", direction="in")]}


def test_jitter_in_the_dead_band_is_no_crossing():
    engine = GeometryEngine(SceneGeometry(lines=(DOOR,)))
    on_the_line = [(0.495, 0.4), (0.505, 0.4), (0.492, 0.4), (0.509, 0.4)]  # within 0.01 of x = 0.5
    assert walk(engine, 7, [(0.3, 0.4), *on_the_line, (0.3, 0.4)]) == {}


def test_a_move_past_the_end_of_the_line_is_no_crossing():
    engine = GeometryEngine(SceneGeometry(lines=(DOOR,)))
    # Right to left below the line's end (y = 0.6): no crossing, but the track is now on the left side,
    # so going back through the line itself is "out".
    returned = walk(engine, 7, [(0.3, 0.8), (0.7, 0.8), (0.7, 0.4), (0.3, 0.4)])
    assert returned == {3: [LineCrossed(7, at=t(3), line="door", direction="out")]}


# Queues

QUEUE = square("queue", 0.0, 0.6, 0.4, 1.0, kind="queue")
TILL = square("till", 0.5, 0.6, 0.8, 1.0, kind="checkout")
IN_QUEUE, AT_TILL, BETWEEN, AWAY = (0.2, 0.8), (0.65, 0.8), (0.45, 0.8), (0.2, 0.2)


def queue_engine() -> GeometryEngine:
    return GeometryEngine(SceneGeometry(zones=(QUEUE, TILL)), GeometryConfig(queue_serve_grace_s=15))


def test_queue_then_checkout_is_served_with_the_exact_wait():
    engine = queue_engine()
    returned = walk(engine, 3, [IN_QUEUE] * 10 + [AT_TILL] * 5)  # queue 0-9, till from 10
    assert returned[2] == [ZoneEntered(3, at=t(0), zone="queue"), QueueJoined(3, at=t(0), zone="queue")]
    # Frame 12 confirms both the queue exit (last inside at 9) and the till entry (first inside at 10).
    assert returned[12] == [
        ZoneExited(3, at=t(9), zone="queue", entered_at=t(0)),
        ZoneEntered(3, at=t(10), zone="till"),
        QueueServed(3, at=t(10), zone="queue", checkout_zone="till", joined_at=t(0)),
    ]
    assert returned[12][2].wait_seconds == 10
    assert [type(e) for e in engine.end_track(3, t(14))] == [ZoneExited]  # nothing left to settle


def test_reaching_checkout_within_the_grace_after_leaving_the_queue_is_served():
    engine = queue_engine()
    returned = walk(engine, 3, [IN_QUEUE] * 5 + [BETWEEN] * 5 + [AT_TILL] * 3)  # left at 4, till at 10
    served = [e for events in returned.values() for e in events if isinstance(e, QueueServed)]
    assert served == [QueueServed(3, at=t(10), zone="queue", checkout_zone="till", joined_at=t(0))]


def test_a_checkout_entry_begun_within_the_grace_but_confirmed_after_it_is_served():
    engine = queue_engine()
    for second in range(0, 12, 2):  # frames every 2 s: queue at 0-4, away 6-10 (exit confirmed at 10, left at 4)
        engine.update(t(second), {3: IN_QUEUE if second <= 4 else AWAY})
    for second in range(12, 18, 2):
        assert engine.update(t(second), {3: AWAY}) == []
    # The till streak starts at 18, within the grace (4 + 15 = 19); frame 20 is past the grace but the streak
    # is pending, so nothing is abandoned; frame 22 confirms the entry.
    assert engine.update(t(18), {3: AT_TILL}) == []
    assert engine.update(t(20), {3: AT_TILL}) == []
    assert engine.update(t(22), {3: AT_TILL}) == [
        ZoneEntered(3, at=t(18), zone="till"),
        QueueServed(3, at=t(18), zone="queue", checkout_zone="till", joined_at=t(0)),
    ]


def test_leaving_the_queue_and_walking_away_is_abandoned_once_the_grace_expires():
    engine = queue_engine()
    walk(engine, 3, [IN_QUEUE] * 5 + [AWAY] * 4)  # queue 0-4: left at 4, grace until 19
    for second in range(9, 20):  # track 3 out of the picture; another person keeps the frames coming
        assert engine.update(t(second), {9: AWAY}) == []
    assert engine.update(t(20), {9: AWAY}) == [QueueAbandoned(3, at=t(4), zone="queue", joined_at=t(0))]
    assert engine.update(t(21), {9: AWAY}) == []


def test_rejoining_within_the_grace_continues_the_episode_and_after_settling_starts_a_new_one():
    engine = queue_engine()
    # Queue 0-2 (left at 2), back at 7 (5 s later: same episode) and queueing 20 s, longer than the grace.
    returned = walk(engine, 3, [IN_QUEUE] * 3 + [BETWEEN] * 4 + [IN_QUEUE] * 20 + [AT_TILL] * 3)
    queue_events = [e for events in returned.values() for e in events if type(e) in (QueueJoined, QueueServed)]
    assert queue_events == [
        QueueJoined(3, at=t(0), zone="queue"),
        QueueServed(3, at=t(27), zone="queue", checkout_zone="till", joined_at=t(0)),
    ]
    returned = walk(engine, 3, [IN_QUEUE] * 3, start=30)
    assert returned[32][-1] == QueueJoined(3, at=t(30), zone="queue")


def test_a_track_ending_in_the_queue_is_abandoned_at_its_last_time_inside():
    engine = queue_engine()
    walk(engine, 3, [IN_QUEUE] * 6)
    assert engine.end_track(3, t(5)) == [
        ZoneExited(3, at=t(5), zone="queue", entered_at=t(0)),
        QueueAbandoned(3, at=t(5), zone="queue", joined_at=t(0)),
    ]


def test_a_track_ending_within_the_grace_without_checkout_is_abandoned_when_it_left():
    engine = queue_engine()
    walk(engine, 3, [IN_QUEUE] * 5 + [AWAY] * 4)  # left at 4
    abandoned = engine.end_track(3, t(8))
    assert abandoned == [QueueAbandoned(3, at=t(4), zone="queue", joined_at=t(0))]
    assert abandoned[0].wait_seconds == 4
