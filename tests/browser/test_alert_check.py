import zoneinfo

import pytest

from alerts.models import Alert
from alerts.services import last_complete_hour
from core.tenancy import tenant_scope
from tests.browser.conftest import log_in, screenshot
from tests.test_alerts import open_daily, people

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_check_a_venue_now_from_the_alerts_page(browser_page, world_a):
    """People in the last complete hour while the venue was closed: *Check now* fires the after-hours alert at
    once (the hourly check would, a few minutes after the hour) and a second click fires nothing new."""
    hour = last_complete_hour(world_a.venue)
    local = hour.astimezone(zoneinfo.ZoneInfo(world_a.venue.time_zone)).hour
    open_daily(world_a, [f"{(local + 2) % 24:02}:00-{(local + 3) % 24:02}:00"])  # closed all through that hour
    people(world_a, hour, 2)
    page = browser_page
    log_in(page, world_a.owner)
    page.click("nav >> text=Alerts")
    page.click(f"text=Check {world_a.venue.name} now")
    result = page.locator("#check-result .check-result")
    result.wait_for()
    assert "1 new alert." in result.text_content()
    assert page.locator("#check-result .check-alerts li", has_text="outside opening hours").is_visible()
    screenshot(page, "alerts-check-now")
    with tenant_scope(world_a.tenant):
        assert Alert.objects.filter(kind="after_hours", period_start=hour).count() == 1

    page.click(f"text=Check {world_a.venue.name} now")
    page.locator("#check-result", has_text="nothing new fired").wait_for()
    page.reload()
    assert page.locator("tbody tr", has_text="outside opening hours").is_visible()
