"""The Process video page in Chromium, with a real Celery worker running the real pipeline on a real clip."""

import pytest
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from ingest.models import VideoJob
from tests.browser.conftest import log_in, screenshot
from tests.test_jobs_api import job_of, update_job
from tests.test_video_jobs import CAMPUS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROCESSED = 300_000  # ms: the 2.8 s clip takes 30-90 s on a busy machine (the worker's start included), or more


def test_an_uploaded_clip_is_followed_live_until_it_succeeds(browser_page, world_a, worker):
    update_job(
        world_a, world_a.job, status=VideoJob.Status.FAILED, finished_at=timezone.now(),
        error="The video could not be downloaded: example.com answered 404 Not Found.",
    )  # fmt: skip
    page = browser_page
    log_in(page, world_a.owner)
    page.goto("/videos/")
    page.set_input_files("#job-files", str(CAMPUS))
    page.fill("#job-start", "2026-11-20T09:00:00")
    page.click("#job-form button[type=submit]")
    expect(page.locator("#job-form-result")).to_have_text("1 job queued for Entrance.")
    assert page.eval_on_selector("#upload-progress", "bar => bar.value") == 100  # the upload's own progress

    row = page.locator("tr", has_text="TUD-Campus.mp4")
    expect(row).to_be_visible()  # the queue refreshed after the upload
    progressed = """id => {
        const row = document.querySelector(`tr[data-job="${id}"]`);
        return row.querySelector(".status-succeeded") || parseInt(row.querySelector("[data-percent]")?.textContent) > 0;
    }"""
    try:
        page.wait_for_function(progressed, arg=row.get_attribute("data-job"), timeout=PROCESSED)
    except PlaywrightTimeout as error:
        raise AssertionError(f"No progress; the worker's log:\n{worker.log.read_text()[-3000:]}") from error
    if row.locator(".status-running").count():
        screenshot(page, "process-video-running")
    expect(row.locator(".tag")).to_have_text("Succeeded", timeout=PROCESSED)
    expect(row.locator("[data-percent]")).to_have_text("100%")
    assert row.locator("progress").get_attribute("value") == "100"
    job = job_of(world_a, int(row.get_attribute("data-job")))
    assert job.status == VideoJob.Status.SUCCEEDED and job.visits_found >= 5
    assert row.locator("td").nth(5).inner_text() == str(job.visits_found)
    assert page.locator("#queue").get_attribute("hx-trigger") == "jobs-changed from:body"  # no more polling
    expect(page.locator("tr", has_text="Failed")).to_contain_text("example.com answered 404 Not Found.")
    screenshot(page, "process-video")

    row.locator("a").click()
    expect(page.locator("h1")).to_have_text("TUD-Campus.mp4")
    expect(page.locator("#job .tag")).to_have_text("Succeeded")
    expect(page.locator("[data-visits]")).to_have_text(str(job.visits_found))
    venue_link = page.locator("a", has_text=world_a.venue.name)
    assert venue_link.get_attribute("href") == f"/venues/{world_a.venue.pk}/?from=2026-11-20&to=2026-11-20"
    screenshot(page, "video-job")
