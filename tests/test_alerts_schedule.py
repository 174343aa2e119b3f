"""The schedule end to end: Celery beat (django-celery-beat, config/schedules.py every 2 s instead of hourly)
inside a real worker fans out the venue checks and the digests; the emails go through Django's file backend."""

import email
import os
import secrets
import subprocess
import sys
import time
import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from alerts.models import Alert, AlertSettings, DigestSent
from alerts.services import alert_settings_of, last_complete_hour
from tests.conftest import build_world
from tests.test_alerts import opening_hours, people
from venues.models import Venue
from venues.tenancy import tenant_scope

ROOT = Path(__file__).resolve().parent.parent
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture
def beat_worker(transactional_db, tmp_path):
    outbox = tmp_path / "outbox"
    # django-environ drops the first / of a filemail path: hence four in all
    env = {**os.environ, "DATABASE_NAME": connection.settings_dict["NAME"], "REDIS_URL": settings.CELERY_BROKER_URL,
           "SCHEDULE_SECONDS": "2", "EMAIL_URL": f"filemail:///{outbox}"}  # fmt: skip
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "-Q", "default", "--pool", "solo",
             "-n", f"beat-{secrets.token_hex(3)}@localhost", "--without-heartbeat", "--without-mingle",
             "--without-gossip", "-s", str(tmp_path / "beat-schedule"), "-l", "INFO"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        process.outbox, process.log = outbox, log
        yield process
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a warm shutdown stuck behind a busy machine
            process.kill()
            process.wait()


def _messages(outbox: Path) -> list:
    return [email.message_from_bytes(part.encode()) for f in sorted(outbox.glob("*.log"))
            for part in f.read_text().split("-" * 79) if part.strip()]  # fmt: skip


def test_beat_runs_the_checks_and_the_digest_once_each(beat_worker):
    world = build_world("Gamma Shops")
    with tenant_scope(world.tenant):
        venue = Venue.objects.get(pk=world.venue.pk)
        hour = last_complete_hour(venue)
        local = hour.astimezone(zoneinfo.ZoneInfo(venue.time_zone))
        closed_day = {WEEKDAYS[local.weekday()]: ["03:00-04:00" if local.hour < 3 else "00:00-01:00"]}
        AlertSettings.objects.filter(pk=alert_settings_of(world.tenant).pk).update(
            digest=AlertSettings.Digest.DAILY, digest_time="00:00", time_zone="UTC"
        )
    opening_hours(world, closed_day)
    people(world, hour, 3)  # three people while the store is closed, in the hour that just ended

    deadline = time.monotonic() + 90
    subjects = []
    while time.monotonic() < deadline and len(subjects) < 2:
        time.sleep(1)
        subjects = sorted(m["Subject"] for m in _messages(beat_worker.outbox))
    time.sleep(5)  # a few more beats: they must add nothing
    messages = _messages(beat_worker.outbox)
    assert len(messages) == 2, (subjects, beat_worker.log.read_text()[-3000:])
    digest_mail, alert_mail = sorted(messages, key=lambda m: m["Subject"].startswith("[Critical]"))
    assert alert_mail["Subject"].startswith("[Critical] Activity outside opening hours at Gamma Shops Flagship")
    yesterday = timezone.now().astimezone(UTC).date() - timedelta(days=1)
    assert digest_mail["Subject"] == f"Gamma Shops: your stores, {yesterday:%d %b}"
    with tenant_scope(world.tenant):
        assert Alert.objects.filter(kind="after_hours").count() == 1
        assert Alert.objects.get(kind="after_hours").emailed_at is not None
        assert DigestSent.objects.get().period_start == yesterday
    assert datetime.now(UTC) - hour < timedelta(hours=2)
