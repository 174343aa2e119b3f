import pytest

from alerts.models import Alert
from tests.browser.conftest import log_in, screenshot
from venues.tenancy import tenant_scope

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("visitors")]


def test_acknowledge_an_alert_and_mark_a_visitor_as_staff(browser_page, world_a):
    page = browser_page
    log_in(page, world_a.owner)
    page.click("nav >> text=Alerts")
    page.select_option("select[name=state]", "open")
    page.click("form.filters button")
    row = page.locator("tr", has_text=world_a.alert.title)
    screenshot(page, "alerts")
    row.locator("button", has_text="Acknowledge").click()
    page.wait_for_load_state()
    with tenant_scope(world_a.tenant):
        assert Alert.objects.get(pk=world_a.alert.pk).state == Alert.State.ACKNOWLEDGED
    assert page.locator("tr", has_text=world_a.alert.title).count() == 0  # the open filter is kept

    page.click("nav >> text=Visitors")
    page.locator("tr", has_text=f"#{world_a.visitor.pk}").locator("button", has_text="Mark as staff").click()
    assert page.locator("tr", has_text=f"#{world_a.visitor.pk}").locator(".tag", has_text="staff").is_visible()
    screenshot(page, "visitors")


def test_another_tenants_user_opens_none_of_it(browser_page, world_a, world_b):
    page = browser_page
    log_in(page, world_b.owner)
    for path in (f"/venues/{world_a.venue.pk}/", "/alerts/", "/visitors/"):
        response = page.goto(path)
        assert world_a.venue.name not in page.content() and world_a.alert.title not in page.content()
        assert response.status in (200, 404)
    assert page.goto(f"/venues/{world_a.venue.pk}/").status == 404
