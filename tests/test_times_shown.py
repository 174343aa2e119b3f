"""Every page shows times in the venue's time zone, in one 24-hour format (no "a.m."/"p.m." anywhere, the admin
included)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.conftest import page_text, web_client

pytestmark = pytest.mark.django_db
TWELVE_HOUR = re.compile(r"\b\d{1,2}(:\d\d)?\s?[ap]\.?m\.?(?![a-z])", re.IGNORECASE)


def test_pages_show_times_in_the_venues_zone_on_a_24_hour_clock(world_a):
    """The world's alert is for 09:00-10:00 UTC on 2 November 2026: 10:00 in Paris, the venue's zone."""
    client = web_client(world_a.owner)
    pages = {
        "alerts": reverse("alerts-page"),
        "alert settings": reverse("alert-settings-page"),
        "dashboard": reverse("venue-page", args=[world_a.venue.pk]) + "?from=2026-11-02&to=2026-11-02",
        "report": reverse("venue-report", args=[world_a.venue.pk]) + "?from=2026-11-02&to=2026-11-02",
        "jobs": reverse("jobs-page"),
        "job": reverse("job-page", args=[world_a.job.pk]),
        "camera setup": reverse("camera-setup", args=[world_a.camera.pk]),
        "visitors": reverse("visitors-page"),
        "API keys": reverse("api-keys-page"),
        "compare stores": reverse("venue-benchmarks"),
    }
    texts = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        texts[name] = page_text(response)
        assert not TWELVE_HOUR.search(texts[name]), (name, TWELVE_HOUR.search(texts[name]).group())
    assert "2026-11-02 10:00" in texts["alerts"]  # 09:00 UTC at a venue in Paris


def test_the_admin_uses_the_same_24_hour_format(world_a):
    staff = get_user_model().objects.create_superuser("support", "support@example.com", "a-long-test-password-9")
    text = page_text(web_client(staff).get(reverse("admin:alerts_alert_changelist")))
    assert not TWELVE_HOUR.search(text), TWELVE_HOUR.search(text).group()
    assert re.search(r"2026-11-02 09:00", text)  # the admin works across tenants' zones: UTC
