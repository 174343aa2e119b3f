"""Onboarding in the web app: stores and cameras added and changed through forms, a sales CSV uploaded with each
refused row shown, and Home's first-run checklist judged from the tenant's own data."""

import html
import re
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts.models import AlertRecipient, AlertRule
from core.models import Membership, Tenant
from core.tenancy import tenant_scope
from ingest.models import Sale, VideoJob
from tests.conftest import PASSWORD, web_client
from tests.conftest import page_text as text
from venues.models import Camera, CountingLine, Venue, Zone

pytestmark = pytest.mark.django_db

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()
STORE = {"name": "Riverside", "venue_type": "grocery", "address": "1 Quay St", "city": "Lyon", "country": "fr",
         "time_zone": "Europe/Paris", "latitude": "45.7640", "longitude": "4.8357", "hours_mon": "09:00-20:00",
         "hours_sat": "10:00-14:00, 15:00 - 19:00", "hours_fri": "22:00-02:00"}  # fmt: skip


def field_errors(response) -> dict[str, list[str]]:
    """The page's field errors, by field name (templates/_field.html)."""
    errors = {}
    for name, message in re.findall(r'<p class="error" data-field="([^"]+)">(.*?)</p>', response.content.decode()):
        errors.setdefault(name, []).append(html.unescape(message))
    return errors


def member(world, role) -> Client:
    user = get_user_model().objects.create_user(f"{role}-{world.tenant.slug}", password=PASSWORD)
    Membership.objects.create(user=user, tenant=world.tenant, role=role)
    return web_client(user)


def sales_csv(*lines: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("tills.csv", "\n".join(["id,at,amount,items", *lines, ""]).encode(), "text/csv")


def test_an_analyst_adds_a_store_in_the_sessions_tenant_with_its_hours_and_pin(world_a, world_b):
    response = member(world_a, Membership.Role.ANALYST).post(
        reverse("venue-create"), {**STORE, "tenant": world_b.tenant.pk}
    )
    with tenant_scope(world_a.tenant):
        venue = Venue.objects.get(name="Riverside")
        assert AlertRule.objects.filter(venue=venue).exists()  # a new venue gets the default alert rules
    assert response.status_code == 302 and response.url == reverse("venue-page", args=[venue.pk])
    assert venue.tenant == world_a.tenant and venue.country == "FR" and venue.h3_cell
    assert venue.opening_hours == {"mon": ["09:00-20:00"], "fri": ["22:00-02:00"],
                                   "sat": ["10:00-14:00", "15:00-19:00"]}  # fmt: skip
    with tenant_scope(world_b.tenant):
        assert not Venue.objects.filter(name="Riverside").exists()


def test_a_store_form_names_each_field_at_fault(world_a):
    bad = {**STORE, "name": "", "time_zone": "Mars/Olympus", "country": "FRA", "longitude": "",
           "hours_mon": "9-17", "hours_tue": "10:00-10:00"}  # fmt: skip
    response = web_client(world_a.owner).post(reverse("venue-create"), bad)
    assert response.status_code == 400
    errors = field_errors(response)
    assert set(errors) == {"name", "time_zone", "country", "latitude", "hours_mon", "hours_tue"}, errors
    assert "Give both latitude and longitude, or neither." in errors["latitude"]
    assert errors["hours_mon"] == ["mon: '9-17' is not an interval like \"09:00-21:00\"."]
    assert "opens and closes at the same time" in errors["hours_tue"][0]
    assert 'value="Lyon"' in response.content.decode()  # what was typed stays in the form
    out_of_range = web_client(world_a.owner).post(reverse("venue-create"), {**STORE, "latitude": "91"})
    assert field_errors(out_of_range) == {"latitude": ["Ensure this value is less than or equal to 90."]}
    with tenant_scope(world_a.tenant):
        assert list(Venue.objects.values_list("name", flat=True)) == [world_a.venue.name]


def test_editing_a_store_keeps_what_is_not_on_the_form(world_a, world_b):
    client = web_client(world_a.owner)
    url = reverse("venue-edit", args=[world_a.venue.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'value="Europe/Paris" selected' in page.content.decode()
    refused = client.post(url, {**STORE, "name": ""})
    assert refused.status_code == 400 and "<title>Edit Alpha Stores Flagship</title>" in text(refused)
    response = client.post(url, {**STORE, "name": "Alpha Riverside", "latitude": "", "longitude": "", "hours_fri": ""})
    assert response.status_code == 302
    world_a.venue.refresh_from_db()
    assert world_a.venue.name == "Alpha Riverside" and world_a.venue.slug == "alpha-stores-flagship"
    assert world_a.venue.latitude is None and world_a.venue.h3_cell == ""
    assert set(world_a.venue.opening_hours) == {"mon", "sat"}
    assert client.get(reverse("venue-edit", args=[world_b.venue.pk])).status_code == 404


def test_a_viewer_cannot_open_or_post_the_forms(world_a):
    viewer = member(world_a, Membership.Role.VIEWER)
    for url in (reverse("venue-create"), reverse("venue-edit", args=[world_a.venue.pk]),
                reverse("camera-create", args=[world_a.venue.pk]), reverse("camera-edit", args=[world_a.camera.pk])):  # fmt: skip
        assert viewer.get(url).status_code == 403
        assert (
            viewer.post(url, {**STORE, "name": "Viewer's", "role": "floor", "people_size": "auto"}).status_code == 403
        )
    upload = viewer.post(
        reverse("sales-upload-page", args=[world_a.venue.pk]), {"file": sales_csv(f"v1,{YESTERDAY}T10:00,5,1")}
    )
    assert upload.status_code == 403
    page = viewer.get(reverse("sales-upload-page", args=[world_a.venue.pk]))
    assert page.status_code == 200 and "read-only (viewer)" in text(page) and 'type="file"' not in text(page)
    home = text(viewer.get(reverse("home")))
    assert 'id="setup-checklist"' in home and "read-only (viewer)" in home and reverse("venue-create") not in home
    with tenant_scope(world_a.tenant):
        assert Venue.objects.count() == 1 and not Sale.objects.exists()


def test_adding_a_camera_checks_its_stream_url_and_name_then_opens_its_setup(world_a, world_b):
    client = web_client(world_a.owner)
    url = reverse("camera-create", args=[world_a.venue.pk])
    refused = client.post(url, {"name": "Entrance", "role": "floor", "stream_url": "ftp://cam.local/live",
                                "people_size": "sideways"})  # fmt: skip
    assert refused.status_code == 400
    errors = field_errors(refused)
    assert set(errors) == {"name", "stream_url", "people_size"}, errors
    assert errors["name"] == ["Alpha Stores Flagship already has a camera named 'Entrance'."]
    assert errors["stream_url"] == ["Enter a valid URL."]
    response = client.post(url, {"name": "Tills", "role": "checkout", "stream_url": "rtsp://93.184.216.34:554/tills",
                                 "people_size": "small", "venue": world_b.venue.pk})  # fmt: skip
    with tenant_scope(world_a.tenant):
        camera = Camera.objects.get(name="Tills")
    assert response.status_code == 302 and response.url == reverse("camera-setup", args=[camera.pk])
    assert (camera.venue, camera.tenant, camera.role, camera.people_size) == (
        world_a.venue,
        world_a.tenant,
        "checkout",
        "small",
    )
    assert client.get(reverse("camera-create", args=[world_b.venue.pk])).status_code == 404


def test_editing_a_camera(world_a, world_b):
    client = web_client(world_a.owner)
    url = reverse("camera-edit", args=[world_a.camera.pk])
    assert 'value="Entrance"' in client.get(url).content.decode()
    kept_name = client.post(url, {"name": "Entrance", "role": "entrance", "stream_url": "", "people_size": "regular"})
    assert kept_name.status_code == 302  # its own name is not taken
    world_a.camera.refresh_from_db()
    assert world_a.camera.people_size == "regular"
    setup = text(client.get(reverse("camera-setup", args=[world_a.camera.pk])))
    assert url in setup  # the setup page links to the form
    assert client.get(reverse("camera-edit", args=[world_b.camera.pk])).status_code == 404


def test_uploading_sales_stores_the_good_rows_and_shows_each_refused_one(world_a):
    client = web_client(world_a.owner)
    url = reverse("sales-upload-page", args=[world_a.venue.pk])
    assert "No sales stored yet" in text(client.get(url))
    upload = sales_csv(f"r1,{YESTERDAY}T10:00:00,12.50,2", f"r2,{YESTERDAY}T11:00:00,12;50,1",
                       f"r3,{YESTERDAY},4.00,1", f"r4,{YESTERDAY}T12:00:00,3.00,1")  # fmt: skip
    response = client.post(url, {"file": upload})
    assert response.status_code == 200
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", text(response))
    assert [row[:3] for row in rows] == [("3", "r2", "amount"), ("4", "r3", "at")]
    assert rows[0][3] == "'12;50' is not a number."
    assert "has no time of day" in rows[1][3]
    assert "<strong>2</strong> sales stored" in text(response)
    with tenant_scope(world_a.tenant):
        assert sorted(Sale.objects.values_list("key", flat=True)) == [
            f"pos:{world_a.venue.pk}:r1",
            f"pos:{world_a.venue.pk}:r4",
        ]
    again = " ".join(text(client.post(url, {"file": sales_csv(f"r1,{YESTERDAY}T10:00:00,12.50,2")})).split())
    assert "<strong>0</strong> sales stored, 1 already stored before" in again and "2 sales stored, the latest" in again


def test_a_sales_file_that_cannot_be_read_is_refused_as_a_whole(world_a, world_b):
    client = web_client(world_a.owner)
    url = reverse("sales-upload-page", args=[world_a.venue.pk])
    missing = client.post(url, {"file": SimpleUploadedFile("tills.csv", b"receipt,when,total\n1,2,3\n")})
    assert missing.status_code == 400
    assert "The header row (line 1) lacks the column(s) id, at, amount; it has: receipt, when, total." in text(missing)
    assert client.post(url, {}).status_code == 400 and "Choose the CSV file" in text(client.post(url, {}))
    assert client.get(reverse("sales-upload-page", args=[world_b.venue.pk])).status_code == 404
    with tenant_scope(world_a.tenant):
        assert not Sale.objects.exists()


def checklist(client) -> dict[str, bool] | None:
    """Home's checklist: each step's title and whether it is done; None when Home shows none."""
    page = client.get(reverse("home")).content.decode()
    if 'id="setup-checklist"' not in page:
        return None
    steps = re.findall(r'<li class="(done|todo)" data-step="\d">.*?<a href="[^"]*">([^<]+)</a>', page, re.S)
    return {title: state == "done" for state, title in steps}


def test_the_checklist_follows_the_tenants_data_and_goes_away_when_all_is_done(world_b):
    tenant = Tenant.objects.create(name="Gamma Goods", slug="gamma-goods")
    owner = get_user_model().objects.create_user("gamma", password=PASSWORD)
    Membership.objects.create(user=owner, tenant=tenant, role=Membership.Role.OWNER)
    client = web_client(owner)
    assert list(checklist(client).items()) == [
        ("Add a store", False),
        ("Add a camera", False),
        ("Add alert recipients", False),  # before footage: its alerts are emailed as soon as it is processed
        ("Process footage", False),
        ("Draw zones and counting lines", False),
        ("Upload sales", False),
    ]  # fmt: skip  (tenant B's data counts for nothing)
    assert client.post(reverse("venue-create"), STORE).status_code == 302
    with tenant_scope(tenant):
        venue = Venue.objects.get()
    assert client.post(reverse("camera-create", args=[venue.pk]), {"name": "Door", "role": "entrance",
                                                                   "people_size": "auto"}).status_code == 302  # fmt: skip
    home = client.get(reverse("home")).content.decode()
    assert reverse("sales-upload-page", args=[venue.pk]) in home
    with tenant_scope(tenant):
        camera = Camera.objects.get()
        assert reverse("camera-setup", args=[camera.pk]) in home  # the zones step opens the camera lacking them
        Zone.objects.create(camera=camera, name="Floor", polygon=[[0, 0], [1, 0], [1, 1]])
    assert checklist(client) == {
        "Add a store": True,
        "Add a camera": True,
        "Process footage": False,
        "Draw zones and counting lines": False,
        "Upload sales": False,
        "Add alert recipients": False,
    }  # fmt: skip  (a zone but no line yet)
    with tenant_scope(tenant):
        CountingLine.objects.create(camera=camera, name="Door", points=[[0.5, 0], [0.5, 1]])
        job = VideoJob.objects.create(camera=camera, source=VideoJob.Source.URL, source_url="https://example.com/a.mp4")
        AlertRecipient.objects.create(tenant=tenant, email="ops@gamma.example.com", unsubscribed_at=timezone.now())
    steps = checklist(client)
    assert steps["Draw zones and counting lines"] and not steps["Process footage"]  # a queued job is no footage
    assert not steps["Add alert recipients"]  # an unsubscribed recipient receives nothing
    with tenant_scope(tenant):
        VideoJob.objects.filter(pk=job.pk).update(status=VideoJob.Status.SUCCEEDED)
        AlertRecipient.objects.update(unsubscribed_at=None)
    client.post(reverse("sales-upload-page", args=[venue.pk]), {"file": sales_csv(f"g1,{YESTERDAY}T10:00:00,9.99,1")})
    assert checklist(client) is None
