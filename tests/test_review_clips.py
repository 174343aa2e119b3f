"""Annotated review clips: made by a real run of the pipeline on real footage, stored in the media storage,
served to the tenant (with byte ranges) and to nobody else, shown on the job's page, deleted when they expire.

No worker runs here: jobs run in the foreground with `video_job_run`, as `process_video` does.
"""

import re
import zoneinfo
from datetime import timedelta
from pathlib import Path

import av
import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from core.models import Membership, Tenant
from core.tenancy import tenant_scope
from ingest import job_runner
from ingest.job_runner import video_job_run
from ingest.models import LineCrossing, ReviewClip, VideoJob
from ingest.services import review_clip_save
from ingest.tasks import review_clips_expire_all
from tests.conftest import PASSWORD, key_client, session_client
from tests.test_jobs_api import clip as campus_upload
from tests.test_jobs_api import job_of, update_job
from tests.vision.footage import MODEL_DIR
from venues.models import Camera
from venues.services import camera_snapshot_save
from vision.clips import H264Writer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_models(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VISION_MODEL_DIR = str(MODEL_DIR)


@pytest.fixture
def owner(world_a):
    return session_client(world_a.owner)


def run(world, job_id: int) -> VideoJob:
    with tenant_scope(world.tenant):
        return video_job_run(VideoJob.objects.select_related("camera").get(pk=job_id))


def clip_of(world, job) -> ReviewClip | None:
    with tenant_scope(world.tenant):
        return ReviewClip.objects.filter(job=job).first()


def stored_clip(world, tmp_path, *, frames=16, faces_blurred=True) -> ReviewClip:
    """A small real MP4 (a moving square, 8 fps) stored as the world's job's clip through the service."""
    path = tmp_path / f"made-{world.tenant.pk}.mp4"
    writer = H264Writer(path, (160, 120), fps=8)
    for index in range(frames):
        image = np.zeros((120, 160, 3), np.uint8)
        image[40:80, 5 * index : 5 * index + 40] = 255
        writer.write(image, index / 8)
    with tenant_scope(world.tenant):
        return review_clip_save(world.job, path, writer.close(), faces_blurred=faces_blurred)


def page_of(client, job) -> str:
    return client.get(reverse("job-page", args=[job.pk])).content.decode()


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_job_makes_an_h264_clip_of_its_first_minutes_with_the_counts_it_stored(
    world_a, owner, settings, monkeypatch, django_capture_on_commit_callbacks
):
    recorders = []

    class Recorder(job_runner.ReviewClipRecorder):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            recorders.append(self)

    monkeypatch.setattr(job_runner, "ReviewClipRecorder", Recorder)
    with django_capture_on_commit_callbacks(execute=False):
        response = owner.post(reverse("job-list"), {"camera": world_a.camera.pk, "file": campus_upload(),
                                                    "review_clip": "true", "recording_start": "2026-11-20T09:00"})  # fmt: skip
    assert response.status_code == 201, response.json()
    assert response.json()["clip_requested"] is True and response.json()["clip"] is None
    job = run(world_a, response.json()["id"])
    assert job.status == VideoJob.Status.SUCCEEDED, job.error

    clip = clip_of(world_a, job)
    assert re.fullmatch(rf"clips/{world_a.tenant.pk}/{job.pk}-[\w-]{{16}}\.mp4", clip.file.name)
    path = Path(settings.MEDIA_ROOT) / clip.file.name
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == (clip.width, clip.height) == (640, 480)
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded == clip.frames == job.frames_done  # the whole 2.84 s clip: within the first 120 s
    assert clip.duration_seconds == pytest.approx(job.video_seconds_total, abs=0.15)
    assert clip.size_bytes == path.stat().st_size and clip.faces_blurred
    assert clip.expires_at - timezone.now() == pytest.approx(timedelta(days=7), abs=timedelta(minutes=1))

    with tenant_scope(world_a.tenant):  # the counts drawn are the events the job stored
        stored = {d: LineCrossing.objects.filter(job=job, direction=d).count() for d in ("in", "out")}
    assert sum(stored.values()) >= 2 and dict(recorders[0].tally.crossings["Door"]) == {
        d: n for d, n in stored.items() if n
    }
    assert recorders[0].tally.inside["Front"] == 0  # everyone who entered the zone left it by the end

    detail = owner.get(reverse("job-detail", args=[job.pk])).json()
    assert detail["clip"]["url"] == reverse("job-clip-request", args=[job.pk])  # GET: the MP4
    assert detail["clip"]["frames"] == clip.frames and detail["clip"]["faces_blurred"] is True

    # Again, asked for on the finished job: a one-second clip without blurring, kept two days, replacing the first
    Tenant.objects.filter(pk=world_a.tenant.pk).update(blur_faces_in_clips=False, clip_retention_days=2)
    settings.REVIEW_CLIP_SECONDS = 1.0
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = owner.post(reverse("job-clip-request", args=[job.pk]))
    assert response.status_code == 200 and response.json()["status"] == "queued" and len(enqueued) == 1
    with django_capture_on_commit_callbacks(execute=True):  # the replaced clip's file goes once committed
        job = run(world_a, job.pk)
    again = clip_of(world_a, job)
    assert job.status == VideoJob.Status.SUCCEEDED and job.attempts == 2
    assert again.pk != clip.pk and not path.exists() and (Path(settings.MEDIA_ROOT) / again.file.name).exists()
    assert again.frames == 8 and not again.faces_blurred  # the frames at 0, 1/8, ..., 7/8 s
    assert again.expires_at - timezone.now() == pytest.approx(timedelta(days=2), abs=timedelta(minutes=1))


def test_a_clip_is_asked_for_on_a_finished_job_only_and_review_clip_must_be_a_boolean(world_a, owner):
    response = owner.post(reverse("job-clip-request", args=[world_a.job.pk]))  # queued
    assert response.status_code == 400 and "Only a finished job" in response.json()["status"]
    assert not job_of(world_a, world_a.job.pk).clip_requested
    response = owner.post(reverse("job-list"), {"camera": world_a.camera.pk, "file": campus_upload(),
                                                "review_clip": "maybe"})  # fmt: skip
    assert response.status_code == 400 and response.json() == {"review_clip": ["Must be a valid boolean."]}


def test_the_clip_is_served_to_its_tenant_with_byte_ranges_and_to_no_one_else(world_a, world_b, owner, tmp_path):
    clip = stored_clip(world_a, tmp_path)
    url = reverse("job-clip", args=[world_a.job.pk])
    content = (Path(clip.file.storage.location) / clip.file.name).read_bytes()
    size = len(content)

    whole = owner.get(url)
    assert whole.status_code == 200 and streamed(whole) == content
    assert whole["Content-Type"] == "video/mp4" and whole["Accept-Ranges"] == "bytes"
    assert whole["Content-Length"] == str(size)

    part = owner.get(url, HTTP_RANGE="bytes=100-299")
    assert part.status_code == 206 and streamed(part) == content[100:300]
    assert part["Content-Range"] == f"bytes 100-299/{size}" and part["Content-Length"] == "200"
    assert streamed(owner.get(url, HTTP_RANGE="bytes=-50")) == content[-50:]  # the last 50 bytes
    rest = owner.get(url, HTTP_RANGE=f"bytes={size - 10}-")
    assert rest.status_code == 206 and streamed(rest) == content[-10:]
    beyond = owner.get(url, HTTP_RANGE=f"bytes={size}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{size}"

    assert session_client(world_b.owner).get(url).status_code == 404  # another tenant's
    assert session_client(world_b.owner).get(url, HTTP_RANGE="bytes=0-99").status_code == 404
    assert owner.get(reverse("job-clip", args=[world_b.job.pk])).status_code == 404  # a job without a clip
    assert Client().get(url).status_code == 302  # to the login page

    api = reverse("job-clip-request", args=[world_a.job.pk])  # the same through the API, with an API key
    by_key = key_client(world_a.key).get(api, HTTP_RANGE="bytes=100-299")
    assert by_key.status_code == 206 and streamed(by_key) == content[100:300]
    assert key_client(world_b.key).get(api).status_code == 404
    assert key_client(world_a.key).get(reverse("job-clip-request", args=[world_b.job.pk])).status_code == 404

    clip.file.storage.delete(clip.file.name)
    assert owner.get(url).status_code == 404  # the row without its file


def test_expired_clips_are_deleted_file_and_row_and_fresh_ones_kept(
    world_a, world_b, tmp_path, django_capture_on_commit_callbacks
):
    expired, fresh = stored_clip(world_a, tmp_path), stored_clip(world_b, tmp_path)
    with tenant_scope(world_a.tenant):
        ReviewClip.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert "ingest.tasks.review_clips_expire_all" in app.tasks  # the beat entry's task (config/schedules.py)

    with django_capture_on_commit_callbacks(execute=True):  # files go once the deletion is committed
        assert review_clips_expire_all() == 1
    assert clip_of(world_a, world_a.job) is None and not expired.file.storage.exists(expired.file.name)
    assert clip_of(world_b, world_b.job) is not None and fresh.file.storage.exists(fresh.file.name)
    assert review_clips_expire_all() == 0


def test_the_jobs_page_shows_the_clip_with_its_face_setting_and_expiry(world_a, owner, tmp_path):
    update_job(world_a, world_a.job, status=VideoJob.Status.SUCCEEDED, finished_at=timezone.now())
    page = page_of(owner, world_a.job)
    assert f'action="{reverse("job-clip-form", args=[world_a.job.pk])}"' in page and "Make a review clip" in page
    assert "<video" not in page and "Faces are blurred." in page

    clip = stored_clip(world_a, tmp_path)
    page = page_of(owner, world_a.job)
    assert f'<video controls preload="metadata" src="{reverse("job-clip", args=[world_a.job.pk])}"' in page
    expiry = clip.expires_at.astimezone(zoneinfo.ZoneInfo(world_a.venue.time_zone)).strftime("%Y-%m-%d %H:%M")
    assert "Faces blurred" in page and f"Kept until {expiry}." in page and "Make a review clip" not in page

    with tenant_scope(world_a.tenant):
        ReviewClip.objects.filter(pk=clip.pk).update(faces_blurred=False)
    assert "Faces not blurred (tenant setting)" in page_of(owner, world_a.job)


def test_make_a_review_clip_reruns_a_finished_job_for_analysts_and_owners_only(
    world_a, owner, django_capture_on_commit_callbacks
):
    form = reverse("job-clip-form", args=[world_a.job.pk])
    response = owner.post(form, follow=True)  # still queued: refused, with the reason
    assert "Only a finished job can be retried" in response.content.decode()
    assert not job_of(world_a, world_a.job.pk).clip_requested

    viewer = get_user_model().objects.create_user("viewer", password=PASSWORD)
    Membership.objects.create(user=viewer, tenant=world_a.tenant, role=Membership.Role.VIEWER)
    update_job(world_a, world_a.job, status=VideoJob.Status.SUCCEEDED, finished_at=timezone.now())
    assert "Make a review clip" not in page_of(session_client(viewer), world_a.job)
    assert "read-only" in session_client(viewer).post(form, follow=True).content.decode()
    assert not job_of(world_a, world_a.job.pk).clip_requested

    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = owner.post(form)
    assert response.status_code == 302 and response["Location"] == reverse("job-page", args=[world_a.job.pk])
    job = job_of(world_a, world_a.job.pk)
    assert job.clip_requested and job.status == VideoJob.Status.QUEUED and len(enqueued) == 1
    assert "This run makes a review clip" in page_of(owner, job)


def test_deleting_a_job_or_a_camera_deletes_their_files(world_a, tmp_path, django_capture_on_commit_callbacks):
    clip = stored_clip(world_a, tmp_path)
    with tenant_scope(world_a.tenant):
        job = VideoJob.objects.get(pk=world_a.job.pk)
        job.upload.save("footage.mp4", ContentFile(b"footage"), save=True)
        camera = camera_snapshot_save(Camera.objects.get(pk=world_a.camera.pk), np.zeros((8, 8, 3), np.uint8))
        files = [Path(clip.file.path), Path(job.upload.path), Path(camera.snapshot.path)]
        assert all(path.exists() for path in files)
        with django_capture_on_commit_callbacks(execute=True):
            job.delete()  # and its clip, by cascade
        assert not files[0].exists() and not files[1].exists() and files[2].exists()
        with django_capture_on_commit_callbacks(execute=True):
            camera.delete()
        assert not files[2].exists()
