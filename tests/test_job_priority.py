"""A video job made on its own does not wait behind a batch: batch jobs are sent with a lower Celery priority, and a
real worker on the Redis broker takes the single job before the batch's remaining ones."""

import pytest
from django.urls import reverse

from config.celery import app
from core.tenancy import tenant_scope
from ingest.models import VideoJob
from tests.conftest import celery_worker, session_client
from tests.test_jobs_api import clip
from tests.test_video_jobs import _log, _wait_for
from tests.vision.footage import MODEL_DIR


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploads go to a temporary folder, never the repository's media/ (the worker is told the same folder)."""
    settings.MEDIA_ROOT = tmp_path / "media"


def _priorities(world, response) -> list[int]:
    assert response.status_code == 201, response.content
    answer = response.json()
    ids = [job["id"] for job in answer] if isinstance(answer, list) else [answer["id"]]
    with tenant_scope(world.tenant):
        stored = dict(VideoJob.objects.filter(pk__in=ids).values_list("pk", "priority"))
    shown = [job["priority"] for job in answer] if isinstance(answer, list) else [answer["priority"]]
    assert shown == [stored[pk] for pk in ids]  # the API field is the stored priority
    return shown


@pytest.fixture
def local_urls(settings):
    """An on-premises install: LAN/loopback hosts allowed."""
    settings.VIDEO_URL_ALLOWED_HOSTS, settings.VIDEO_URL_ALLOW_PRIVATE = ["localhost"], True


def _page_jobs(world, *urls) -> None:
    """Jobs made on the Process video page, from pasted URLs."""
    answer = session_client(world.owner).post(
        reverse("jobs-create"), {"camera": world.camera.pk, "urls": "\n".join(urls)}
    )
    assert answer.status_code == 201, answer.content


def test_a_batch_of_several_is_low_priority_and_a_single_job_high(world_a, local_urls):
    client, camera = session_client(world_a.owner), world_a.camera.pk
    single, batch = VideoJob.Priority.SINGLE, VideoJob.Priority.BATCH
    assert _priorities(world_a, client.post(reverse("job-list"), {"camera": camera, "file": clip()})) == [single]
    answer = client.post(reverse("job-batch"), {"camera": camera, "files": [clip(), clip()]}, format="multipart")
    assert _priorities(world_a, answer) == [batch, batch]
    answer = client.post(reverse("job-batch"), {"camera": camera, "files": [clip()]}, format="multipart")
    assert _priorities(world_a, answer) == [single]  # a batch of one is a single job

    _page_jobs(world_a, "http://localhost/a.mp4", "http://localhost/b.mp4")
    _page_jobs(world_a, "http://localhost/c.mp4")
    with tenant_scope(world_a.tenant):
        by_url = dict(VideoJob.objects.filter(source_url__startswith="http://localhost/").values_list(
            "source_url", "priority"))  # fmt: skip
    assert by_url == {
        "http://localhost/a.mp4": batch,
        "http://localhost/b.mp4": batch,
        "http://localhost/c.mp4": single,
    }


def test_the_pages_show_a_batch_job_as_such(world_a, local_urls):
    _page_jobs(world_a, "http://localhost/a.mp4", "http://localhost/b.mp4")
    page = session_client(world_a.owner)
    queue = page.get(reverse("jobs-queue")).content.decode()
    assert queue.count('data-priority="batch"') == 2  # not the world's own single job
    with tenant_scope(world_a.tenant):
        batch_job = VideoJob.objects.filter(priority=VideoJob.Priority.BATCH).first()
    assert ">Batch</span>" in page.get(reverse("job-page", args=[batch_job.pk])).content.decode()
    assert ">Single</span>" in page.get(reverse("job-page", args=[world_a.job.pk])).content.decode()


def test_a_single_job_queued_after_a_batch_starts_before_the_batch_is_done(transactional_db, world_a, tmp_path,
                                                                            settings):  # fmt: skip
    """The jobs are queued while no worker runs; then one worker (solo pool, prefetch 1) takes them. Without
    priorities it takes them in order and the single job starts last."""
    with tenant_scope(world_a.tenant):
        VideoJob.objects.filter(pk=world_a.job.pk).update(status=VideoJob.Status.SUCCEEDED)  # never sent: not ours
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("vision")  # what earlier runs may have left on the tests' broker
    client = session_client(world_a.owner)
    answer = client.post(reverse("job-batch"), {"camera": world_a.camera.pk, "files": [clip() for _ in range(4)]},
                         format="multipart")  # fmt: skip
    assert answer.status_code == 201, answer.content
    batch = [VideoJob.objects.model(pk=job["id"], tenant=world_a.tenant) for job in answer.json()]
    answer = client.post(reverse("job-list"), {"camera": world_a.camera.pk, "file": clip()})
    assert answer.status_code == 201, answer.content
    single = VideoJob.objects.model(pk=answer.json()["id"], tenant=world_a.tenant)

    arguments = ["-Q", "vision", "-n", "priority@localhost", "--prefetch-multiplier", "1"]
    with celery_worker(tmp_path, arguments, VISION_MODEL_DIR=str(MODEL_DIR), MEDIA_ROOT=str(settings.MEDIA_ROOT),
                       VISION_ANALYSIS_FPS="5") as worker:  # fmt: skip
        jobs = [_wait_for(job, VideoJob.FINISHED, timeout=300) for job in [single, *batch]]
        assert all(job.status == VideoJob.Status.SUCCEEDED for job in jobs), _log(worker)
    single, *batch = jobs
    batch_starts = sorted(job.started_at for job in batch)
    assert single.started_at < batch_starts[-1], "the single job waited for the whole batch"
    assert single.started_at < batch_starts[1], "the single job started after two of the batch's jobs"
