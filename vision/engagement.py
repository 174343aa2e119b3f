"""How a visitor engaged, from COCO-17 pose keypoints and the motion of their box.

Per track, the pipeline adds observations (time, box, keypoints) and reads one `Engagement` at the end:

- facing_ratio: share of the observations whose facing is known that face the camera (`facing` > 0);
  0.0 when no pose told.
- stationary_ratio: share of the time the feet moved slower than STATIONARY_SPEED body heights per second,
  measured over stretches of at least MOTION_WINDOW_SECONDS of footage time (so neither the frame rate nor
  the frame-to-frame jitter of the box matters, and a small far person is judged like a large near one).

Behaviour, first rule that holds:

| behaviour | rule                                                                                   |
| --------- | -------------------------------------------------------------------------------------- |
| passing   | stayed under PASSING_MAX_SECONDS, or stationary under PASSING_MAX_STATIONARY of the time |
| engaged   | stationary at least STATIONARY_MIN of the time and facing_ratio at least FACING_MIN     |
| waiting   | stationary at least STATIONARY_MIN of the time, facing_ratio under FACING_MIN           |
| browsing  | the rest: moving slowly, with stops                                                    |

Score = round(100 * min(1, stay / FULL_DWELL_SECONDS) * (SCORE_FACING_WEIGHT * facing_ratio
+ (1 - SCORE_FACING_WEIGHT) * stationary_ratio)): long, still and facing scores high.

Posture, per frame from the pose (`posture`), first rule that holds; None when the shoulders or hips are unseen:

| posture      | rule                                                                                          |
| ------------ | --------------------------------------------------------------------------------------------- |
| arms crossed | both wrists seen, each past the body's midline towards the other arm by CROSSED_MIN_SHARE of   |
|              | the shoulder width, at chest height (shoulders to CHEST_DEPTH of the torso further down), the  |
|              | shoulders far enough apart to tell the sides (SIDE_SHOULDER_RATIO: not side-on)                |
| leaning      | the torso (shoulders' midpoint to hips' midpoint) tilts LEANING_MIN_DEGREES or more from the   |
|              | image's vertical                                                                              |
| upright      | the rest                                                                                      |

A visit's posture is the one held in most of its frames whose posture is known (None under MIN_OBSERVATIONS of
them; a tie goes to the first in POSTURES). The image is 2-D: leaning towards or away from the camera shortens
the torso without tilting it, and reads as upright.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from vision.events import Engagement

NOSE, LEFT_EYE, RIGHT_EYE, LEFT_EAR, RIGHT_EAR = 0, 1, 2, 3, 4
LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_WRIST, RIGHT_WRIST, LEFT_HIP, RIGHT_HIP = 5, 6, 9, 10, 11, 12

KEYPOINT_MIN_CONFIDENCE = 0.5
FACE_WEIGHT = 0.6  # the face cue outweighs the shoulders: pose models swap left and right on backs
SHOULDER_WEIGHT = 0.4
SIDE_SHOULDER_RATIO = 0.15  # |shoulder width| / torso height at or under which the shoulders say "side-on"
FRONTAL_SHOULDER_RATIO = 0.5  # ... at or over which they say fully towards or away

MIN_OBSERVATIONS = 3
MOTION_WINDOW_SECONDS = 1.0
STATIONARY_SPEED = 0.25  # body (box) heights per second
PASSING_MAX_SECONDS = 5.0
PASSING_MAX_STATIONARY = 0.2
STATIONARY_MIN = 0.6
FACING_MIN = 0.5
FULL_DWELL_SECONDS = 15.0
SCORE_FACING_WEIGHT = 0.6

UPRIGHT, LEANING, ARMS_CROSSED = "upright", "leaning", "arms crossed"
POSTURES = (UPRIGHT, LEANING, ARMS_CROSSED)
LEANING_MIN_DEGREES = 20.0
CROSSED_MIN_SHARE = 0.1
CHEST_DEPTH = 0.8

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in pixels


def _seen(keypoints: np.ndarray, *indices: int) -> list[bool]:
    return [bool(keypoints[i, 2] >= KEYPOINT_MIN_CONFIDENCE) for i in indices]


def _face_cue(keypoints: np.ndarray, shoulders_seen: bool) -> float | None:
    """+1 nose and both eyes seen, 0 some of them (profile), -1 none while the ears or shoulders show where the
    head is (the back of the head); None when nothing of the head or shoulders is seen."""
    face = sum(_seen(keypoints, NOSE, LEFT_EYE, RIGHT_EYE))
    if face == 3:
        return 1.0
    if face > 0:
        return 0.0
    return -1.0 if shoulders_seen or any(_seen(keypoints, LEFT_EAR, RIGHT_EAR)) else None


def _shoulder_cue(keypoints: np.ndarray) -> float | None:
    """Signed shoulder width (left minus right shoulder x) over torso height, ramped from 0 at
    SIDE_SHOULDER_RATIO to +-1 at FRONTAL_SHOULDER_RATIO; None without both shoulders and a hip."""
    hips = [i for i, seen in zip((LEFT_HIP, RIGHT_HIP), _seen(keypoints, LEFT_HIP, RIGHT_HIP), strict=True) if seen]
    if not all(_seen(keypoints, LEFT_SHOULDER, RIGHT_SHOULDER)) or not hips:
        return None
    shoulders_y = (keypoints[LEFT_SHOULDER, 1] + keypoints[RIGHT_SHOULDER, 1]) / 2
    torso_height = float(np.mean(keypoints[hips, 1])) - shoulders_y
    if torso_height <= 0:
        return None
    ratio = float(keypoints[LEFT_SHOULDER, 0] - keypoints[RIGHT_SHOULDER, 0]) / torso_height
    ramp = (abs(ratio) - SIDE_SHOULDER_RATIO) / (FRONTAL_SHOULDER_RATIO - SIDE_SHOULDER_RATIO)
    return float(np.sign(ratio) * np.clip(ramp, 0.0, 1.0))


def facing(keypoints: np.ndarray) -> float | None:
    """How much a person faces the camera: +1 towards it, 0 side-on, -1 away; None when unknown.

    `keypoints` is COCO-17, shape (17, 3): x and y in pixels, confidence. A keypoint counts when its confidence
    is at least KEYPOINT_MIN_CONFIDENCE. Two cues, averaged with FACE_WEIGHT and SHOULDER_WEIGHT (one alone
    when the other is unknown):

    - face: +1 when the nose and both eyes are seen; 0 when only some are (a profile); -1 when none are but the
      shoulders or ears are (the back of the head).
    - shoulders: the camera sees a mirror image, so a person facing it has their LEFT shoulder on the image's
      RIGHT (x_left > x_right), and a person seen from behind has it on the left. Width (x_left - x_right)
      over torso height (shoulders to hips): 0 up to SIDE_SHOULDER_RATIO (side-on: shoulders close together),
      +-1 from FRONTAL_SHOULDER_RATIO, linear between. Needs both shoulders and a hip.

    A back view scores -1; even when the pose model swaps the shoulders of a back, the absent face keeps the
    score negative (0.6 * -1 + 0.4 * +1 = -0.2).
    """
    shoulder = _shoulder_cue(keypoints)
    face = _face_cue(keypoints, shoulders_seen=all(_seen(keypoints, LEFT_SHOULDER, RIGHT_SHOULDER)))
    cues = [(weight, cue) for weight, cue in ((FACE_WEIGHT, face), (SHOULDER_WEIGHT, shoulder)) if cue is not None]
    if not cues:
        return None
    return sum(weight * cue for weight, cue in cues) / sum(weight for weight, _ in cues)


def posture(keypoints: np.ndarray) -> str | None:
    """One of POSTURES for one pose (COCO-17, as `facing`), by the rules in the module's docstring."""
    hips = [i for i, seen in zip((LEFT_HIP, RIGHT_HIP), _seen(keypoints, LEFT_HIP, RIGHT_HIP), strict=True) if seen]
    if not all(_seen(keypoints, LEFT_SHOULDER, RIGHT_SHOULDER)) or not hips:
        return None
    shoulders = (keypoints[LEFT_SHOULDER, :2] + keypoints[RIGHT_SHOULDER, :2]) / 2
    hip = keypoints[hips, :2].mean(axis=0)
    down, across = float(hip[1] - shoulders[1]), float(hip[0] - shoulders[0])
    if down <= 0:  # hips above the shoulders: nothing to judge
        return None
    if all(_seen(keypoints, LEFT_WRIST, RIGHT_WRIST)) and _arms_crossed(keypoints, shoulders, down):
        return ARMS_CROSSED
    return LEANING if math.degrees(math.atan2(abs(across), down)) >= LEANING_MIN_DEGREES else UPRIGHT


def _arms_crossed(keypoints: np.ndarray, shoulders: np.ndarray, torso_height: float) -> bool:
    width = float(keypoints[LEFT_SHOULDER, 0] - keypoints[RIGHT_SHOULDER, 0])  # > 0 facing the camera (a mirror)
    if abs(width) / torso_height <= SIDE_SHOULDER_RATIO:
        return False
    for wrist, towards_own_shoulder in ((LEFT_WRIST, math.copysign(1, width)), (RIGHT_WRIST, -math.copysign(1, width))):
        x, y = keypoints[wrist, :2]
        if (x - shoulders[0]) * towards_own_shoulder > -CROSSED_MIN_SHARE * abs(width):
            return False  # on its own arm's side, or too near the midline
        if not shoulders[1] <= y <= shoulders[1] + CHEST_DEPTH * torso_height:
            return False
    return True


@dataclass(frozen=True)
class _Observation:
    at: datetime
    feet: tuple[float, float]
    height: float


class EngagementAccumulator:
    """The observations of one track, added in time order; `result` summarises them (None under MIN_OBSERVATIONS)."""

    def __init__(self) -> None:
        self._observations = 0
        self._facing_known = 0
        self._facing_towards = 0
        self._postures: Counter[str] = Counter()
        self._stretch_start: _Observation | None = None  # where the motion stretch being measured began
        self._last: _Observation | None = None
        self._stationary_seconds = 0.0
        self._measured_seconds = 0.0

    def add(self, at: datetime, box: Box, keypoints: np.ndarray | None = None) -> None:
        """One observation: its footage time, the person's box and, when the pose was estimated, its keypoints."""
        x1, y1, x2, y2 = box
        if y2 <= y1:
            raise ValueError(f"empty box {box}")
        if self._last is not None and at <= self._last.at:
            raise ValueError(f"observations must come in time order: {at} after {self._last.at}")
        observation = _Observation(at, feet=((x1 + x2) / 2, y2), height=y2 - y1)
        self._observations += 1
        direction = facing(keypoints) if keypoints is not None else None
        if direction is not None:
            self._facing_known += 1
            self._facing_towards += direction > 0
        held = posture(keypoints) if keypoints is not None else None
        if held is not None:
            self._postures[held] += 1
        if self._stretch_start is None:
            self._stretch_start = observation
        elif _seconds_between(self._stretch_start, observation) >= MOTION_WINDOW_SECONDS:
            self._add_stretch(self._stretch_start, observation)
            self._stretch_start = observation
        self._last = observation

    def result(self) -> Engagement | None:
        if self._observations < MIN_OBSERVATIONS:
            return None
        stationary, measured = _stretch(self._stretch_start, self._last)  # the unfinished last stretch
        stationary += self._stationary_seconds
        measured += self._measured_seconds
        stationary_ratio = stationary / measured
        facing_ratio = self._facing_towards / self._facing_known if self._facing_known else 0.0
        return Engagement(
            score=round(
                100
                * min(1.0, measured / FULL_DWELL_SECONDS)
                * (SCORE_FACING_WEIGHT * facing_ratio + (1 - SCORE_FACING_WEIGHT) * stationary_ratio)
            ),
            behaviour=_behaviour(measured, facing_ratio, stationary_ratio),
            facing_ratio=facing_ratio,
            stationary_ratio=stationary_ratio,
            posture=self._posture(),
        )

    def _posture(self) -> str | None:
        """The posture of most of the frames whose posture is known; a tie goes to the first in POSTURES."""
        if self._postures.total() < MIN_OBSERVATIONS:
            return None
        return max(POSTURES, key=lambda name: self._postures[name])

    def _add_stretch(self, start: _Observation, end: _Observation) -> None:
        stationary, measured = _stretch(start, end)
        self._stationary_seconds += stationary
        self._measured_seconds += measured


def _seconds_between(start: _Observation, end: _Observation) -> float:
    return (end.at - start.at).total_seconds()


def _stretch(start: _Observation, end: _Observation) -> tuple[float, float]:
    """(stationary seconds, seconds) of the stretch start -> end: all of it is stationary or none is."""
    seconds = _seconds_between(start, end)
    if seconds == 0:
        return 0.0, 0.0
    distance = float(np.hypot(end.feet[0] - start.feet[0], end.feet[1] - start.feet[1]))
    speed = distance / ((start.height + end.height) / 2) / seconds
    return (seconds if speed < STATIONARY_SPEED else 0.0), seconds


def _behaviour(stay_seconds: float, facing_ratio: float, stationary_ratio: float) -> str:
    if stay_seconds < PASSING_MAX_SECONDS or stationary_ratio < PASSING_MAX_STATIONARY:
        return "passing"
    if stationary_ratio >= STATIONARY_MIN:
        return "engaged" if facing_ratio >= FACING_MIN else "waiting"
    return "browsing"
