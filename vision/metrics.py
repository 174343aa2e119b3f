"""Accuracy against MOTChallenge ground truth: tracking (MOTA, IDF1, HOTA, ID switches) and what a store reads.

The tracking metrics are TrackEval's own implementations (the reference code of the MOTChallenge benchmark),
fed with IoU similarities per frame. Ground truth keeps rows with `consider == 1` and class 1 (pedestrians);
only the frames that were analysed are scored, so tracking at 8 frames per second is judged on those frames.

The store's figures (line crossings, zone entrants and dwell, visitors: `SceneCounts`) of the ground truth
are counted by the product's own geometry engine from the true people's feet, so a count error is the
pipeline's (detection, tracking, re-linking), not a difference in how crossings or stays are defined.
"""

from __future__ import annotations

import contextlib
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from vision.events import Event, LineCrossed, VisitEnded, ZoneExited
from vision.geometry import GeometryConfig, GeometryEngine, Point, SceneGeometry
from vision.tracking import feet

MotBoxes = dict[int, list[tuple[int, float, float, float, float]]]  # frame (1-based) -> [(id, x, y, w, h)]
FramePositions = Mapping[int, Mapping[int, Point]]  # frame -> person id -> feet (normalised)


def load_mot(path: Path, ground_truth: bool = True) -> MotBoxes:
    """MOT16/17 rows `frame,id,x,y,w,h,consider,class,visibility` (9 columns) or MOT15 rows
    `frame,id,x,y,w,h,consider,wx,wy,wz` (10). Ground truth keeps the rows that count (consider 1) and, where
    there are classes (MOT16/17), pedestrians only (class 1)."""
    boxes: MotBoxes = defaultdict(list)
    for line in path.read_text().splitlines():
        fields = [float(v) for v in line.split(",") if v.strip()]
        if len(fields) < 6:
            continue
        if ground_truth and len(fields) >= 7 and fields[6] == 0:
            continue
        if ground_truth and len(fields) == 9 and fields[7] != 1:
            continue
        boxes[int(fields[0])].append((int(fields[1]), *fields[2:6]))
    return dict(boxes)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU between (N, 4) and (M, 4) boxes in x, y, w, h."""
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)))
    a2, b2 = a[:, :2] + a[:, 2:], b[:, :2] + b[:, 2:]
    inter = np.prod(np.clip(np.minimum(a2[:, None], b2[None]) - np.maximum(a[:, None, :2], b[None, :, :2]), 0, None), 2)
    union = np.prod(a[:, 2:], 1)[:, None] + np.prod(b[:, 2:], 1)[None] - inter
    return inter / np.maximum(union, 1e-9)


@dataclass(frozen=True)
class TrackingScores:
    mota: float
    idf1: float
    hota: float
    id_switches: int
    recall: float
    precision: float
    persons_gt: int
    persons_found: int
    splits: int  # a true person followed under more than one identity: each extra identity counts one
    merges: int  # an identity that followed more than one true person: each extra person counts one


SPLIT_MERGE_MIN_FRAMES = 2  # analysed frames a true person and an identity must share to count as matched


def _splits_and_merges(pairs: Mapping[tuple[int, int], int]) -> tuple[int, int]:
    """From the frames each (true person, identity) pair was matched in: the extra identities per person (splits)
    and the extra people per identity (merges), for pairs matched in at least SPLIT_MERGE_MIN_FRAMES frames."""
    identities, people = defaultdict(set), defaultdict(set)
    for (person, identity), count in pairs.items():
        if count >= SPLIT_MERGE_MIN_FRAMES:
            identities[person].add(identity)
            people[identity].add(person)
    return sum(len(v) - 1 for v in identities.values()), sum(len(v) - 1 for v in people.values())


def evaluate(ground_truth: MotBoxes, tracked: MotBoxes, frames: list[int]) -> TrackingScores:
    """Score `tracked` against `ground_truth` on the given (1-based) frames."""
    with contextlib.redirect_stdout(io.StringIO()):  # TrackEval announces optional dependencies it lacks
        from trackeval.metrics import CLEAR, HOTA, Identity

    gt_ids = sorted({i for f in frames for i, *_ in ground_truth.get(f, [])})
    tr_ids = sorted({i for f in frames for i, *_ in tracked.get(f, [])})
    gt_index, tr_index = {v: n for n, v in enumerate(gt_ids)}, {v: n for n, v in enumerate(tr_ids)}
    data = {"gt_ids": [], "tracker_ids": [], "similarity_scores": [], "num_timesteps": len(frames),
            "num_gt_ids": len(gt_ids), "num_tracker_ids": len(tr_ids), "num_gt_dets": 0, "num_tracker_dets": 0}  # fmt: skip
    pairs: dict[tuple[int, int], int] = defaultdict(int)  # (true person, identity) -> frames matched at IoU 0.5
    for frame in frames:
        gt = ground_truth.get(frame, [])
        tr = tracked.get(frame, [])
        data["gt_ids"].append(np.array([gt_index[i] for i, *_ in gt], dtype=int))
        data["tracker_ids"].append(np.array([tr_index[i] for i, *_ in tr], dtype=int))
        similarity = _iou(np.array([b for _, *b in gt]).reshape(-1, 4), np.array([b for _, *b in tr]).reshape(-1, 4))
        data["similarity_scores"].append(similarity)
        for row, col in zip(*linear_sum_assignment(-similarity), strict=True):
            if similarity[row, col] >= 0.5:
                pairs[(gt[row][0], tr[col][0])] += 1
        data["num_gt_dets"] += len(gt)
        data["num_tracker_dets"] += len(tr)
    quiet = {"PRINT_CONFIG": False}
    clear = CLEAR(quiet).eval_sequence(data)
    identity = Identity(quiet).eval_sequence(data)
    hota = HOTA(quiet).eval_sequence(data)
    splits, merges = _splits_and_merges(pairs)
    return TrackingScores(
        mota=float(clear["MOTA"]), idf1=float(identity["IDF1"]), hota=float(np.mean(hota["HOTA"])),
        id_switches=int(clear["IDSW"]), recall=float(clear["CLR_Re"]), precision=float(clear["CLR_Pr"]),
        persons_gt=len(gt_ids), persons_found=len(tr_ids), splits=splits, merges=merges,
    )  # fmt: skip


def people_per_frame_error(ground_truth: MotBoxes, people: Mapping[int, int]) -> tuple[float, float]:
    """Mean absolute error of the number of people per frame (`people`: 1-based frame -> count), and the mean
    true number, over the frames of `people`."""
    truth = np.array([len(ground_truth.get(frame, [])) for frame in people])
    counted = np.array(list(people.values()))
    return float(np.mean(np.abs(counted - truth))), float(np.mean(truth))


def people_present(events: Iterable[Event], frame_times: Mapping[int, datetime]) -> dict[int, int]:
    """The people present at each frame's time (frame -> count) as the product counts occupancy: visits open then,
    from first seen to last seen, so a visitor hidden for a moment between two sightings is still there."""
    spans = [(event.first_seen, event.at) for event in events if isinstance(event, VisitEnded)]
    return {frame: sum(start <= at <= end for start, end in spans) for frame, at in frame_times.items()}


@dataclass(frozen=True)
class SceneCounts:
    """What a store reads from one camera, per line or zone name: crossings each way, entrants (distinct people)
    and their total dwell; and the number of visitors."""

    line_in: dict[str, int]
    line_out: dict[str, int]
    zone_entrants: dict[str, int]
    zone_dwell_s: dict[str, float]
    visitors: int

    def figures(self) -> dict[str, float]:
        """Every figure by a flat name: `visitors`, `<field>.<name>` such as `line_in.door`, and the crossings of
        all lines each way (`line_in.all`, `line_out.all`) where there are several."""
        flat: dict[str, float] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, dict):
                flat.update({f"{item.name}.{name}": count for name, count in value.items()})
                if item.name.startswith("line_") and len(value) > 1:
                    flat[f"{item.name}.all"] = sum(value.values())
            else:
                flat[item.name] = value
        return flat


@dataclass(frozen=True)
class CountError:
    measured: float
    truth: float

    @property
    def error(self) -> float:
        """Signed: positive when the pipeline counted too many."""
        return self.measured - self.truth

    @property
    def relative_error(self) -> float | None:
        """The error as a share of the truth; None when the truth is 0."""
        return self.error / self.truth if self.truth else None


def count_errors(measured: SceneCounts, truth: SceneCounts) -> dict[str, CountError]:
    """Each figure of `measured` against the same figure of `truth`, by its flat name."""
    measured_figures = measured.figures()
    return {name: CountError(measured_figures[name], value) for name, value in truth.figures().items()}


def _tally(events: Iterable[Event], geometry: SceneGeometry, visitors: int) -> SceneCounts:
    """Counts of geometry events. Every zone stay ends in a ZoneExited (the engine closes open stays when a
    track ends), so the exits give both the entrants and the dwell."""
    line_in = {line.name: 0 for line in geometry.lines}
    line_out = dict(line_in)
    entrants: dict[str, set[int]] = {zone.name: set() for zone in geometry.zones}
    dwell = {zone.name: 0.0 for zone in geometry.zones}
    for event in events:
        if isinstance(event, LineCrossed):
            (line_in if event.direction == "in" else line_out)[event.line] += 1
        elif isinstance(event, ZoneExited):
            entrants[event.zone].add(event.track_id)
            dwell[event.zone] += event.dwell_seconds
    return SceneCounts(line_in, line_out, {name: len(ids) for name, ids in entrants.items()}, dwell, visitors)


def counts_from_events(events: Iterable[Event], geometry: SceneGeometry) -> SceneCounts:
    """The pipeline's counts from the events it emitted; its visitors are its ended visits."""
    events = list(events)
    return _tally(events, geometry, visitors=sum(isinstance(event, VisitEnded) for event in events))


def counts_from_positions(
    positions: FramePositions,
    times: Mapping[int, datetime],
    geometry: SceneGeometry,
    config: GeometryConfig | None = None,
) -> SceneCounts:
    """The counts the product's geometry makes of people at known positions (such as the ground truth's).

    `times` has every analysed frame's footage time; `positions` the people seen in each frame. A person
    missing from some frames keeps their state through the gap (as a briefly lost track does in the
    pipeline) and is ended after their last frame. Visitors are the distinct people. `config` defaults to
    the engine's own.
    """
    frames = sorted(times)
    last_frame = {person: frame for frame in frames for person in positions.get(frame, {})}
    ending: dict[int, list[int]] = defaultdict(list)
    for person, frame in last_frame.items():
        ending[frame].append(person)
    engine = GeometryEngine(geometry, config or GeometryConfig())
    events: list[Event] = []
    for frame in frames:
        events += engine.update(times[frame], positions.get(frame, {}))
        for person in ending[frame]:
            events += engine.end_track(person, times[frame])
    return _tally(events, geometry, visitors=len(last_frame))


def mot_feet(boxes: MotBoxes, frames: Iterable[int], frame_size: tuple[int, int]) -> dict[int, dict[int, Point]]:
    """The feet of each box on `frames` as the pipeline places a tracked person's (vision.tracking.feet)."""
    return {
        frame: {person: feet((x, y, x + w, y + h), frame_size) for person, x, y, w, h in boxes.get(frame, [])}
        for frame in frames
    }
