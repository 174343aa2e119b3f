"""How large the detector sees the frames: chosen per camera from the people in its footage.

A store camera hangs high and sees people 50-120 px tall; the person detector finds few people under about
90 px at its input (measured: recall 0.25 for people 50-90 px tall at the frame's own size, 0.79 with the frame
upscaled 1.67x; docs/benchmarks.md). So before tracking, the first analysed frames are probed at the largest input
the pixel budget allows, the height of the smaller people found (10th percentile) is measured, and the network
input is chosen so that they reach TARGET_PERSON_PX. People who stay small also get the tracker's thresholds for
small people (their detection scores are lower). Upscaling the whole frame, rather than slicing it into tiles,
costs the same per pixel with a fixed-shape CPU model and has no seams where a person is cut in two.

The heights of the people tracked during the whole run are measured too (`people_height_seen()`), so that a
camera's next video can start from them when its first second shows nobody.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vision.tracking import Box, PersonTracker, TrackedPerson

TARGET_PERSON_PX = 96  # the smaller people's height at the network's input
SMALL_PEOPLE_PX = 120  # smaller people under this height in the frame get the small-people thresholds
MIN_LONG_SIDE = 640  # never shrink below Ultralytics' default input
LONG_SIDE_STEP = 128  # input sizes come in steps, so that a few exported models serve every camera
PROBE_FRAMES = 8  # analysed frames probed before tracking starts (1 s at 8 frames per second)
PROBE_MIN_SCORE = 0.3  # detections measured by the probe
MIN_MEASURED = 3  # fewer people measured than this: nobody seen, the size falls back
SEEN_KEPT = 20_000  # the latest tracked people measured for people_height_seen (bounded on endless streams)
SMALL_QUANTILE = 10  # percentile of the heights that stands for "the smaller people"


@dataclass(frozen=True)
class ScaleChoice:
    input_size: tuple[int, int]  # network input (height, width) in pixels
    small_people: bool
    people_height: float | None  # the smaller people's height as a share of the frame's height; None: not measured
    basis: str  # "measured" | "camera" (an earlier job's measure) | "nobody seen" | "override"

    def as_dict(self) -> dict:
        return {"input_size": list(self.input_size), "small_people": self.small_people,
                "people_height": self.people_height, "basis": self.basis}  # fmt: skip


def network_shape(frame_size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """Network input (height, width) with the frame's aspect ratio, `long_side` on its long side, multiples of 32."""
    width, height = frame_size
    scale = long_side / max(width, height)
    return max(32, round(height * scale / 32) * 32), max(32, round(width * scale / 32) * 32)


def largest_long_side(frame_size: tuple[int, int], max_pixels: int) -> int:
    """The longest input side, in LONG_SIDE_STEP steps, whose input stays within `max_pixels`."""
    width, height = frame_size
    long_side = math.sqrt(max_pixels * max(width, height) / min(width, height))
    return max(MIN_LONG_SIDE, int(long_side // LONG_SIDE_STEP) * LONG_SIDE_STEP)


def scale_for(frame_size: tuple[int, int], people_height: float | None, max_pixels: int, basis: str) -> ScaleChoice:
    """The input for people whose smaller ones are `people_height` (share of the frame's height) tall; the
    largest input within the budget when nobody was measured (small people are what a probe misses)."""
    largest = largest_long_side(frame_size, max_pixels)
    if people_height is None:
        return ScaleChoice(network_shape(frame_size, largest), True, None, basis)
    width, height = frame_size
    needed = max(width, height) * TARGET_PERSON_PX / (people_height * height)
    long_side = min(largest, max(MIN_LONG_SIDE, math.ceil(needed / LONG_SIDE_STEP) * LONG_SIDE_STEP))
    small = people_height * height < SMALL_PEOPLE_PX
    return ScaleChoice(network_shape(frame_size, long_side), small, round(people_height, 4), basis)


def override_choice(people_size: str, frame_size: tuple[int, int], max_pixels: int) -> ScaleChoice | None:
    """A camera's people-size setting: "regular" analyses the frame at its own size (within the budget) with the
    regular thresholds, "small" at the largest input with the small-people ones, "auto" (None) measures."""
    if people_size == "regular":
        long_side = min(max(frame_size), largest_long_side(frame_size, max_pixels))
        return ScaleChoice(network_shape(frame_size, long_side), False, None, "override")
    if people_size == "small":
        return ScaleChoice(network_shape(frame_size, largest_long_side(frame_size, max_pixels)), True, None, "override")
    return None


def people_height(boxes: Sequence[Box], frame_height: int, percentile: float = SMALL_QUANTILE) -> float | None:
    """A percentile (the 10th: the smaller people) of the heights of whole people (boxes not cut by the top or
    bottom of the frame), as a share of the frame's height; None when too few were seen."""
    heights = [y2 - y1 for _, y1, _, y2 in boxes if y1 > 1 and y2 < frame_height - 1]
    if len(heights) < MIN_MEASURED:
        return None
    return float(np.percentile(heights, percentile)) / frame_height


class AutoScaledTracker:
    """A PersonTracker that picks its input size from the first frames of each video (`calibrate`), then
    tracks with the tracker made for that size. `override` fixes the choice (a camera's people-size setting);
    `prior` is the camera's earlier measure, used when the first frames show nobody."""

    def __init__(
        self,
        frame_size: tuple[int, int],
        make_tracker: Callable[[tuple[int, int], bool], PersonTracker],
        max_pixels: int,
        prior: ScaleChoice | None = None,
        override: ScaleChoice | None = None,
    ):
        self.frame_size, self.make_tracker, self.max_pixels = frame_size, make_tracker, max_pixels
        self.prior, self.override = prior, override
        self.choice: ScaleChoice | None = None
        self._tracker: PersonTracker | None = None
        self._seen: deque[Box] = deque(maxlen=SEEN_KEPT)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.choice or self._probe_choice()).input_size

    def _probe_choice(self) -> ScaleChoice:
        return scale_for(self.frame_size, None, self.max_pixels, "nobody seen")

    def calibrate(self, images: Sequence[np.ndarray]) -> ScaleChoice:
        """Choose the input size from these frames (the first of a video) and load the tracker for it."""
        choice = self.override
        if choice is None:
            probe = self.make_tracker(self._probe_choice().input_size, True)
            boxes = [box for image in images for box, score in probe.detect(image) if score >= PROBE_MIN_SCORE]
            height = people_height(boxes, self.frame_size[1])
            if height is None:
                choice = self.prior or self._probe_choice()
            else:
                choice = scale_for(self.frame_size, height, self.max_pixels, "measured")
        self.choice = choice
        self._tracker = self.make_tracker(choice.input_size, choice.small_people)
        self._tracker.reset()
        return choice

    def warm_up(self, image: np.ndarray) -> None:
        self.calibrate([image])
        self._tracker.warm_up(image)

    def reset(self) -> None:
        self.choice, self._tracker = None, None
        self._seen.clear()

    def track(self, image: np.ndarray) -> list[TrackedPerson]:
        if self._tracker is None:
            self.calibrate([image])
        people = self._tracker.track(image)
        self._seen.extend(person.box for person in people)
        return people

    def people_height_seen(self, percentile: float = SMALL_QUANTILE) -> float | None:
        """A percentile of the heights (shares of the frame's) of all the people tracked so far in this video: the
        smaller people's (the 10th), the camera's measure for its next video, whose first second may show nobody;
        the typical person's (the 50th), which tells how large their faces are."""
        return people_height(self._seen, self.frame_size[1], percentile)
