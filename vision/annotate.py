"""Drawing one frame of an annotated review clip: the camera's zones and counting lines, each tracked person with
their visit id, and the counts so far, so a store manager can check what the pipeline counted.

Pure image work on BGR numpy frames (OpenCV for shapes, Pillow for text in any script); no Django.

Faces are blurred from the person boxes alone, never from face detections: the pipeline looks for faces on a
few frames of each track only, and a blur that depended on a detection would miss every face it did not find.
The head region (`head_region`) is blurred on every frame for every tracked person, seen from the front or not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vision.events import Event, LineCrossed, ZoneEntered, ZoneExited
from vision.geometry import Line, SceneGeometry
from vision.tracking import Box

# BGR colours; Pillow draws on the BGR array as if it were RGB, so its colours are given in the same order
ZONE_COLOURS = {"area": (235, 140, 40), "queue": (0, 150, 255), "checkout": (70, 180, 70), "entrance": (190, 70, 170)}
LINE_COLOUR = (0, 225, 255)
TRACK_COLOURS = ((60, 60, 230), (230, 160, 40), (50, 200, 50), (200, 60, 200), (40, 200, 230), (230, 230, 60))
TEXT_COLOUR = (255, 255, 255)
PANEL_COLOUR = (30, 30, 30)
ZONE_OPACITY = 0.25
PANEL_OPACITY = 0.6
HEAD_SHARE = 0.2  # of a standing person's box height; at least HEAD_WIDTH_SHARE of its width (a person cut off below)
HEAD_WIDTH_SHARE = 0.5


@dataclass
class Tally:
    """The counts a clip shows, from the pipeline's events so far: crossings of each line by direction, and the
    people in each zone (entered minus exited, with the pipeline's own hysteresis: what the stored events say)."""

    crossings: defaultdict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    inside: Counter = field(default_factory=Counter)

    def add(self, event: Event) -> None:
        if isinstance(event, LineCrossed):
            self.crossings[event.line][event.direction] += 1
        elif isinstance(event, ZoneEntered):
            self.inside[event.zone] += 1
        elif isinstance(event, ZoneExited):
            self.inside[event.zone] -= 1


def head_region(box: Box, shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    """The part of a person box where the face is, as (x1, y1, x2, y2) pixels clipped to the image; None when
    nothing of it is in the image. The box's full width, and from its top down a fifth of its height or half
    its width, whichever is taller (a person cut off by the bottom of the image has a short box)."""
    x1, y1, x2, y2 = box
    bottom = min(y2, y1 + max(HEAD_SHARE * (y2 - y1), HEAD_WIDTH_SHARE * (x2 - x1)))
    height, width = shape[:2]
    left, top = max(0, int(x1)), max(0, int(y1))
    right, bottom = min(width, int(np.ceil(x2))), min(height, int(np.ceil(bottom)))
    return (left, top, right, bottom) if right > left and bottom > top else None


def faces_blur(image: np.ndarray, boxes: Sequence[Box]) -> None:
    """Blur the head region of every person box, in place, beyond recognition (a Gaussian blur as wide as a
    quarter of the head)."""
    for box in boxes:
        region = head_region(box, image.shape)
        if region is None:
            continue
        left, top, right, bottom = region
        sigma = max(2.0, max(right - left, bottom - top) / 4)
        image[top:bottom, left:right] = cv2.GaussianBlur(image[top:bottom, left:right], (0, 0), sigma)


def annotate(
    image: np.ndarray,
    geometry: SceneGeometry,
    tracks: Sequence[tuple[int, Box]],
    tally: Tally,
    *,
    blur_faces: bool = True,
) -> np.ndarray:
    """Draw a review clip's frame on `image` (BGR; changed in place and returned). `tracks` are the people seen
    in it as (visit id, box in the image's pixels); zones and lines are in fractions of the image."""
    if blur_faces:
        faces_blur(image, [box for _, box in tracks])
    height, width = image.shape[:2]
    labels: list[tuple[tuple[float, float], str, tuple[int, int, int], bool]] = []  # (at, text, colour, above)

    shaded = image.copy()
    for zone in geometry.zones:
        cv2.fillPoly(shaded, [_pixels(zone.polygon, width, height)], ZONE_COLOURS[zone.kind])
    if geometry.zones:
        cv2.addWeighted(shaded, ZONE_OPACITY, image, 1 - ZONE_OPACITY, 0, dst=image)
    thickness = max(2, round(width / 640))
    for zone in geometry.zones:
        polygon = _pixels(zone.polygon, width, height)
        cv2.polylines(image, [polygon], True, ZONE_COLOURS[zone.kind], thickness, cv2.LINE_AA)
        top_left = min(polygon.tolist(), key=lambda p: p[0] + p[1])
        labels.append(((top_left[0] + thickness, top_left[1] + thickness), zone.name, ZONE_COLOURS[zone.kind], False))

    for line in geometry.lines:
        start, end = _pixels((line.start, line.end), width, height)
        cv2.line(image, tuple(start), tuple(end), LINE_COLOUR, thickness + 1, cv2.LINE_AA)
        middle, tip = in_arrow(line, width, height)
        cv2.arrowedLine(image, middle, tip, LINE_COLOUR, thickness + 1, cv2.LINE_AA, tipLength=0.3)
        labels.append(((tip[0] + thickness, tip[1]), "in", LINE_COLOUR, False))
        labels.append(((start[0] + thickness, start[1] + thickness), line.name, LINE_COLOUR, False))

    for visit_id, (x1, y1, x2, y2) in tracks:
        colour = TRACK_COLOURS[visit_id % len(TRACK_COLOURS)]
        cv2.rectangle(image, (int(x1), int(y1)), (int(x2), int(y2)), colour, thickness, cv2.LINE_AA)
        labels.append(((x1, y1), f"#{visit_id}", colour, True))

    return _text(image, labels, _counts(geometry, tracks, tally))


def in_arrow(line: Line, width: int, height: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """From the line's middle towards its inside (`in_side`), square to it, as pixels (start, tip)."""
    (sx, sy), (ex, ey) = _pixels((line.start, line.end), width, height).tolist()
    dx, dy = ex - sx, ey - sy
    # y points down: walking from start to end, (dy, -dx) points to the walker's left (see Line)
    normal = np.array((dy, -dx) if line.in_side == "left" else (-dy, dx), dtype=float)
    length = max(12.0, min(width, height) / 12)
    middle = np.array(((sx + ex) / 2, (sy + ey) / 2))
    tip = middle + normal / np.linalg.norm(normal) * length
    return (round(middle[0]), round(middle[1])), (round(tip[0]), round(tip[1]))


def _counts(geometry: SceneGeometry, tracks: Sequence[tuple[int, Box]], tally: Tally) -> list[str]:
    rows = [f"People now: {len(tracks)}"]
    rows += [f"{ln.name}: in {tally.crossings[ln.name]['in']} / out {tally.crossings[ln.name]['out']}"
             for ln in geometry.lines]  # fmt: skip
    rows += [f"{zone.name}: {tally.inside[zone.name]} inside" for zone in geometry.zones]
    return rows


def _pixels(points, width: int, height: int) -> np.ndarray:
    return np.array([(round(x * (width - 1)), round(y * (height - 1))) for x, y in points], dtype=np.int32)


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans, for names in any European script: the copy Matplotlib ships (installed with Ultralytics),
    else Pillow's own font (Latin letters without accents)."""
    try:
        return ImageFont.truetype(str(resources.files("matplotlib") / "mpl-data/fonts/ttf/DejaVuSans.ttf"), size)
    except (ImportError, OSError):
        return ImageFont.load_default(size=size)


def _text(image: np.ndarray, labels, rows: list[str]) -> np.ndarray:
    """The labels (on a solid chip of their colour, above or below their point) and the counts panel (top left,
    translucent), drawn last so that nothing covers them."""
    height, width = image.shape[:2]
    font = _font(max(12, round(height / 40)))
    pad = max(3, font.size // 4)
    line_height = font.size + pad
    panel_width = max(font.getbbox(row)[2] for row in rows) + 2 * pad
    panel_height = len(rows) * line_height + pad
    region = image[:panel_height, :panel_width]
    region[:] = cv2.addWeighted(region, 1 - PANEL_OPACITY, np.full_like(region, PANEL_COLOUR), PANEL_OPACITY, 0)

    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    for (x, y), text, colour, above in labels:
        _, _, right, bottom = font.getbbox(text)
        x = min(max(0, int(x)), width - right - 2 * pad)
        y = min(max(0, int(y) - (bottom + 2 * pad if above else 0)), height - bottom - 2 * pad)
        if x < panel_width and y < panel_height:  # under the panel: just below it instead
            y = panel_height
        draw.rectangle((x, y, x + right + 2 * pad, y + bottom + 2 * pad), fill=colour)
        draw.text((x + pad, y + pad), text, font=font, fill=TEXT_COLOUR)
    for index, row in enumerate(rows):
        draw.text((pad, pad + index * line_height), row, font=font, fill=TEXT_COLOUR)
    image[:] = np.asarray(canvas)
    return image
