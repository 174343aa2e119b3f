"""Annotated review clips: the first minutes of a job's footage, drawn on (`vision.annotate`) and encoded as an MP4
that browsers play: H.264 (the libx264 that PyAV's wheels bundle), yuv420p, the index at the front (faststart).

Frames keep their footage times (the analysed frames of a 25 fps file are not evenly spaced), so the clip plays
at real speed. Pure Python; no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from vision.annotate import Tally, annotate
from vision.events import Event
from vision.geometry import SceneGeometry
from vision.sources import Frame
from vision.tracking import Box

MAX_WIDTH = 1280
TIME_BASE = Fraction(1, 1000)  # frame times in milliseconds
ENCODER_OPTIONS = {"crf": "28", "preset": "veryfast"}  # small files; the drawing stays sharp


@dataclass(frozen=True)
class ClipInfo:
    frames: int
    duration_seconds: float
    width: int
    height: int


def clip_size(frame_size: tuple[int, int], max_width: int = MAX_WIDTH) -> tuple[int, int]:
    """The clip's (width, height): the footage's, scaled down to `max_width`, both even (yuv420p halves them)."""
    width, height = frame_size
    scale = min(1.0, max_width / width)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


class H264Writer:
    """BGR frames at their times (seconds) into an H.264 MP4; frames must come in time order."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float):
        self.path, self.size, self.fps = path, size, fps
        self._container = av.open(str(path), "w", options={"movflags": "+faststart"})
        self._stream = self._container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1000),
                                                  options=ENCODER_OPTIONS)  # fmt: skip
        self._stream.width, self._stream.height = size
        self._stream.pix_fmt = "yuv420p"
        self._stream.codec_context.time_base = TIME_BASE
        self._first: float | None = None
        self._last_pts = -1
        self.frames = 0

    def write(self, image: np.ndarray, seconds: float) -> None:
        if self._first is None:
            self._first = seconds
        pts = round((seconds - self._first) / TIME_BASE)
        if pts <= self._last_pts:  # two frames in one millisecond: the container cannot tell them apart
            return
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        frame.pts, frame.time_base = pts, TIME_BASE
        self._container.mux(self._stream.encode(frame))
        self._last_pts = pts
        self.frames += 1

    def close(self) -> ClipInfo | None:
        """Finish the file; None when no frame was written (the file is then not a playable clip)."""
        if self._container is None:
            return self._info()
        self._container.mux(self._stream.encode(None))
        self._container.close()
        self._container = None
        return self._info()

    def _info(self) -> ClipInfo | None:
        if not self.frames:
            return None
        duration = self._last_pts * float(TIME_BASE) + 1 / self.fps  # the last frame shows for one frame interval
        return ClipInfo(self.frames, round(duration, 3), *self.size)


class ReviewClipRecorder:
    """The pipeline's `on_tracks` callback that draws and encodes the footage's first `seconds`.

    Pass the pipeline's events through `counted` so that the drawn counts follow them: a frame shows the counts
    of the events of the frames before it (the pipeline reports a frame's people before its events).
    Use as a context manager, or call `close`: it finishes the file and returns its `ClipInfo`.
    """

    def __init__(
        self,
        path: Path,
        geometry: SceneGeometry,
        frame_size: tuple[int, int],
        *,
        seconds: float,
        fps: float,
        blur_faces: bool,
        max_width: int = MAX_WIDTH,
    ):
        self.path, self.geometry, self.seconds, self.blur_faces = path, geometry, seconds, blur_faces
        self.size = clip_size(frame_size, max_width)
        self.scale = (self.size[0] / frame_size[0], self.size[1] / frame_size[1])
        self.tally = Tally()
        self._writer = H264Writer(path, self.size, fps)
        self._start: float | None = None
        self.info: ClipInfo | None = None

    def counted(self, events: Iterable[Event]) -> Iterator[Event]:
        for event in events:
            self.tally.add(event)
            yield event

    def __call__(self, frame: Frame, tracks: list[tuple[int, Box]]) -> None:
        if self._start is None:
            self._start = frame.pts
        if frame.pts - self._start >= self.seconds:
            return
        image = cv2.resize(frame.image, self.size, interpolation=cv2.INTER_AREA)
        sx, sy = self.scale
        scaled = [(visit_id, (x1 * sx, y1 * sy, x2 * sx, y2 * sy)) for visit_id, (x1, y1, x2, y2) in tracks]
        self._writer.write(annotate(image, self.geometry, scaled, self.tally, blur_faces=self.blur_faces), frame.pts)

    def close(self) -> ClipInfo | None:
        self.info = self._writer.close()
        return self.info

    def __enter__(self) -> ReviewClipRecorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
