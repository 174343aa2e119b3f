"""The venue dashboard's Live now card, in Chromium against uvicorn: events written while the page is open appear
in its feed, and the occupancy follows them."""

from datetime import timedelta

import pytest
import redis
from django.conf import settings

from ingest import live
from tests.browser.conftest import log_in, screenshot
from tests.test_live_stream import START, arrival, departure, write

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_live_card_shows_events_and_occupancy_as_they_are_written(asgi_browser_page, world_a):
    venue = world_a.venue.pk
    redis.Redis.from_url(settings.LIVE_REDIS_URL).delete(
        live.stream_key(venue), live.visits_key(venue), live.stays_key(venue)
    )
    page = asgi_browser_page
    log_in(page, world_a.owner)
    page.goto(f"/venues/{venue}/")
    page.wait_for_selector("#live-state.on")
    assert page.text_content("#live-people") == "0"

    write(world_a, arrival(1, START) + arrival(2, START + timedelta(seconds=30)))
    page.wait_for_function("document.getElementById('live-people').textContent === '2'")
    assert page.text_content("#live-zones [data-zone]") == "Front: 2"
    assert page.locator("#live-feed li", has_text="Crossed Door going in").count() == 2
    write(world_a, departure(1, START, START + timedelta(minutes=4)))
    page.wait_for_function("document.getElementById('live-people').textContent === '1'")
    assert page.locator("#live-feed li", has_text="Left Front after 4 min").count() == 1
    assert page.locator("#live-feed li").first.get_attribute("data-type") == "visit.ended"
    assert page.text_content("#live-feed li time") == "16:04:00"  # footage time in Paris, 24-hour as every page
    screenshot(page, "live-card")
