"""The tracking metrics agree with py-motmetrics' published scores for its TUD reference tracker output."""

import importlib.util
from pathlib import Path

import pytest

from tests.vision.footage import FOOTAGE_DIR
from vision.metrics import evaluate, load_mot

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
