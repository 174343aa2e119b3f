"""The on-demand alert check: the API and the Alerts page run the hourly check's service on one venue hour."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from alerts.models import Alert
from alerts.services import footage_hours, last_complete_hour
from core.models import Membership
from core.tenancy import tenant_scope
from ingest.models import VideoJob
from ingest.signals import footage_stored
from tests.conftest import build_world, key_client, session_client
from tests.test_alerts import eager_tasks, open_daily, people  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

EVENING = datetime(2026, 11, 16, 21, tzinfo=UTC)  # 22:00-23:00 in Paris, after closing


@pytest.fixture
def after_hours(world_a):
    open_daily(world_a, ["09:00-20:00"])
    people(world_a, EVENING, 2)
    return world_a


def check_url(world):
    return reverse("venue-alert-check", args=[world.venue.pk])


def test_the_api_checks_a_given_local_hour_and_fires_each_alert_once(after_hours):
    client = key_client(after_hours.key)
    response = client.post(check_url(after_hours), {"hour": "2026-11-16T22:00"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["hour_start"] == "2026-11-16T22:00:00+01:00" and body["hour_end"] == "2026-11-16T23:00:00+01:00"
    [alert] = body["new_alerts"]
    assert alert["kind"] == "after_hours" and alert["numbers"]["people"] == 2 and alert["venue"] == after_hours.venue.pk

    again = client.post(check_url(after_hours), {"hour": "2026-11-16T21:00:00Z"}, format="json")  # the same hour
    assert again.status_code == 200 and again.json()["new_alerts"] == []
    with tenant_scope(after_hours.tenant):
        assert Alert.objects.filter(kind="after_hours").count() == 1


def test_without_an_hour_the_api_checks_the_last_complete_one(world_a):
    response = key_client(world_a.key).post(check_url(world_a), format="json")
    assert response.status_code == 200, response.content
    expected = last_complete_hour(world_a.venue)
    assert datetime.fromisoformat(response.json()["hour_start"]) == expected
    assert response.json()["hour_start"].endswith(("+01:00", "+02:00"))  # shown in the venue's zone (Paris)


@pytest.mark.parametrize(
    "hour, reason",
    [
        ("2026-11-16T22:30", "An hour starts on the hour"),
        ("2099-01-01T10:00", "has not ended yet"),
        ("1999-01-01T10:00", "Not in the years"),
        ("yesterday", "Datetime has wrong format"),
    ],
)
def test_a_bad_hour_is_a_400_saying_why(world_a, hour, reason):
    response = key_client(world_a.key).post(check_url(world_a), {"hour": hour}, format="json")
    assert response.status_code == 400 and reason in response.json()["hour"][0], response.content


def test_viewers_cannot_run_a_check(db):
    viewer = build_world("Gamma Viewers", role=Membership.Role.VIEWER)
    response = session_client(viewer.owner).post(check_url(viewer), format="json")
    assert response.status_code == 403
    page = session_client(viewer.owner).post(reverse("alert-check-form", args=[viewer.venue.pk]))
    assert page.status_code == 403 and "read-only" in page.content.decode()
    assert (
        "Check Gamma Viewers Flagship now"
        not in session_client(viewer.owner).get(reverse("alerts-page")).content.decode()
    )


def test_the_alerts_page_checks_a_venue_and_shows_what_fired(after_hours):
    client = session_client(after_hours.owner)
    page = client.get(reverse("alerts-page")).content.decode()
    assert f'hx-post="{reverse("alert-check-form", args=[after_hours.venue.pk])}"' in page
    assert "Check Alpha Stores Flagship now" in page

    url = reverse("alert-check-form", args=[after_hours.venue.pk])
    answer = " ".join(client.post(url, {"hour": "2026-11-16T22:00"}, HTTP_HX_REQUEST="true").content.decode().split())
    assert "Checked Alpha Stores Flagship, 2026-11-16 22:00-23:00 (Europe/Paris): 1 new alert." in answer
    assert "outside opening hours at Alpha Stores Flagship</a>" in answer
    assert "nothing new fired" in client.post(url, {"hour": "2026-11-16T22:00"}).content.decode()

    bad = client.post(url, {"hour": "2026-11-16T22:15"})
    assert bad.status_code == 400 and "An hour starts on the hour" in bad.content.decode()

    listed = client.get(reverse("alerts-page")).content.decode()
    assert "2026-11-16 22:00" in listed  # the alert's hour in the venue's time, not UTC (21:00)


def test_footage_of_hours_gone_by_is_checked_once_its_events_are_stored(after_hours, eager_tasks):  # noqa: F811
    """Uploaded after the hourly check ran on its hours: 21:40-22:40 in Paris, closed from 20:00."""
    with tenant_scope(after_hours.tenant):
        job = VideoJob.objects.get(pk=after_hours.job.pk)
        job.recording_start, job.video_seconds_total = EVENING - timedelta(minutes=20), 3600
        footage_stored.send(sender=VideoJob, job=job)  # as a job does once its events are committed
        fired = list(Alert.objects.filter(kind="after_hours").values_list("period_start", flat=True))
    assert fired == [EVENING]


def test_the_hours_a_recording_shows_that_have_ended(world_a):
    start = EVENING - timedelta(minutes=20)
    hours = footage_hours(world_a.venue, start, 3600, now=EVENING + timedelta(hours=5))
    assert hours == [EVENING - timedelta(hours=1), EVENING]
    assert footage_hours(world_a.venue, start, 3600, now=EVENING + timedelta(minutes=30)) == [
        EVENING - timedelta(hours=1)
    ]
    assert footage_hours(world_a.venue, start, 30 * 24 * 3600, now=start + timedelta(days=40))[
        -1
    ] == EVENING + timedelta(days=30, hours=-1)
    assert len(footage_hours(world_a.venue, start, 30 * 24 * 3600, now=start + timedelta(days=40))) == 7 * 24
