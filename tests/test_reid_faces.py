"""Returning visitors on REAL faces: the match threshold on the labelled photos, and the product's matching
(writer -> `reid.matching` -> pgvector) linking photos of one person to one visitor.

Photos: FACES_DIR (default <repo>/../shared/faces, see its README); models: VISION_MODEL_DIR. Run with -s to see
the measured figures.

Footage is not used here: on TUD-Campus and TUD-Stadtmitte (640x480) the faces SCRFD finds are 7-25 px wide,
face quality at most 0.013 against the 0.2 needed, so no visit of either clip gets an embedding (measured through
`ingest.job_runner.build_pipeline` at 8 and 25 fps), and a footage check of re-identification would check nothing.
"""

import os
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from core.tenancy import tenant_scope
from ingest.models import Visit
from reid.calibration import pair_distances, threshold_figures
from reid.management.commands.reid_calibrate import photo_embeddings
from reid.matching import match_rule
from reid.models import Visitor
from tests.conftest import build_world, face_visit
from tests.vision.footage import MODEL_DIR
from vision.faces import FaceAnalyzer

FACES_DIR = Path(os.environ.get("FACES_DIR") or Path(__file__).resolve().parents[1].parent / "shared" / "faces")
MODEL = "dlib-resnet-128"


@pytest.fixture(scope="module")
def photos() -> dict:
    """file -> (identity, embedding of its best face), with the product's face models (loaded once here)."""
    embeddings, model, faceless = photo_embeddings(FaceAnalyzer.from_model_dir(MODEL_DIR), FACES_DIR)
    assert model == MODEL and not faceless
    return embeddings


def test_the_match_threshold_separates_real_same_and_different_person_pairs(photos):
    threshold = match_rule(MODEL, visitors_in_scope=19).threshold  # the people in the photos
    same, different = pair_distances(photos)
    figures = threshold_figures(same, different, threshold)
    message = (
        f"threshold {threshold}: accuracy {figures.accuracy:.4f}, false-match rate {figures.false_match_rate:.4f} "
        f"({figures.false_matches}/{len(different)}), false-non-match rate {figures.false_non_match_rate:.4f} "
        f"({figures.false_non_matches}/{len(same)})"
    )
    print("\n" + message)
    assert len(same) >= 150 and len(different) >= 2500  # 76 photos of 19 people
    assert figures.accuracy >= 0.99, message
    # measured at 0.34 (19 people: the smallest scopes' threshold): no false match (at 0.38 the look-alikes
    # matt_damon / deepface_p34 made 2), 9 false non-matches of 154 pairs; as visits against a gallery of
    # the others' photos, 96.9 % of returning visits still find their person (reid_calibrate, docs/benchmarks.md)
    assert figures.false_match_rate <= 0.001 and figures.false_non_match_rate <= 0.06, message


def _round_robin(photos: dict) -> list[str]:
    """Every identity's first photo, then every identity's second, ...: people come back between others."""
    number = {name: int(name.rsplit("_", 1)[1].split(".")[0]) for name in photos}
    return sorted(photos, key=lambda name: (number[name], photos[name][0]))


@pytest.mark.django_db
def test_photos_of_one_person_link_to_one_visitor_through_the_writer(photos):
    world = build_world("Gamma Retail")
    order = _round_robin(photos)
    start = timezone.now() - timedelta(days=7)
    track = {name: 100 + index for index, name in enumerate(order)}  # clear of any visit build_world writes
    for index, name in enumerate(order):
        face_visit(world, track[name], start + timedelta(hours=index), photos[name][1])

    with tenant_scope(world.tenant):
        keys = dict(Visit.objects.filter(job=world.job).values_list("key", "visitor_id"))
        visitor_of = {name: keys[f"job:{world.job.pk}:visit:{track[name]}"] for name in order}
        samples = dict(
            Visitor.objects.filter(pk__in=set(visitor_of.values()))
            .annotate(n=Count("embeddings"))
            .values_list("pk", "n")
        )
    uncertain = [name for name in order if visitor_of[name] is None]  # about as near to two visitors
    order = [name for name in order if name not in uncertain]
    owner: dict[int, str] = {}  # visitor -> the person whose visit created it (visits are written in time order)
    first_visitor: dict[str, int] = {}  # person -> the visitor of their first photo (theirs if it created it)
    later = []  # every photo but each person's first
    for name in order:
        identity, visitor = photos[name][0], visitor_of[name]
        owner.setdefault(visitor, identity)
        if identity in first_visitor:
            later.append(name)
        else:
            first_visitor[identity] = visitor
    false_matches = [(name, owner[visitor_of[name]]) for name in order if owner[visitor_of[name]] != photos[name][0]]
    right = {identity: visitor for identity, visitor in first_visitor.items() if owner[visitor] == identity}
    linked_right = [name for name in later if visitor_of[name] == right.get(photos[name][0])]
    missed = [name for name in later if name not in linked_right and owner[visitor_of[name]] == photos[name][0]]
    recall = len(linked_right) / len(later)
    print(
        f"\nuncertain matches (linked to nobody): {uncertain}"
        f"\n{len(order)} photos of {len(first_visitor)} people -> {len(samples)} visitors; later photos linked to "
        f"their person's visitor {len(linked_right)}/{len(later)} (recall {recall:.3f}); new visitor instead: "
        f"{missed}; false matches (photo, visitor's person): {false_matches}; samples per visitor: "
        f"{dict(Counter(samples.values()))}"
    )
    # measured at 0.34 (the smallest scopes' threshold; 0.36 gives the same): 53/56 later photos linked right, no
    # false match, 21 visitors: alex_lacamoire_2 (0.366 from _1) and jennifer_2 (a small image) start visitors of
    # their own, and jennifer_4, then about as near to both of jennifer's visitors, is an uncertain match. At 0.38
    # all 57 were linked right, but a stranger's visit may then join a look-alike (reid_calibrate's open-set
    # figures: the deepface_p34 / matt_damon pairs at 0.36-0.37). 1 false match is allowed for them all the same.
    assert recall >= 0.9, (missed, false_matches)
    assert len(uncertain) <= 2, uncertain
    assert len(false_matches) <= 1, false_matches
    # 4 people have 6-8 photos: their visitors reached the cap and replaced their oldest samples
    assert max(samples.values()) <= settings.REID_SAMPLES_PER_VISITOR, samples
