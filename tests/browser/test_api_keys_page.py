import pytest
from django.contrib.auth import get_user_model

from core.api_keys import api_key_resolve
from core.models import ApiKey, Membership
from core.tenancy import tenant_scope
from tests.browser.conftest import log_in, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_creates_a_key_sees_it_once_and_revokes_it(browser_page, world_a):
    page = browser_page
    log_in(page, world_a.owner)
    page.click("nav >> text=API keys")
    page.fill("input[name=name]", "Till 2")
    assert page.input_value("select[name=scope]") == "ingest"  # unless chosen, a key only sends
    page.select_option("select[name=scope]", "read")
    page.select_option("select[name=venue]", str(world_a.venue.pk))
    page.click("text=Create key")
    key = page.text_content("#new-key")
    created = api_key_resolve(key)  # the shown key works
    assert (created.name, created.scope) == ("Till 2", "read")
    assert page.locator("tr", has_text="Till 2").locator("td", has_text="read").count() == 1
    screenshot(page, "api-keys")
    page.reload()
    assert page.locator("#new-key").count() == 0 and key not in page.content()  # shown once
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text="Till 2").locator("button", has_text="Revoke").click()
    page.wait_for_selector("tr:has-text('Till 2') >> text=Revoked")
    with tenant_scope(world_a.tenant):
        assert ApiKey.objects.get(name="Till 2").revoked_at is not None


def test_an_analyst_cannot_manage_keys(browser_page, world_a):
    analyst = get_user_model().objects.create_user("analyst", password=PASSWORD)
    Membership.objects.create(user=analyst, tenant=world_a.tenant, role=Membership.Role.ANALYST)
    log_in(browser_page, analyst)
    assert browser_page.locator("nav >> text=API keys").count() == 0
    assert browser_page.goto("/api-keys/").status == 403
