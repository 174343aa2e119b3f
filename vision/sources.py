"""Where frames come from: a video file, a folder of images, a video URL (downloaded), a live stream.

Every source yields `Frame`s sampled at the analysis rate, with their presentation time in seconds from
the start of the footage; frames in between are skipped without being converted (`grab` without
`retrieve`), so decoding costs no more than needed.
"""

from __future__ import annotations

import configparser
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from vision.egress import AddressPolicy, EgressProxy, UnsafeUrl, pinned_url

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".ts")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


class SourceError(Exception):
    """The footage cannot be read; the message says why, in plain words."""


@dataclass(frozen=True)
class Frame:
    index: int  # frame number in the source, from 0
    pts: float  # presentation time, seconds from the start of the footage
    image: np.ndarray  # BGR, height x width x 3


@dataclass(frozen=True)
class SourceInfo:
    width: int
    height: int
    fps: float
    frame_count: int | None  # None for live streams
    recorded_at: datetime | None = None  # from the file's metadata, when it has it

    @property
    def duration(self) -> float | None:
        return self.frame_count / self.fps if self.frame_count and self.fps else None


def _sampled(pts_and_index: Iterator[tuple[int, float]], analysis_fps: float | None) -> Iterator[tuple[int, float]]:
    """Keep about `analysis_fps` frames per second of footage (all of them when None)."""
    next_pts = 0.0
    step = 1.0 / analysis_fps if analysis_fps else 0.0
    for index, pts in pts_and_index:
        if pts + 1e-6 >= next_pts:
            next_pts = max(next_pts + step, pts + step / 2)
            yield index, pts


def _retrieved(capture, grabbed: Iterator[tuple[int, float]], analysis_fps: float | None) -> Iterator[Frame]:
    """Decode to pixels only the sampled frames of a grab loop; release the capture when done."""
    try:
        for index, pts in _sampled(grabbed, analysis_fps):
            ok, image = capture.retrieve()
            if ok:
                yield Frame(index, pts, image)
    finally:
        capture.release()


class VideoFileSource:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            raise SourceError(f"{self.path.name} is not a video this server can decode.")
        fps = self._capture.get(cv2.CAP_PROP_FPS) or 0.0
        count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if fps <= 0 or width <= 0 or height <= 0:
            raise SourceError(f"{self.path.name} has no readable video stream.")
        self.info = SourceInfo(width, height, fps, count or None, mp4_creation_time(self.path))

    def frames(self, analysis_fps: float | None = None) -> Iterator[Frame]:
        def grabbed():
            index = 0
            while self._capture.grab():
                yield index, index / self.info.fps
                index += 1

        return _retrieved(self._capture, grabbed(), analysis_fps)


class ImageFolderSource:
    """A MOTChallenge-style sequence: `img1/*.jpg` with the frame rate in `seqinfo.ini`."""

    def __init__(self, folder: str | Path, fps: float | None = None):
        folder = Path(folder)
        self.files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise SourceError(f"No images in {folder}.")
        first = cv2.imread(str(self.files[0]))
        if first is None:
            raise SourceError(f"{self.files[0].name} is not an image.")
        if fps is None:
            ini = configparser.ConfigParser()
            ini.read(folder.parent / "seqinfo.ini")
            fps = float(ini.get("Sequence", "frameRate", fallback="25"))
        self.info = SourceInfo(first.shape[1], first.shape[0], fps, len(self.files))

    def frames(self, analysis_fps: float | None = None) -> Iterator[Frame]:
        for index, pts in _sampled(((i, i / self.info.fps) for i in range(len(self.files))), analysis_fps):
            yield Frame(index, pts, cv2.imread(str(self.files[index])))


class StreamSource:
    """A live RTSP/HTTP stream, read until `stop` is set. Presentation times are the wall clock since
    the stream was opened: for live footage that is footage time."""

    def __init__(self, url: str, stop: threading.Event, allowed: AddressPolicy, open_timeout_s: float = 15.0):
        self.url, self.stop = url, stop
        try:
            address_url = pinned_url(url, allowed)  # opened on the address checked now, not on a later lookup
        except UnsafeUrl as error:
            raise SourceError(f"The stream URL is refused: {error}") from error
        self._capture = cv2.VideoCapture(
            address_url, cv2.CAP_FFMPEG, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(open_timeout_s * 1000)]
        )
        if not self._capture.isOpened():
            raise SourceError("Could not connect to the stream: check its URL and that the camera is reachable.")
        self.opened_at = datetime.now(UTC)
        fps = self._capture.get(cv2.CAP_PROP_FPS) or 25.0
        width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.info = SourceInfo(width, height, fps, None, self.opened_at)

    def frames(self, analysis_fps: float | None = None) -> Iterator[Frame]:
        started = time.monotonic()

        def grabbed():
            index = 0
            while not self.stop.is_set():
                if not self._capture.grab():
                    raise SourceError("The stream stopped sending video.")
                yield index, time.monotonic() - started
                index += 1

        return _retrieved(self._capture, grabbed(), analysis_fps)


def mp4_creation_time(path: Path) -> datetime | None:
    """The recording time in an MP4/MOV's `mvhd` box (seconds since 1904), or None when absent or unset."""
    try:
        with open(path, "rb") as file:
            head = file.read(4 * 1024 * 1024)
            if b"mvhd" not in head:  # moov at the end of the file
                file.seek(max(0, path.stat().st_size - 4 * 1024 * 1024))
                head = file.read()
    except OSError:
        return None
    at = head.find(b"mvhd")
    if at < 0 or len(head) < at + 20:
        return None
    version = head[at + 4]
    seconds = (
        struct.unpack(">Q", head[at + 8 : at + 16])[0]
        if version == 1
        else struct.unpack(">I", head[at + 8 : at + 12])[0]
    )
    if seconds == 0:
        return None
    recorded = datetime(1904, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    return recorded if datetime(1990, 1, 1, tzinfo=UTC) < recorded < datetime.now(UTC) + timedelta(days=1) else None


# --- Video URLs: every connection checked (vision.egress) -----------------------------------------


@dataclass(frozen=True)
class DownloadLimits:
    max_bytes: int
    max_seconds: float


def download_video(url: str, folder: Path, limits: DownloadLimits, allowed: AddressPolicy) -> Path:
    """Fetch a video with yt-dlp (page URLs of video sites and direct file links alike) within the limits, every
    request through an `EgressProxy` that refuses addresses `allowed` refuses."""
    from yt_dlp import YoutubeDL
    from yt_dlp.utils import DownloadError

    def too_long(info, *, incomplete):
        duration = info.get("duration")
        return "too long" if duration and duration > limits.max_seconds else None

    options = {
        "outtmpl": str(folder / "download.%(ext)s"),
        "format": "best[ext=mp4][vcodec!=none]/best[vcodec!=none]/best",
        "max_filesize": limits.max_bytes,
        "match_filter": too_long,
        "noplaylist": True,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "socket_timeout": 30,
        "retries": 2,
        "hls_prefer_native": True,  # segments fetched by yt-dlp itself, through the proxy, not by ffmpeg
    }
    try:
        with EgressProxy(allowed) as proxy, YoutubeDL({**options, "proxy": proxy.url}) as ydl:
            info = ydl.extract_info(url, download=True)
    except DownloadError as error:
        raise SourceError(f"The video could not be downloaded: {str(error).removeprefix('ERROR: ')}") from error
    files = [p for p in folder.glob("download.*") if p.suffix != ".part"]
    if files:
        return files[0]
    duration = (info or {}).get("duration")
    if duration and duration > limits.max_seconds:
        raise SourceError(f"The video lasts {duration:.0f} s; the limit is {limits.max_seconds:.0f} s.")
    raise SourceError(f"The video was not downloaded: it is larger than the limit of {human_size(limits.max_bytes)}.")


def human_size(count: int) -> str:
    """1536 -> '1.5 kB': three significant digits, so that a size and a limit near it read differently."""
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"
