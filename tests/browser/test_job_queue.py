import pytest

from tests.browser.conftest import log_in, screenshot
from tests.test_job_queue import queue  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_process_video_page_shows_the_queue_figures(browser_page, queue):  # noqa: F811
    page = browser_page
    log_in(page, queue.owner)
    page.click("nav >> text=Process video")
    page.wait_for_selector("[data-queue=waiting]")
    figures = {name: page.text_content(f"[data-queue={name}]") for name in ("waiting", "running", "done_24h")}
    assert figures == {"waiting": "2", "running": "1", "done_24h": "2"}
    assert page.text_content("[data-queue=mean_wait]") == "60 s"
    screenshot(page, "job-queue")
