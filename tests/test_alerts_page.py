"""The alert settings page: alert emails, recipients and a venue's rules, checked as the API checks them."""

from datetime import time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from alerts.models import AlertRecipient, AlertRule
from alerts.services import alert_settings_of
from core.models import Membership
from core.tenancy import tenant_scope
from tests.conftest import PASSWORD, session_client, web_client
from tests.conftest import page_text as text

pytestmark = pytest.mark.django_db

SETTINGS = reverse("alert-settings-page")


def api_messages(response) -> list[str]:
    return [message for messages in response.json().values() for message in messages]


def crowding_rule(world) -> AlertRule:
    with tenant_scope(world.tenant):
        return AlertRule.objects.get(venue=world.venue, kind=AlertRule.Kind.CROWDING)


def test_the_page_shows_the_settings_recipients_and_the_venues_rules(world_a, world_b):
    with tenant_scope(world_a.tenant):
        AlertRecipient.objects.filter(pk=world_a.recipient.pk).update(unsubscribed_at=timezone.now())
    page = web_client(world_a.owner).get(SETTINGS)
    assert page.status_code == 200
    content = text(page)
    assert world_a.recipient.email in content and "unsubscribed" in content
    assert content.count('<tr data-rule="') == len(AlertRule.Kind)  # every default rule of the venue
    assert 'name="max_occupancy"' in content and 'value="100"' in content  # crowding's default limit
    assert world_b.recipient.email not in content
    assert web_client(world_a.owner).get(SETTINGS, {"venue": world_b.venue.pk}).status_code == 404
    refused = web_client(world_a.owner).get(SETTINGS, {"venue": "flagship"})
    assert refused.status_code == 400 and "'flagship' is not a venue" in text(refused)


def test_changing_the_alert_emails(world_a):
    body = {"form": "settings", "instant_severity": "warning", "digest": "weekly", "digest_time": "07:30",
            "time_zone": "Europe/Berlin"}  # fmt: skip
    response = web_client(world_a.owner).post(SETTINGS, body)
    assert response.status_code == 302
    with tenant_scope(world_a.tenant):
        row = alert_settings_of(world_a.tenant)
    assert (row.instant_severity, row.digest, row.digest_time, row.time_zone) == (
        "warning", "weekly", time(7, 30), "Europe/Berlin",
    )  # fmt: skip
    assert 'value="07:30"' in text(web_client(world_a.owner).get(SETTINGS))


@pytest.mark.parametrize(
    "change",
    [{"time_zone": "Mars/Olympus"}, {"digest_time": "25:00"}, {"digest": "hourly"}, {"instant_severity": "loud"}],
)
def test_bad_alert_emails_are_refused_with_the_apis_words(world_a, change):
    api = session_client(world_a.owner).patch(reverse("alert-settings"), change, format="json")
    assert api.status_code == 400
    page = web_client(world_a.owner).post(SETTINGS, {"form": "settings", **change})
    assert page.status_code == 400
    for message in api_messages(api):
        assert message in text(page)
    [(name, typed)] = change.items()
    if name in ("time_zone", "digest_time"):
        assert f'value="{typed}"' in text(page)  # typed again for correction
    with tenant_scope(world_a.tenant):
        assert alert_settings_of(world_a.tenant).digest == "daily"  # unchanged


def test_adding_and_removing_recipients(world_a):
    client = web_client(world_a.owner)
    response = client.post(SETTINGS, {"form": "recipient", "email": "Manager@Example.com", "digest": "on"})
    assert response.status_code == 302
    with tenant_scope(world_a.tenant):
        added = AlertRecipient.objects.get(email="manager@example.com")
    assert (added.instant, added.digest, added.tenant_id) == (False, True, world_a.tenant.pk)
    assert "manager@example.com added." in text(client.get(SETTINGS))

    for email, message in [("manager@example.com", "manager@example.com is a recipient already."),
                           ("not-an-address", "Enter a valid email address.")]:  # fmt: skip
        refused = client.post(SETTINGS, {"form": "recipient", "email": email, "instant": "on"})
        assert refused.status_code == 400 and f"Email: {message}" in text(refused)
        assert f'value="{email}"' in text(refused)
    with tenant_scope(world_a.tenant):
        assert AlertRecipient.objects.count() == 2

    removed = client.post(reverse("alert-recipient-remove-form", args=[added.pk]), follow=True)
    assert "manager@example.com removed" in text(removed)
    with tenant_scope(world_a.tenant):
        assert list(AlertRecipient.objects.values_list("email", flat=True)) == [world_a.recipient.email]


def test_changing_a_rule(world_a):
    rule = crowding_rule(world_a)
    body = {"severity": "critical", "max_occupancy": "40", "venue": world_a.venue.pk}  # "enabled" unticked
    response = web_client(world_a.owner).post(reverse("alert-rule-form", args=[rule.pk]), body)
    assert response.status_code == 302 and response["Location"] == f"{SETTINGS}?venue={world_a.venue.pk}#rules"
    rule.refresh_from_db()
    assert (rule.enabled, rule.severity, rule.params) == (False, "critical", {"max_occupancy": 40})

    body = {"enabled": "on", "severity": "warning", "max_occupancy": "100"}  # back to the default
    web_client(world_a.owner).post(reverse("alert-rule-form", args=[rule.pk]), body)
    rule.refresh_from_db()
    assert (rule.enabled, rule.severity, rule.params) == (True, "warning", {})


@pytest.mark.parametrize(
    ("typed", "api_value"), [("0", 0), ("100001", 100001), ("lots", "lots"), ("nan", None), ("-inf", None)]
)
def test_bad_limits_are_refused_with_the_apis_words(world_a, typed, api_value):
    rule = crowding_rule(world_a)
    if api_value is None:  # not sendable as JSON; the page refuses it as any other text
        expected = ["max_occupancy must be a number."]
    else:
        detail = reverse("alert-rule-detail", args=[rule.pk])
        api = session_client(world_a.owner).patch(detail, {"params": {"max_occupancy": api_value}}, format="json")
        assert api.status_code == 400
        expected = api_messages(api)
    body = {"enabled": "on", "severity": "warning", "max_occupancy": typed}
    page = web_client(world_a.owner).post(reverse("alert-rule-form", args=[rule.pk]), body)
    assert page.status_code == 400
    for message in expected:
        assert f"Limits: {message}" in text(page)
    assert f'value="{typed}"' in text(page)
    rule.refresh_from_db()
    assert rule.params == {} and rule.enabled


def test_viewers_read_and_change_nothing(world_a):
    viewer = get_user_model().objects.create_user("viewer", password=PASSWORD)
    Membership.objects.create(user=viewer, tenant=world_a.tenant, role=Membership.Role.VIEWER)
    client = web_client(viewer)
    page = client.get(SETTINGS)
    assert page.status_code == 200 and world_a.recipient.email in text(page) and "read-only" in text(page)
    assert (
        "<fieldset disabled>" in text(page)
        and "Add recipient" not in text(page)
        and "Remove</button>" not in text(page)
    )
    rule = crowding_rule(world_a)
    attempts = [
        (SETTINGS, {"form": "settings", "digest": "off"}),
        (SETTINGS, {"form": "recipient", "email": "intruder@example.com"}),
        (reverse("alert-rule-form", args=[rule.pk]), {"severity": "info", "max_occupancy": "5"}),
        (reverse("alert-recipient-remove-form", args=[world_a.recipient.pk]), {}),
    ]
    for url, body in attempts:
        assert client.post(url, body).status_code == 403
    rule.refresh_from_db()
    with tenant_scope(world_a.tenant):
        assert alert_settings_of(world_a.tenant).digest == "daily"
        assert list(AlertRecipient.objects.values_list("email", flat=True)) == [world_a.recipient.email]
    assert (rule.enabled, rule.severity, rule.params) == (True, "warning", {})


def test_an_unknown_form_is_refused(world_a):
    response = web_client(world_a.owner).post(SETTINGS, {"form": "everything"})
    assert response.status_code == 400 and "Unknown form 'everything'" in text(response)
