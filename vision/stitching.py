"""The second pass over an uploaded file: one person's tracklets stitched into one visit.

While the video plays, re-linking (vision.pipeline) joins a broken track to a lost visitor only when exactly one
fits, within a few seconds, and only among the visitors lost at that moment. Once the whole file is analysed every
tracklet's start and end are known, so each end can be matched with the later starts, over longer gaps (someone
hidden behind a shelf for several seconds). A pair must agree in place (the start near where the end was heading,
the allowance growing with the gap), heading, size and clothing colours; and joining two people is as wrong as
splitting one, so only pairs where each is the other's one candidate are joined (docs/benchmarks.md: an optimal
assignment over all candidates joined as many wrong pairs as right ones).

The events are then rewritten as if the person had been tracked throughout: one VisitStarted and one VisitEnded
per person, a zone stay interrupted by the gap joined into one, and a counting line passed while hidden counted.
Live streams have no second pass: their events are stored as they happen.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from vision.appearance import unlike
from vision.events import Event, LineCrossed, VisitEnded, VisitStarted, ZoneEntered, ZoneExited, ZoneVisit
from vision.geometry import SceneGeometry
from vision.tracking import Box, feet, feet_px


@dataclass(frozen=True)
class Tracklet:
    """A visit as the first pass ended it: where and when it started and ended, how it moved and looked."""

    visit_id: int
    first_seen: float  # seconds of footage
    last_seen: float
    first_box: Box  # pixels
    last_box: Box
    start_velocity: tuple[float, float]  # of the feet when it began, pixels per second
    velocity: tuple[float, float]  # of the feet at the end
    appearance: np.ndarray | None  # vision.appearance.appearance, averaged over the tracklet


@dataclass(frozen=True)
class StitchConfig:
    max_gap_s: float = 8.0  # the longest a person may be hidden and still be stitched
    distance: float = 0.4  # body heights between the start and where the end was heading, for a short gap ...
    distance_per_s: float = 0.3  # ... plus this much per second hidden (people slow down, stop, turn)
    appearance: float = 0.6  # vision.appearance.unlike of the clothing colours, at most
    height_ratio: float = 1.5  # the taller of the two boxes at most this much taller
    moving: float = 0.3  # body heights per second: faster than this, both must head the same way (not one
    # leaving where another arrives)


def _height(box: Box) -> float:
    return max(box[3] - box[1], 1e-6)


def _fits(end: Tracklet, start: Tracklet, config: StitchConfig) -> bool:
    """Whether `start` may continue `end`: after it within the gap, near where it was heading (or where it
    vanished), of a similar size, not heading the other way, dressed alike."""
    gap = start.first_seen - end.last_seen
    if not 0 < gap <= config.max_gap_s:
        return False
    ratio = _height(start.first_box) / _height(end.last_box)
    if not 1 / config.height_ratio <= ratio <= config.height_ratio:
        return False
    height = max(_height(start.first_box), _height(end.last_box))
    (x, y), (fx, fy) = feet_px(end.last_box), feet_px(start.first_box)
    expected = (x + end.velocity[0] * min(gap, 1.0), y + end.velocity[1] * min(gap, 1.0))  # heading, not dead-reckoning
    off = min(np.hypot(fx - expected[0], fy - expected[1]), np.hypot(fx - x, fy - y)) / height
    if off > config.distance + config.distance_per_s * gap or _opposed(end.velocity, start.start_velocity,
                                                                         config.moving * height):  # fmt: skip
        return False
    return (
        end.appearance is not None and start.appearance is not None
        and unlike(start.appearance, end.appearance) <= config.appearance
    )  # fmt: skip


def _opposed(a: tuple[float, float], b: tuple[float, float], speed: float) -> bool:
    """Both moving faster than `speed` and more than 90 degrees apart."""
    return np.hypot(*a) > speed and np.hypot(*b) > speed and a[0] * b[0] + a[1] * b[1] < 0


def stitch_plan(tracklets: list[Tracklet], config: StitchConfig = StitchConfig()) -> dict[int, int]:
    """Visit id -> the id of the visit it continues (the person's first), for the stitched tracklets only.

    An end is joined to a start only when each is the other's one candidate: where two people could fit (a group,
    a doorway) nothing is joined, as a merge of two people is as wrong as a split. Chains (A then B then C) form;
    no tracklet is claimed twice."""
    starts = sorted(tracklets, key=lambda t: t.first_seen)
    start_times = [t.first_seen for t in starts]
    candidates: dict[int, list[int]] = defaultdict(list)  # end visit id -> the starts that fit it
    claimed: dict[int, list[int]] = defaultdict(list)  # start visit id -> the ends it fits
    for end in tracklets:
        later = bisect.bisect_right(start_times, end.last_seen)
        soon = bisect.bisect_right(start_times, end.last_seen + config.max_gap_s)
        for start in starts[later:soon]:
            if _fits(end, start, config):
                candidates[end.visit_id].append(start.visit_id)
                claimed[start.visit_id].append(end.visit_id)
    continues = {fit[0]: end for end, fit in candidates.items() if len(fit) == 1 and len(claimed[fit[0]]) == 1}
    roots = {}
    for visit_id in continues:
        root = visit_id
        while root in continues:
            root = continues[root]
        roots[visit_id] = root
    return roots


JOIN_TOLERANCE_S = 0.5  # a stay that ended this close to its tracklet's end was interrupted by the gap, not left


def stitched(
    events: list[Event], plan: dict[int, int], tracklets: list[Tracklet], geometry: SceneGeometry,
    frame_size: tuple[int, int], dead_band: float,
) -> list[Event]:  # fmt: skip
    """The first pass's events rewritten by `plan` (stitch_plan): one visit per person, a zone stay interrupted
    by the gap joined into one, and a counting line passed while hidden counted when the person reappears."""
    if not plan:
        return events
    stitched_ids = plan.keys() | plan.values()
    parts: dict[int, list[VisitEnded]] = {}
    for event in events:
        if isinstance(event, VisitEnded) and event.track_id in stitched_ids:
            parts.setdefault(plan.get(event.track_id, event.track_id), []).append(event)
    by_id = {t.visit_id: t for t in tracklets}
    out: list[Event] = []
    for event in events:
        person = plan.get(event.track_id, event.track_id)
        if person in parts and isinstance(event, VisitEnded | ZoneEntered | ZoneExited):
            continue  # rebuilt below from the person's parts
        if isinstance(event, VisitStarted) and person != event.track_id:
            continue  # the person started with their first part
        out.append(event if person == event.track_id else dataclasses.replace(event, track_id=person))
    for person, visits in parts.items():
        visits.sort(key=lambda v: v.first_seen)
        joined = _one_visit(person, visits)
        for stay in joined.zone_visits:
            out.append(ZoneEntered(person, stay.entered_at, stay.zone))
            out.append(ZoneExited(person, stay.exited_at, stay.zone, stay.entered_at))
        out.append(joined)
        for before, after in itertools.pairwise(visits):
            out += _hidden_crossings(person, by_id[before.track_id], by_id[after.track_id], after.first_seen,
                                     geometry, frame_size, dead_band)  # fmt: skip
    return sorted(out, key=lambda e: e.at)


def _one_visit(person: int, visits: list[VisitEnded]) -> VisitEnded:
    """The person's visit from its parts (in time order): first seen to last seen, stays joined across gaps, the
    trajectory on the first part's clock, and the face and engagement of the longest part that has them."""
    first = visits[0].first_seen
    stays: list[ZoneVisit] = []
    for index, visit in enumerate(visits):
        for stay in visit.zone_visits:
            previous = stays[-1] if stays else None
            if (
                previous is not None and index > 0 and previous.zone == stay.zone
                and _at_edge(previous.exited_at, visits[index - 1].at) and _at_edge(stay.entered_at, visit.first_seen)
            ):  # fmt: skip
                stays[-1] = ZoneVisit(stay.zone, previous.entered_at, stay.exited_at)
            else:
                stays.append(stay)
    trajectory = tuple(
        (round(t + (visit.first_seen - first).total_seconds(), 2), x, y)
        for visit in visits
        for t, x, y in visit.trajectory
    )
    longest = sorted(visits, key=lambda v: v.duration_seconds, reverse=True)
    face = next((v for v in longest if v.face_embedding is not None or v.demographics is not None), None)
    return VisitEnded(
        person, max(v.at for v in visits), first_seen=first, zone_visits=tuple(sorted(stays, key=lambda s: s.exited_at)),
        trajectory=trajectory, demographics=face.demographics if face else None,
        engagement=next((v.engagement for v in longest if v.engagement is not None), None),
        face_embedding=face.face_embedding if face else None, face_model=face.face_model if face else None,
    )  # fmt: skip


def _at_edge(moment: datetime, edge: datetime) -> bool:
    return abs((moment - edge).total_seconds()) <= JOIN_TOLERANCE_S


def _hidden_crossings(
    person: int, before: Tracklet, after: Tracklet, at: datetime, geometry: SceneGeometry,
    frame_size: tuple[int, int], dead_band: float,
) -> list[LineCrossed]:  # fmt: skip
    """The lines the person passed while hidden: vanished on one side, reappeared on the other."""
    a, b = feet(before.last_box, frame_size), feet(after.first_box, frame_size)
    crossings = []
    for line in geometry.lines:
        side_a, side_b = line.side(a, dead_band), line.side(b, dead_band)
        if side_a and side_b and side_a != side_b and line.is_crossed_by(a, b):
            crossings.append(LineCrossed(person, at, line.name, "in" if side_b == line.in_side else "out"))
    return crossings
