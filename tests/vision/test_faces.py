"""Faces with the real models on real photos: detection, embeddings, quality, head region, age/gender, sampling.

Photos: FACES_DIR (default <repo>/../shared/faces, see its README). Models: VISION_MODEL_DIR (default
<repo>/../shared/models). Run with -s to see the measured figures.
"""

import csv
import itertools
import os
import time
from collections import defaultdict
from pathlib import Path
from statistics import median

import cv2
import numpy as np
import pytest

from vision.events import AGE_BRACKETS
from vision.faces import (
    CHIP_MAX_FACE_PX,
    ArcFaceEmbedder,
    FaceAnalyzer,
    FaceCandidate,
    FaceDetector,
    TrackFaceSampler,
    similarity_transform,
)

REPO = Path(__file__).resolve().parents[2]
MODEL_DIR = Path(os.environ.get("VISION_MODEL_DIR") or REPO.parent / "shared" / "models")
FACES_DIR = Path(os.environ.get("FACES_DIR") or REPO.parent / "shared" / "faces")

# Single-person photos with real people in the background, all found by SCRFD (see the faces README):
# jennifer_4 two blurred faces, jack_dorsey_3 a profile cut by the left edge, jack_dorsey_5 two faces cut by the
# bottom edge. The subject's face must still be the best one.
BACKGROUND_FACES = {"jennifer_4.jpg", "jack_dorsey_3.jpg", "jack_dorsey_5.jpg"}
GRAY = 128


def read(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None, path
    return image


def rows(path: Path) -> list[dict]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def width(face: FaceCandidate) -> float:
    return face.box[2] - face.box[0]


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer.from_model_dir(MODEL_DIR)


@pytest.fixture(scope="module")
def single_photos(analyzer) -> dict[str, tuple[dict, list[FaceCandidate]]]:
    """file -> (its labels.csv row, every face found, best quality first)."""
    return {row["file"]: (row, analyzer.faces(read(FACES_DIR / row["file"]))) for row in rows(FACES_DIR / "labels.csv")}


@pytest.fixture(scope="module")
def embeddings(analyzer, single_photos) -> dict[str, tuple[str, np.ndarray]]:
    """file -> (identity, embedding of the photo's best face)."""
    return {name: (row["identity"], analyzer.embedder.embed(faces[0])) for name, (row, faces) in single_photos.items()}


def face_crop(name: str, analyzer: FaceAnalyzer, face_width: int) -> np.ndarray:
    """The photo's best face with some context, scaled so that the face box is `face_width` pixels wide."""
    image = read(FACES_DIR / name)
    x1, y1, x2, y2 = analyzer.faces(image)[0].box
    scale = face_width / (x2 - x1)
    pad = 0.3 * (x2 - x1)
    crop = image[max(0, int(y1 - pad)) : int(y2 + pad), max(0, int(x1 - pad)) : int(x2 + pad)]
    return cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def paste(canvas: np.ndarray, patch: np.ndarray, centre_x: int, top: int) -> tuple[float, float, float, float]:
    left = centre_x - patch.shape[1] // 2
    canvas[top : top + patch.shape[0], left : left + patch.shape[1]] = patch
    return (left, top, left + patch.shape[1], top + patch.shape[0])


def inside(face: FaceCandidate, area: tuple[float, float, float, float]) -> bool:
    centre_x, centre_y = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
    return area[0] <= centre_x <= area[2] and area[1] <= centre_y <= area[3]


def test_one_face_per_single_person_photo(single_photos):
    missed = [name for name, (_, faces) in single_photos.items() if not faces]
    several = {name: len(faces) for name, (_, faces) in single_photos.items() if len(faces) > 1}
    exactly_one = sum(len(faces) == 1 for _, faces in single_photos.values())
    print(f"\nface found on {len(single_photos) - len(missed)}/{len(single_photos)} single-person photos; "
          f"exactly one on {exactly_one}; several: {several}")  # fmt: skip
    assert not missed
    assert set(several) <= BACKGROUND_FACES
    for name in several:
        faces = single_photos[name][1]
        assert width(faces[0]) == max(width(face) for face in faces), f"{name}: the subject is not the best face"


@pytest.mark.parametrize("row", rows(FACES_DIR / "multi" / "labels.csv"), ids=lambda row: row["file"])
def test_face_count_on_group_photos(analyzer, row):
    assert len(analyzer.detector.detect(read(FACES_DIR / row["file"]))) == int(row["faces_detected"])


def test_same_person_embeddings_are_closer_than_different_people(embeddings):
    same, different = [], []
    for (identity_a, a), (identity_b, b) in itertools.combinations(embeddings.values(), 2):
        (same if identity_a == identity_b else different).append(float(np.linalg.norm(a - b)))
    same_array, different_array = np.array(same), np.array(different)

    def accuracy(threshold: float) -> float:
        right = (same_array <= threshold).sum() + (different_array > threshold).sum()
        return float(right / (len(same) + len(different)))

    threshold = max(np.arange(0.2, 1.0, 0.01), key=accuracy)
    print(f"\nL2 distance of normalised embeddings, {len(same)} same-person and {len(different)} different pairs")
    for label, values in (("same", same), ("different", different)):
        print(f"  {label}: min {min(values):.3f} median {median(values):.3f} max {max(values):.3f}")
    print(f"  best threshold {threshold:.2f}: pair accuracy {accuracy(threshold):.4f}")
    assert median(same) < median(different)
    assert accuracy(threshold) >= 0.95
    assert all(np.isclose(np.linalg.norm(vector), 1.0, atol=1e-5) for _, vector in embeddings.values())


@pytest.mark.parametrize("name", ["angelina_1.jpg", "obama_1.jpg", "mark_4.jpg", "katy_perry_5.jpg"])
def test_quality_rejects_tiny_and_blurred_faces(analyzer, name):
    image = read(FACES_DIR / name)
    face = analyzer.faces(image)[0]
    scale = 20 / width(face)
    tiny = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(image, (0, 0), width(face) / 10)
    tiny_qualities = [round(f.quality, 3) for f in analyzer.faces(tiny)]
    blurred_qualities = [round(f.quality, 3) for f in analyzer.faces(blurred)]
    print(f"\n{name}: quality {face.quality:.2f}, 20 px {tiny_qualities}, blurred {blurred_qualities}")
    assert face.quality >= analyzer.min_quality
    assert all(quality < analyzer.min_quality for quality in tiny_qualities + blurred_qualities)
    whole = (0, 0, image.shape[1], image.shape[0])
    assert analyzer.find(blurred, whole) is None
    assert analyzer.find(tiny, (0, 0, tiny.shape[1], tiny.shape[0])) is None


def test_find_takes_the_face_in_the_head_region_of_a_person_box(analyzer):
    canvas = np.full((720, 1280, 3), GRAY, dtype=np.uint8)
    person = (300, 100, 540, 700)  # 240 x 600: head region y 76..340
    head = paste(canvas, face_crop("angelina_1.jpg", analyzer, 80), 420, 130)
    paste(canvas, face_crop("obama_1.jpg", analyzer, 80), 420, 450)  # e.g. a face printed on a T-shirt
    paste(canvas, face_crop("mark_1.jpg", analyzer, 80), 700, 130)  # the next person, beside the box
    assert len(analyzer.faces(canvas)) == 3

    face = analyzer.find(canvas, person)

    assert face is not None and inside(face, head)
    assert face.quality >= analyzer.min_quality
    assert face.chip.shape[0] >= width(face) and face.chip.shape[1] >= width(face)


def test_find_ignores_faces_outside_the_head_region(analyzer):
    canvas = np.full((720, 1280, 3), GRAY, dtype=np.uint8)
    paste(canvas, face_crop("obama_1.jpg", analyzer, 80), 420, 450)  # low in the box: not the person's head
    paste(canvas, face_crop("mark_1.jpg", analyzer, 80), 700, 130)  # beside the box
    assert len(analyzer.faces(canvas)) == 2

    assert analyzer.find(canvas, (300, 100, 540, 700)) is None


class CountingAnalyzer(FaceAnalyzer):
    """The real models; counts detector runs and descriptions."""

    def __init__(self, analyzer: FaceAnalyzer) -> None:
        super().__init__(
            CountingDetector(analyzer.detector),
            analyzer.embedder,
            analyzer.age_gender,
            min_quality=analyzer.min_quality,
        )
        self.descriptions = 0

    @property
    def detector_runs(self) -> int:
        return self.detector.runs

    def describe(self, face):
        self.descriptions += 1
        return super().describe(face)


class CountingDetector:
    def __init__(self, detector: FaceDetector) -> None:
        self.detector = detector
        self.runs = 0

    def detect(self, image_bgr):
        self.runs += 1
        return self.detector.detect(image_bgr)


PERSON = (300, 100, 540, 700)


def person_frame(analyzer: FaceAnalyzer, face_width: int | None) -> np.ndarray:
    """A person seen from the front with a face `face_width` pixels wide, or from behind (no face) for None."""
    canvas = np.full((720, 1280, 3), GRAY, dtype=np.uint8)
    if face_width is not None:
        paste(canvas, face_crop("angelina_1.jpg", analyzer, face_width), 420, 130)
    return canvas


def test_sampler_stops_at_the_first_good_face_and_describes_it_once(analyzer):
    counting = CountingAnalyzer(analyzer)
    sampler = TrackFaceSampler(counting, min_interval_s=0.5, max_attempts=10, good_quality=0.6)
    frame = person_frame(analyzer, 100)
    for index in range(100):
        sampler.offer(7, index * 0.1, frame, PERSON)
    assert counting.detector_runs == sampler.attempts(7) == 1
    assert not sampler.wants(7, 100.0)

    embedding, demographics, model = sampler.finish(7)

    assert counting.descriptions == 1
    assert embedding is not None and embedding.shape == (128,) and model == "dlib-resnet-128"
    assert demographics is not None and demographics.gender == "female" and demographics.age_bracket in AGE_BRACKETS
    assert sampler.finish(7) == (None, None, None)
    assert counting.descriptions == 1


def test_sampler_gives_up_after_max_attempts_when_no_face_shows(analyzer):
    counting = CountingAnalyzer(analyzer)
    sampler = TrackFaceSampler(counting, min_interval_s=0.5, max_attempts=10)
    from_behind = person_frame(analyzer, None)
    attempt_times = []
    for index in range(100):
        at = index * 0.1
        before = counting.detector_runs
        sampler.offer(3, at, from_behind, PERSON)
        if counting.detector_runs > before:
            attempt_times.append(at)

    assert counting.detector_runs == len(attempt_times) == 10
    assert min(np.diff(attempt_times)) >= 0.5 - 1e-9
    assert sampler.finish(3) == (None, None, None)
    assert counting.descriptions == 0


def test_sampler_keeps_the_best_face_and_stops_once_it_is_good(analyzer):
    counting = CountingAnalyzer(analyzer)
    sampler = TrackFaceSampler(counting, min_interval_s=0.5, max_attempts=10, good_quality=0.6)
    far, near = person_frame(analyzer, 36), person_frame(analyzer, 100)  # walking towards the camera
    for index in range(100):
        sampler.offer(5, index * 0.1, far if index < 20 else near, PERSON)
        if index == 19:
            far_face = sampler.best(5)
            assert far_face is not None and analyzer.min_quality <= far_face.quality < 0.6
            assert sampler.attempts(5) == 4  # at 0, 0.5, 1.0, 1.5 s

    assert sampler.attempts(5) == counting.detector_runs == 5
    assert sampler.best(5).quality >= 0.6
    sampler.finish(5)
    assert counting.descriptions == 1


def test_age_and_gender_on_labelled_photos(analyzer, single_photos):
    estimates = {name: analyzer.age_gender.estimate(faces[0]) for name, (_, faces) in single_photos.items()}
    labelled = {name: row["gender"] for name, (row, _) in single_photos.items() if row["gender"]}
    right = [
        name for name, gender in labelled.items() if estimates[name] and estimates[name].gender[0].upper() == gender
    ]
    aged = {name: row["age"] for name, (row, _) in single_photos.items() if row["age"]}
    age_right = []
    for name, label in aged.items():
        low, high = (int(v) for v in label.split("-"))
        bracket_low, _, bracket_high = estimates[name].age_bracket.rstrip("+").partition("-")
        if int(bracket_low) <= high and (not bracket_high or int(bracket_high) >= low):
            age_right.append(name)
    by_identity = defaultdict(list)
    for name, (row, _) in single_photos.items():
        if estimates[name]:
            by_identity[row["identity"]].append(estimates[name].gender)
    consistent = sum(max(genders.count(g) for g in set(genders)) for genders in by_identity.values())
    estimated = sum(map(len, by_identity.values()))
    print(
        f"\ngender right on {len(right)}/{len(labelled)} labelled photos (all one woman); age bracket within the label"
        f" on {len(age_right)}/{len(aged)}; demographics given for {estimated}/{len(estimates)} photos; gender agrees"
        f" with the identity's majority on {consistent}/{estimated}"
    )
    assert len(right) >= 0.85 * len(labelled)
    assert len(age_right) == len(aged)
    assert estimated >= 0.9 * len(estimates)
    assert consistent >= 0.95 * estimated
    assert {"female", "male"} <= {d.gender for d in estimates.values() if d}  # labels are all female: not a constant


def test_age_and_gender_are_withheld_for_an_unusable_face(analyzer):
    image = read(FACES_DIR / "obama_1.jpg")
    face = analyzer.faces(image)[0]
    blurred = analyzer.faces(cv2.GaussianBlur(image, (0, 0), width(face) / 10))
    assert blurred and all(analyzer.age_gender.estimate(f) is None for f in blurred)


def test_large_faces_are_kept_downscaled_and_embed_the_same(analyzer, embeddings):
    image = read(FACES_DIR / "angelina_1.jpg")
    large = analyzer.faces(cv2.resize(image, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC))[0]
    assert large.chip_scale < 1.0
    assert max(large.chip.shape[:2]) <= 2.1 * CHIP_MAX_FACE_PX
    assert np.linalg.norm(analyzer.embedder.embed(large) - embeddings["angelina_1.jpg"][1]) < 0.1


def test_arcface_is_offered_only_when_its_weights_are_there(analyzer):
    assert not list(MODEL_DIR.glob("w600k_*.onnx"))
    assert ArcFaceEmbedder.from_model_dir(MODEL_DIR) is None
    assert analyzer.embedder.model_name == "dlib-resnet-128"


def test_similarity_transform_recovers_rotation_scale_and_shift():
    angle, scale, shift = np.deg2rad(20), 1.7, np.array([12.0, -5.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    source = np.array([[30, 50], [70, 50], [50, 70], [35, 90], [65, 90]], dtype=np.float32)
    target = source @ rotation.T + shift
    transform = similarity_transform(source, target)
    assert np.allclose(transform[:, :2], rotation, atol=1e-4)
    assert np.allclose(transform[:, 2], shift, atol=1e-3)


def test_per_call_timings(analyzer):
    image = read(FACES_DIR / "multi" / "multi_obama_biden.jpg")
    canvas = person_frame(analyzer, 60)

    def per_call_ms(call, repeats=5):
        """Milliseconds per call after a warm-up call, and the last result."""
        call()
        start = time.perf_counter()
        for _ in range(repeats):
            result = call()
        return (time.perf_counter() - start) / repeats * 1000, result

    detect_ms, _ = per_call_ms(lambda: analyzer.detector.detect(image))
    find_ms, face = per_call_ms(lambda: analyzer.find(canvas, PERSON))
    assert face is not None
    embed_ms, _ = per_call_ms(lambda: analyzer.embedder.embed(face))
    age_gender_ms, _ = per_call_ms(lambda: analyzer.age_gender.estimate(face))
    print(
        f"\ndetect {image.shape[1]}x{image.shape[0]} frame {detect_ms:.1f} ms, find in a person's head region"
        f" {find_ms:.1f} ms, embed {embed_ms:.1f} ms, age+gender {age_gender_ms:.1f} ms"
    )
    assert find_ms < 200 and embed_ms < 1000 and age_gender_ms < 200  # catches a model run at the wrong size
