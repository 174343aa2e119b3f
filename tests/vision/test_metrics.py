"""The tracking metrics agree with py-motmetrics' published scores for its TUD reference tracker output; the
ground truth's feet, people per frame, and store-like footage's ground truth."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from tests.vision.footage import FOOTAGE_DIR
from vision.metrics import evaluate, load_mot, mot_feet, people_per_frame_error
from vision.store_footage import CELL_ID_STRIDE, store_frame, store_ground_truth

# motmetrics 1.4.0, tests/test_metrics.py::test_motchallenge_files (IDF1, recall, precision, IDSW, MOTA)
EXPECTED = {
    "TUD-Campus": (0.557659, 0.582173, 0.941441, 7, 0.526462),
    "TUD-Stadtmitte": (0.644619, 0.608997, 0.939920, 7, 0.564014),
}
MOTMETRICS_DATA = Path(importlib.util.find_spec("motmetrics").submodule_search_locations[0]) / "data"


@pytest.mark.parametrize("sequence", sorted(EXPECTED))
def test_scores_match_the_reference_implementation(sequence):
    ground_truth = load_mot(FOOTAGE_DIR / sequence / "gt" / "gt.txt")
    tracked = load_mot(MOTMETRICS_DATA / sequence / "test.txt", ground_truth=False)
    scores = evaluate(ground_truth, tracked, sorted(set(ground_truth) | set(tracked)))
    idf1, recall, precision, switches, mota = EXPECTED[sequence]
    assert scores.idf1 == pytest.approx(idf1, abs=1e-4)
    assert scores.recall == pytest.approx(recall, abs=1e-4)
    assert scores.precision == pytest.approx(precision, abs=1e-4)
    assert scores.id_switches == switches
    assert scores.mota == pytest.approx(mota, abs=1e-4)
    assert 0 < scores.hota < 1


def test_ground_truth_keeps_only_pedestrians_that_count():
    mot17 = load_mot(FOOTAGE_DIR / "MOT17-04-mini8" / "gt" / "gt.txt")
    rows = [line.split(",") for line in (FOOTAGE_DIR / "MOT17-04-mini8" / "gt" / "gt.txt").read_text().splitlines()]
    kept = sum(1 for r in rows if r[6] == "1" and r[7] == "1")
    assert sum(len(boxes) for boxes in mot17.values()) == kept < len(rows)
    assert len(mot17) == 8 and all(len(boxes) == 42 for boxes in mot17.values())


def test_a_perfect_tracker_scores_one_and_a_swapped_one_does_not():
    ground_truth = load_mot(FOOTAGE_DIR / "TUD-Campus" / "gt" / "gt.txt")
    frames = sorted(ground_truth)
    perfect = evaluate(ground_truth, ground_truth, frames)
    assert (perfect.mota, perfect.idf1, perfect.hota, perfect.id_switches) == (1.0, 1.0, pytest.approx(1.0), 0)
    half = len(frames) // 2
    swapped = {f: [((i % 2) + 1 if f > half and i <= 2 else i, *box) for i, *box in ground_truth[f]] for f in frames}
    scores = evaluate(ground_truth, swapped, frames)
    assert scores.id_switches >= 1 and scores.idf1 < 1.0


def test_feet_are_the_bottom_centre_of_the_box_normalised_and_clamped():
    boxes = {1: [(7, 10.0, 20.0, 20.0, 40.0), (8, 90.0, 50.0, 20.0, 40.0)], 2: []}
    assert mot_feet(boxes, [1, 2, 3], (100, 80)) == {1: {7: (0.2, 0.75), 8: (1.0, 1.0)}, 2: {}, 3: {}}


def test_people_per_frame_error_is_the_mean_absolute_miscount():
    ground_truth = {1: [(1, 0, 0, 1, 1)] * 4, 2: [(1, 0, 0, 1, 1)] * 2, 3: []}
    assert people_per_frame_error(ground_truth, {1: 3, 2: 4, 3: 0}) == (1.0, 2.0)  # |3-4|, |4-2|, 0 over 4, 2, 0


def test_store_footage_ground_truth_lands_on_its_person_in_every_cell_mirrored_ones_too():
    image = np.zeros((80, 100, 3), dtype=np.uint8)
    image[20:60, 10:30] = 255  # the person: x 10, y 20, 20 x 40
    canvas = store_frame(image, scale=0.5, rows=2, cols=3)
    rows = store_ground_truth("1,7,10,20,20,40,1,-1,-1,-1\n", (100, 80), scale=0.5, rows=2, cols=3).splitlines()
    placed = {int(r.split(",")[1]): [float(v) for v in r.split(",")[2:6]] for r in rows}
    assert placed[0 * CELL_ID_STRIDE + 7] == [5.0, 10.0, 10.0, 20.0]
    assert placed[1 * CELL_ID_STRIDE + 7] == [50 + 50 - 5 - 10, 10.0, 10.0, 20.0]  # row 0, column 1: mirrored
    assert rows[1].endswith(",1,-1,-1,-1")
    for x, y, w, h in placed.values():
        assert (canvas[int(y) : int(y + h), int(x) : int(x + w)] == 255).all()
    assert (canvas == 255).sum() == len(placed) * 10 * 20 * 3  # and nothing white anywhere else


def test_splits_and_merges_count_both_ways_of_getting_identities_wrong():
    left, right = (0.0, 0.0, 10.0, 30.0), (100.0, 0.0, 10.0, 30.0)
    frames = list(range(1, 7))
    truth = {frame: [(1, *left), (2, *right)] for frame in frames}
    broken = {frame: [(10 if frame <= 3 else 11, *left), (20 if frame <= 4 else 21, *right)] for frame in frames}
    assert (evaluate(truth, broken, frames).splits, evaluate(truth, broken, frames).merges) == (2, 0)
    swapped = {frame: [(30 if frame <= 3 else 31, *left), (31 if frame <= 3 else 30, *right)] for frame in frames}
    scores = evaluate(truth, swapped, frames)
    assert (scores.splits, scores.merges) == (2, 2)  # each person had two identities, each identity two people
    brief = {frame: [(40 if frame != 6 else 41, *left), (50, *right)] for frame in frames}
    assert evaluate(truth, brief, frames).splits == 0  # an identity held for a single frame is not counted
