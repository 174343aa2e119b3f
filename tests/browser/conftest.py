"""Headless Chromium (Debian's, driven by Playwright) against a live server on the test database."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def browser_page(live_server, monkeypatch):
    """A page of a fresh headless Chromium. Playwright's sync API keeps an event loop running in this thread
    while the test also uses the ORM, which Django allows only with DJANGO_ALLOW_ASYNC_UNSAFE: set for the test
    alone, so that no other test (or subprocess) inherits it."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        browser.close()


def log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.get_username())
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def screenshot(page, name: str) -> None:
    """Kept for the README: what users see, from the last test run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
