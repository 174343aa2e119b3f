import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from core.models import Membership
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_shows_the_tenants_venues_only(client, world_a, world_b):
    response = client.post(reverse("login"), {"username": world_a.owner.username, "password": PASSWORD}, follow=True)
    assert response.status_code == 200 and reverse("venues-today") in response.content.decode()
    page = client.get(reverse("venues-today")).content.decode()  # the home page's live table
    assert world_a.venue.name in page and world_b.venue.name not in page
    assert client.get(reverse("venue-page", args=[world_a.venue.pk])).status_code == 200


def test_wrong_password_says_so(client, world_a):
    response = client.post(reverse("login"), {"username": world_a.owner.username, "password": "nope"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()


def test_pages_require_login(client, world_a):
    for url in (reverse("home"), reverse("venue-page", args=[world_a.venue.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_logout_ends_the_session(client, world_a):
    client.force_login(world_a.owner)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_change(client, world_a):
    client.force_login(world_a.owner)
    new = "Kestrel-orbit-1987"
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302, response.context["form"].errors
    world_a.owner.refresh_from_db()
    assert world_a.owner.check_password(new)


def test_password_reset_by_email(client, world_a):
    response = client.post(reverse("password_reset"), {"email": world_a.owner.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world_a.owner.email] and "Reset your Retail Analytics password" in message.subject
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session-held one
    new = "Harbour-lantern-2231"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    response = client.post(reverse("login"), {"username": world_a.owner.username, "password": new})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_switching_tenant_is_explicit_and_limited_to_memberships(client, world_a, world_b):
    Membership.objects.create(user=world_a.owner, tenant=world_b.tenant, role=Membership.Role.VIEWER)
    client.force_login(world_a.owner)
    home = client.get(reverse("venues-today")).content.decode()
    assert world_a.venue.name in home and world_b.venue.name not in home  # first tenant by name

    client.post(reverse("tenant-switch"), {"tenant": world_b.tenant.pk})
    home = client.get(reverse("venues-today")).content.decode()
    assert world_b.venue.name in home and world_a.venue.name not in home
    assert client.get(reverse("venue-page", args=[world_a.venue.pk])).status_code == 404

    outsider = get_user_model().objects.create_user("outsider", password=PASSWORD)
    client.force_login(outsider)
    response = client.post(reverse("tenant-switch"), {"tenant": world_a.tenant.pk}, follow=True)
    assert "not a member of that tenant" in response.content.decode()
    assert response.status_code == 403  # home of a user without a tenant


def test_a_user_without_tenant_is_told_so(client, db):
    user = get_user_model().objects.create_user("lonely", password=PASSWORD)
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "not a member of any organisation" in response.content.decode()
