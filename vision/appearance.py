"""What a person looks like, for telling whether a track that re-forms is the same person (re-linking, vision.
pipeline; stitching, vision.stitching): the colours of their clothes, robust on people 50 px tall."""

from __future__ import annotations

import cv2
import numpy as np

from vision.tracking import Box

BODY_BANDS = ((0.15, 0.45), (0.45, 0.7), (0.7, 0.95))  # torso, hips, legs, as shares of the box's height
LAB_UNLIKE = 40.0  # a Lab distance this large between two bands' colours counts as wholly unlike


def appearance(image: np.ndarray, box: Box) -> np.ndarray | None:
    """The median Lab colour of the middle of the torso, hips and legs (9 numbers). Medians of a few bands stay
    steady on people 50 px tall, where fine colour histograms are mostly noise (docs/benchmarks.md)."""
    x1, y1, x2, y2 = box
    width, height = x2 - x1, y2 - y1
    left, right = int(max(0, x1 + 0.25 * width)), int(min(image.shape[1], x2 - 0.25 * width))
    colours = []
    for top_share, bottom_share in BODY_BANDS:
        top, bottom = int(max(0, y1 + top_share * height)), int(min(image.shape[0], y1 + bottom_share * height))
        if bottom - top < 2 or right - left < 2:
            return None
        lab = cv2.cvtColor(image[top:bottom, left:right], cv2.COLOR_BGR2LAB).reshape(-1, 3)
        colours.append(np.median(lab, axis=0))
    return np.concatenate(colours).astype(np.float32)


def unlike(a: np.ndarray | None, b: np.ndarray) -> float:
    """0 for the same colours, about 1 and more for unlike ones (mean Lab distance of the bands / LAB_UNLIKE)."""
    if a is None:
        return float("inf")
    return float(np.linalg.norm((a - b).reshape(-1, 3), axis=1).mean() / LAB_UNLIKE)
