"""`python manage.py reid_calibrate [--faces DIR] [--json FILE]`: how well the match rule separates real faces.

Embeds the best face of every photo in the folder's `labels.csv` (`file,identity,...`) with the product's
FaceAnalyzer, then prints the distances of same-person and different-person pairs and, per candidate threshold,
pair accuracy, false-match and false-non-match rates; then open-set figures (see `reid.calibration.photo_visits`):
each photo, with another of its person as a visit's second face, against a gallery of the other people (a
stranger) and of everyone's other photos (returning), under the product's rule for a scope that size and a grid.
"""

import csv
import itertools
import json
import os
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reid.calibration import calibration, open_set_grid, open_set_rates, open_set_table, pair_distances, photo_visits
from reid.matching import match_rule
from vision.faces import FaceAnalyzer

HARDEST = 5  # pairs of each kind listed: the farthest same-person and the nearest different-person ones


def default_faces_dir() -> Path:
    return Path(os.environ.get("FACES_DIR") or Path(settings.BASE_DIR).parent / "shared" / "faces")


def photo_embeddings(analyzer: FaceAnalyzer, folder: Path) -> tuple[dict[str, tuple[str, np.ndarray]], str, list]:
    """`file -> (identity, embedding of its best face)`, the embedding model, and the files without a face."""
    embeddings, model, faceless = {}, None, []
    with (folder / "labels.csv").open(newline="") as labels:
        for row in csv.DictReader(labels):
            image = cv2.imread(str(folder / row["file"]))
            faces = analyzer.faces(image) if image is not None else []
            if not faces:
                faceless.append(row["file"])
                continue
            embedding, _, model = analyzer.describe(faces[0])
            embeddings[row["file"]] = (row["identity"], embedding)
    return embeddings, model, faceless


def _hardest(embeddings: dict) -> dict:
    """The farthest same-person pairs and the nearest different-person pairs, with their photos."""
    same, different = [], []
    for (name_a, (identity_a, a)), (name_b, (identity_b, b)) in itertools.combinations(embeddings.items(), 2):
        pair = (round(float(np.linalg.norm(a - b)), 4), f"{name_a} / {name_b}")
        (same if identity_a == identity_b else different).append(pair)
    return {"same_farthest": sorted(same, reverse=True)[:HARDEST], "different_nearest": sorted(different)[:HARDEST]}


def _summary(label: str, figures: dict) -> str:
    return (
        f"{label}: accuracy {figures['accuracy']:.4f}, false-match rate {figures['false_match_rate']:.4f}, "
        f"false-non-match rate {figures['false_non_match_rate']:.4f}"
    )


class Command(BaseCommand):
    help = "Measure how well face match thresholds separate same-person from different-person pairs of photos."

    def add_arguments(self, parser):
        parser.add_argument("--faces", type=Path, default=None, help="folder with labels.csv (default FACES_DIR)")
        parser.add_argument(
            "--json", dest="json_path", type=Path, default=None, help="also write the figures to this file"
        )

    def handle(self, *args, faces, json_path, **options):
        folder = faces or default_faces_dir()
        if not (folder / "labels.csv").is_file():
            raise CommandError(f"no labels.csv in {folder}")
        embeddings, model, faceless = photo_embeddings(FaceAnalyzer.from_model_dir(settings.VISION_MODEL_DIR), folder)
        if faceless:
            self.stderr.write(f"no face found on {len(faceless)} photos, left out: {', '.join(faceless)}")
        same, different = pair_distances(embeddings)
        if not len(same) or not len(different):
            raise CommandError("need at least two photos of one person and two people")
        identities = len({identity for identity, _ in embeddings.values()})
        rule = match_rule(model, identities)
        current = rule.threshold if rule else None
        result = calibration(same, different, current)
        out = self.stdout.write
        out(f"{model}: {len(embeddings)} photos of {identities} people in {folder}")
        for kind in ("same", "different"):
            s = result[kind]
            out(
                f"  {kind:9} {s['pairs']:5} pairs: min {s['min']:.3f}  p1 {s['p1']:.3f}  p5 {s['p5']:.3f}  "
                f"median {s['median']:.3f}  p95 {s['p95']:.3f}  p99 {s['p99']:.3f}  max {s['max']:.3f}"
            )
        hardest = _hardest(embeddings)
        out("  farthest same-person pairs:     " + ", ".join(f"{n} {d:.3f}" for d, n in hardest["same_farthest"]))
        out("  nearest different-person pairs: " + ", ".join(f"{n} {d:.3f}" for d, n in hardest["different_nearest"]))
        out("threshold  accuracy  false-match  false-non-match")
        for row in result["thresholds"]:
            out(
                f"  {row['threshold']:.2f}     {row['accuracy']:.4f}   {row['false_match_rate']:.4f} "
                f"({row['false_matches']:3})  {row['false_non_match_rate']:.4f} ({row['false_non_matches']:3})"
            )
        out(_summary(f"best threshold {result['best']['threshold']:.2f}", result["best"]))
        if current is None:
            out(f"current setting: no threshold for {model} (never matched)")
        else:
            out(_summary(f"current setting {current:.2f}", result["current"]))
        open_set = self._open_set(embeddings, rule, identities) if rule else None
        if json_path:
            payload = {
                "face_model": model, "faces_dir": str(folder), "photos": len(embeddings), "people": identities,
                "faceless": faceless, **hardest, **result, "open_set": open_set,
            }  # fmt: skip
            json_path.write_text(json.dumps(payload, indent=2) + "\n")
            out(f"written to {json_path}")

    def _open_set(self, embeddings: dict, rule, people: int) -> dict:
        returning, strangers, own = photo_visits(embeddings)
        product = open_set_rates(rule, returning, strangers, own)
        grid = open_set_grid(returning, strangers, own)
        self.stdout.write(
            f"open set: {len(returning)} returning visits (gallery: every other photo), {len(strangers)} strangers' "
            f"visits (gallery: the other people); the product's rule for {people} visitors: threshold "
            f"{rule.threshold:.2f}, margin {rule.margin:.2f}"
        )
        for line in open_set_table(grid, product):
            self.stdout.write(line)
        return {"returning_visits": len(returning), "stranger_visits": len(strangers), "product_rule": product,
                "grid": grid}  # fmt: skip
