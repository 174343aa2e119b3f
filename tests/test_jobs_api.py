"""The video jobs API: creating (upload, URL, stream, batch), validating, listing, cancelling and retrying jobs.

No worker runs here: creating a job registers one `on_commit` callback that would enqueue its Celery task;
the tests count those callbacks and never run them.
"""

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.models import Membership
from core.tenancy import tenant_scope
from ingest.models import VideoJob
from tests.conftest import build_world, session_client
from tests.vision.footage import FOOTAGE_DIR
from venues.models import Camera

pytestmark = pytest.mark.django_db

JOBS = reverse("job-list")
BATCH = reverse("job-batch")
CLIP = FOOTAGE_DIR / "TUD-Campus" / "TUD-Campus.mp4"


def detail(job) -> str:
    return reverse("job-detail", args=[job.pk])


def clip(name: str = "TUD-Campus.mp4") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, CLIP.read_bytes(), content_type="video/mp4")


def jobs_of(world) -> list[VideoJob]:
    with tenant_scope(world.tenant):
        return list(VideoJob.objects.order_by("pk"))


def job_of(world, pk: int) -> VideoJob:
    with tenant_scope(world.tenant):
        return VideoJob.objects.get(pk=pk)


def update_job(world, job, **fields) -> None:
    with tenant_scope(world.tenant):
        VideoJob.objects.filter(pk=job.pk).update(**fields)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploads go to a temporary folder, never the repository's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def local_urls(settings):
    """An on-premises install: LAN/loopback hosts allowed."""
    settings.VIDEO_URL_ALLOWED_HOSTS = ["localhost"]
    settings.VIDEO_URL_ALLOW_PRIVATE = True


@pytest.fixture
def owner(world_a):
    return session_client(world_a.owner)


# --- Uploads ---------------------------------------------------------------------------------------


def test_upload_of_real_footage_creates_a_queued_job_and_enqueues_it_once(
    world_a, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner.post(
            JOBS, {"camera": world_a.camera.pk, "file": clip(), "recording_start": "2025-03-01T10:00:00+02:00"},
            format="multipart",
        )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["source"] == "upload"
    assert body["original_name"] == "TUD-Campus.mp4"
    assert body["camera"] == world_a.camera.pk and body["venue"] == world_a.venue.pk
    assert body["progress"] is None and body["eta_seconds"] is None and body["attempts"] == 0
    assert len(callbacks) == 1

    job = job_of(world_a, body["id"])
    stored = Path(job.upload.path)
    assert stored.is_file() and stored.read_bytes() == CLIP.read_bytes()
    assert job.created_by == world_a.owner
    assert job.recording_start == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)  # an explicit offset is kept


def test_naive_recording_start_is_the_venues_local_time(world_a, owner):
    response = owner.post(
        JOBS, {"camera": world_a.camera.pk, "file": clip(), "recording_start": "2025-03-01T10:00:00"},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    assert job_of(world_a, response.json()["id"]).recording_start == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _random_bytes() -> bytes:
    data = random.Random(42).randbytes(4096)
    assert data[0] not in (0x00, 0x1A, 0x47, 0x52) and data[4:8] != b"ftyp"  # no container signature by chance
    return data


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: SimpleUploadedFile("notes.txt", CLIP.read_bytes()), "is not a video file: use one of .mp4"),
        (lambda: SimpleUploadedFile("clip.mp4", _random_bytes()), "does not look like a video"),
        (lambda: SimpleUploadedFile("clip.mp4", b""), "The submitted file is empty."),
    ],
    ids=["wrong-extension", "not-a-video", "empty"],
)
def test_bad_uploads_are_refused_naming_the_file_field(world_a, owner, upload, message):
    before = len(jobs_of(world_a))
    response = owner.post(JOBS, {"camera": world_a.camera.pk, "file": upload()}, format="multipart")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["file"]
    assert message in errors["file"][0]
    assert len(jobs_of(world_a)) == before


def test_too_large_upload_is_stopped_naming_the_file(world_a, owner, settings):
    """Stopped while it arrives, before the rest reaches the disk (more in test_upload_limits)."""
    settings.VIDEO_UPLOAD_MAX_BYTES = 100_000  # the clip is ~300 kB
    response = owner.post(JOBS, {"camera": world_a.camera.pk, "file": clip()}, format="multipart")
    assert response.status_code == 413
    assert response.json() == {"detail": "'TUD-Campus.mp4' is larger than the limit of 97.7 kB; it was not kept."}
    assert jobs_of(world_a) == [world_a.job]


def test_text_starting_with_g_is_not_a_video(world_a, owner):
    text = SimpleUploadedFile("clip.mp4", b"Good morning, this is a shopping list, not a video.\n" * 20)
    response = owner.post(JOBS, {"camera": world_a.camera.pk, "file": text}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


def test_file_and_url_together_or_neither_is_refused(world_a, owner, local_urls):
    both = owner.post(
        JOBS, {"camera": world_a.camera.pk, "file": clip(), "url": "http://localhost:8000/a.mp4"}, format="multipart"
    )
    neither = owner.post(JOBS, {"camera": world_a.camera.pk}, format="json")
    for response in (both, neither):
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["Give exactly one of: file, url, or stream=true."]}
    assert len(jobs_of(world_a)) == 1  # only the world's own job


# --- URLs: SSRF checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "url", "message"),
    [
        (None, "https://evil.example.net/a.mp4", "Videos from evil.example.net are not accepted; allowed hosts:"),
        (None, "https://youtube.com.evil.net/watch?v=x", "Videos from youtube.com.evil.net are not accepted"),
        (None, "https://notyoutube.com/watch?v=x", "Videos from notyoutube.com are not accepted"),
        (None, "https://youtube.com@169.254.169.254/latest", "Videos from 169.254.169.254 are not accepted"),
        (None, "ftp://youtube.com/a.mp4", "Only http://, https:// URLs are accepted."),
        (["localhost"], "http://localhost:8000/a.mp4", "localhost points to a private or reserved address"),
        (["127.0.0.1"], "http://127.0.0.1/a.mp4", "127.0.0.1 points to a private or reserved address"),
        (["::1"], "http://[::1]/a.mp4", "::1 points to a private or reserved address"),
        (["169.254.169.254"], "http://169.254.169.254/latest/meta-data", "points to a private or reserved address"),
    ],
)
def test_unsafe_urls_are_refused_naming_the_url_field(world_a, owner, settings, allowed, url, message):
    if allowed is not None:
        settings.VIDEO_URL_ALLOWED_HOSTS = allowed
    settings.VIDEO_URL_ALLOW_PRIVATE = False
    response = owner.post(JOBS, {"camera": world_a.camera.pk, "url": url}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["url"]
    assert message in " ".join(errors["url"])
    assert len(jobs_of(world_a)) == 1


def test_an_allowed_public_host_is_accepted_when_it_resolves(world_a, owner):
    import socket

    try:
        socket.getaddrinfo("youtube.com", 443)
        resolves = True
    except socket.gaierror:
        resolves = False
    response = owner.post(JOBS, {"camera": world_a.camera.pk, "url": "https://youtube.com/watch?v=x"}, format="json")
    if resolves:
        assert response.status_code == 201 and response.json()["source"] == "url"
    else:  # this sandbox has no DNS for the internet: the refusal must say so plainly
        assert response.status_code == 400
        assert response.json() == {"url": ["The host youtube.com does not resolve."]}


def test_an_out_of_range_port_is_a_400_not_a_500(world_a, settings):
    settings.VIDEO_URL_ALLOW_PRIVATE = False
    client = session_client(world_a.owner)
    client.raise_request_exception = False
    response = client.post(JOBS, {"camera": world_a.camera.pk, "url": "https://youtube.com:99999/a"}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()


def test_a_lan_url_is_accepted_on_premises(world_a, owner, local_urls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner.post(JOBS, {"camera": world_a.camera.pk, "url": "http://localhost:8000/a.mp4"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["source"] == "url" and body["status"] == "queued"
    assert body["source_url"] == "http://localhost:8000/a.mp4" and body["original_name"] == body["source_url"]
    assert len(callbacks) == 1
    assert not job_of(world_a, body["id"]).upload


# --- Live streams ----------------------------------------------------------------------------------


def test_stream_of_a_camera_without_stream_url_is_refused(world_a, owner):
    response = owner.post(JOBS, {"camera": world_a.camera.pk, "stream": True}, format="json")
    assert response.status_code == 400
    assert response.json() == {"stream": ["Camera 'Entrance' has no stream URL."]}


def test_stream_on_a_private_address_is_refused_unless_allowed(world_a, owner, settings):
    world_a.camera.stream_url = "rtsp://127.0.0.1/live"
    world_a.camera.save()
    settings.VIDEO_URL_ALLOW_PRIVATE = False
    refused = owner.post(JOBS, {"camera": world_a.camera.pk, "stream": True}, format="json")
    assert refused.status_code == 400
    assert "127.0.0.1 points to a private or reserved address" in str(refused.json())
    assert len(jobs_of(world_a)) == 1

    settings.VIDEO_URL_ALLOW_PRIVATE = True
    accepted = owner.post(JOBS, {"camera": world_a.camera.pk, "stream": True}, format="json")
    assert accepted.status_code == 201, accepted.json()
    assert accepted.json()["source"] == "stream" and accepted.json()["source_url"] == "rtsp://127.0.0.1/live"


def test_a_refused_stream_url_names_the_stream_field(world_a, owner, settings):
    world_a.camera.stream_url = "rtsp://127.0.0.1/live"
    world_a.camera.save()
    settings.VIDEO_URL_ALLOW_PRIVATE = False
    response = owner.post(JOBS, {"camera": world_a.camera.pk, "stream": True}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["stream"]


def test_a_camera_stream_url_on_a_private_address_is_refused_when_saved(world_a, owner, settings):
    settings.VIDEO_URL_ALLOW_PRIVATE = False
    url = reverse("camera-detail", args=[world_a.camera.pk])
    refused = owner.patch(url, {"stream_url": "rtsp://user:pw@10.0.0.7:554/live"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {
        "stream_url": ["The camera's stream URL is refused: 10.0.0.7 points to a private or reserved address "
                       "(10.0.0.7); it is not accepted."]
    }  # fmt: skip
    world_a.camera.refresh_from_db()
    assert world_a.camera.stream_url == ""
    settings.VIDEO_URL_ALLOW_PRIVATE = True  # an on-premises install that enables private sources
    assert owner.patch(url, {"stream_url": "rtsp://10.0.0.7:554/live"}, format="json").status_code == 200


# --- Batches ---------------------------------------------------------------------------------------


def test_batch_of_two_files_and_a_url_creates_three_jobs(
    world_a, owner, local_urls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner.post(
            BATCH,
            {"camera": world_a.camera.pk, "files": [clip("a.mp4"), clip("b.mp4")], "urls": ["http://localhost/c.mp4"]},
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(j["source"], j["original_name"], j["status"]) for j in body] == [
        ("upload", "a.mp4", "queued"),
        ("upload", "b.mp4", "queued"),
        ("url", "http://localhost/c.mp4", "queued"),
    ]
    assert len(callbacks) == 3
    assert len(jobs_of(world_a)) == 4
    for job in body[:2]:
        assert Path(job_of(world_a, job["id"]).upload.path).read_bytes() == CLIP.read_bytes()


def test_batch_with_one_bad_file_creates_no_job(world_a, owner, local_urls, django_capture_on_commit_callbacks):
    before = len(jobs_of(world_a))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner.post(
            BATCH,
            {"camera": world_a.camera.pk, "files": [clip("a.mp4"), SimpleUploadedFile("b.txt", b"hello")],
             "urls": ["http://localhost/c.mp4"]},
            format="multipart",
        )  # fmt: skip
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["files"]
    assert "'b.txt' is not a video file" in str(errors["files"])
    assert len(jobs_of(world_a)) == before and callbacks == []


def test_batch_with_too_many_items_or_none_is_refused(world_a, owner, local_urls, settings):
    settings.VIDEO_BATCH_MAX = 2
    too_many = owner.post(
        BATCH, {"camera": world_a.camera.pk, "urls": [f"http://localhost/{i}.mp4" for i in range(3)]}, format="json"
    )
    assert too_many.status_code == 400
    assert too_many.json() == {"non_field_errors": ["At most 2 files and URLs per batch, got 3."]}
    empty = owner.post(BATCH, {"camera": world_a.camera.pk, "urls": []}, format="json")
    assert empty.status_code == 400
    assert empty.json() == {"non_field_errors": ["Give at least one file or URL."]}
    assert len(jobs_of(world_a)) == 1


# --- Tenancy, roles, listing -----------------------------------------------------------------------


def test_a_camera_of_another_tenant_does_not_exist(world_a, world_b, owner, local_urls):
    response = owner.post(JOBS, {"camera": world_b.camera.pk, "url": "http://localhost/a.mp4"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["camera"]
    assert "does not exist" in response.json()["camera"][0]
    assert len(jobs_of(world_b)) == 1


def test_list_filters_by_camera_venue_and_status(world_a, world_b, owner):
    with tenant_scope(world_a.tenant):
        side = Camera.objects.create(venue=world_a.venue, name="Side door")
        other = VideoJob.objects.create(camera=side, source=VideoJob.Source.URL, source_url="https://example.com/b")
        VideoJob.objects.filter(pk=other.pk).update(status=VideoJob.Status.FAILED)

    def ids(query):
        response = owner.get(JOBS, query)
        assert response.status_code == 200, response.json()
        return {job["id"] for job in response.json()["results"]}

    assert ids({}) == {world_a.job.pk, other.pk}  # never world_b's job
    assert ids({"camera": world_a.camera.pk}) == {world_a.job.pk}
    assert ids({"camera": side.pk}) == {other.pk}
    assert ids({"venue": world_a.venue.pk}) == {world_a.job.pk, other.pk}
    assert ids({"status": "queued"}) == {world_a.job.pk}
    assert ids({"status": "failed", "camera": side.pk}) == {other.pk}

    bad = owner.get(JOBS, {"status": "done"})
    assert bad.status_code == 400
    assert "Unknown status 'done'" in bad.json()["status"]
    assert owner.get(JOBS, {"camera": world_b.camera.pk}).status_code == 404
    assert owner.get(JOBS, {"camera": "abc"}).json() == {"camera": "Expected an integer id, got 'abc'."}


def test_a_viewer_can_list_jobs_but_not_create_them(db, local_urls):
    world = build_world("Gamma Outlets", role=Membership.Role.VIEWER)
    viewer = session_client(world.owner)
    response = viewer.post(JOBS, {"camera": world.camera.pk, "url": "http://localhost/a.mp4"}, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert viewer.post(BATCH, {"camera": world.camera.pk, "urls": ["http://localhost/a.mp4"]}).status_code == 403
    assert viewer.post(reverse("job-cancel", args=[world.job.pk])).status_code == 403
    listed = viewer.get(JOBS)
    assert listed.status_code == 200
    assert [job["id"] for job in listed.json()["results"]] == [world.job.pk]
    assert job_of(world, world.job.pk).status == VideoJob.Status.QUEUED


# --- Cancel and retry ------------------------------------------------------------------------------


def test_cancelling_a_queued_job_cancels_it_at_once(world_a, owner):
    response = owner.post(reverse("job-cancel", args=[world_a.job.pk]))
    assert response.status_code == 200
    job = job_of(world_a, world_a.job.pk)
    assert job.status == VideoJob.Status.CANCELLED
    assert job.cancel_requested_at is not None and job.finished_at is not None
    assert timezone.now() - job.finished_at < timedelta(seconds=30)
    assert response.json()["status"] == "cancelled"


def test_cancelling_a_running_job_only_asks_it_to_stop(world_a, owner):
    update_job(world_a, world_a.job, status=VideoJob.Status.RUNNING, started_at=timezone.now())
    response = owner.post(reverse("job-cancel", args=[world_a.job.pk]))
    assert response.status_code == 200
    job = job_of(world_a, world_a.job.pk)
    assert job.status == VideoJob.Status.RUNNING  # the worker notices and stops
    assert job.cancel_requested_at is not None and job.finished_at is None


def test_cancelling_a_finished_job_changes_nothing(world_a, owner):
    finished = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    update_job(world_a, world_a.job, status=VideoJob.Status.SUCCEEDED, finished_at=finished)
    response = owner.post(reverse("job-cancel", args=[world_a.job.pk]))
    assert response.status_code == 200
    job = job_of(world_a, world_a.job.pk)
    assert (job.status, job.finished_at, job.cancel_requested_at) == (VideoJob.Status.SUCCEEDED, finished, None)


@pytest.mark.parametrize("status", [VideoJob.Status.QUEUED, VideoJob.Status.RUNNING])
def test_an_unfinished_job_cannot_be_retried(world_a, owner, status, django_capture_on_commit_callbacks):
    update_job(world_a, world_a.job, status=status)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner.post(reverse("job-retry", args=[world_a.job.pk]))
    assert response.status_code == 400
    assert response.json() == {"status": f"Only a finished job can be retried; this one is {status}."}
    assert callbacks == [] and job_of(world_a, world_a.job.pk).status == status


def test_a_failed_job_is_queued_again(world_a, owner, django_capture_on_commit_callbacks):
    update_job(
        world_a, world_a.job, status=VideoJob.Status.FAILED, error="The video could not be downloaded.", attempts=2,
        finished_at=timezone.now(), frames_done=40, video_seconds_done=5.0, rate=2.5,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner.post(reverse("job-retry", args=[world_a.job.pk]))
    assert response.status_code == 200, response.json()
    job = job_of(world_a, world_a.job.pk)
    assert job.status == VideoJob.Status.QUEUED and job.error == "" and job.finished_at is None
    assert job.attempts == 2  # counted by the worker when it runs
    assert (job.frames_done, job.video_seconds_done, job.rate) == (0, 0.0, None)
    assert len(callbacks) == 1


def _failed_upload_job(world, owner) -> VideoJob:
    response = owner.post(JOBS, {"camera": world.camera.pk, "file": clip()}, format="multipart")
    assert response.status_code == 201, response.json()
    job = job_of(world, response.json()["id"])
    update_job(world, job, status=VideoJob.Status.FAILED, error="boom", finished_at=timezone.now())
    return job


def test_retry_of_an_upload_job_without_its_file_is_refused(world_a, owner, django_capture_on_commit_callbacks):
    job = _failed_upload_job(world_a, owner)
    job.upload.delete(save=False)
    update_job(world_a, job, upload="")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner.post(reverse("job-retry", args=[job.pk]))
    assert response.status_code == 400
    assert response.json() == {"source": "The uploaded file of this job is no longer stored: upload it again."}
    assert callbacks == [] and job_of(world_a, job.pk).status == VideoJob.Status.FAILED


def test_retry_of_an_upload_job_whose_file_was_deleted_from_storage_is_refused(world_a, owner):
    job = _failed_upload_job(world_a, owner)
    Path(job.upload.path).unlink()
    response = owner.post(reverse("job-retry", args=[job.pk]))
    assert response.status_code == 400
    assert job_of(world_a, job.pk).status == VideoJob.Status.FAILED


# --- Progress in the detail response ---------------------------------------------------------------


def test_progress_and_eta_in_the_detail(world_a, owner):
    unknown = owner.get(detail(world_a.job)).json()
    assert unknown["progress"] is None and unknown["eta_seconds"] is None

    update_job(
        world_a, world_a.job, status=VideoJob.Status.RUNNING, video_seconds_total=100.0, video_seconds_done=25.0,
        rate=5.0, frames_total=800, frames_done=200,
    )  # fmt: skip
    running = owner.get(detail(world_a.job)).json()
    assert running["progress"] == 0.25
    assert running["eta_seconds"] == 15.0  # 75 s of video left at 5 video-seconds per second
    assert (running["frames_done"], running["frames_total"]) == (200, 800)

    update_job(world_a, world_a.job, rate=None)
    assert owner.get(detail(world_a.job)).json()["eta_seconds"] is None  # no rate yet: no guess

    update_job(world_a, world_a.job, status=VideoJob.Status.SUCCEEDED, rate=5.0)
    done = owner.get(detail(world_a.job)).json()
    assert done["progress"] == 1.0 and done["eta_seconds"] is None


def test_another_tenants_job_is_not_found(world_a, world_b, owner):
    for url in (
        detail(world_b.job),
        reverse("job-cancel", args=[world_b.job.pk]),
        reverse("job-retry", args=[world_b.job.pk]),
    ):
        method = owner.get if url == detail(world_b.job) else owner.post
        assert method(url).status_code == 404
    assert job_of(world_b, world_b.job.pk).status == VideoJob.Status.QUEUED
