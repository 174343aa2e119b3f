"""Headless Chromium (Debian's, driven by Playwright) against a live server on the test database."""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

from tests.asgi_server import asgi_server  # noqa: F401 (fixture)
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
# an ignored folder, so that a test run leaves tracked files alone; `bash scripts/screenshots.sh` refreshes the
# README's pictures in docs/screenshots on purpose
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / ".cache" / "screenshots"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@contextmanager
def _chromium_page(base_url: str):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        browser.close()
        # the test's database work ran while Playwright's event loop was running, which gives it a connection of
        # its own (Django keeps connections per async context): closed here, or it would outlive the test
        connections.close_all()


@pytest.fixture
def browser_page(live_server, server_connections_closed, monkeypatch):
    """A page of a fresh headless Chromium. Playwright's sync API keeps an event loop running in this thread
    while the test also uses the ORM, which Django allows only with DJANGO_ALLOW_ASYNC_UNSAFE: set for the test
    alone, so that no other test (or subprocess) inherits it."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with _chromium_page(live_server.url) as page:
        yield page


@pytest.fixture
def asgi_browser_page(asgi_server, monkeypatch):  # noqa: F811
    """The same, on the product served by uvicorn (ASGI), which pages with a live event stream need."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with _chromium_page(asgi_server) as page:
        yield page


def log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.get_username())
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def screenshot(page, name: str) -> None:
    """What users see, from the last test run (SCREENSHOTS)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
