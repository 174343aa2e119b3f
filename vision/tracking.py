"""People detection, pose and tracking in one pass, behind a small interface.

`UltralyticsPersonTracker` runs an Ultralytics model's own `track()`: YOLO11n-pose gives person boxes and
17 COCO keypoints together, and the tracker (a YAML in `vision/trackers/`, see docs/benchmarks.md for how
it was chosen) associates them over frames. Trackers such as TrackTrack and BoT-SORT with native ReID use
the detector's internals (raw predictions, features), which is why detection and tracking run in one call.
Any Ultralytics model works: a plain detector gives boxes only, and `pose_weights` adds a separate pose
model whose keypoints are matched to the tracked boxes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from vision.weights import ModelStore, openvino_full_precision

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in pixels


def feet_px(box: Box) -> tuple[float, float]:
    """Where a person stands: the bottom centre of their box, in pixels."""
    return (box[0] + box[2]) / 2, box[3]


def feet(box: Box, frame_size: tuple[int, int]) -> tuple[float, float]:
    """Where a person stands as zones and lines are drawn: `feet_px` over the frame's size, clamped to 0..1."""
    x, y = feet_px(box)
    return min(1.0, max(0.0, x / frame_size[0])), min(1.0, max(0.0, y / frame_size[1]))


PERSON = 0  # COCO class id
TRACKERS_DIR = Path(__file__).parent / "trackers"


@dataclass(frozen=True, eq=False)
class TrackedPerson:
    track_id: int
    box: Box
    score: float
    keypoints: np.ndarray | None  # (17, 3): x, y in pixels and confidence


class PersonTracker(Protocol):
    def reset(self) -> None:
        """Forget all tracks: the next frame starts a new video."""

    def track(self, image: np.ndarray) -> list[TrackedPerson]: ...

    def calibrate(self, images: list[np.ndarray]) -> None:
        """See the first frames of a video before tracking it (vision.scale.AutoScaledTracker picks its input
        size from them; a tracker of a fixed size has nothing to do)."""

    def detect(self, image: np.ndarray) -> list[tuple[Box, float]]:
        """The people in one frame with their scores, untracked (measuring, not counting)."""

    def warm_up(self, image: np.ndarray) -> None:
        """Load and compile the model before the clock starts (seconds on the first call)."""


@dataclass(frozen=True)
class TrackerConfig:
    weights: str = "yolo11n-pose.pt"  # a file in the model folder, or a path
    pose_weights: str | None = None  # a separate pose model when `weights` is a plain detector
    tracker: str = "retail.yaml"  # in vision/trackers/, or a path
    backend: str = "openvino"  # "openvino" | "onnx" | "pytorch"
    conf: float = 0.1  # low-score detections feed the trackers' second association stage
    iou: float = 0.7
    device: str = "cpu"


class UltralyticsPersonTracker:
    """Keeps the tracks of one video at a time; `reset()` before the next, which reuses the loaded model."""

    def __init__(self, config: TrackerConfig, shape: tuple[int, int], store: ModelStore):
        """`shape`: the network input (height, width), see vision.scale."""
        from ultralytics import YOLO

        self.config, self.shape = config, shape
        if config.backend == "openvino":
            openvino_full_precision()
        weights = store.model(config.weights, config.backend, self.shape)
        self.model = YOLO(weights, task="pose" if "pose" in Path(config.weights).stem else "detect")
        self.pose_model = (
            YOLO(store.model(config.pose_weights, config.backend, self.shape), task="pose")
            if config.pose_weights
            else None
        )
        tracker = Path(config.tracker)
        self.tracker_path = str(tracker if tracker.is_absolute() else TRACKERS_DIR / tracker)
        self._started = False

    def _options(self) -> dict:
        c = self.config
        return dict(imgsz=list(self.shape), conf=c.conf, iou=c.iou, classes=[PERSON], device=c.device, verbose=False)

    def warm_up(self, image: np.ndarray) -> None:
        self.model.predict(image, **self._options())

    def detect(self, image: np.ndarray) -> list[tuple[Box, float]]:
        boxes = self.model.predict(image, **self._options())[0].boxes
        return [
            (tuple(map(float, box)), float(score))
            for box, score in zip(boxes.xyxy.tolist(), boxes.conf.tolist(), strict=True)
        ]

    def reset(self) -> None:
        self._started = False

    def calibrate(self, images: list[np.ndarray]) -> None:
        pass

    def track(self, image: np.ndarray) -> list[TrackedPerson]:
        # the first call after a reset starts fresh tracks; later calls continue them
        result = self.model.track(image, persist=self._started, tracker=self.tracker_path, **self._options())[0]
        self._started = True
        if result.boxes.id is None:
            return []
        boxes = result.boxes.xyxy.cpu().numpy()
        keypoints = result.keypoints.data.cpu().numpy() if result.keypoints is not None else None
        if keypoints is None and self.pose_model is not None:
            pose = self.pose_model.predict(image, **self._options())[0]
            keypoints = _match_keypoints(boxes, pose.boxes.xyxy.cpu().numpy(), pose.keypoints.data.cpu().numpy())
        return [
            TrackedPerson(
                int(track_id), tuple(map(float, box)), float(score), None if keypoints is None else keypoints[i]
            )
            for i, (track_id, box, score) in enumerate(
                zip(result.boxes.id.int().tolist(), boxes, result.boxes.conf.tolist(), strict=True)
            )
        ]


TRACKER_FOR_SMALL_PEOPLE = {False: "retail.yaml", True: "small-people.yaml"}


def tracker_factory(
    config: TrackerConfig, store: ModelStore
) -> Callable[[tuple[int, int], bool], UltralyticsPersonTracker]:
    """Trackers by input size and people size (vision.scale), each loaded once: loading and compiling a model
    takes seconds, and a worker meets a few sizes only."""

    @lru_cache(maxsize=8)
    def tracker(shape: tuple[int, int], small_people: bool) -> UltralyticsPersonTracker:
        return UltralyticsPersonTracker(replace(config, tracker=TRACKER_FOR_SMALL_PEOPLE[small_people]), shape, store)

    return tracker


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of (N, 4) and (M, 4) xyxy boxes."""
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-9)


def _match_keypoints(boxes: np.ndarray, pose_boxes: np.ndarray, pose_keypoints: np.ndarray) -> np.ndarray:
    """Give each tracked box the keypoints of the pose box that overlaps it most (IoU >= 0.5), else zeros."""
    matched = np.zeros((len(boxes), 17, 3), dtype=np.float32)
    if len(boxes) and len(pose_boxes):
        overlaps = _iou(boxes, pose_boxes)
        for i, j in enumerate(overlaps.argmax(axis=1)):
            if overlaps[i, j] >= 0.5:
                matched[i] = pose_keypoints[j]
    return matched
