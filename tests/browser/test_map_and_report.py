import re

import pytest

from tests.browser.conftest import log_in, screenshot
from tests.test_map_and_report import place_venues, two_days  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_tiles(settings):
    """This machine has no internet: the map draws on a plain background."""
    settings.MAP_TILE_URL = ""


def test_the_map_draws_a_hexagon_per_cell_and_a_dot_per_venue(browser_page, world_a):
    place_venues(world_a)  # three venues with coordinates in two cells, one without
    page = browser_page
    log_in(page, world_a.owner)
    page.goto("/map/")
    page.wait_for_selector("#venue-map[data-ready]")
    assert page.locator("path.venue-cell").count() == 2
    assert page.locator("path.venue-marker").count() == 3
    assert page.locator(".leaflet-tile").count() == 0  # no tile server configured
    assert page.text_content("#venue-map-status") == "3 venues on the map."
    legend = page.text_content(".map-legend")
    assert (
        legend.startswith("Visitors today") and "4\N{EN DASH}5" in legend
    )  # the busiest cell: the flagship and kiosk's 5
    assert "Depot" in page.text_content("#without-coordinates")
    page.locator("path.venue-marker").first.dispatch_event("click")  # the first venue by name: the flagship
    popup = page.locator(".leaflet-popup-content")
    page.wait_for_function("getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")  # faded in
    assert world_a.venue.name in popup.text_content() and "Visitors today3" in popup.text_content()
    screenshot(page, "venue-map")
    popup.locator("a", has_text="Open the venue dashboard").click()
    page.wait_for_url(f"**/venues/{world_a.venue.pk}/")


def test_the_report_prints_on_a_few_a4_pages_without_the_app_header(browser_page, two_days):  # noqa: F811
    page = browser_page
    log_in(page, two_days.owner)
    page.goto(f"/venues/{two_days.venue.pk}/?from=2026-11-02&to=2026-11-03")
    page.click("text=Printable report")
    page.wait_for_url(f"**/venues/{two_days.venue.pk}/report/?from=2026-11-02&to=2026-11-03")
    assert page.text_content("tr[data-kpi=visitors] td:nth-child(2)") == "4"
    assert page.locator("#report-daily svg rect").count() == 2
    screenshot(page, "report")
    assert page.is_visible("header.top") and page.is_visible("#print")
    page.emulate_media(media="print")
    assert not page.is_visible("header.top") and not page.is_visible("#print")
    assert page.is_visible("#report-kpis") and page.is_visible("#report-hourly svg")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert 1 <= pages <= 3, pages
