"""A new tenant's owner sets up in the browser: a store (its pin placed on the map), a camera, a sales CSV with
one bad row, and Home's checklist showing what is done and what is left."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from core.models import Membership, Tenant
from core.tenancy import tenant_scope
from ingest.models import Sale
from tests.browser.conftest import log_in, screenshot
from tests.conftest import PASSWORD
from venues.models import Camera, Venue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_owner_adds_a_store_a_camera_and_sales_and_sees_the_checklist(browser_page, settings):
    settings.MAP_TILE_URL = "https://tiles.example.com/{z}/{x}/{y}.png"
    tenant = Tenant.objects.create(name="Gamma Goods", slug="gamma-goods")
    owner = get_user_model().objects.create_user("gamma", password=PASSWORD)
    Membership.objects.create(user=owner, tenant=tenant, role=Membership.Role.OWNER)
    page = browser_page
    page.route("https://tiles.example.com/**", lambda route: route.abort())  # no tile server in tests
    log_in(page, owner)
    steps = page.locator("#setup-checklist li")
    expect(steps).to_have_count(6)
    expect(page.locator("#setup-checklist li.done")).to_have_count(0)

    # the store: a mistyped opening time is named on its field; the pin is placed by clicking the map
    page.click("#setup-checklist >> text=Add a store")
    page.fill("#id_name", "Riverside")
    page.select_option("#id_time_zone", "Europe/Paris")
    page.fill("#id_hours_mon", "9-20")
    page.click("#pin-map")
    assert page.input_value("#id_latitude") and page.input_value("#id_longitude")
    page.fill("#id_latitude", "45.764")
    page.fill("#id_longitude", "4.8357")
    page.click(".setup-form button[type=submit]")
    expect(page.locator("p.error[data-field=hours_mon]")).to_have_text(
        "mon: '9-20' is not an interval like \"09:00-21:00\"."
    )
    screenshot(page, "store-form")
    page.fill("#id_hours_mon", "09:00-20:00")
    page.click(".setup-form button[type=submit]")
    expect(page.locator("ul.messages")).to_have_text("Riverside added.")
    with tenant_scope(tenant):
        venue = Venue.objects.get()
    assert (venue.latitude, venue.longitude, venue.opening_hours) == (45.764, 4.8357, {"mon": ["09:00-20:00"]})

    # a camera, from the store's page; it opens the camera's zones and lines
    page.click("text=Add a camera")
    page.fill("#id_name", "Door")
    page.select_option("#id_role", "entrance")
    page.fill("#id_stream_url", "rtsp://93.184.216.34:554/door")
    page.click(".setup-form button[type=submit]")
    expect(page.locator("ul.messages")).to_have_text("Camera Door added.")
    expect(page.locator("#draw-zone")).to_be_visible()
    with tenant_scope(tenant):
        assert Camera.objects.get().stream_url == "rtsp://93.184.216.34:554/door"

    # sales: the good rows stored, the bad one shown with its line, field and reason
    page.click("text=Riverside")
    page.click("text=Upload sales")
    day = (date.today() - timedelta(days=1)).isoformat()
    csv = f"id,at,amount\nr1,{day}T10:00:00,12.50\nr2,{day}T11:00:00,twelve\nr3,{day}T12:00:00,3.00\n"
    page.set_input_files("input[name=file]", files=[{"name": "tills.csv", "mimeType": "text/csv",
                                                     "buffer": csv.encode()}])  # fmt: skip
    page.click("#sales-upload-form button")
    expect(page.locator("#rejected-rows tbody tr")).to_have_text(["3r2amount'twelve' is not a number."])
    expect(page.locator("#sales-result")).to_contain_text("2 sales stored")
    with tenant_scope(tenant):
        assert Sale.objects.count() == 2
    screenshot(page, "sales-upload")

    # the checklist: store, camera and sales done; footage, zones and lines, recipients left, each linked
    page.click("a.brand")
    expect(page.locator("#setup-checklist li.done")).to_have_text(["✓ Add a store", "✓ Add a camera", "✓ Upload sales"])
    expect(page.locator("#setup-checklist li.todo a")).to_have_text(
        ["Add alert recipients", "Process footage", "Draw zones and counting lines"]
    )
    screenshot(page, "setup-checklist")
    page.click("#setup-checklist >> text=Draw zones and counting lines")
    expect(page.locator("h1")).to_contain_text("Door")
