"""Rate limits and lockouts: API requests per key, user and address; failed API-key attempts; failed logins
(django-axes); password-reset emails. Each test sets the rates it relies on."""

from datetime import timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import caches
from django.urls import reverse
from rest_framework.test import APIClient

from core.api_keys import api_key_create
from core.models import ApiKey
from tests.conftest import PASSWORD, key_client, session_client

pytestmark = pytest.mark.django_db

VENUES = reverse("venue-list")


@pytest.fixture
def rates(settings):
    """Sets some rates for one test (the others keep the settings' own)."""

    def set_rates(**changed):
        framework = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {**framework, "DEFAULT_THROTTLE_RATES": {**framework["DEFAULT_THROTTLE_RATES"],
                                                                           **changed}}  # fmt: skip

    return set_rates


def test_a_burst_of_wrong_keys_is_answered_429_with_retry_after(world_a, rates):
    rates(api_key_failure="10/min")
    prefix = world_a.key.split(".")[0]
    wrong = APIClient()
    answers = [
        wrong.get(VENUES, HTTP_AUTHORIZATION=f"Api-Key {prefix}.{n:032d}", HTTP_X_FORWARDED_FOR=f"10.9.0.{n}")
        for n in range(30)
    ]  # a client's own X-Forwarded-For does not make it another address
    assert [r.status_code for r in answers] == [401] * 10 + [429] * 20
    throttled = answers[-1]
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert throttled.json()["detail"].startswith("Too many failed API-key attempts from this address.")
    assert "seconds" in throttled.json()["detail"]

    assert key_client(world_a.key).get(VENUES).status_code == 200  # a valid key from that address still works
    other_address = wrong.get(VENUES, HTTP_AUTHORIZATION=f"Api-Key {prefix}.{0:032d}", REMOTE_ADDR="192.0.2.7")
    assert other_address.status_code == 401


def test_requests_are_counted_per_key(world_a, rates):
    rates(api_key="3/min")
    _, other_key = api_key_create(tenant=world_a.tenant, name="second", scope=ApiKey.Scope.READ)
    client = key_client(world_a.key)
    assert [client.get(VENUES).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert 0 < int(client.get(VENUES)["Retry-After"]) <= 60
    assert key_client(other_key).get(VENUES).status_code == 200  # same address, another key


def test_requests_are_counted_per_signed_in_user(world_a, world_b, rates):
    rates(user="2/min")
    client = session_client(world_a.owner)
    assert [client.get(VENUES).status_code for _ in range(3)] == [200, 200, 429]
    assert session_client(world_b.owner).get(VENUES).status_code == 200


def test_anonymous_requests_are_counted_per_address(rates):
    rates(anon="1/min")
    schema = reverse("api-schema")
    assert APIClient().get(schema).status_code == 200
    throttled = APIClient().get(schema)
    assert throttled.status_code == 429 and "Retry-After" in throttled
    assert APIClient().get(schema, REMOTE_ADDR="192.0.2.8").status_code == 200


def test_the_counts_are_in_redis_for_every_process():
    limits = caches["limits"]
    limits.set("probe", 1, timeout=10)
    location = django_settings.CACHES["limits"]["LOCATION"]
    assert redis.Redis.from_url(location).get(limits.make_key("probe")) is not None  # another client sees it


def test_failed_logins_lock_out_the_username_from_that_address(client, world_a, settings):
    settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME = 5, timedelta(minutes=15)
    login = reverse("login")
    wrong = {"username": world_a.owner.username, "password": "wrong password"}
    answers = [client.post(login, wrong) for _ in range(5)]
    assert [r.status_code for r in answers] == [200] * 4 + [429]
    page = answers[-1].content.decode()
    assert f"Too many failed logins for {world_a.owner.username} from your address" in page
    assert "locked for 15 minutes" in page

    right = {"username": world_a.owner.username, "password": PASSWORD}
    assert client.post(login, right).status_code == 429  # even the right password, until the lockout ends
    assert client.post(login, right, REMOTE_ADDR="192.0.2.9").status_code == 302  # the same user elsewhere
    other = get_user_model().objects.create_user("colleague", password=PASSWORD)
    assert client.post(login, {"username": other.username, "password": PASSWORD}).status_code == 302


def test_password_reset_mails_at_most_three_times_an_hour_per_account(client, world_a, rates):
    rates(password_reset_account="3/hour", password_reset_address="100/hour")
    answers = [client.post(reverse("password_reset"), {"email": world_a.owner.email}) for _ in range(10)]
    assert {(r.status_code, r["Location"]) for r in answers} == {(302, reverse("password_reset_done"))}
    assert len(mail.outbox) == 3


def test_password_reset_mails_at_most_five_times_an_hour_per_address(client, rates):
    rates(password_reset_account="3/hour", password_reset_address="5/hour")
    emails = [get_user_model().objects.create_user(f"user{n}", f"user{n}@example.com", PASSWORD).email
              for n in range(10)]  # fmt: skip
    answers = [client.post(reverse("password_reset"), {"email": email}) for email in emails]
    assert {(r.status_code, r["Location"]) for r in answers} == {(302, reverse("password_reset_done"))}
    assert len(mail.outbox) == 5
    elsewhere = client.post(reverse("password_reset"), {"email": emails[-1]}, REMOTE_ADDR="192.0.2.10")
    assert elsewhere.status_code == 302 and len(mail.outbox) == 6
