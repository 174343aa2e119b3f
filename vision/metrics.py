"""Tracking accuracy against MOTChallenge ground truth: MOTA, IDF1, HOTA, ID switches, person counts.

The metrics are TrackEval's own implementations (the reference code of the MOTChallenge benchmark), fed
with IoU similarities per frame. Ground truth keeps rows with `consider == 1` and class 1 (pedestrians);
only the frames that were analysed are scored, so tracking at 8 frames per second is judged on those frames.
"""

from __future__ import annotations

import contextlib
import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MotBoxes = dict[int, list[tuple[int, float, float, float, float]]]  # frame (1-based) -> [(id, x, y, w, h)]


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


def evaluate(ground_truth: MotBoxes, tracked: MotBoxes, frames: list[int]) -> TrackingScores:
    """Score `tracked` against `ground_truth` on the given (1-based) frames."""
    with contextlib.redirect_stdout(io.StringIO()):  # TrackEval announces optional dependencies it lacks
        from trackeval.metrics import CLEAR, HOTA, Identity

    gt_ids = sorted({i for f in frames for i, *_ in ground_truth.get(f, [])})
    tr_ids = sorted({i for f in frames for i, *_ in tracked.get(f, [])})
    gt_index, tr_index = {v: n for n, v in enumerate(gt_ids)}, {v: n for n, v in enumerate(tr_ids)}
    data = {"gt_ids": [], "tracker_ids": [], "similarity_scores": [], "num_timesteps": len(frames),
            "num_gt_ids": len(gt_ids), "num_tracker_ids": len(tr_ids), "num_gt_dets": 0, "num_tracker_dets": 0}  # fmt: skip
    for frame in frames:
        gt = ground_truth.get(frame, [])
        tr = tracked.get(frame, [])
        data["gt_ids"].append(np.array([gt_index[i] for i, *_ in gt], dtype=int))
        data["tracker_ids"].append(np.array([tr_index[i] for i, *_ in tr], dtype=int))
        data["similarity_scores"].append(
            _iou(np.array([b for _, *b in gt]).reshape(-1, 4), np.array([b for _, *b in tr]).reshape(-1, 4))
        )
        data["num_gt_dets"] += len(gt)
        data["num_tracker_dets"] += len(tr)
    quiet = {"PRINT_CONFIG": False}
    clear = CLEAR(quiet).eval_sequence(data)
    identity = Identity(quiet).eval_sequence(data)
    hota = HOTA(quiet).eval_sequence(data)
    return TrackingScores(
        mota=float(clear["MOTA"]), idf1=float(identity["IDF1"]), hota=float(np.mean(hota["HOTA"])),
        id_switches=int(clear["IDSW"]), recall=float(clear["CLR_Re"]), precision=float(clear["CLR_Pr"]),
        persons_gt=len(gt_ids), persons_found=len(tr_ids),
    )  # fmt: skip
