import pytest

from tests.browser.conftest import log_in, screenshot
from tests.test_venue_benchmarks import PERIOD, venues  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reference_set_in_the_browser_is_drawn_across_its_types_venues(browser_page, venues):  # noqa: F811
    page = browser_page
    log_in(page, venues.owner)
    page.goto(f"/benchmarks/?from={PERIOD['from']}&to={PERIOD['to']}")
    retail = page.locator(".benchmark[data-venue-type=retail]")
    retail.get_by_role("link", name="Set references").click()
    page.fill("input[name=visitors_per_day]", "4")
    page.fill("input[name=source]", "Our 2025 plan")
    page.click("form.setup-form button[type=submit]")
    page.wait_for_url("**/benchmarks/")
    page.goto(f"/benchmarks/?from={PERIOD['from']}&to={PERIOD['to']}")
    canvas = ".benchmark[data-venue-type=retail] canvas"
    page.wait_for_function(f"document.querySelector('{canvas}')?.chart !== undefined")
    datasets = page.evaluate(f"document.querySelector('{canvas}').chart.data.datasets.map(d => [d.label, d.data])")
    assert datasets == [
        ["Visitors per day", [2, 4]],  # the flagship (4 through its door), the second store (8 visits), 2 days
        ["Average of the type", [3, 3]],
        ["Your reference", [4, 4]],
    ]
    flagship = retail.locator(f"tr[data-venue='{venues.venue.pk}']")
    assert flagship.locator("[data-against-reference=visitors_per_day]").text_content().strip() == "-50%"
    assert "Our 2025 plan" in retail.text_content()
    screenshot(page, "compare-stores")
