"""Multi-object tracking with Ultralytics' ByteTrack / BoT-SORT, behind a small interface.

The tuned configuration lives in `vision/trackers/retail.yaml`; see docs/benchmarks.md for how it was
chosen. Tracking ids here are the tracker's; the pipeline links ids that break and re-form into one
visitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from vision.detection import Box, Detection

DEFAULT_TRACKER_CONFIG = Path(__file__).parent / "trackers" / "retail.yaml"


@dataclass(frozen=True, eq=False)
class TrackedPerson:
    track_id: int
    box: Box
    score: float
    keypoints: np.ndarray | None


class PersonTracker(Protocol):
    def update(self, detections: list[Detection], image: np.ndarray) -> list[TrackedPerson]: ...


class UltralyticsTracker:
    def __init__(self, config_path: Path = DEFAULT_TRACKER_CONFIG):
        from ultralytics.trackers.track import TRACKER_MAP
        from ultralytics.utils import YAML, IterableSimpleNamespace

        args = IterableSimpleNamespace(**YAML.load(config_path))
        self._tracker = TRACKER_MAP[args.tracker_type](args=args)

    def update(self, detections: list[Detection], image: np.ndarray) -> list[TrackedPerson]:
        from ultralytics.engine.results import Boxes

        data = np.array([[*d.box, d.score, 0] for d in detections], dtype=np.float32).reshape(-1, 6)
        rows = self._tracker.update(Boxes(data, image.shape[:2]), image)
        return [
            TrackedPerson(int(row[4]), tuple(map(float, row[:4])), float(row[5]), detections[int(row[7])].keypoints)
            for row in rows
        ]
