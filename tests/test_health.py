"""/healthz and /readyz against the real database, Redis, a real worker process and a real beat process."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from config.health import HEARTBEAT_KEY
from tests.conftest import ROOT, celery_worker


@pytest.fixture
def no_heartbeat():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(HEARTBEAT_KEY)
    yield client
    client.delete(HEARTBEAT_KEY)


def test_healthz_answers_without_login_or_dependencies(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there: liveness does not care
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"alive": True}


@pytest.mark.django_db
def test_readyz_is_503_and_says_what_is_missing_without_worker_and_beat(no_heartbeat):
    response = Client().get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": True} and checks["redis"] == {"ok": True}
    assert checks["worker"]["ok"] is False and "No Celery worker answered" in checks["worker"]["detail"]
    assert checks["beat"]["ok"] is False and "celery -A config beat" in checks["beat"]["detail"]

    no_heartbeat.set(HEARTBEAT_KEY, (timezone.now() - timedelta(minutes=10)).isoformat())
    beat = Client().get("/readyz").json()["checks"]["beat"]
    assert beat["ok"] is False and 595 <= beat["age_seconds"] <= 610 and "is celery beat running?" in beat["detail"]


@pytest.mark.django_db
def test_readyz_says_when_redis_is_down(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": True}
    assert checks["redis"]["ok"] is False and "ConnectionError" in checks["redis"]["detail"]
    assert checks["beat"]["ok"] is False


def test_readyz_is_200_once_a_worker_answers_and_beat_has_sent_a_heartbeat(transactional_db, tmp_path, no_heartbeat):
    env = {"DATABASE_NAME": connection.settings_dict["NAME"], "REDIS_URL": settings.CELERY_BROKER_URL,
           "SCHEDULE_SECONDS": "2"}  # fmt: skip
    name = f"health-{time.monotonic_ns()}@localhost"
    with (
        celery_worker(tmp_path, ["-Q", "default", "-n", name], **env) as worker,
        (tmp_path / "beat.log").open("w") as log,
    ):
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO"],
            cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline, response = time.monotonic() + 90, None
            while time.monotonic() < deadline:
                response = Client().get("/readyz")
                if response.status_code == 200:
                    break
                time.sleep(1)
        finally:
            beat.kill()  # beat keeps no state worth a clean exit here (its schedule is in the database)
            beat.wait()
        beat_log = (tmp_path / "beat.log").read_text()[-2000:]
        assert response.status_code == 200, (response.json(), worker.log.read_text()[-2000:], beat_log)
    checks = response.json()["checks"]
    assert name in checks["worker"]["workers"]
    assert checks["beat"]["ok"] and checks["beat"]["age_seconds"] < settings.HEALTH_BEAT_MAX_AGE_SECONDS


def healthcheck(*arguments) -> int:
    """The docker-compose healthcheck script's exit code."""
    return subprocess.run([sys.executable, "config/healthcheck.py", *arguments], cwd=ROOT, timeout=60).returncode


def test_the_compose_healthcheck_script_reads_healthz_and_one_check_of_readyz(live_server, no_heartbeat):
    assert healthcheck(f"{live_server.url}/healthz") == 0
    assert healthcheck(f"{live_server.url}/readyz", "database") == 0  # the 503 still says the database is fine
    assert healthcheck(f"{live_server.url}/readyz", "beat") == 1  # no heartbeat
    assert healthcheck(f"{live_server.url}/readyz") == 1  # not ready as a whole
    assert healthcheck("http://127.0.0.1:1/healthz") == 1  # nothing listens
