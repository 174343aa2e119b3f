"""The pipeline: frames in, typed events out.

Per analysed frame: detect and track people with their pose (one pass), link track ids that break and re-form
into one visitor, feed the visitors' feet to the zone/line/queue geometry, accumulate engagement from
pose, and try a face on the head region until one good face is found. When a visitor has been gone for
longer than the re-link gap, its visit ends with a summary (`VisitEnded`).
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np

from vision.appearance import appearance, unlike
from vision.engagement import EngagementAccumulator
from vision.events import Demographics, Event, VisitEnded, VisitStarted
from vision.geometry import GeometryConfig, GeometryEngine, SceneGeometry
from vision.scale import PROBE_FRAMES
from vision.sources import Frame
from vision.stitching import StitchConfig, Tracklet, stitch_plan, stitched
from vision.tracking import Box, PersonTracker, TrackedPerson, feet, feet_px

STAGES = ("decode", "detect_track", "faces", "geometry")


class FaceSampling(Protocol):
    """Per-track face policy (vision.faces.TrackFaceSampler): a few tries per track, one description."""

    def wants(self, track_id: int, at_seconds: float) -> bool: ...
    def offer(self, track_id: int, at_seconds: float, image: np.ndarray, person_box: Box) -> None: ...
    def finish(self, track_id: int) -> tuple[np.ndarray | None, Demographics | None, str | None]:
        """The best face's embedding, demographics and embedding model; forgets the track."""


@dataclass(frozen=True)
class PipelineConfig:
    min_visit_frames: int = 3  # analysed frames before a track counts as a visitor (drops flickers)
    relink_gap_s: float = 4.0  # a track that re-forms within this gap continues the same visit, if it
    relink_distance: float = 0.4  # ... re-appears within this many body heights of where it was heading
    relink_appearance: float = 0.6  # ... and looks alike (vision.appearance.unlike of clothing colours)
    appearance_memory: float = 0.7  # weight of the colours seen before against the latest frame's
    trajectory_interval_s: float = 1.0
    geometry: GeometryConfig = field(default_factory=GeometryConfig)
    stitch: StitchConfig = field(default_factory=StitchConfig)


@dataclass
class Progress:
    frames_done: int = 0
    video_seconds_done: float = 0.0
    visits: int = 0
    stage_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))


@dataclass
class _Visitor:
    visit_id: int
    first_seen: float
    last_seen: float
    first_box: Box
    last_box: Box
    frames: int = 0
    velocity: tuple[float, float] = (0.0, 0.0)  # feet, pixels per second
    start_velocity: tuple[float, float] = (0.0, 0.0)  # the velocity when confirmed: how it came in
    appearance: np.ndarray | None = None  # clothing colours, averaged over the frames seen
    confirmed: bool = False
    pending: list[Event] = field(default_factory=list)  # zone and line events seen before being confirmed
    trajectory: list[tuple[float, float, float]] = field(default_factory=list)
    engagement: EngagementAccumulator = field(default_factory=EngagementAccumulator)


class Pipeline:
    def __init__(
        self,
        tracker: PersonTracker,
        geometry: SceneGeometry,
        faces: FaceSampling | None = None,
        config: PipelineConfig = PipelineConfig(),
    ):
        self.tracker, self.faces, self.config = tracker, faces, config
        self.scene, self.geometry = geometry, GeometryEngine(geometry, config.geometry)
        self.progress = Progress()
        self.tracklets: list[Tracklet] | None = None  # the visits' ends, kept for a second pass (files only)
        self.stitches: dict[int, int] = {}  # after `stitched`: visit id -> the visit id it became
        self._visitors: dict[int, _Visitor] = {}  # by tracker id; several ids may share one visitor
        self._lost: dict[int, _Visitor] = {}  # visit id -> visitor not seen in the latest frame
        self._unconfirmed: dict[int, _Visitor] = {}  # visit id -> visitor not yet seen in min_visit_frames frames
        self._next_visit_id = 1

    def run(
        self,
        frames: Iterable[Frame],
        recording_start: datetime,
        frame_size: tuple[int, int],
        on_frame: Callable[[Progress], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_tracks: Callable[[Frame, list[tuple[int, Box]]], None] | None = None,
        second_pass: bool = False,
    ) -> Iterator[Event]:
        """Analyse `frames` (already sampled at the analysis rate); `recording_start` + pts is footage time.

        With `second_pass` (a file, not a live stream) the visits' tracklets are kept for `stitched`.

        `should_stop` is asked after every frame (cancellation, end of a live stream); visits still open
        are then ended at the last frame seen. `on_tracks` sees each frame's people as (visit id, box).
        """
        self._start, self._size, self._on_tracks = recording_start, frame_size, on_tracks
        self.tracklets = [] if second_pass else None
        self.tracker.reset()
        pts = 0.0
        with closing(_prefetched(frames, self.progress.stage_seconds)) as stream:
            for frame in self._calibrated(stream):
                pts = frame.pts
                yield from self._analyse(frame)
                self.progress.frames_done += 1
                self.progress.video_seconds_done = frame.pts
                if on_frame:
                    on_frame(self.progress)
                if should_stop and should_stop():
                    break
        yield from self._end_all(pts)

    def _calibrated(self, stream: Iterator[Frame]) -> Iterator[Frame]:
        """The stream, after the tracker has seen its first frames (an AutoScaledTracker picks its input size)."""
        clock = time.perf_counter()
        first = list(itertools.islice(stream, PROBE_FRAMES))
        if first:
            self.tracker.calibrate([frame.image for frame in first])
        self.progress.stage_seconds["detect_track"] += time.perf_counter() - clock
        return itertools.chain(first, stream)

    def stitched(self, events: list[Event]) -> list[Event]:
        """The second pass over a whole file (vision.stitching) on the events `run(second_pass=True)` gave: one
        visit per person where the first pass split one. `stitches` tells which visit ids were joined."""
        self.stitches = stitch_plan(self.tracklets, self.config.stitch)
        events = stitched(
            events, self.stitches, self.tracklets, self.scene, self._size, self.config.geometry.line_dead_band
        )
        self.progress.visits = sum(isinstance(event, VisitEnded) for event in events)
        return events

    def _at(self, seconds: float) -> datetime:
        return self._start + timedelta(seconds=seconds)

    def _analyse(self, frame: Frame) -> Iterator[Event]:
        stages = self.progress.stage_seconds
        self._image = frame.image
        started = time.perf_counter()
        tracked = self.tracker.track(frame.image)
        stages["detect_track"] += (clock := time.perf_counter()) - started

        positions, seen, boxes = {}, set(), []
        for person in sorted(tracked, key=lambda p: p.track_id not in self._visitors):  # known ids first
            visitor = self._visitor_for(person, frame.pts, seen)
            seen.add(visitor.visit_id)
            boxes.append((visitor.visit_id, person.box))
            self._follow(visitor, person.box, frame)
            visitor.frames += 1
            positions[visitor.visit_id] = stands = feet(person.box, self._size)
            if not visitor.confirmed and visitor.frames >= self.config.min_visit_frames:
                visitor.confirmed, visitor.start_velocity = True, visitor.velocity
                self._unconfirmed.pop(visitor.visit_id, None)
                self.progress.visits += 1
                yield VisitStarted(visitor.visit_id, self._at(visitor.first_seen))
                yield from visitor.pending
                visitor.pending.clear()
            self._observe(visitor, person, frame, stands)
            if not visitor.confirmed:
                self._unconfirmed[visitor.visit_id] = visitor
        stages["faces"] += (now := time.perf_counter()) - clock
        if self._on_tracks:
            self._on_tracks(frame, boxes)

        yield from self._released(self.geometry.update(self._at(frame.pts), positions))
        gone = [v for v in {id(v): v for v in self._visitors.values()}.values() if v.visit_id not in seen]
        for visitor in gone:
            self._lost[visitor.visit_id] = visitor
        for visit_id in seen:
            self._lost.pop(visit_id, None)
        for visitor in [v for v in self._lost.values() if frame.pts - v.last_seen > self.config.relink_gap_s]:
            yield from self._end(visitor, frame.pts)
        stages["geometry"] += time.perf_counter() - now

    def _observe(self, visitor: _Visitor, person: TrackedPerson, frame: Frame, stands: tuple[float, float]) -> None:
        since_first = frame.pts - visitor.first_seen
        if not visitor.trajectory or since_first - visitor.trajectory[-1][0] >= self.config.trajectory_interval_s:
            visitor.trajectory.append((round(since_first, 2), round(stands[0], 4), round(stands[1], 4)))
        visitor.engagement.add(self._at(frame.pts), person.box, person.keypoints)
        if self.faces and visitor.confirmed and self.faces.wants(visitor.visit_id, frame.pts):
            self.faces.offer(visitor.visit_id, frame.pts, frame.image, person.box)

    def _follow(self, visitor: _Visitor, box: Box, frame: Frame) -> None:
        elapsed = frame.pts - visitor.last_seen
        if elapsed > 0:
            (x, y), (lx, ly) = feet_px(box), feet_px(visitor.last_box)
            visitor.velocity = ((x - lx) / elapsed, (y - ly) / elapsed)
        visitor.last_seen, visitor.last_box = frame.pts, box
        if self.config.relink_gap_s > 0 and (looks := appearance(frame.image, box)) is not None:
            if visitor.appearance is None:
                visitor.appearance = looks
            else:
                memory = self.config.appearance_memory
                visitor.appearance = memory * visitor.appearance + (1 - memory) * looks

    def _visitor_for(self, person: TrackedPerson, pts: float, seen: set[int]) -> _Visitor:
        """The visitor of a tracker id: known, re-linked from a recently lost visit, or new.

        Two ids present in one frame are two people, even if one was linked to the other's visit before.
        """
        visitor = self._visitors.get(person.track_id)
        if visitor is None or visitor.visit_id in seen:
            visitor = self._relink(person, pts, seen)
            if visitor is None:
                visitor = _Visitor(self._next_visit_id, pts, pts, person.box, person.box)
                self._next_visit_id += 1
            self._visitors[person.track_id] = visitor
        return visitor

    def _relink(self, person: TrackedPerson, pts: float, seen: set[int]) -> _Visitor | None:
        """The recently lost visitor this new track most likely is: near where it was heading, of a similar
        size, dressed alike. None when no lost visitor qualifies or when two do (ambiguous)."""
        if not self._lost:
            return None
        height = person.box[3] - person.box[1]
        at_px = feet_px(person.box)
        looks = None
        candidates = []
        for visitor in self._lost.values():
            gap = pts - visitor.last_seen
            if gap > self.config.relink_gap_s or visitor.visit_id in seen:
                continue
            last_height = visitor.last_box[3] - visitor.last_box[1]
            if not 0.67 <= height / max(last_height, 1e-6) <= 1.5:
                continue
            lx, ly = feet_px(visitor.last_box)
            expected = (lx + visitor.velocity[0] * gap, ly + visitor.velocity[1] * gap)
            if np.hypot(at_px[0] - expected[0], at_px[1] - expected[1]) > self.config.relink_distance * max(
                height, last_height
            ):
                continue
            looks = appearance(self._image, person.box) if looks is None else looks
            if visitor.appearance is None or unlike(looks, visitor.appearance) > self.config.relink_appearance:
                continue
            candidates.append(visitor)
        if len(candidates) != 1:
            return None
        del self._lost[candidates[0].visit_id]
        return candidates[0]

    def _released(self, events: list[Event]) -> Iterator[Event]:
        """Geometry events of confirmed visitors; an unconfirmed visitor's wait until it is confirmed (its zone
        time and crossings count from its first frame) and are dropped if it never is (a flicker)."""
        for event in events:
            if (waiting := self._unconfirmed.get(event.track_id)) is not None:
                waiting.pending.append(event)
            else:
                yield event

    def _end(self, visitor: _Visitor, now: float) -> Iterator[Event]:
        self._lost.pop(visitor.visit_id, None)
        for track_id in [t for t, v in self._visitors.items() if v is visitor]:
            del self._visitors[track_id]
        yield from self._released(self.geometry.end_track(visitor.visit_id, self._at(now)))
        if not visitor.confirmed:
            self._unconfirmed.pop(visitor.visit_id, None)
            self.geometry.zone_visits(visitor.visit_id)  # handed over once: forgotten
            return
        if self.tracklets is not None:
            self.tracklets.append(
                Tracklet(visitor.visit_id, visitor.first_seen, visitor.last_seen, visitor.first_box,
                         visitor.last_box, visitor.start_velocity, visitor.velocity, visitor.appearance)
            )  # fmt: skip
        embedding, demographics, face_model = self.faces.finish(visitor.visit_id) if self.faces else (None, None, None)
        yield VisitEnded(
            visitor.visit_id,
            self._at(visitor.last_seen),
            first_seen=self._at(visitor.first_seen),
            zone_visits=self.geometry.zone_visits(visitor.visit_id),
            trajectory=tuple(visitor.trajectory),
            demographics=demographics,
            engagement=visitor.engagement.result(),
            face_embedding=None if embedding is None else tuple(float(v) for v in embedding),
            face_model=face_model,
        )

    def _end_all(self, pts: float) -> Iterator[Event]:
        for visitor in sorted({id(v): v for v in self._visitors.values()}.values(), key=lambda v: v.last_seen):
            yield from self._end(visitor, pts)
        yield from self._released(self.geometry.finish(self._at(pts)))


def _prefetched(frames: Iterable[Frame], stages: dict[str, float], depth: int = 4) -> Iterator[Frame]:
    """Decode the next frames in a thread while the current one is analysed (OpenCV releases the GIL)."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()
    failure: list[BaseException] = []

    def produce():
        iterator = iter(frames)
        try:
            while not stop.is_set():
                clock = time.perf_counter()
                frame = next(iterator, done)
                stages["decode"] += time.perf_counter() - clock
                buffer.put(frame)
                if frame is done:
                    return
        except BaseException as error:
            failure.append(error)
            buffer.put(done)

    thread = threading.Thread(target=produce, daemon=True, name="frame-decoder")
    thread.start()
    try:
        while (frame := buffer.get()) is not done:
            yield frame
        if failure:
            raise failure[0]
    finally:
        stop.set()
        while thread.is_alive():
            try:
                buffer.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)
