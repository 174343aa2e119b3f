import pytest

from tests.browser.conftest import log_in, screenshot
from tests.test_alerts import queue
from tests.test_summary import PREVIOUS, WEEK, local, trading_days

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_opens_with_what_to_do(browser_page, world_a):
    trading_days(world_a, PREVIOUS, {hour: 15 if hour >= 16 else 5 for hour in range(9, 19)})
    trading_days(world_a, WEEK, {hour: 28 if hour >= 16 else 7 for hour in range(9, 19)})
    for day in WEEK:
        queue(world_a, local(day, 10), served=[60] * 10, abandoned=[60])
        if day.weekday() < 5:
            for hour in (17, 18):
                queue(world_a, local(day, hour), served=[60] * 6, abandoned=[60] * 4)
    page = browser_page
    log_in(page, world_a.owner)
    page.goto(f"/venues/{world_a.venue.pk}/?from={WEEK[0]}&to={WEEK[-1]}")
    findings = page.locator("#panel-summary .finding")
    findings.first.wait_for()
    assert [findings.nth(n).get_attribute("data-finding") for n in range(findings.count())] == [
        "queue_abandonment_band", "traffic_change", "peak_hours",
    ]  # fmt: skip
    assert "on weekdays from 17:00 to 19:00" in page.text_content("#panel-summary")
    box, overview = page.locator("#panel-summary").bounding_box(), page.locator("#panel-overview").bounding_box()
    assert box["y"] < overview["y"]  # the first panel, above the key numbers
    screenshot(page, "venue-summary")
