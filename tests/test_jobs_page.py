"""The Process video page: creating jobs from its form, the live queue, cancel and retry, the job's page.

No worker runs here: creating or retrying a job registers one `on_commit` callback that would enqueue its
Celery task; the tests count those callbacks and never run them.
"""

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.models import Membership
from ingest.models import VideoJob
from tests.conftest import PASSWORD, build_world, session_client
from tests.test_jobs_api import CLIP, clip, job_of, jobs_of, update_job
from venues.models import Camera, Venue

pytestmark = pytest.mark.django_db

PAGE = reverse("jobs-page")
QUEUE = reverse("jobs-queue")
CREATE = reverse("jobs-create")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploads go to a temporary folder, never the repository's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def owner(world_a):
    return session_client(world_a.owner)


@pytest.fixture
def viewer(world_a):
    user = get_user_model().objects.create_user("viewer", password=PASSWORD)
    Membership.objects.create(user=user, tenant=world_a.tenant, role=Membership.Role.VIEWER)
    return session_client(user)


def cancel_url(job) -> str:
    return reverse("job-cancel-form", args=[job.pk])


def retry_url(job) -> str:
    return reverse("job-retry-form", args=[job.pk])


def finished(world, job, status=VideoJob.Status.SUCCEEDED, **fields) -> None:
    update_job(world, job, status=status, finished_at=timezone.now(), **fields)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def said(response) -> list[str]:
    """The lines of the form's answer (the jobs queued, or what is wrong)."""
    return [unescape(line) for line in re.findall(r"<li>(.*?)</li>", response.content.decode())]


# --- Creating jobs from the form -------------------------------------------------------------------


def test_the_form_uploads_real_footage_as_a_queued_job(world_a, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner.post(
            CREATE, {"camera": world_a.camera.pk, "files": [clip()], "urls": "", "recording_start": "2026-11-20T09:00"}
        )
    assert response.status_code == 201
    assert said(response) == ["1 job queued for Entrance."]
    job = jobs_of(world_a)[-1]
    assert (job.status, job.source, job.original_name) == ("queued", "upload", "TUD-Campus.mp4")
    assert Path(job.upload.path).read_bytes() == CLIP.read_bytes()
    assert job.created_by == world_a.owner
    assert job.recording_start == datetime(2026, 11, 20, 8, tzinfo=UTC)  # 09:00 in Paris
    assert len(callbacks) == 1
    assert not job.clip_requested


def test_the_form_can_ask_for_a_review_clip(world_a, owner):
    page = owner.get(reverse("jobs-page"))
    assert 'name="review_clip"' in page.content.decode() and "faces blurred" in page.content.decode()
    response = owner.post(CREATE, {"camera": world_a.camera.pk, "files": [clip()], "review_clip": "true"})
    assert response.status_code == 201
    assert jobs_of(world_a)[-1].clip_requested


def test_several_files_and_pasted_urls_make_one_job_each(world_a, owner, settings):
    settings.VIDEO_URL_ALLOWED_HOSTS, settings.VIDEO_URL_ALLOW_PRIVATE = ["localhost"], True
    urls = "http://localhost/a.mp4\r\n\r\n  http://localhost/b.mp4  \r\n"
    response = owner.post(CREATE, {"camera": world_a.camera.pk, "files": [clip(), clip("second.mp4")], "urls": urls})
    assert response.status_code == 201
    assert said(response) == ["4 jobs queued for Entrance."]
    created = jobs_of(world_a)[1:]
    assert [(job.source, job.original_name) for job in created] == [
        ("upload", "TUD-Campus.mp4"), ("upload", "second.mp4"),
        ("url", "http://localhost/a.mp4"), ("url", "http://localhost/b.mp4"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: SimpleUploadedFile("notes.txt", CLIP.read_bytes()), "'notes.txt' is not a video file: use one of"),
        (lambda: SimpleUploadedFile("clip.mp4", b"just text, no video" * 50), "'clip.mp4' does not look like a video"),
        (lambda: SimpleUploadedFile("empty.mp4", b""), "empty.mp4: The submitted file is empty."),
    ],
    ids=["wrong-type", "not-a-video", "empty"],
)
def test_a_bad_file_is_refused_in_plain_words_and_nothing_is_stored(world_a, owner, upload, message, settings):
    settings.VIDEO_URL_ALLOWED_HOSTS, settings.VIDEO_URL_ALLOW_PRIVATE = ["localhost"], True
    body = {"camera": world_a.camera.pk, "files": [clip(), upload()], "urls": "http://localhost/a.mp4"}
    response = owner.post(CREATE, body)
    assert response.status_code == 400
    [line] = said(response)
    assert line.startswith(message)
    assert jobs_of(world_a) == [world_a.job]  # the good file and URL were not stored either
    assert not (Path(settings.MEDIA_ROOT) / "uploads").exists()


def test_a_too_large_file_is_stopped_naming_the_file_and_the_limit(world_a, owner, settings):
    settings.VIDEO_UPLOAD_MAX_BYTES = 100_000  # the clip is ~300 kB
    response = owner.post(CREATE, {"camera": world_a.camera.pk, "files": [clip()]})
    assert response.status_code == 413
    assert said(response) == ["'TUD-Campus.mp4' is larger than the limit of 97.7 kB; it was not kept."]


def test_each_refused_url_is_named_in_plain_words(world_a, owner):
    urls = "https://evil.example.net/a.mp4\nnot a url"
    response = owner.post(CREATE, {"camera": world_a.camera.pk, "urls": urls})
    assert response.status_code == 400
    evil, *bad = said(response)
    assert evil.startswith("https://evil.example.net/a.mp4: Videos from evil.example.net are not accepted")
    assert bad == ["not a url: Only http://, https:// URLs are accepted.", "not a url: Enter a valid URL."]
    assert jobs_of(world_a) == [world_a.job]


def test_a_private_address_is_refused(world_a, owner, settings):
    settings.VIDEO_URL_ALLOWED_HOSTS, settings.VIDEO_URL_ALLOW_PRIVATE = ["127.0.0.1"], False
    response = owner.post(CREATE, {"camera": world_a.camera.pk, "urls": "http://127.0.0.1/a.mp4"})
    assert response.status_code == 400
    assert "127.0.0.1 points to a private or reserved address" in said(response)[0]


def test_nothing_to_process_another_tenants_camera_and_a_bad_time_are_refused(world_a, world_b, owner):
    nothing = owner.post(CREATE, {"camera": world_a.camera.pk, "urls": " \n "})
    assert (nothing.status_code, said(nothing)) == (400, ["Give at least one file or URL."])
    theirs = owner.post(CREATE, {"camera": world_b.camera.pk, "files": [clip()]})
    assert (theirs.status_code, said(theirs)) == (400, ["Choose one of your cameras."])
    bad_time = owner.post(CREATE, {"camera": world_a.camera.pk, "files": [clip()], "recording_start": "yesterday"})
    assert bad_time.status_code == 400
    assert said(bad_time)[0].startswith("Recording start: Datetime has wrong format.")
    assert jobs_of(world_a) == [world_a.job] and len(jobs_of(world_b)) == 1


def test_the_page_offers_the_cameras_grouped_by_venue(world_a, owner):
    other = Venue.objects.create(tenant=world_a.tenant, name="Annex", time_zone="Europe/Paris")
    Camera.objects.create(venue=other, name="Till")
    html = owner.get(PAGE).content.decode()
    groups = re.findall(r'<optgroup label="([^"]+)">\s*(.*?)\s*</optgroup>', html, re.S)
    assert [(venue, re.findall(r">([^<]+)</option>", options)) for venue, options in groups] == [
        ("Alpha Stores Flagship", ["Entrance"]), ("Annex", ["Till"]),
    ]  # fmt: skip
    assert 'id="job-form"' in html and 'name="files" multiple' in html


# --- Viewers ---------------------------------------------------------------------------------------


def test_a_viewer_sees_the_queue_but_cannot_create_cancel_or_retry(world_a, viewer, settings):
    page = viewer.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="job-form"' not in html and "read-only (viewer)" in html
    assert f'data-job="{world_a.job.pk}"' in html and "Cancel</button>" not in html

    response = viewer.post(CREATE, {"camera": world_a.camera.pk, "files": [clip()]})
    assert (response.status_code, said(response)) == (403, ["Your role in this tenant is read-only (viewer)."])
    assert viewer.post(cancel_url(world_a.job), **HTMX).status_code == 403
    assert job_of(world_a, world_a.job.pk).status == VideoJob.Status.QUEUED
    finished(world_a, world_a.job, VideoJob.Status.FAILED)
    assert viewer.post(retry_url(world_a.job), **HTMX).status_code == 403
    assert job_of(world_a, world_a.job.pk).status == VideoJob.Status.FAILED
    assert jobs_of(world_a) == [world_a.job]


# --- Cancel and retry ------------------------------------------------------------------------------


def test_cancel_from_the_queue_answers_with_the_refreshed_queue(world_a, owner):
    response = owner.post(cancel_url(world_a.job), **HTMX)
    assert response.status_code == 200
    assert job_of(world_a, world_a.job.pk).status == VideoJob.Status.CANCELLED
    html = response.content.decode()
    assert html.startswith('<div id="queue"') and "Cancelled</span>" in html and "Retry</button>" in html


def test_cancel_from_the_job_page_goes_back_to_it(world_a, owner):
    update_job(world_a, world_a.job, status=VideoJob.Status.RUNNING)
    response = owner.post(cancel_url(world_a.job))
    assert response.status_code == 302 and response["Location"] == reverse("job-page", args=[world_a.job.pk])
    job = job_of(world_a, world_a.job.pk)
    assert job.status == VideoJob.Status.RUNNING and job.cancel_requested_at is not None  # the worker stops it


def test_retry_queues_a_failed_job_again(world_a, owner, django_capture_on_commit_callbacks):
    finished(world_a, world_a.job, VideoJob.Status.FAILED, error="The video could not be downloaded.")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner.post(retry_url(world_a.job), **HTMX)
    assert response.status_code == 200
    job = job_of(world_a, world_a.job.pk)
    assert (job.status, job.error, job.finished_at) == (VideoJob.Status.QUEUED, "", None)
    assert len(callbacks) == 1
    assert "Cancel</button>" in response.content.decode()


def test_retry_of_an_unfinished_job_or_a_lost_upload_is_refused_with_the_reason(world_a, owner):
    running = owner.post(retry_url(world_a.job), **HTMX)
    assert running.status_code == 400
    assert "Only a finished job can be retried; this one is queued." in running.content.decode()

    assert owner.post(CREATE, {"camera": world_a.camera.pk, "files": [clip()]}).status_code == 201
    upload = jobs_of(world_a)[-1]
    finished(world_a, upload, VideoJob.Status.FAILED)
    Path(upload.upload.path).unlink()
    lost = owner.post(retry_url(upload))  # from the job page: the reason is a message there
    assert lost.status_code == 302
    shown = owner.get(lost["Location"]).content.decode()
    assert "The uploaded file of this job is no longer stored: upload it again." in shown
    assert job_of(world_a, upload.pk).status == VideoJob.Status.FAILED


# --- The queue -------------------------------------------------------------------------------------


def test_the_queue_polls_every_second_only_while_work_remains(world_a, owner):
    assert "every 1s" in owner.get(QUEUE).content.decode()  # the world's job is queued
    update_job(world_a, world_a.job, status=VideoJob.Status.RUNNING)
    assert "every 1s" in owner.get(QUEUE).content.decode()
    finished(world_a, world_a.job)
    html = owner.get(QUEUE).content.decode()
    assert "every 1s" not in html and 'hx-trigger="jobs-changed from:body"' in html
    assert "every 1s" not in owner.get(PAGE).content.decode()


def test_a_running_job_shows_progress_speed_time_left_and_visits(world_a, owner):
    update_job(
        world_a, world_a.job, status=VideoJob.Status.RUNNING, video_seconds_done=90.0, video_seconds_total=600.0,
        rate=3.14, visits_found=7,
    )  # fmt: skip
    row = re.search(rf'<tr data-job="{world_a.job.pk}">(.*?)</tr>', owner.get(QUEUE).content.decode(), re.S)[1]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
    assert '<progress max="100" value="15"' in row and " 15% " in text
    assert "video 1:30 / 10:00" in text
    assert "3.1x real time" in text and "about 2 min 42 s left" in text  # 510 s of video at 3.14x
    assert "Running" in text and " 7 " in text and "Alpha Stores Flagship" in text


def test_a_failed_job_shows_its_error_in_plain_words(world_a, owner):
    finished(world_a, world_a.job, VideoJob.Status.FAILED, error="The video could not be downloaded.")
    html = owner.get(QUEUE).content.decode()
    assert "Failed</span>" in html and '<span class="error">The video could not be downloaded.</span>' in html


def test_the_queue_is_newest_first_25_a_page(world_a, owner):
    base = timezone.now()
    for n in range(30):
        job = VideoJob.objects.create(camera=world_a.camera, source=VideoJob.Source.URL, source_url=f"https://x/{n}")
        update_job(world_a, job, created_at=base + timedelta(minutes=n))

    def listed(page):
        return re.findall(r"https://x/(\d+)", owner.get(QUEUE, {"page": page}).content.decode())

    assert listed(1) == [str(n) for n in range(29, 4, -1)]
    assert listed(2) == ["4", "3", "2", "1", "0"]  # and the world's own job, older still
    second = owner.get(QUEUE, {"page": 2}).content.decode()
    assert f'data-job="{world_a.job.pk}"' in second and "Page 2 of 2" in second
    assert f'hx-get="{QUEUE}?page=2"' in second  # polling keeps the page


def test_the_queue_lists_only_the_callers_tenant(world_a, world_b, owner):
    html = owner.get(QUEUE).content.decode()
    assert f'data-job="{world_a.job.pk}"' in html and f'data-job="{world_b.job.pk}"' not in html


# --- The job page --------------------------------------------------------------------------------


def test_the_job_page_shows_progress_timings_and_the_venue_dashboard_of_the_footage_day(world_a, owner):
    finished(
        world_a, world_a.job, video_seconds_done=2.84, video_seconds_total=2.84, rate=1.5, visits_found=6,
        recording_start=datetime(2026, 11, 20, 23, 30, tzinfo=UTC), attempts=1,
        stage_seconds={"decode": 0.4, "detect_track": 1.2, "faces": 0.3, "geometry": 0.01},
    )  # fmt: skip
    url = reverse("job-page", args=[world_a.job.pk])
    page = owner.get(url)
    html, text = page.content.decode(), text_of(page)
    dashboard = reverse("venue-page", args=[world_a.venue.pk]) + "?from=2026-11-21&to=2026-11-21"
    assert f'href="{dashboard}"' in html  # 23:30 UTC is the next day in Paris
    assert "Footage starts 2026-11-21 00:30:00" in text and "local time (Europe/Paris)" in text
    assert "Detecting and tracking people 1.20 s Decoding 0.40 s Faces 0.30 s Zones, lines and queues 0.01 s" in text
    assert '<progress max="100" value="100"' in html and "video 2.8 / 2.8 s" in text and "Succeeded" in text
    assert "Retry</button>" in html and "every 1s" not in html

    live = owner.get(url, **HTMX)
    assert live.content.decode().startswith('<div id="job"') and "<html" not in live.content.decode()
    assert "HX-Request" in live["Vary"]


def test_the_job_page_polls_while_the_job_runs(world_a, owner):
    update_job(world_a, world_a.job, status=VideoJob.Status.RUNNING)
    live = owner.get(reverse("job-page", args=[world_a.job.pk]), **HTMX).content.decode()
    assert 'hx-trigger="every 1s"' in live and "Cancel</button>" in live


def test_another_tenants_job_is_not_found(world_a, world_b, owner):
    assert owner.get(reverse("job-page", args=[world_b.job.pk])).status_code == 404
    assert owner.post(cancel_url(world_b.job), **HTMX).status_code == 404
    assert job_of(world_b, world_b.job.pk).status == VideoJob.Status.QUEUED


def test_a_user_without_a_tenant_is_told_so(db):
    lonely = build_world("Delta Shops").owner
    Membership.objects.filter(user=lonely).delete()
    client = session_client(lonely)
    for response in (client.get(PAGE), client.get(QUEUE), client.post(CREATE)):
        assert response.status_code == 403 and "No tenant yet" in response.content.decode()
