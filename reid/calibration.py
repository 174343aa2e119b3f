"""The match threshold from labelled faces: distances of same-person and different-person pairs, and how well
each candidate threshold separates them. Pure computation; `manage.py reid_calibrate` embeds the photos.

A pair counts as a match when its distance is at most the threshold, as in `reid.matching.visitor_match`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

import numpy as np

CANDIDATE_THRESHOLDS = tuple(round(0.30 + 0.01 * step, 2) for step in range(21))  # 0.30 .. 0.50


@dataclass(frozen=True)
class ThresholdFigures:
    threshold: float
    accuracy: float  # share of all pairs decided right
    false_match_rate: float  # share of different-person pairs within the threshold
    false_non_match_rate: float  # share of same-person pairs beyond it
    false_matches: int
    false_non_matches: int


def pair_distances(embeddings: Mapping[str, tuple[str, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """L2 distances of every same-identity pair and every different-identity pair of `name -> (identity,
    embedding)`."""
    same, different = [], []
    for (identity_a, a), (identity_b, b) in itertools.combinations(embeddings.values(), 2):
        (same if identity_a == identity_b else different).append(float(np.linalg.norm(np.asarray(a) - np.asarray(b))))
    return np.array(same), np.array(different)


def threshold_figures(same: np.ndarray, different: np.ndarray, threshold: float) -> ThresholdFigures:
    false_matches = int((different <= threshold).sum())
    false_non_matches = int((same > threshold).sum())
    return ThresholdFigures(
        threshold=round(float(threshold), 4),
        accuracy=1 - (false_matches + false_non_matches) / (len(same) + len(different)),
        false_match_rate=false_matches / len(different),
        false_non_match_rate=false_non_matches / len(same),
        false_matches=false_matches,
        false_non_matches=false_non_matches,
    )


def _spread(distances: np.ndarray) -> dict:
    p1, p5, p50, p95, p99 = np.percentile(distances, [1, 5, 50, 95, 99])
    return {"pairs": len(distances), "min": float(distances.min()), "p1": float(p1), "p5": float(p5),
            "median": float(p50), "p95": float(p95), "p99": float(p99), "max": float(distances.max())}  # fmt: skip


def calibration(
    same: np.ndarray, different: np.ndarray, current: float | None, thresholds: Iterable[float] = CANDIDATE_THRESHOLDS
) -> dict:
    """Both distributions, each candidate threshold's figures, the most accurate one (the lowest of equals:
    fewer false matches) and the current setting's."""
    table = [threshold_figures(same, different, t) for t in thresholds]
    best = max(table, key=lambda row: (row.accuracy, -row.threshold))
    return {
        "same": _spread(same),
        "different": _spread(different),
        "thresholds": [asdict(row) for row in table],
        "best": asdict(best),
        "current": None if current is None else asdict(threshold_figures(same, different, current)),
    }
