"""Write a store-like version of a MOTChallenge sequence (vision.store_footage): people smaller, and many at once.

Prints the output's frame size and how tall its people are (10th, 50th and 90th percentiles of the
ground-truth box heights), the figure that says whether it looks like a store camera's view.
"""

import argparse
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from vision.metrics import load_mot
from vision.sources import SourceError
from vision.store_footage import sequence_source, store_sequence_write


def _grid(value: str) -> tuple[int, int]:
    rows, _, cols = value.lower().partition("x")
    if not (rows.isdigit() and cols.isdigit() and int(rows) > 0 and int(cols) > 0):
        raise argparse.ArgumentTypeError(f"{value!r} is not ROWSxCOLS, such as 3x3")
    return int(rows), int(cols)


def _scale(value: str) -> float:
    scale = float(value)
    if not 0 < scale <= 1:
        raise argparse.ArgumentTypeError(f"{value} is not a scale in (0, 1]")
    return scale


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("sequence", type=Path, help="MOTChallenge folder: a video or img1/, and gt/gt.txt")
        parser.add_argument("out", type=Path, help="Output folder; the video is named after it")
        parser.add_argument("--scale", type=_scale, default=0.4, help="Each cell's size against the original")
        parser.add_argument("--grid", type=_grid, default=(3, 3), metavar="ROWSxCOLS", help="Cells (default 3x3)")

    def handle(self, *args, sequence: Path, out: Path, scale: float, grid: tuple[int, int], **options):
        if not (sequence / "gt" / "gt.txt").is_file():
            raise CommandError(f"{sequence}/gt/gt.txt not found.")
        try:
            store_sequence_write(sequence, out, scale, *grid)
        except (FileNotFoundError, SourceError) as error:
            raise CommandError(str(error)) from error
        info = sequence_source(out).info
        heights = [h for boxes in load_mot(out / "gt" / "gt.txt").values() for *_, h in boxes]
        self.stdout.write(f"{out}: {info.width}x{info.height}, {info.frame_count} frames at {info.fps:g} fps")
        if heights:
            p10, p50, p90 = np.percentile(heights, [10, 50, 90])
            self.stdout.write(f"  people {p10:.0f} / {p50:.0f} / {p90:.0f} px tall (p10 / p50 / p90)")
        else:
            self.stdout.write("  no people in the ground truth")
