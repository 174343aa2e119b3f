"""Facing and posture from synthetic COCO-17 poses; engagement from hand-made tracks sampled at 5 or 10 frames a
second."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from vision.engagement import (
    LEFT_EAR,
    LEFT_EYE,
    LEFT_HIP,
    LEFT_SHOULDER,
    LEFT_WRIST,
    NOSE,
    RIGHT_EAR,
    RIGHT_EYE,
    RIGHT_HIP,
    RIGHT_SHOULDER,
    RIGHT_WRIST,
    EngagementAccumulator,
    facing,
    posture,
)
from vision.events import Engagement

START = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def pose(points: dict[int, tuple[float, float]]) -> np.ndarray:
    """Keypoints seen with confidence 0.9 at the given pixels; every other one unseen (confidence 0)."""
    keypoints = np.zeros((17, 3))
    for index, (x, y) in points.items():
        keypoints[index] = (x, y, 0.9)
    return keypoints


# Torso height 100 px (shoulders at y 80, hips at y 180) throughout.
HIPS = {LEFT_HIP: (120, 180), RIGHT_HIP: (80, 180)}
# Facing the camera, the picture is a mirror: the person's left eye, ear and shoulder are on the image's right.
FRONTAL = pose(
    {NOSE: (100, 40), LEFT_EYE: (108, 35), RIGHT_EYE: (92, 35), LEFT_EAR: (116, 40), RIGHT_EAR: (84, 40)}
    | {LEFT_SHOULDER: (130, 80), RIGHT_SHOULDER: (70, 80)}  # width +60 = 0.6 torso: fully frontal
    | HIPS
)
# From behind: no face, left shoulder on the image's left.
BACK = pose({LEFT_SHOULDER: (70, 80), RIGHT_SHOULDER: (130, 80)} | HIPS)
# Side-on, looking to the image's right: nose, one eye and one ear; shoulders 4 px apart (0.04 torso).
SIDE = pose(
    {NOSE: (112, 40), RIGHT_EYE: (106, 35), RIGHT_EAR: (96, 38)}
    | {LEFT_SHOULDER: (102, 80), RIGHT_SHOULDER: (98, 80)}
    | HIPS
)


def test_a_frontal_person_faces_the_camera():
    assert facing(FRONTAL) == 1.0


def test_a_person_seen_from_behind_faces_away():
    assert facing(BACK) == -1.0


def test_a_back_with_shoulders_swapped_by_the_pose_model_still_faces_away():
    swapped = pose({LEFT_SHOULDER: (130, 80), RIGHT_SHOULDER: (70, 80)} | HIPS)
    assert facing(swapped) == pytest.approx(0.6 * -1 + 0.4 * 1)  # -0.2


def test_a_side_view_is_neither_towards_nor_away():
    assert facing(SIDE) == 0.0


def test_shoulders_between_side_on_and_frontal_ramp_linearly():
    # Width 32.5 px = 0.325 torso: halfway between 0.15 (side-on) and 0.5 (frontal) -> shoulder cue 0.5.
    three_quarter = FRONTAL.copy()
    three_quarter[LEFT_SHOULDER, 0], three_quarter[RIGHT_SHOULDER, 0] = 116.25, 83.75
    assert facing(three_quarter) == pytest.approx(0.6 * 1 + 0.4 * 0.5)


def test_facing_uses_the_face_alone_without_hips_and_is_unknown_without_head_or_shoulders():
    face_only = pose({NOSE: (100, 40), LEFT_EYE: (108, 35), RIGHT_EYE: (92, 35)})
    assert facing(face_only) == 1.0
    assert facing(pose(HIPS)) is None
    low_confidence = FRONTAL.copy()
    low_confidence[:, 2] = 0.3
    assert facing(low_confidence) is None


def observe(positions, fps: int, height: float, keypoints: np.ndarray | None = None) -> EngagementAccumulator:
    """Feed `positions(seconds) -> feet x` (pixels, feet at y 600) every 1/fps second until positions says None."""
    accumulator = EngagementAccumulator()
    for frame in range(10_000):
        seconds = frame / fps
        x = positions(seconds)
        if x is None:
            return accumulator
        accumulator.add(
            START + timedelta(milliseconds=1000 * frame // fps), (x - 20, 600 - height, x + 20, 600), keypoints
        )
    raise AssertionError("positions never ended")


def still_for(seconds: float, jitter: float = 3.0):
    """Standing still, the box jittering +-jitter px from frame to frame at 5 frames a second."""
    return lambda s: None if s > seconds else 500 + jitter * (-1) ** round(s * 5)


def test_standing_still_facing_the_camera_for_20_s_is_engaged():
    engagement = observe(still_for(20), fps=5, height=300, keypoints=FRONTAL).result()
    # Still all the time, facing all the time, 20 s >= 15 s: 100 * 1 * (0.6 * 1 + 0.4 * 1).
    assert engagement == Engagement(
        score=100, behaviour="engaged", facing_ratio=1.0, stationary_ratio=1.0, posture="upright"
    )


def test_standing_still_facing_away_is_waiting():
    engagement = observe(still_for(20), fps=5, height=300, keypoints=BACK).result()
    assert engagement == Engagement(
        score=40, behaviour="waiting", facing_ratio=0.0, stationary_ratio=1.0, posture="upright"
    )


def test_walking_through_in_3_s_is_passing_even_towards_the_camera():
    walker = observe(lambda s: None if s > 3 else 100 + 300 * s, fps=5, height=200, keypoints=FRONTAL)  # 1.5 h/s
    # 100 * (3 s / 15 s) * (0.6 * 1 + 0.4 * 0) = 12
    assert walker.result() == Engagement(
        score=12, behaviour="passing", facing_ratio=1.0, stationary_ratio=0.0, posture="upright"
    )


def stop_and_go(seconds: float) -> float | None:
    """20 s alternating 2 s standing and 2 s walking at 0.5 heights (100 px) a second, standing first."""
    if seconds > 20:
        return None
    walked = sum(min(max(seconds - start, 0), 2) for start in range(2, 20, 4))
    return 100 + 100 * walked


def test_stopping_and_going_is_browsing():
    engagement = observe(stop_and_go, fps=5, height=200, keypoints=SIDE).result()
    # Half the time still; side-on all the time: 100 * 1 * (0.6 * 0 + 0.4 * 0.5) = 20
    assert engagement == Engagement(
        score=20, behaviour="browsing", facing_ratio=0.0, stationary_ratio=0.5, posture="upright"
    )


def drift_then_walk(pixels_per_height: float):
    """8 s: drifting 0.1 body heights a second for 5 s, then walking 1 body height a second."""
    return lambda s: None if s > 8 else pixels_per_height * (0.1 * min(s, 5) + 1.0 * max(s - 5, 0))


@pytest.mark.parametrize("height", [50, 200])
def test_stationarity_is_measured_in_body_heights_so_small_and_large_people_agree(height):
    engagement = observe(drift_then_walk(height), fps=5, height=height).result()
    assert engagement.stationary_ratio == 5 / 8


def test_the_same_pixels_are_movement_for_a_small_person():
    small_with_large_pixels = observe(drift_then_walk(200), fps=5, height=50).result()  # drift = 0.4 heights/s
    assert small_with_large_pixels.stationary_ratio == 0.0


@pytest.mark.parametrize("fps", [5, 10])
def test_stationarity_uses_footage_time_not_frame_counts(fps):
    assert observe(drift_then_walk(100), fps=fps, height=100).result().stationary_ratio == 5 / 8


def test_no_pose_means_a_facing_ratio_of_zero_and_too_few_observations_no_result():
    accumulator = EngagementAccumulator()
    accumulator.add(START, (0, 0, 40, 100))
    accumulator.add(START + timedelta(seconds=1), (0, 0, 40, 100))
    assert accumulator.result() is None
    accumulator.add(START + timedelta(seconds=2), (0, 0, 40, 100))
    assert accumulator.result() == Engagement(score=5, behaviour="passing", facing_ratio=0.0, stationary_ratio=1.0)


def test_observations_must_come_in_time_order():
    accumulator = EngagementAccumulator()
    accumulator.add(START + timedelta(seconds=1), (0, 0, 40, 100))
    with pytest.raises(ValueError, match="time order"):
        accumulator.add(START, (0, 0, 40, 100))


# Posture. Shoulders at x 70 and 130 (width 60), y 80; hips at y 180 (torso 100 px); chest height is y 80-160.
CROSSED = pose(
    {LEFT_SHOULDER: (130, 80), RIGHT_SHOULDER: (70, 80), LEFT_WRIST: (80, 120), RIGHT_WRIST: (120, 125)} | HIPS
)  # fmt: skip  (facing the camera: the left wrist 20 px past the midline, on the image's left)


def tilted(degrees: float) -> np.ndarray:
    """FRONTAL with the shoulders shifted sideways so that the torso tilts this much from the vertical."""
    keypoints = FRONTAL.copy()
    keypoints[[LEFT_SHOULDER, RIGHT_SHOULDER], 0] += 100 * np.tan(np.radians(degrees))
    return keypoints


def with_wrists(keypoints: np.ndarray, left: tuple[float, float], right: tuple[float, float]) -> np.ndarray:
    keypoints = keypoints.copy()
    keypoints[LEFT_WRIST], keypoints[RIGHT_WRIST] = (*left, 0.9), (*right, 0.9)
    return keypoints


def test_arms_crossed_at_the_chest_facing_the_camera_or_away():
    assert posture(CROSSED) == "arms crossed"
    back = with_wrists(BACK, left=(120, 120), right=(80, 125))  # from behind the left shoulder is on the left
    assert posture(back) == "arms crossed"


@pytest.mark.parametrize(
    ("left", "right", "why"),
    [
        ((135, 170), (65, 170), "hands down at the sides"),
        ((102, 130), (98, 130), "hands clasped at the midline (2 px past it: under 10% of the shoulder width)"),
        ((80, 175), (120, 175), "wrists crossed below the chest (at the hips)"),
    ],
)
def test_arms_not_crossed_are_upright(left, right, why):
    assert posture(with_wrists(FRONTAL, left, right)) == "upright", why


def test_crossing_cannot_be_told_side_on():
    assert posture(with_wrists(SIDE, left=(96, 120), right=(104, 120))) == "upright"


@pytest.mark.parametrize(("degrees", "expected"), [(0, "upright"), (15, "upright"), (25, "leaning"), (-30, "leaning")])
def test_a_torso_tilted_20_degrees_or_more_is_leaning(degrees, expected):
    assert posture(tilted(degrees)) == expected


def test_no_posture_without_shoulders_and_hips():
    no_hips = FRONTAL.copy()
    no_hips[[LEFT_HIP, RIGHT_HIP], 2] = 0.1
    assert posture(no_hips) is None
    assert posture(pose({NOSE: (100, 40)})) is None


def test_a_visits_posture_is_the_one_held_most():
    accumulator = EngagementAccumulator()
    poses = [CROSSED] * 6 + [FRONTAL] * 4 + [pose({NOSE: (100, 40)})] * 10  # 6 of the 10 known frames crossed
    for frame, keypoints in enumerate(poses):
        accumulator.add(START + timedelta(seconds=frame), (480, 300, 520, 600), keypoints)
    assert accumulator.result().posture == "arms crossed"
    assert observe(still_for(20), fps=5, height=300, keypoints=tilted(30)).result().posture == "leaning"
    assert observe(still_for(20), fps=5, height=300).result().posture is None  # no pose: not told
