from datetime import date

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from analytics.periods import Period
from analytics.selectors import overview
from core.tenancy import tenant_scope
from tests.browser.conftest import log_in, screenshot
from tests.test_video_jobs import CAMPUS
from venues.models import Venue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_shows_the_numbers_of_a_processed_clip(browser_page, world_a):
    call_command("process_video", str(CAMPUS), venue=str(world_a.venue.pk), camera="Entrance",
                 recording_start="2026-11-20T09:00:00")  # fmt: skip
    with tenant_scope(world_a.tenant):
        venue = Venue.objects.get(pk=world_a.venue.pk)
        expected = overview(venue, Period(date(2026, 11, 20), date(2026, 11, 20), venue.time_zone))
    assert expected["visits"] >= 5
    page = browser_page
    log_in(page, world_a.owner)
    page.wait_for_selector("[data-today]")  # the home page's live table has loaded
    screenshot(page, "home")
    page.click(f"text={world_a.venue.name}")
    page.fill("input[name=from]", "2026-11-20")
    page.fill("input[name=to]", "2026-11-20")
    page.click("#period button")
    assert page.text_content("[data-kpi=visitors]") == str(expected["visitors"])
    assert page.text_content("[data-kpi=unique_visitors]") == str(expected["unique_visitors"])
    for panel in ("hourly", "daily", "funnel", "engagement", "visitors"):  # every chart was drawn
        page.wait_for_function(f"document.querySelector('#panel-{panel} canvas')?.chart !== undefined")
    assert page.locator("#panel-zones td", has_text="Front").count() == 1
    expect(page.locator(".panels")).not_to_contain_text("Loading")  # every panel loaded (one by one, as HTMX does)
    screenshot(page, "venue-dashboard")
