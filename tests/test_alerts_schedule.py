"""The schedule end to end: Celery beat (django-celery-beat, config/schedules.py every 2 s instead of hourly)
inside a real worker fans out the venue checks and the digests; the emails go through Django's file backend."""

import time
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from alerts.models import Alert, AlertSettings, DigestSent
from alerts.services import alert_settings_of, last_complete_hour
from core.tenancy import tenant_scope
from tests.conftest import build_world, celery_beat, outbox_messages
from tests.test_alerts import opening_hours, people
from venues.models import Venue

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture
def beat_worker(transactional_db, tmp_path):
    outbox = tmp_path / "outbox"
    # django-environ drops the first / of a filemail path: hence four in all
    with celery_beat(tmp_path, EMAIL_URL=f"filemail:///{outbox}") as process:
        process.outbox = outbox
        yield process


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
        subjects = sorted(m["Subject"] for m in outbox_messages(beat_worker.outbox))
    time.sleep(5)  # a few more beats: they must add nothing
    messages = outbox_messages(beat_worker.outbox)
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
