"""No job is lost or stuck: a worker killed mid-job, a broker down when a video is uploaded, a second delivery of a
running job's task. Real workers, a real Redis that is stopped and started again, the real pipeline."""

import signal
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from core.tenancy import tenant_scope
from ingest.job_runner import video_job_run
from ingest.models import VideoJob, Visit
from ingest.services import video_jobs_recover
from ingest.tasks import video_jobs_recover_all
from tests.conftest import celery_worker, session_client
from tests.test_video_jobs import CAMPUS, STADTMITTE, _counts, _log, _wait_for
from tests.vision.footage import MODEL_DIR


def _world_job_finished(world):
    """The world's own (URL) job out of the way, so that the sweeps here see only the test's job."""
    with tenant_scope(world.tenant):
        VideoJob.objects.filter(pk=world.job.pk).update(status=VideoJob.Status.SUCCEEDED)


def _upload(world, clip_path):
    with clip_path.open("rb") as clip:
        response = session_client(world.owner).post(reverse("job-list"), {"camera": world.camera.pk, "file": clip})
    assert response.status_code == 201, response.content
    return VideoJob.objects.model(pk=response.json()["id"], tenant=world.tenant)


class PrivateRedis:
    """A Redis server of the test's own on a free port, to stop and start again (the shared one stays up)."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("the private Redis did not start")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(10)


@pytest.fixture
def private_broker(monkeypatch):
    """This process's Celery app sends to a private Redis (started, and stopped at the end)."""
    redis = PrivateRedis()
    redis.start()
    monkeypatch.setattr(app.conf, "broker_url", redis.url)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)  # the pool of connections to the shared Redis
    monkeypatch.setattr(app, "_pool", None)
    yield redis
    if redis.process.poll() is None:
        redis.stop()


def test_an_upload_while_the_broker_is_down_is_kept_and_runs_once_the_broker_is_back(
    transactional_db, world_a, private_broker, tmp_path, settings
):
    settings.VISION_MODEL_DIR = str(MODEL_DIR)
    _world_job_finished(world_a)
    private_broker.stop()
    asked = time.monotonic()
    job = _upload(world_a, CAMPUS)
    assert time.monotonic() - asked < 10  # answered at once (it used to take 19 s and give a 500)
    with tenant_scope(world_a.tenant):
        job.refresh_from_db()
    assert job.status == VideoJob.Status.QUEUED and job.enqueued_at is None
    assert video_jobs_recover_all() == {"taken_back": 0, "failed": 0, "sent": 0}  # still down: kept, not failed

    private_broker.start()
    arguments = ["-Q", "default,vision", "-n", "after-outage@localhost"]
    with celery_worker(tmp_path, arguments, REDIS_URL=private_broker.url, VISION_MODEL_DIR=str(MODEL_DIR)) as worker:
        assert video_jobs_recover_all() == {"taken_back": 0, "failed": 0, "sent": 1}  # what beat runs every minute
        job = _wait_for(job, VideoJob.FINISHED, timeout=300)
        assert job.status == VideoJob.Status.SUCCEEDED, (job.error, _log(worker))
    assert job.attempts == 1 and job.visits_found >= 5


def test_a_job_whose_worker_was_killed_is_taken_back_and_counted_once(transactional_db, world_a, tmp_path, settings):
    settings.VISION_MODEL_DIR = str(MODEL_DIR)
    settings.VIDEO_JOB_LOST_AFTER_SECONDS = 3.0
    _world_job_finished(world_a)
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    fast = {"VIDEO_JOB_HEARTBEAT_SECONDS": "0.5", "VIDEO_JOB_LOST_AFTER_SECONDS": "3", "VISION_ANALYSIS_FPS": "25",
            "VISION_MODEL_DIR": str(MODEL_DIR)}  # fmt: skip
    with celery_worker(tmp_path / "a", ["-Q", "vision", "-n", "doomed@localhost"], **fast) as doomed:
        job = _upload(world_a, STADTMITTE)
        job = _wait_for(job, {VideoJob.Status.RUNNING, *VideoJob.FINISHED}, timeout=120)
        while job.status == VideoJob.Status.RUNNING and job.frames_done == 0:
            job = _wait_for(job, {VideoJob.Status.RUNNING, *VideoJob.FINISHED})
        assert job.status == VideoJob.Status.RUNNING, (job.status, _log(doomed))
        doomed.kill()  # SIGKILL mid-job: no chance to say anything
        doomed.wait()
    assert video_jobs_recover_all()["taken_back"] == 0  # its heartbeat is still recent: not taken from a live worker
    time.sleep(3.5)
    with celery_worker(tmp_path / "b", ["-Q", "vision", "-n", "rescuer@localhost"], **fast) as rescuer:
        assert video_jobs_recover_all() == {"taken_back": 1, "failed": 0, "sent": 1}
        job = _wait_for(job, VideoJob.FINISHED, timeout=300)
        assert job.status == VideoJob.Status.SUCCEEDED, (job.error, _log(rescuer))
    assert job.attempts == 2
    visits, _, _ = _counts(job)
    assert visits == job.visits_found > 0  # stored once, by the run that finished
    with tenant_scope(world_a.tenant):
        keys = list(Visit.objects.filter(job=job).values_list("key", flat=True))
    assert len(keys) == len(set(keys))


def test_a_second_delivery_leaves_a_job_that_is_running_elsewhere(world_a):
    with tenant_scope(world_a.tenant):
        job = world_a.job
        VideoJob.objects.filter(pk=job.pk).update(
            status=VideoJob.Status.RUNNING, attempts=1, heartbeat_at=timezone.now(), frames_done=40
        )
        job.refresh_from_db()
        assert video_job_run(job).status == VideoJob.Status.RUNNING
        job.refresh_from_db()
        assert job.attempts == 1 and job.frames_done == 40  # untouched: its own worker goes on
        assert video_jobs_recover() == {"taken_back": 0, "failed": 0, "sent": 0}


def test_a_job_that_keeps_losing_its_worker_fails_with_a_plain_reason(world_a, settings):
    settings.VIDEO_JOB_MAX_ATTEMPTS = 3
    stale = timezone.now() - timedelta(seconds=settings.VIDEO_JOB_LOST_AFTER_SECONDS + 5)
    with tenant_scope(world_a.tenant):
        VideoJob.objects.filter(pk=world_a.job.pk).update(
            status=VideoJob.Status.RUNNING, attempts=3, heartbeat_at=stale
        )
        assert video_jobs_recover() == {"taken_back": 0, "failed": 1, "sent": 0}
        job = VideoJob.objects.get(pk=world_a.job.pk)
    assert job.status == VideoJob.Status.FAILED and job.finished_at is not None
    assert job.error == (
        "The worker running this job stopped 3 times before it finished; retry it once the vision workers are healthy."
    )


def test_the_recovery_sweep_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["video-jobs-recover"]
    assert entry["task"] == "ingest.tasks.video_jobs_recover_all" and entry["schedule"] <= 60
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] >= settings.VIDEO_JOB_LOST_AFTER_SECONDS
