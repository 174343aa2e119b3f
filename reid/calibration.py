"""The match rule from labelled faces: distances of same-person and different-person pairs and how well each
candidate threshold separates them, then open-set identification (a face against a gallery of people, decided
by `reid.matching.MatchRule`): how many strangers are taken for someone and how many returning people are
found. Pure computation; `manage.py reid_calibrate` embeds the photos, `benchmark_reid` searches large
synthetic galleries.

A pair counts as a match when its distance is at most the threshold.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

import numpy as np

from reid.matching import Match, MatchRule, Outcome

CANDIDATE_THRESHOLDS = tuple(round(0.30 + 0.01 * step, 2) for step in range(21))  # 0.30 .. 0.50


GRID_THRESHOLDS = (0.30, 0.32, 0.34, 0.36, 0.38)  # open-set rules measured besides the product's
GRID_MARGINS = (0.0, 0.02, 0.04, 0.05, 0.06)

Nearest = tuple[Match, ...]  # a face's nearest visitor and the next
VisitQueries = list[tuple[Nearest, Nearest]]  # per visit, the nearest visitors of its two faces


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


def open_set_rates(rule: MatchRule, returning: VisitQueries, strangers: VisitQueries, own_visitors) -> dict:
    """Under `rule`: FAR (strangers accepted as anyone), TAR (returning people accepted as themselves), returning
    people accepted as someone else, the shares left uncertain, and FAR and TAR when the visit's two faces must
    both be accepted as the same visitor. Decided on the first face unless said otherwise."""

    def accepted(first: Nearest, second: Nearest | None = None):
        if rule.outcome(first) != Outcome.RETURNING:
            return None
        if second is not None and (
            rule.outcome(second) != Outcome.RETURNING or second[0].visitor_id != first[0].visitor_id
        ):
            return None
        return first[0].visitor_id

    def share(flags) -> float:
        return round(float(np.mean(list(flags))), 4)

    one = [accepted(first) for first, _ in returning]
    two = [accepted(first, second) for first, second in returning]
    return {
        "threshold": rule.threshold, "margin": rule.margin,
        "far": share(accepted(first) is not None for first, _ in strangers),
        "tar": share(found == own for found, own in zip(one, own_visitors, strict=True)),
        "returning_as_someone_else": share(
            found not in (None, own) for found, own in zip(one, own_visitors, strict=True)
        ),
        "returning_uncertain": share(rule.outcome(first) == Outcome.UNCERTAIN for first, _ in returning),
        "strangers_uncertain": share(rule.outcome(first) == Outcome.UNCERTAIN for first, _ in strangers),
        "far_two_samples": share(accepted(first, second) is not None for first, second in strangers),
        "tar_two_samples": share(found == own for found, own in zip(two, own_visitors, strict=True)),
    }  # fmt: skip


def open_set_grid(returning: VisitQueries, strangers: VisitQueries, own_visitors) -> list[dict]:
    return [
        open_set_rates(MatchRule(threshold, margin), returning, strangers, own_visitors)
        for threshold in GRID_THRESHOLDS for margin in GRID_MARGINS
    ]  # fmt: skip


def photo_visits(embeddings: Mapping[str, tuple[str, np.ndarray]]) -> tuple[VisitQueries, VisitQueries, list[int]]:
    """Open-set queries from labelled photos: each photo with the next photo of its person as the two faces of
    one visit, searched as a returning visitor (the gallery: every other photo, as the visitors of their
    people) and as a stranger (the gallery: the other people's photos). Returns the returning and the stranger
    queries and each returning query's own visitor. People with one photo make no visit; with two, only
    strangers (no photo of theirs is left for the gallery)."""
    names = list(embeddings)
    identities = sorted({identity for identity, _ in embeddings.values()})
    person = np.array([identities.index(embeddings[name][0]) for name in names])
    vectors = np.array([embeddings[name][1] for name in names])
    distances = np.linalg.norm(vectors[:, None] - vectors[None], axis=2)

    def nearest(photo: int, left_out: np.ndarray) -> Nearest:
        best: dict[int, float] = {}
        for other in np.flatnonzero(~left_out):
            best[int(person[other])] = min(best.get(int(person[other]), np.inf), float(distances[photo, other]))
        return tuple(Match(visitor, distance) for visitor, distance in sorted(best.items(), key=lambda v: v[1])[:2])

    returning, strangers, own = [], [], []
    for photo in range(len(names)):
        theirs = np.flatnonzero(person == person[photo])
        if len(theirs) < 2:
            continue
        partner = theirs[(np.searchsorted(theirs, photo) + 1) % len(theirs)]
        strangers.append((nearest(photo, person == person[photo]), nearest(partner, person == person[photo])))
        if len(theirs) >= 3:
            visit = np.isin(np.arange(len(names)), [photo, partner])
            returning.append((nearest(photo, visit), nearest(partner, visit)))
            own.append(int(person[photo]))
    return returning, strangers, own


def open_set_table(grid: list[dict], product: dict) -> list[str]:
    """The grid and the product's rule as printed lines."""
    lines = ["threshold margin   FAR    TAR   as-other  uncertain(ret/str)  FAR 2-agree  TAR 2-agree"]
    for row in [*grid, product]:
        mark = "  <- the product's rule for this scope" if row is product else ""
        lines.append(
            f"  {row['threshold']:.2f}    {row['margin']:.2f}  {row['far']:.3f}  {row['tar']:.3f}  "
            f"{row['returning_as_someone_else']:.3f}     {row['returning_uncertain']:.3f} / "
            f"{row['strangers_uncertain']:.3f}       {row['far_two_samples']:.3f}        "
            f"{row['tar_two_samples']:.3f}{mark}"
        )
    return lines
