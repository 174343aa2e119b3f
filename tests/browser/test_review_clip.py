"""A job's review clip in Chromium: the clip a real run made on real footage plays on the job's page and seeks, and
the user counts a line's crossings on it to check the product's count."""

from datetime import timedelta

import pytest
from django.core.files import File
from playwright.sync_api import expect

from core.tenancy import tenant_scope
from ingest.job_runner import video_job_run
from ingest.models import LineCrossing, ReviewClip, VideoJob
from ingest.services import video_job_create
from tests.browser.conftest import log_in, screenshot
from tests.test_video_jobs import CAMPUS
from tests.vision.footage import MODEL_DIR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIDEO = "#review-clip video"


def test_the_review_clip_plays_and_seeks_on_the_jobs_page(browser_page, world_a, settings, tmp_path):
    settings.MEDIA_ROOT, settings.VISION_MODEL_DIR = tmp_path / "media", str(MODEL_DIR)
    with tenant_scope(world_a.tenant), CAMPUS.open("rb") as footage:
        job = video_job_create(camera=world_a.camera, source=VideoJob.Source.UPLOAD, upload=File(footage, CAMPUS.name),
                               review_clip=True, enqueue=False)  # fmt: skip
        job = video_job_run(job)
        clip = ReviewClip.objects.get(job=job)
    assert job.status == VideoJob.Status.SUCCEEDED, job.error

    page = browser_page
    log_in(page, world_a.owner)
    page.goto(f"/videos/{job.pk}/")
    expect(page.locator("#review-clip [data-faces]")).to_have_text("Faces blurred")
    page.wait_for_function(f"() => document.querySelector('{VIDEO}').readyState >= 2")  # decoded a frame
    assert page.eval_on_selector(VIDEO, "v => [v.videoWidth, v.videoHeight]") == [640, 480]
    assert page.eval_on_selector(VIDEO, "v => v.duration") == pytest.approx(clip.duration_seconds, abs=0.15)
    seeked = page.eval_on_selector(VIDEO, """v => new Promise(done => {
        v.addEventListener("seeked", () => done(v.currentTime), {once: true});
        v.currentTime = 2;
    })""")  # fmt: skip
    assert seeked == pytest.approx(2, abs=0.15)
    screenshot(page, "video-job-review-clip")

    # the user's own count of the Door line from 0 to 2 s, compared with the product's count of the same stretch
    page.eval_on_selector(VIDEO, "v => { v.currentTime = 0; }")
    page.click("[data-audit=start]")
    for _ in range(2):
        page.click("[data-audit=in]")
    expect(page.locator("#count-audit-status")).to_have_text("Counting from 0.0 s: 2 in, 0 out.")
    page.eval_on_selector(VIDEO, "v => { v.currentTime = 2; }")
    page.click("[data-audit=stop]")
    with tenant_scope(world_a.tenant):
        crossings = LineCrossing.objects.filter(
            job=job, line=world_a.line, at__lt=job.recording_start + timedelta(seconds=2)
        )
        measured_in = crossings.filter(direction="in").count()
    expect(page.locator("#count-audit-status")).to_contain_text(
        f"You counted 2 in and 0 out from 0.0 to 2.0 s; the product counted {measured_in} in"
    )
    with tenant_scope(world_a.tenant):
        assert job.audits.get().counted_in == 2
