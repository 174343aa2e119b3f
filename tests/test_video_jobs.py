"""Video jobs end to end: a real Celery worker on Redis runs the real pipeline on real footage."""

import time

import cv2
import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse

from core.tenancy import tenant_scope
from ingest.job_runner import NOBODY_DETECTED, pipeline_for, scene_geometry
from ingest.models import LineCrossing, VideoJob, Visit, ZoneEvent
from ingest.signals import footage_stored
from ingest.writer import Origin, events_write, job_events_clear
from tests.conftest import session_client
from tests.test_alerts import eager_tasks  # noqa: F401 (a fixture)
from tests.vision.footage import FOOTAGE_DIR, MODEL_DIR
from venues.models import Camera
from vision.events import LineCrossed, VisitEnded, VisitStarted, ZoneEntered, ZoneExited, ZoneVisit
from vision.metrics import load_mot

CAMPUS = FOOTAGE_DIR / "TUD-Campus" / "TUD-Campus.mp4"
STADTMITTE = FOOTAGE_DIR / "TUD-Stadtmitte" / "TUD-Stadtmitte.mp4"


@pytest.fixture(autouse=True)
def _models(settings):
    settings.VISION_MODEL_DIR = str(MODEL_DIR)


def _counts(job):
    with tenant_scope(job.tenant):
        return tuple(model.objects.filter(job=job).count() for model in (Visit, ZoneEvent, LineCrossing))


def _wait_for(job, statuses, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with tenant_scope(job.tenant):
            job.refresh_from_db()
        if job.status in statuses:
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job.pk} still {job.status} after {timeout} s")


def _log(worker) -> str:
    return worker.log.read_text()[-3000:]


def test_an_uploaded_clip_is_processed_by_a_worker_and_a_retry_replaces_its_events(worker, world_a):
    client = session_client(world_a.owner)
    with CAMPUS.open("rb") as clip:
        response = client.post(
            reverse("job-list"), {"camera": world_a.camera.pk, "file": clip, "recording_start": "2026-11-20T09:00:00"}
        )
    assert response.status_code == 201, response.json()
    job = VideoJob.objects.model(pk=response.json()["id"], tenant=world_a.tenant)
    job = _wait_for(job, VideoJob.FINISHED)
    assert job.status == VideoJob.Status.SUCCEEDED, (job.error, _log(worker))
    assert job.frames_done >= 20 and job.video_seconds_total == pytest.approx(2.84, abs=0.01)
    assert job.progress == 1.0 and job.rate > 0 and job.visits_found >= 5
    assert set(job.stage_seconds) == {"decode", "detect_track", "faces", "geometry"}
    visits, zone_events, crossings = first = _counts(job)
    assert 5 <= visits <= 10 and zone_events >= 4 and crossings >= 2
    with tenant_scope(world_a.tenant):
        starts = list(Visit.objects.filter(job=job).values_list("at", flat=True))
    paris_nine = job.recording_start  # 09:00 in Paris is 08:00 UTC in November
    assert paris_nine.hour == 8 and all(0 <= (s - paris_nine).total_seconds() <= 2.84 for s in starts)

    detail = client.get(reverse("job-detail", args=[job.pk])).json()
    assert detail["status"] == "succeeded" and detail["progress"] == 1.0

    assert client.post(reverse("job-retry", args=[job.pk])).status_code == 200
    job = _wait_for(job, VideoJob.FINISHED)
    assert job.status == VideoJob.Status.SUCCEEDED and job.attempts == 2
    assert _counts(job) == first  # replaced, not duplicated


def test_cancelling_a_running_job_stops_it_promptly(worker, world_a, settings):
    settings.VISION_ANALYSIS_FPS = 25.0  # every frame: long enough to cancel mid-way
    client = session_client(world_a.owner)
    with STADTMITTE.open("rb") as clip:
        job_id = client.post(reverse("job-list"), {"camera": world_a.camera.pk, "file": clip}).json()["id"]
    job = _wait_for(VideoJob.objects.model(pk=job_id, tenant=world_a.tenant), {VideoJob.Status.RUNNING})
    while job.frames_done == 0:
        job = _wait_for(job, {VideoJob.Status.RUNNING, *VideoJob.FINISHED})
    asked = time.monotonic()
    assert client.post(reverse("job-cancel", args=[job.pk])).json()["cancel_requested_at"]
    job = _wait_for(job, VideoJob.FINISHED, timeout=30)
    assert job.status == VideoJob.Status.CANCELLED
    assert time.monotonic() - asked < 10
    assert job.video_seconds_done < 7.1  # it did not run to the end of the 7.2 s clip


def test_a_broken_upload_fails_with_a_plain_reason(worker, world_a, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(CAMPUS.read_bytes()[:2000])  # a valid header, then nothing
    client = session_client(world_a.owner)
    with broken.open("rb") as clip:
        job_id = client.post(reverse("job-list"), {"camera": world_a.camera.pk, "file": clip}).json()["id"]
    job = _wait_for(VideoJob.objects.model(pk=job_id, tenant=world_a.tenant), VideoJob.FINISHED)
    assert job.status == VideoJob.Status.FAILED
    assert job.error == "No frame of the video could be decoded: the file may be incomplete or damaged."


@pytest.mark.django_db
def test_process_video_command_runs_the_same_service(world_a, capsys, eager_tasks, django_capture_on_commit_callbacks):  # noqa: F811
    stored = []
    footage_stored.connect(record := lambda sender, job, **kwargs: stored.append(job.pk), weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            call_command(
                "process_video", str(CAMPUS), venue=str(world_a.venue.pk), camera="Entrance",
                recording_start="2026-11-20T09:00:00",
            )  # fmt: skip
    finally:
        footage_stored.disconnect(record)
    with tenant_scope(world_a.tenant):
        job = VideoJob.objects.exclude(pk=world_a.job.pk).get()
        world_a.camera.refresh_from_db()
    assert job.status == VideoJob.Status.SUCCEEDED and job.source == VideoJob.Source.UPLOAD and not job.warning
    assert stored == [job.pk]  # once its events are committed: alerts check the hours it shows
    scale = world_a.camera.detection_scale  # what the job measured, kept for the camera page and the next job
    assert scale["basis"] == "measured" and scale["job"] == job.pk and scale["input_size"] == [576, 768]
    assert 15 <= scale["face_px"] <= 30 and scale["face_px_needed"] == 40  # people about 190 px tall: faces ~23 px
    visits = _counts(job)[0]
    assert visits >= 5
    assert "100%" in capsys.readouterr().err
    client = session_client(world_a.owner)
    page = client.get(reverse("venue-page", args=[world_a.venue.pk])).content.decode()
    assert "TUD-Campus.mp4" in page and "Succeeded" in page
    day = {"from": "2026-11-20", "to": "2026-11-20"}
    panel = client.get(reverse("venue-panel", args=[world_a.venue.pk, "overview"]), day).content.decode()
    assert f'data-kpi="unique_visitors">{visits}</span>' in panel  # no face is big enough: one person per visit
    # the most people at once against the ground truth's busiest frame (6 people), from the stored visits
    peak = client.get(reverse("analytics-overview", args=[world_a.venue.pk]), day).json()["peak_occupancy"]
    truth = max(len(boxes) for boxes in load_mot(CAMPUS.parent / "gt" / "gt.txt").values())
    assert abs(peak - truth) <= 1, (peak, truth)


@pytest.mark.django_db
def test_a_camera_set_to_small_people_overrides_the_measured_scale(world_a):
    with tenant_scope(world_a.tenant):
        assert world_a.camera.people_size == Camera.PeopleSize.AUTO  # the default measures
        Camera.objects.filter(pk=world_a.camera.pk).update(people_size=Camera.PeopleSize.SMALL)
        world_a.camera.refresh_from_db()
        pipeline, zones, lines = pipeline_for(world_a.camera, (640, 480))
    choice = pipeline.tracker.calibrate([np.zeros((480, 640, 3), np.uint8)])
    assert choice.basis == "override" and choice.small_people and choice.input_size == (1248, 1664)
    assert zones == {world_a.zone.name: world_a.zone.pk} and lines == {world_a.line.name: world_a.line.pk}


@pytest.mark.django_db
def test_a_camera_whose_first_second_shows_nobody_starts_from_its_last_measure(world_a):
    with tenant_scope(world_a.tenant):
        scale = {"input_size": [960, 1280], "small_people": True, "people_height": 0.1, "basis": "measured"}
        Camera.objects.filter(pk=world_a.camera.pk).update(detection_scale=scale)
        world_a.camera.refresh_from_db()
        pipeline, _, _ = pipeline_for(world_a.camera, (768, 576))
    choice = pipeline.tracker.calibrate([np.zeros((576, 768, 3), np.uint8)])  # an empty store
    assert choice.basis == "camera" and choice.input_size == (960, 1280) and choice.small_people


def test_a_truncated_file_keeps_what_it_read_and_says_it_ended_early(worker, world_a, tmp_path):
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(CAMPUS.read_bytes()[: CAMPUS.stat().st_size // 2])  # the index says 71 frames, 28 are left
    client = session_client(world_a.owner)
    with truncated.open("rb") as clip:
        job_id = client.post(reverse("job-list"), {"camera": world_a.camera.pk, "file": clip}).json()["id"]
    job = _wait_for(VideoJob.objects.model(pk=job_id, tenant=world_a.tenant), VideoJob.FINISHED)
    assert job.status == VideoJob.Status.SUCCEEDED and job.frames_total == 23, (job.error, _log(worker))
    assert job.frames_done < 0.5 * job.frames_total and _counts(job)[0] > 0  # what was read is kept
    assert job.warning.startswith(f"The video ended early: {job.frames_done} of its 23 frames could be read")


def test_footage_in_which_nobody_is_ever_found_finishes_with_a_warning_not_an_empty_store(worker, world_a, tmp_path):
    black = tmp_path / "black.mp4"
    writer = cv2.VideoWriter(str(black), cv2.VideoWriter_fourcc(*"mp4v"), 8, (640, 480))
    for _ in range(16):
        writer.write(np.zeros((480, 640, 3), np.uint8))
    writer.release()
    client = session_client(world_a.owner)
    with black.open("rb") as clip:
        job_id = client.post(reverse("job-list"), {"camera": world_a.camera.pk, "file": clip}).json()["id"]
    job = _wait_for(VideoJob.objects.model(pk=job_id, tenant=world_a.tenant), VideoJob.FINISHED)
    assert job.status == VideoJob.Status.SUCCEEDED and job.visits_found == 0, (job.error, _log(worker))
    assert job.warning == NOBODY_DETECTED
    assert client.get(reverse("job-detail", args=[job.pk])).json()["warning"] == NOBODY_DETECTED
    assert "the camera may be too far or blocked" in client.get(reverse("job-page", args=[job.pk])).content.decode()
    with tenant_scope(world_a.tenant):
        world_a.camera.refresh_from_db()
    assert world_a.camera.detection_scale["basis"] == "nobody seen"  # analysed at the largest size, in vain


@pytest.mark.django_db
def test_writing_the_same_events_twice_stores_them_once(world_a):
    start = world_a.job.created_at
    zone, line = world_a.zone.name, world_a.line.name
    events = [
        VisitStarted(1, start),
        ZoneEntered(1, start, zone),
        LineCrossed(1, start, line, "in"),
        ZoneExited(1, start, zone, start),
        VisitEnded(
            1, start, first_seen=start, zone_visits=(ZoneVisit(zone, start, start),), trajectory=((0, 0.5, 0.5),)
        ),
    ]
    with tenant_scope(world_a.tenant):
        _, zones, lines = scene_geometry(world_a.camera)
        origin = Origin(f"job:{world_a.job.pk}", world_a.tenant.pk, world_a.venue.pk, world_a.camera.pk, world_a.job.pk)
        events_write(origin, events[:3], zones, lines)
        events_write(origin, events, zones, lines)  # a retried batch, now with the rest
        events_write(origin, events, zones, lines)
        assert _counts(world_a.job) == (1, 2, 1)
        visit = Visit.objects.get(job=world_a.job)
        assert visit.ended_at == start and visit.zone_path == [zone]
        job_events_clear(world_a.job)
        assert _counts(world_a.job) == (0, 0, 0)
