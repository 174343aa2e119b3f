"""Without the internet: every page, the API docs and the map load from this server alone, with no 404."""

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.test_map_and_report import place_venues

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def offline_page(asgi_browser_page, asgi_server):
    """A browser page on the product as uvicorn serves it, with every request elsewhere refused; `page.outside`
    lists them and `page.failures` every answer of 400 or more."""
    page, own = asgi_browser_page, urlparse(asgi_server).netloc
    page.outside, page.failures = [], []

    def route(request_route):
        if urlparse(request_route.request.url).netloc == own:
            request_route.continue_()
        else:
            page.outside.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("response", lambda r: r.status >= 400 and page.failures.append(f"{r.status} {r.url}"))
    return page


def test_every_page_loads_from_this_server_alone_without_a_404(offline_page, world_a):
    page = offline_page
    log_in(page, world_a.owner)
    paths = ["/", f"/venues/{world_a.venue.pk}/", f"/venues/{world_a.venue.pk}/report/", "/map/", "/videos/",
             f"/videos/{world_a.job.pk}/", "/visitors/", "/alerts/", "/alerts/settings/", "/glossary/", "/api-keys/",
             "/api/v1/venues/"]  # fmt: skip
    for path in paths:
        page.goto(path)
        expect(page.locator("body")).not_to_contain_text("Loading", timeout=15000)  # htmx panels, one by one
    assert page.outside == [] and page.failures == []
    assert page.request.get("/favicon.ico").ok  # pages that name no icon (JSON answers, the admin) get ours


def test_the_api_docs_render_from_vendored_assets(offline_page, world_a):
    page = offline_page
    log_in(page, world_a.owner)
    page.goto("/api/docs/")
    page.wait_for_selector(".opblock")  # Swagger UI built the operations from /api/schema/
    assert page.locator(".opblock", has_text="/api/v1/venues/{venue_id}/alerts/check/").count() == 1
    assert page.outside == [] and page.failures == []
    assert all("/static/" in src for src in page.eval_on_selector_all("script[src]", "els => els.map(e => e.src)"))


def test_the_map_draws_country_outlines_without_a_tile_server(offline_page, world_a, settings):
    settings.MAP_TILE_URL = ""
    place_venues(world_a)
    page = offline_page
    log_in(page, world_a.owner)
    page.goto("/map/")
    page.wait_for_selector("#venue-map[data-ready]")
    page.wait_for_selector("path.country-outline", state="attached")
    assert page.locator("path.country-outline").count() > 100  # Natural Earth's countries
    assert page.locator("path.venue-marker").count() == 3 and page.locator(".leaflet-tile").count() == 0
    assert "Natural Earth" in page.text_content(".leaflet-control-attribution")
    screenshot(page, "venue-map-offline")
    assert page.outside == [] and page.failures == []
