"""Choosing the detector's input size from the people in the footage, and confirming visitors from their first
frame (vision.scale, vision.pipeline), with scripted detections: the real model's choices are tested on real
footage in test_pipeline.py."""

from datetime import UTC, datetime

import numpy as np

from vision.events import LineCrossed, VisitEnded, VisitStarted
from vision.geometry import Line, SceneGeometry
from vision.pipeline import Pipeline
from vision.scale import AutoScaledTracker, network_shape, override_choice, people_height, scale_for
from vision.sources import Frame
from vision.tracking import TrackedPerson

MAX_PIXELS = 1920 * 1088
START = datetime(2026, 12, 1, 10, tzinfo=UTC)


class ScriptedTracker:
    """Plays back one list of people per call of `track`; `detect` finds `people` boxes of the given height."""

    def __init__(self, shape, frames=(), people=()):
        self.shape, self.frames, self.people, self.calls = shape, list(frames), list(people), 0

    def reset(self):
        self.calls = 0

    def calibrate(self, images):
        pass

    def detect(self, image):
        return [(box, 0.8) for box in self.people]

    def warm_up(self, image):
        pass

    def track(self, image):
        people = self.frames[self.calls] if self.calls < len(self.frames) else []
        self.calls += 1
        return people


def person(height, top=100.0, left=100.0):
    return (left, top, left + height / 3, top + height)


def test_input_sizes_keep_the_aspect_ratio_within_the_pixel_budget():
    assert network_shape((768, 576), 1280) == (960, 1280)
    assert network_shape((1920, 1080), 1920) == (1088, 1920)
    assert scale_for((768, 576), None, MAX_PIXELS, "nobody seen").input_size == (1248, 1664)  # the largest
    assert scale_for((1920, 1080), None, MAX_PIXELS, "nobody seen").input_size == (1088, 1920)


def test_small_people_get_an_upscaled_input_and_large_people_the_default():
    small = scale_for((768, 576), 55 / 576, MAX_PIXELS, "measured")
    assert small.small_people and small.input_size == (1056, 1408)  # 55 px -> at least 96 px at the input
    large = scale_for((640, 480), 150 / 480, MAX_PIXELS, "measured")
    assert not large.small_people and large.input_size == (480, 640)  # never below 640
    tiny = scale_for((768, 576), 30 / 576, MAX_PIXELS, "measured")
    assert tiny.input_size == (1248, 1664)  # capped by the budget


def test_the_smaller_people_are_measured_on_whole_people_only():
    boxes = [person(60)] * 6 + [person(200)] * 44 + [(0.0, 0.0, 30.0, 20.0)] * 10  # cut by the frame's top
    assert people_height(boxes, 576) * 576 == 60.0
    assert people_height([person(60), person(70)], 576) is None  # too few to say


def test_the_probe_measures_and_the_tracker_of_the_chosen_size_tracks():
    made = {}

    def make(shape, small):
        return made.setdefault((shape, small), ScriptedTracker(shape, people=[person(55)] * 4))

    tracker = AutoScaledTracker((768, 576), make, MAX_PIXELS)
    choice = tracker.calibrate([np.zeros((576, 768, 3), np.uint8)])
    assert choice.basis == "measured" and choice.input_size == (1056, 1408) and tracker.shape == (1056, 1408)
    assert list(made) == [((1248, 1664), True), ((1056, 1408), True)]  # the probe at the largest size, then the one


def test_nobody_in_the_first_frames_falls_back_to_the_cameras_measure_or_the_largest_size():
    def make(shape, small):
        return ScriptedTracker(shape)

    prior = scale_for((768, 576), 0.1, MAX_PIXELS, "camera")
    assert AutoScaledTracker((768, 576), make, MAX_PIXELS, prior=prior).calibrate([np.zeros((1, 1, 3))]) == prior
    fallback = AutoScaledTracker((768, 576), make, MAX_PIXELS).calibrate([np.zeros((1, 1, 3))])
    assert fallback.basis == "nobody seen" and fallback.input_size == (1248, 1664)
    override = override_choice("regular", (768, 576), MAX_PIXELS)
    fixed = AutoScaledTracker((768, 576), make, MAX_PIXELS, prior=prior, override=override)
    assert fixed.calibrate([np.zeros((1, 1, 3))]) == override and override.input_size == (576, 768)


def walker(steps, track_id=7, height=90.0):
    """One person walking right across the middle of a 768 px frame, `steps` frames."""
    return [[TrackedPerson(track_id, person(height, left=300.0 + 40 * i), 0.9, None)] for i in range(steps)]


def run(frames):
    def make(shape, small):
        return ScriptedTracker(shape, frames=frames)

    geometry = SceneGeometry(lines=(Line("door", (0.5, 0.0), (0.5, 1.0), "left"),))
    pipeline = Pipeline(AutoScaledTracker((768, 576), make, MAX_PIXELS), geometry)
    image = np.zeros((576, 768, 3), np.uint8)
    return list(pipeline.run((Frame(i, i / 8, image) for i in range(len(frames) + 2)), START, (768, 576)))


def test_a_visitor_counts_from_its_first_frame_once_confirmed():
    events = run(walker(6))  # the feet cross x = 384 between the 2nd and 3rd frame, before confirmation
    assert [type(e) for e in events] == [VisitStarted, LineCrossed, VisitEnded]
    assert events[0].at == START and events[1].direction == "in"
    assert events[2].first_seen == START


def test_a_flicker_is_no_visitor_and_crosses_no_line():
    assert run(walker(2)) == []  # seen in 2 frames: under min_visit_frames, its crossing is dropped with it
