"""Review clip frames: what is drawn where (pixel checks on plain and noisy frames), face blurring, and the
encoded clip (H.264 in MP4, read back with PyAV) on real footage."""

from datetime import UTC, datetime

import av
import cv2
import numpy as np
import pytest

from tests.vision.footage import FOOTAGE_DIR
from vision.annotate import (
    LINE_COLOUR,
    TRACK_COLOURS,
    ZONE_COLOURS,
    ZONE_OPACITY,
    Tally,
    annotate,
    faces_blur,
    head_region,
    in_arrow,
)
from vision.clips import ReviewClipRecorder, clip_size
from vision.events import LineCrossed, ZoneEntered, ZoneExited
from vision.geometry import Line, SceneGeometry, Zone
from vision.sources import VideoFileSource

GREY = 128
WIDTH, HEIGHT = 640, 360
AT = datetime(2026, 11, 20, 9, tzinfo=UTC)
SHELF = Zone("Shelf", "area", ((0.5, 0.5), (0.9, 0.5), (0.9, 0.9), (0.5, 0.9)))
DOOR = Line("Door", (0.25, 0.1), (0.25, 0.9), "left")  # walking down the screen: the left is the screen's right
PERSON = (300.0, 60.0, 360.0, 300.0)  # a standing person, 60 x 240 px
CAMPUS = FOOTAGE_DIR / "TUD-Campus" / "TUD-Campus.mp4"


def grey() -> np.ndarray:
    return np.full((HEIGHT, WIDTH, 3), GREY, np.uint8)


def noise(seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)


def test_zones_are_shaded_translucently_in_their_colour_and_nothing_else_is():
    image = annotate(grey(), SceneGeometry(zones=(SHELF,)), [], Tally(), blur_faces=False)
    expected = np.round(GREY * (1 - ZONE_OPACITY) + np.array(ZONE_COLOURS["area"]) * ZONE_OPACITY)
    assert np.abs(image[250, 450].astype(int) - expected).max() <= 1  # inside the shelf
    assert (image[100, 450] == GREY).all() and (image[340, 600] == GREY).all()  # above it, below it
    assert tuple(image[round(0.5 * (HEIGHT - 1)), 450]) == ZONE_COLOURS["area"]  # its outline


@pytest.mark.parametrize("in_side", ["left", "right"])
def test_a_line_is_drawn_with_an_arrow_to_its_inside(in_side):
    door = Line("Door", DOOR.start, DOOR.end, in_side)
    image = annotate(grey(), SceneGeometry(lines=(door,)), [], Tally(), blur_faces=False)
    x = round(0.25 * (WIDTH - 1))
    assert tuple(image[200, x]) == LINE_COLOUR and tuple(image[300, x]) == LINE_COLOUR

    middle, tip = in_arrow(door, WIDTH, HEIGHT)
    assert door.side((tip[0] / WIDTH, tip[1] / HEIGHT), dead_band=0.01) == in_side  # the arrow points in
    shaft = (middle[0] + tip[0]) // 2, middle[1]
    mirrored = 2 * middle[0] - shaft[0], middle[1]
    assert tuple(image[shaft[1], shaft[0]]) == LINE_COLOUR
    assert (image[mirrored[1], mirrored[0]] == GREY).all()  # nothing drawn on the outside


def test_each_person_gets_a_box_in_a_colour_of_their_visit_and_a_labelled_chip_above_it():
    image = annotate(grey(), SceneGeometry(), [(7, PERSON)], Tally(), blur_faces=False)
    colour = TRACK_COLOURS[7 % len(TRACK_COLOURS)]
    x1, y1, x2, y2 = map(int, PERSON)
    assert tuple(image[200, x1]) == colour and tuple(image[200, x2]) == colour  # the sides
    assert tuple(image[y2, 330]) == colour  # the bottom
    chip = image[y1 - 15 : y1 - 2, x1 : x1 + 18].reshape(-1, 3)
    assert (chip == colour).all(axis=1).sum() > 0.5 * len(chip)  # the visit number's chip, mostly background
    assert (chip == 255).all(axis=1).any()  # and the white text on it
    assert (image[200, x1 + 10 : x2 - 10] == GREY).all()  # the person inside is left alone


def test_the_counts_panel_shows_the_tally_of_the_events():
    tally = Tally()
    for event in [
        LineCrossed(1, AT, "Door", "in"), LineCrossed(2, AT, "Door", "in"), LineCrossed(1, AT, "Door", "out"),
        ZoneEntered(1, AT, "Shelf"), ZoneEntered(2, AT, "Shelf"), ZoneExited(2, AT, "Shelf", entered_at=AT),
    ]:  # fmt: skip
        tally.add(event)
    assert tally.crossings["Door"] == {"in": 2, "out": 1} and tally.inside["Shelf"] == 1

    geometry = SceneGeometry(zones=(SHELF,), lines=(DOOR,))
    panel = (slice(0, 60), slice(0, 120))
    counted = annotate(grey(), geometry, [], tally, blur_faces=False)[panel]
    nothing = annotate(grey(), geometry, [], Tally(), blur_faces=False)[panel]
    assert counted.mean() < GREY - 20  # a dark panel with white text, top left
    assert (counted == 255).all(axis=2).any()
    assert not np.array_equal(counted, nothing)  # other counts, other text


def test_the_recorder_passes_the_events_on_and_counts_them(tmp_path):
    recorder = ReviewClipRecorder(tmp_path / "clip.mp4", SceneGeometry(lines=(DOOR,)), (WIDTH, HEIGHT), seconds=10,
                                  fps=8, blur_faces=True)  # fmt: skip
    events = [LineCrossed(1, AT, "Door", "in"), ZoneEntered(1, AT, "Shelf"), LineCrossed(2, AT, "Door", "out")]
    assert list(recorder.counted(iter(events))) == events
    assert recorder.tally.crossings["Door"] == {"in": 1, "out": 1} and recorder.tally.inside["Shelf"] == 1
    assert recorder.close() is None  # no frame: no clip


def test_the_head_is_the_top_of_the_box_and_larger_for_a_person_cut_off_below():
    assert head_region(PERSON, (HEIGHT, WIDTH, 3)) == (300, 60, 360, 108)  # a fifth of 240 px
    assert head_region((300, 250, 400, 360), (HEIGHT, WIDTH, 3)) == (300, 250, 400, 300)  # half of 100 px wide
    assert head_region((-30, 100, 30, 340), (HEIGHT, WIDTH, 3)) == (0, 100, 30, 148)  # clipped to the image
    assert head_region((300, -200, 360, 40), (HEIGHT, WIDTH, 3)) is None  # the head is above the image


def test_blurring_changes_the_head_and_nothing_else():
    image = noise()
    original = image.copy()
    faces_blur(image, [PERSON])
    left, top, right, bottom = head_region(PERSON, image.shape)
    changed = np.argwhere((image != original).any(axis=2))
    assert changed[:, 0].min() >= top and changed[:, 0].max() < bottom
    assert changed[:, 1].min() >= left and changed[:, 1].max() < right
    head, before = image[top:bottom, left:right], original[top:bottom, left:right]
    assert _sharpness(head) < 0.05 * _sharpness(before)  # noise blurred away


def test_annotating_without_blur_leaves_the_head_as_it_was():
    image, original = noise(), noise()
    annotate(image, SceneGeometry(), [(1, PERSON)], Tally(), blur_faces=False)
    assert np.array_equal(image[70:105, 310:350], original[70:105, 310:350])  # inside the head, off the outline
    annotate(image, SceneGeometry(), [(1, PERSON)], Tally(), blur_faces=True)
    assert _sharpness(image[70:105, 310:350]) < 0.05 * _sharpness(original[70:105, 310:350])


def test_the_clip_size_is_at_most_1280_wide_and_even():
    assert clip_size((1920, 1080)) == (1280, 720)
    assert clip_size((640, 480)) == (640, 480)
    assert clip_size((1281, 721)) == (1280, 720)
    assert clip_size((2000, 999)) == (1280, 640)  # 639.36: the nearest even height


def _sharpness(image: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def _recorded(path, *, blur_faces: bool, seconds: float = 120):
    source = VideoFileSource(CAMPUS)
    geometry = SceneGeometry(zones=(SHELF,), lines=(DOOR,))
    frames = list(source.frames(8))
    with ReviewClipRecorder(path, geometry, (source.info.width, source.info.height), seconds=seconds, fps=8,
                            blur_faces=blur_faces) as recorder:  # fmt: skip
        for frame in frames:
            recorder(frame, [(3, PERSON)])
    return path, recorder.info, frames


def _decoded(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]


def test_a_clip_of_real_footage_is_h264_in_mp4_at_footage_speed(tmp_path):
    path, info, frames = _recorded(tmp_path / "clip.mp4", blur_faces=True)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == (640, 480) == (info.width, info.height)
        duration = container.duration / av.time_base
    assert path.read_bytes()[:2048].find(b"moov") != -1  # the index first: playback starts before the download ends
    assert info.frames == len(frames) == len(_decoded(path)) == 23  # 2.84 s analysed at 8 fps
    assert duration == pytest.approx(info.duration_seconds, abs=0.01) == pytest.approx(frames[-1].pts + 1 / 8)

    _, info, _ = _recorded(tmp_path / "short.mp4", blur_faces=True, seconds=1.0)
    assert info.frames == sum(1 for frame in frames if frame.pts < 1.0) == 8


def test_the_clip_blurs_heads_unless_told_not_to(tmp_path):
    blurred, _, frames = _recorded(tmp_path / "blurred.mp4", blur_faces=True)
    sharp, _, _ = _recorded(tmp_path / "sharp.mp4", blur_faces=False)
    head = (slice(70, 105), slice(310, 350))  # inside PERSON's head region, off the outline
    body = (slice(150, 250), slice(310, 350))
    source = frames[10].image
    blurred_frame, sharp_frame = _decoded(blurred)[10], _decoded(sharp)[10]
    assert _sharpness(blurred_frame[head]) < 0.3 * _sharpness(source[head])
    assert _sharpness(sharp_frame[head]) > 0.6 * _sharpness(source[head])
    assert np.abs(blurred_frame[body].astype(int) - sharp_frame[body].astype(int)).mean() < 3  # the rest: alike
