"""One person walking through twice stays one visitor: footage through the real product pipeline (YOLO person
detection and tracking, SCRFD faces, dlib embeddings), its events through the writer into re-identification, and
the venue's overview counting people, not visits.

The frames are composed from REAL face photos (FACES_DIR, see tests/test_reid_faces.py) rather than taken from the
CCTV clips: on TUD-Campus and TUD-Stadtmitte the faces are 7-25 px wide and their quality at most 0.013 against the
0.2 minimum, so no visit of the clips gets an embedding and a re-identification check on them would check nothing.
Here a person photo, scaled to a full-height figure of a 640x480 camera (the clips' size), walks across an empty
scene, frame by frame at the analysis rate; the scene stays empty long enough for the visit to end; the same person
walks back in a DIFFERENT photo; then someone else walks through. The frames reach the pipeline as a folder of
JPEGs read by the product's `ImageFolderSource`, like any image-sequence footage.
"""

import itertools
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.urls import reverse

from core.tenancy import tenant_scope
from ingest.job_runner import pipeline_for
from ingest.models import Visit
from ingest.writer import Origin, events_write
from reid.models import Visitor
from tests.conftest import session_client
from vision.events import VisitEnded
from vision.pipeline import PipelineConfig
from vision.sources import ImageFolderSource

FACES_DIR = Path(os.environ.get("FACES_DIR") or Path(__file__).resolve().parents[1].parent / "shared" / "faces")
START = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)  # footage time 0: a Monday, 11:00 at the venue (Europe/Paris)
WIDTH, HEIGHT = 640, 480
FIGURE_PX = 380  # photo height in the frame: a person near the camera, faces 117-142 px wide (quality 0.9-1)
WALK_S = 3.0  # one pass across the scene
# longer than a lost visitor is kept (then its visit ends) and than the tracker keeps a lost track (30 frames)
GAP_S = PipelineConfig().relink_gap_s + 1.0
# angelina_1 and angelina_5: two photos of one person (dlib distance 0.26 as seen in these frames, threshold 0.38);
# george_clooney_2: someone else (0.61-0.63 from both). All three are portraits narrow enough to cross the frame.
PASSES = ("angelina_1", "angelina_5", "george_clooney_2")


def figure(name: str) -> np.ndarray:
    photo = cv2.imread(str(FACES_DIR / f"{name}.jpg"))
    assert photo is not None, FACES_DIR / f"{name}.jpg"
    scale = FIGURE_PX / photo.shape[0]
    return cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def walkthrough(folder: Path, fps: float) -> list[tuple[float, float]]:
    """Write the scene's frames as JPEGs, `fps` per second of footage; returns each pass's (start, end) in seconds."""
    background = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)  # an empty, evenly lit floor
    frames, passes = [], []
    for number, name in enumerate(PASSES):
        person = figure(name)
        top = HEIGHT - FIGURE_PX - 10
        lefts = np.linspace(0, WIDTH - person.shape[1], round(WALK_S * fps)).astype(int)
        passes.append((len(frames) / fps, (len(frames) + len(lefts) - 1) / fps))
        for left in lefts if number % 2 == 0 else lefts[::-1]:  # left to right, back, and across again
            frame = background.copy()
            frame[top : top + FIGURE_PX, left : left + person.shape[1]] = person
            frames.append(frame)
        frames += [background] * round((GAP_S if number < len(PASSES) - 1 else 0.5) * fps)
    folder.mkdir()
    for index, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{index:06d}.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return passes


def test_one_person_walking_through_twice_is_one_visitor(world_a, tmp_path):
    world, fps = world_a, settings.VISION_ANALYSIS_FPS
    passes = walkthrough(tmp_path / "img1", fps)
    source = ImageFolderSource(tmp_path / "img1", fps=fps)
    assert (source.info.width, source.info.height) == (WIDTH, HEIGHT)

    started = time.perf_counter()
    with tenant_scope(world.tenant):
        job = world.job
        job.recording_start = START
        job.save(update_fields=["recording_start"])
        pipeline, zone_ids, line_ids = pipeline_for(world.camera, (WIDTH, HEIGHT))  # the tenant's face processing
        events = list(pipeline.run(source.frames(fps), job.recording_start, (WIDTH, HEIGHT)))
        analysed = time.perf_counter() - started
        origin = Origin(f"job:{job.pk}", world.tenant.pk, world.venue.pk, world.camera.pk, job.pk)
        events_write(origin, events, zone_ids, line_ids)
        visits = list(Visit.objects.filter(job=job).order_by("at"))
        visitors = Visitor.objects.count()

    ended = sorted((e for e in events if isinstance(e, VisitEnded)), key=lambda e: e.first_seen)
    faces = [np.asarray(e.face_embedding) if e.face_embedding else None for e in ended]
    distances = {
        (a, b): round(float(np.linalg.norm(faces[a] - faces[b])), 3)
        for a, b in itertools.combinations(range(len(faces)), 2)
        if faces[a] is not None and faces[b] is not None
    }
    print(
        f"\n{pipeline.progress.frames_done} frames analysed in {analysed:.1f} s; {len(ended)} visits, faces "
        f"{[e.face_model for e in ended]}, embedding distances by visit pair {distances}; visitors {visitors}"
    )

    # the pipeline: one visit per pass (a track that breaks within a pass is re-linked), each with a face
    assert pipeline.progress.frames_done == source.info.frame_count
    assert len(ended) == len(PASSES), [(e.first_seen, e.at) for e in ended]
    for visit, (begin, end) in zip(ended, passes, strict=True):  # in footage time, within its pass
        assert START + timedelta(seconds=begin) <= visit.first_seen <= visit.at <= START + timedelta(seconds=end)
    assert all(e.face_model == "dlib-resnet-128" and e.face_embedding for e in ended)

    # the writer: three visits, each linked to a visitor; both passes of the same person to one visitor
    assert len(visits) == len(PASSES) and all(v.visitor_id for v in visits), visits
    first, again, other = (v.visitor_id for v in visits)
    assert again == first, f"the same person came back as a new visitor: distances {distances}"
    assert other != first, f"a different person was taken for a returning one: distances {distances}"
    assert visitors == 2

    # the overview: three visits, two people
    day = START.date().isoformat()
    answer = session_client(world.owner).get(
        reverse("analytics-overview", args=[world.venue.pk]), {"from": day, "to": day}
    )
    assert answer.status_code == 200, answer.content
    assert (answer.json()["visits"], answer.json()["unique_visitors"]) == (3, 2), answer.json()
