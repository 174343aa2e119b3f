"""Per-camera zones and counting lines: the feet of tracked people, frame by frame, turned into events.

Coordinates are normalised image coordinates (0..1, x right, y down) of a person's feet. The engine only sees
the analysed frames: its hysteresis counts those frames and its times are their footage times.

An event is emitted once it is certain, so its `at` can precede the frame that confirmed it (a zone entry is
dated at the first of its `min_frames_enter` frames, an exit at the last frame inside). Events returned by
one call are in time order; an event can be dated before one returned by an earlier call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from vision.events import (
    Event,
    LineCrossed,
    QueueAbandoned,
    QueueJoined,
    QueueServed,
    ZoneEntered,
    ZoneExited,
    ZoneVisit,
)

Point = tuple[float, float]

ZONE_KINDS = ("area", "queue", "checkout", "entrance")
LINE_SIDES = ("left", "right")
_ON_EDGE_TOLERANCE = 1e-12


def _cross(origin: Point, a: Point, b: Point) -> float:
    """z of (a - origin) x (b - origin)."""
    return (a[0] - origin[0]) * (b[1] - origin[1]) - (a[1] - origin[1]) * (b[0] - origin[0])


def _on_segment(point: Point, a: Point, b: Point) -> bool:
    return (
        abs(_cross(a, b, point)) <= _ON_EDGE_TOLERANCE
        and min(a[0], b[0]) <= point[0] <= max(a[0], b[0])
        and min(a[1], b[1]) <= point[1] <= max(a[1], b[1])
    )


@dataclass(frozen=True)
class Zone:
    """An area of the image: a person is in it when their feet are."""

    name: str
    kind: str  # one of ZONE_KINDS
    polygon: tuple[Point, ...]

    def __post_init__(self) -> None:
        if self.kind not in ZONE_KINDS:
            raise ValueError(f"zone {self.name!r}: kind {self.kind!r} is not one of {ZONE_KINDS}")
        if len(self.polygon) < 3:
            raise ValueError(f"zone {self.name!r}: a polygon needs at least 3 points")

    def contains(self, point: Point) -> bool:
        """Even-odd ray casting. A point exactly on an edge or a vertex counts as inside."""
        x, y = point
        inside = False
        for a, b in zip(self.polygon, self.polygon[1:] + self.polygon[:1], strict=True):
            if _on_segment(point, a, b):
                return True
            if (a[1] > y) != (b[1] > y) and x < a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]):
                inside = not inside
        return inside


@dataclass(frozen=True)
class Line:
    """A counting line; crossing it onto `in_side` is coming in, the other way is going out.

    Sides are as seen on the screen by someone walking from `start` to `end`. Because y points down, this is
    the mirror of the usual maths convention: walking down the screen, from (0.5, 0) to (0.5, 1), the walker's
    left is the screen's right (x > 0.5); walking right along y = 0.5, the left is the top (y < 0.5).
    """

    name: str
    start: Point
    end: Point
    in_side: str  # one of LINE_SIDES

    def __post_init__(self) -> None:
        if self.in_side not in LINE_SIDES:
            raise ValueError(f"line {self.name!r}: in_side {self.in_side!r} is not one of {LINE_SIDES}")
        if self.start == self.end:
            raise ValueError(f"line {self.name!r}: start and end are the same point")

    def side(self, point: Point, dead_band: float) -> str | None:
        """ "left", "right", or None within `dead_band` (normalised distance) of the line's infinite extension."""
        cross = _cross(self.start, self.end, point)
        length = ((self.end[0] - self.start[0]) ** 2 + (self.end[1] - self.start[1]) ** 2) ** 0.5
        if abs(cross) / length <= dead_band:
            return None
        return "left" if cross < 0 else "right"  # y down: a negative cross product is on the walker's left

    def is_crossed_by(self, a: Point, b: Point) -> bool:
        """Whether the move a -> b, between points on opposite sides of the line, passes through the segment."""
        return _cross(a, b, self.start) * _cross(a, b, self.end) <= 0


@dataclass(frozen=True)
class SceneGeometry:
    zones: tuple[Zone, ...] = ()
    lines: tuple[Line, ...] = ()

    def __post_init__(self) -> None:
        for kind, names in (("zone", [z.name for z in self.zones]), ("line", [ln.name for ln in self.lines])):
            if len(set(names)) != len(names):
                raise ValueError(f"{kind} names must be unique within a camera: {names}")


@dataclass(frozen=True)
class GeometryConfig:
    min_frames_enter: int = 3  # consecutive analysed frames inside before a zone entry counts
    min_frames_exit: int = 3  # consecutive analysed frames outside before an exit counts
    line_dead_band: float = 0.01  # normalised distance from a line within which a point has no side (jitter)
    queue_serve_grace_s: float = 15.0  # after leaving a queue, how long reaching a checkout still counts as served


@dataclass
class _ZoneState:
    """Hysteresis of one track in one zone."""

    inside: bool = False
    streak: int = 0  # consecutive frames contradicting `inside`
    streak_started: datetime | None = None
    entered_at: datetime | None = None
    last_inside: datetime | None = None

    def observe(self, inside_now: bool, at: datetime, config: GeometryConfig) -> bool:
        """Take one frame; True when it confirms an entry or an exit."""
        if inside_now:
            self.last_inside = at
        if inside_now == self.inside:
            self.streak = 0
            return False
        if self.streak == 0:
            self.streak_started = at
        self.streak += 1
        if self.streak < (config.min_frames_enter if inside_now else config.min_frames_exit):
            return False
        self.inside, self.streak = inside_now, 0
        if inside_now:
            self.entered_at = self.streak_started
        return True

    @property
    def transition_time(self) -> datetime:
        """When the transition just confirmed happened: the entry time, or the last time inside."""
        return self.entered_at if self.inside else self.last_inside

    def entry_pending_since(self, deadline: datetime) -> bool:
        """An entry streak, not yet confirmed, that started by `deadline`."""
        return not self.inside and self.streak > 0 and self.streak_started <= deadline


@dataclass
class _QueueEpisode:
    zone: str
    joined_at: datetime
    left_at: datetime | None = None  # None while in a queue zone


@dataclass
class _TrackState:
    zones: dict[str, _ZoneState]
    line_sides: dict[str, tuple[str, Point]] = field(default_factory=dict)  # line -> last side and point on it
    visits: list[ZoneVisit] = field(default_factory=list)
    queue: _QueueEpisode | None = None


class GeometryEngine:
    """Zone visits, line crossings and queue episodes of the tracks of one camera.

    Queues: entering a "queue" zone joins (QueueJoined at the entry time). Entering a "checkout" zone while
    still in a queue zone, or within `queue_serve_grace_s` of leaving the last one, serves the episode
    (QueueServed at the checkout entry time). Otherwise the episode is abandoned (QueueAbandoned dated when the
    queue was left), reported by the first update or end_track past the grace period, or when the track ends.
    Coming back to a queue zone within the grace period continues the episode; joining after it was settled
    starts a new one. Overlapping queue zones make one episode, named after the zone joined first.
    """

    def __init__(self, geometry: SceneGeometry, config: GeometryConfig = GeometryConfig()) -> None:
        self._geometry = geometry
        self._config = config
        self._grace = timedelta(seconds=config.queue_serve_grace_s)
        self._queue_zones = tuple(z.name for z in geometry.zones if z.kind == "queue")
        self._waiting_zones = tuple(z.name for z in geometry.zones if z.kind in ("queue", "checkout"))
        self._tracks: dict[int, _TrackState] = {}
        self._ended_visits: dict[int, tuple[ZoneVisit, ...]] = {}
        self._now: datetime | None = None

    def update(self, at: datetime, positions: Mapping[int, Point]) -> list[Event]:
        """One analysed frame: the feet of the tracks seen in it.

        Tracks absent from this frame keep their state (a short detection gap is not an exit).
        """
        self._advance(at)
        events: list[Event] = []
        for track_id, point in positions.items():
            track = self._tracks.get(track_id)
            if track is None:
                track = self._tracks[track_id] = _TrackState(zones={z.name: _ZoneState() for z in self._geometry.zones})
            changed = [
                z for z in self._geometry.zones if track.zones[z.name].observe(z.contains(point), at, self._config)
            ]
            events += self._transitions(track_id, track, changed)
            events += self._line_crossings(track_id, track, at, point)
        events += self._settle_expired_queues(at)
        return sorted(events, key=lambda event: event.at)

    def end_track(self, track_id: int, at: datetime) -> list[Event]:
        """The track is over (decided at `at`): close its open visits at their last inside time and abandon its
        unserved queue episode. Like `update`, also settles other tracks' queue episodes whose grace expired by
        `at`. The track's visits stay readable once through `zone_visits`."""
        self._advance(at)
        events = self._end(track_id) + self._settle_expired_queues(at)
        return sorted(events, key=lambda event: event.at)

    def finish(self, at: datetime) -> list[Event]:
        """End of footage at `at`: end every live track."""
        self._advance(at)
        events = self._settle_expired_queues(at)
        for track_id in list(self._tracks):
            events += self._end(track_id)
        return sorted(events, key=lambda event: event.at)

    def zone_visits(self, track_id: int) -> tuple[ZoneVisit, ...]:
        """Closed zone visits of a track, in exit order.

        For a live track: the visits so far. For an ended track: all of them, handed over once (read them right
        after end_track or finish to build the track's summary), so memory stays bounded over long footage.
        """
        track = self._tracks.get(track_id)
        if track is not None:
            return tuple(track.visits)
        return self._ended_visits.pop(track_id, ())

    def _advance(self, at: datetime) -> None:
        if self._now is not None and at < self._now:
            raise ValueError(f"footage time went backwards: {at} after {self._now}")
        self._now = at

    def _end(self, track_id: int) -> list[Event]:
        track = self._tracks.pop(track_id, None)
        if track is None:
            return []
        still_inside = [z for z in self._geometry.zones if track.zones[z.name].inside]
        for zone in still_inside:
            track.zones[zone.name].inside = False
        events = self._transitions(track_id, track, still_inside)
        if track.queue is not None:  # closing its queue zones above has set left_at
            events.append(self._abandoned(track_id, track))
        self._ended_visits[track_id] = tuple(track.visits)
        return events

    def _transitions(self, track_id: int, track: _TrackState, changed: list[Zone]) -> list[Event]:
        """Events of zone entries and exits just confirmed (or forced by the track's end), in time order."""
        events: list[Event] = []
        for zone in sorted(changed, key=lambda z: track.zones[z.name].transition_time):
            state = track.zones[zone.name]
            if state.inside:
                events.append(ZoneEntered(track_id, at=state.entered_at, zone=zone.name))
                if zone.kind == "queue":
                    events += self._join_queue(track_id, track, zone.name, state.entered_at)
                elif zone.kind == "checkout":
                    events += self._reach_checkout(track_id, track, zone.name, state.entered_at)
                continue
            visit = ZoneVisit(zone.name, state.entered_at, state.last_inside)
            track.visits.append(visit)
            events.append(ZoneExited(track_id, at=visit.exited_at, zone=zone.name, entered_at=visit.entered_at))
            if zone.kind == "queue" and track.queue is not None and not self._in_queue(track):
                track.queue.left_at = visit.exited_at
        return events

    def _in_queue(self, track: _TrackState) -> bool:
        return any(track.zones[name].inside for name in self._queue_zones)

    def _grace_expired(self, episode: _QueueEpisode, at: datetime) -> bool:
        return episode.left_at is not None and at > episode.left_at + self._grace

    def _join_queue(self, track_id: int, track: _TrackState, zone: str, at: datetime) -> list[Event]:
        events: list[Event] = []
        if track.queue is not None and self._grace_expired(track.queue, at):
            events.append(self._abandoned(track_id, track))
        if track.queue is None:
            track.queue = _QueueEpisode(zone, joined_at=at)
            events.append(QueueJoined(track_id, at=at, zone=zone))
        else:
            track.queue.left_at = None
        return events

    def _reach_checkout(self, track_id: int, track: _TrackState, checkout: str, at: datetime) -> list[Event]:
        episode = track.queue
        if episode is None or self._grace_expired(episode, at):
            return []
        track.queue = None
        return [QueueServed(track_id, at=at, zone=episode.zone, checkout_zone=checkout, joined_at=episode.joined_at)]

    def _abandoned(self, track_id: int, track: _TrackState) -> QueueAbandoned:
        episode, track.queue = track.queue, None
        return QueueAbandoned(track_id, at=episode.left_at, zone=episode.zone, joined_at=episode.joined_at)

    def _settle_expired_queues(self, now: datetime) -> list[Event]:
        """Abandon episodes whose grace has passed, unless a queue or checkout entry begun in time is pending."""
        events: list[Event] = []
        for track_id, track in self._tracks.items():
            episode = track.queue
            if episode is None or not self._grace_expired(episode, now):
                continue
            deadline = episode.left_at + self._grace
            if not any(track.zones[name].entry_pending_since(deadline) for name in self._waiting_zones):
                events.append(self._abandoned(track_id, track))
        return events

    def _line_crossings(self, track_id: int, track: _TrackState, at: datetime, point: Point) -> list[Event]:
        events: list[Event] = []
        for line in self._geometry.lines:
            side = line.side(point, self._config.line_dead_band)
            if side is None:
                continue
            previous = track.line_sides.get(line.name)
            track.line_sides[line.name] = (side, point)
            if previous is not None and previous[0] != side and line.is_crossed_by(previous[1], point):
                events.append(
                    LineCrossed(track_id, at=at, line=line.name, direction="in" if side == line.in_side else "out")
                )
        return events
