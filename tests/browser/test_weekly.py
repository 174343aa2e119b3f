import pytest

from tests.browser.conftest import log_in, screenshot
from tests.test_weekly import weeks  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_charts_weeks_against_a_year_earlier(browser_page, weeks):  # noqa: F811
    page = browser_page
    log_in(page, weeks.owner)
    page.goto(f"/venues/{weeks.venue.pk}/?from=2026-11-16&to=2026-11-22")
    page.wait_for_function("document.querySelector('#panel-weekly canvas')?.chart !== undefined")
    labels = page.evaluate("document.querySelector('#panel-weekly canvas').chart.data.labels")
    assert len(labels) == 12 and labels[-1] == "2026-11-16"
    visitors = page.evaluate("document.querySelector('#panel-weekly canvas').chart.data.datasets[0].data")
    assert visitors[-3:] == [4, 6, 3]
    row = page.locator("#panel-weekly tr[data-week='2026-11-16']")
    assert row.locator("[data-change=week]").text_content().strip() == "-50%"
    assert row.locator("[data-change=year]").text_content().split() == ["+50%", "(2)"]
    screenshot(page, "venue-weekly")
