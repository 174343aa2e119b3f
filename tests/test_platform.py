"""The real parts: PostgreSQL with pgvector, production settings, the API docs, a Celery worker on Redis."""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_the_database_is_postgresql_with_pgvector():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        (version,) = cursor.fetchone()
        cursor.execute("SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector")
        assert cursor.fetchone()[0] == 1.0
    assert tuple(int(p) for p in version.split(".")[:2]) >= (0, 5)  # HNSW indexes need 0.5+


def test_no_secret_written_in_the_repository_signs_anything():
    """The install's own key, made by scripts/_setup.sh in .env: git-ignored, owner-only, in no tracked file."""
    found = subprocess.run(["git", "grep", "-lF", settings.SECRET_KEY], cwd=ROOT, capture_output=True, text=True)
    assert found.returncode == 1 and found.stdout == ""  # in no tracked file
    assert subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT).returncode == 0
    assert len(settings.SECRET_KEY) >= 50 and (ROOT / ".env").stat().st_mode & 0o077 == 0


def test_settings_without_a_secret_refuse_to_start_and_debug_is_off_unless_asked(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | {"DJANGO_ENV_FILE": "/dev/null"}
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup(); " \
           "from django.conf import settings; print(settings.DEBUG)"  # fmt: skip
    without_key = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert without_key.returncode != 0 and "Set the DJANGO_SECRET_KEY environment variable" in without_key.stderr
    with_key = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                              env={**env, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)})  # fmt: skip
    assert with_key.stdout.strip().endswith("False"), with_key.stderr


def test_production_settings_pass_the_deploy_check():
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "true",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "analytics.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_api_docs_publish_the_api_key_scheme(client):
    assert client.get("/api/docs/").status_code == 200
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["components"]["securitySchemes"]["ApiKey"]["name"] == "Authorization"
    assert "/api/v1/venues/{id}/" in schema["paths"]


def test_a_celery_worker_starts_with_the_project_settings_and_serves_both_queues():
    broker = settings.CELERY_BROKER_URL.rsplit("/", 1)[0] + "/15"  # a Redis database of its own
    name = f"test-{secrets.token_hex(4)}@localhost"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,vision", "--pool", "solo",
         "-n", name, "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "WARNING"],
        cwd=ROOT, env={**os.environ, "REDIS_URL": broker}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    control = Celery(broker=broker).control
    try:
        queues = None
        deadline = time.monotonic() + 60
        while queues is None and time.monotonic() < deadline and worker.poll() is None:
            queues = control.inspect(destination=[name], timeout=1).active_queues()
        assert queues, f"worker did not answer: {worker.poll()} {worker.stdout.read() if worker.poll() else ''}"
        assert sorted(q["name"] for q in queues[name]) == ["default", "vision"]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
