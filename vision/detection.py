"""Person detection with pose in one pass (an Ultralytics pose model), behind a small interface.

The default model, YOLO11n-pose, gives person boxes and 17 COCO keypoints together. Any Ultralytics model
works: a plain detector gives boxes only, and `pose_weights` adds a separate pose model whose keypoints
are matched to the detector's boxes.

On CPU, the model runs through OpenVINO (exported once from the `.pt` weights into a cache folder, for
the exact input size of the camera), several times faster than PyTorch on the same CPU; `backend="pytorch"`
runs the weights as they are (GPU workers).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in pixels
PERSON = 0  # COCO class id


@dataclass(frozen=True, eq=False)
class Detection:
    box: Box
    score: float
    keypoints: np.ndarray | None = None  # (17, 3): x, y in pixels and confidence


class PersonDetector(Protocol):
    def detect(self, image: np.ndarray) -> list[Detection]: ...


@dataclass(frozen=True)
class DetectorConfig:
    weights: str = "yolo11n-pose.pt"  # a file name in the model folder, or a path
    pose_weights: str | None = None  # a separate pose model when `weights` is a plain detector
    backend: str = "openvino"  # "openvino" | "onnx" | "pytorch"
    imgsz: int | None = None  # long side of the network input; None: the frame's, capped at `max_imgsz`
    max_imgsz: int = 1280
    conf: float = 0.25
    iou: float = 0.6
    device: str = "cpu"


def input_size(config: DetectorConfig, frame_width: int, frame_height: int) -> tuple[int, int]:
    """Network input (height, width): the frame's aspect, long side `imgsz`, both multiples of 32.

    Small, distant people (50-100 px on a 1080p camera) vanish when the frame is shrunk to 640, so by
    default the frame is analysed at up to `max_imgsz` on its long side.
    """
    long_side = config.imgsz or min(max(frame_width, frame_height), config.max_imgsz)
    scale = long_side / max(frame_width, frame_height)

    def to32(value: float) -> int:
        return max(32, round(value / 32) * 32)

    return to32(frame_height * scale), to32(frame_width * scale)


class _ModelCache:
    """Exports `.pt` weights to the backend's format once per input size, in a folder shared by workers."""

    def __init__(self, model_dir: Path, cache_dir: Path):
        self.model_dir, self.cache_dir = model_dir, cache_dir

    def weights_path(self, name: str) -> Path:
        path = Path(name)
        return path if path.is_absolute() else self.model_dir / name

    def model_for(self, name: str, backend: str, shape: tuple[int, int]) -> str:
        source = self.weights_path(name)
        if not source.exists():
            raise FileNotFoundError(f"Model weights {source} not found (set VISION_MODEL_DIR).")
        if backend == "pytorch" or source.suffix != ".pt":
            return str(source)
        suffix = {"openvino": "_openvino_model", "onnx": ".onnx"}[backend]
        folder = self.cache_dir / f"{source.stem}-{shape[0]}x{shape[1]}"
        exported = folder / f"{source.stem}{suffix}"
        if exported.exists():
            return str(exported)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one worker exports, the others wait and reuse
            if not exported.exists():
                from ultralytics import YOLO

                local = folder / source.name
                shutil.copyfile(source, local)
                YOLO(str(local)).export(format=backend, imgsz=list(shape), dynamic=False, half=False, verbose=False)
                local.unlink()
        return str(exported)


class UltralyticsPoseDetector:
    def __init__(self, config: DetectorConfig, frame_size: tuple[int, int], model_dir: Path, cache_dir: Path):
        from ultralytics import YOLO

        self.config = config
        self.shape = input_size(config, *frame_size)
        cache = _ModelCache(model_dir, cache_dir)
        self.model = YOLO(cache.model_for(config.weights, config.backend, self.shape), task=self._task(config.weights))
        self.pose_model = (
            YOLO(cache.model_for(config.pose_weights, config.backend, self.shape), task="pose")
            if config.pose_weights
            else None
        )

    @staticmethod
    def _task(weights: str) -> str:
        return "pose" if "pose" in Path(weights).stem else "detect"

    def _predict(self, model, image: np.ndarray):
        return model.predict(
            image, imgsz=list(self.shape), conf=self.config.conf, iou=self.config.iou, classes=[PERSON],
            device=self.config.device, verbose=False,
        )[0]  # fmt: skip

    def detect(self, image: np.ndarray) -> list[Detection]:
        result = self._predict(self.model, image)
        boxes = result.boxes.xyxy.cpu().numpy()
        scores = result.boxes.conf.cpu().numpy()
        keypoints = result.keypoints.data.cpu().numpy() if result.keypoints is not None else None
        if keypoints is None and self.pose_model is not None:
            pose = self._predict(self.pose_model, image)
            keypoints = _match_keypoints(boxes, pose.boxes.xyxy.cpu().numpy(), pose.keypoints.data.cpu().numpy())
        return [
            Detection(tuple(map(float, box)), float(score), None if keypoints is None else keypoints[i])
            for i, (box, score) in enumerate(zip(boxes, scores, strict=True))
        ]


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of (N, 4) and (M, 4) xyxy boxes."""
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-9)


def _match_keypoints(boxes: np.ndarray, pose_boxes: np.ndarray, pose_keypoints: np.ndarray) -> np.ndarray:
    """Give each detector box the keypoints of the pose box that overlaps it most (IoU >= 0.5), else none."""
    matched = np.zeros((len(boxes), 17, 3), dtype=np.float32)
    if len(boxes) and len(pose_boxes):
        overlaps = _iou(boxes, pose_boxes)
        for i, j in enumerate(overlaps.argmax(axis=1)):
            if overlaps[i, j] >= 0.5:
                matched[i] = pose_keypoints[j]
    return matched


def ultralytics_offline() -> None:
    """Keep Ultralytics from reaching the network or installing packages (models come from the model folder)."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    os.environ.setdefault("YOLO_VERBOSE", "false")
