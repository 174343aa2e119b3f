"""Store-like footage made from a MOTChallenge clip, for accuracy benchmarks and regression tests.

A store camera hangs high and sees people 40-120 px tall; the shared clips were filmed near eye level. A
store-like version scales each frame down and lays it out `rows x cols` times on one canvas (every other cell
mirrored, so neighbours do not look identical), with the ground truth scaled and placed alike: each cell's
people get ids of their own (cell number x CELL_ID_STRIDE + the original id). With the defaults (0.4, 3x3) a
640x480 clip becomes 768x576 footage with people 50-90 px tall and several dozen of them in view at once.
"""

from __future__ import annotations

import configparser
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from vision.sources import VIDEO_SUFFIXES, ImageFolderSource, VideoFileSource

CELL_ID_STRIDE = 1000


def sequence_source(sequence: Path) -> VideoFileSource | ImageFolderSource:
    """A MOTChallenge sequence folder's frames: its one video file, or its img1/ images."""
    videos = [p for p in sequence.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES]
    if len(videos) == 1:
        return VideoFileSource(videos[0])
    if (sequence / "img1").is_dir():
        return ImageFolderSource(sequence / "img1")
    raise FileNotFoundError(f"{sequence} has neither one video file nor an img1/ folder.")


def _cells(rows: int, cols: int, width: int, height: int) -> Iterator[tuple[int, int, int, bool]]:
    """(cell number, left, top, mirrored) of each cell of a canvas of cells `width` x `height`."""
    for row in range(rows):
        for col in range(cols):
            yield row * cols + col, col * width, row * height, (row + col) % 2 == 1


def store_frame(image: np.ndarray, scale: float, rows: int, cols: int) -> np.ndarray:
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    height, width = small.shape[:2]
    canvas = np.empty((height * rows, width * cols, 3), dtype=image.dtype)
    mirrored = small[:, ::-1]
    for _, left, top, flip in _cells(rows, cols, width, height):
        canvas[top : top + height, left : left + width] = mirrored if flip else small
    return canvas


def store_ground_truth(rows_text: str, frame_size: tuple[int, int], scale: float, rows: int, cols: int) -> str:
    """MOTChallenge ground-truth rows placed as `store_frame` places the pixels (other columns kept)."""
    width, height = round(frame_size[0] * scale), round(frame_size[1] * scale)
    out = []
    for line in rows_text.splitlines():
        fields = line.split(",")
        if len(fields) < 6:
            continue
        track, x, y, w, h = int(float(fields[1])), *(float(v) * scale for v in fields[2:6])
        for cell, left, top, flip in _cells(rows, cols, width, height):
            cx = left + (width - x - w if flip else x)
            out.append(",".join([fields[0], str(cell * CELL_ID_STRIDE + track), f"{cx:.2f}", f"{top + y:.2f}",
                                 f"{w:.2f}", f"{h:.2f}", *fields[6:]]))  # fmt: skip
    return "\n".join(out) + "\n"


def store_sequence_write(sequence: Path, out: Path, scale: float = 0.4, rows: int = 3, cols: int = 3) -> Path:
    """Write the store-like version of `sequence` to `out` (an MP4, seqinfo.ini and gt/gt.txt); returns `out`."""
    source = sequence_source(sequence)
    info = source.info
    out.mkdir(parents=True, exist_ok=True)
    writer = None
    try:
        for frame in source.frames():
            image = store_frame(frame.image, scale, rows, cols)
            if writer is None:
                writer = cv2.VideoWriter(
                    str(out / f"{out.name}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), info.fps, image.shape[1::-1]
                )
            writer.write(image)
    finally:
        if writer is not None:
            writer.release()
    (out / "gt").mkdir(exist_ok=True)
    gt = (sequence / "gt" / "gt.txt").read_text()
    (out / "gt" / "gt.txt").write_text(store_ground_truth(gt, (info.width, info.height), scale, rows, cols))
    width, height = round(info.width * scale) * cols, round(info.height * scale) * rows
    ini = configparser.ConfigParser()
    ini.optionxform = str
    ini["Sequence"] = {"name": out.name, "frameRate": f"{info.fps:g}", "seqLength": str(info.frame_count or 0),
                       "imWidth": str(width), "imHeight": str(height)}  # fmt: skip
    with open(out / "seqinfo.ini", "w") as handle:
        ini.write(handle)
    return out
