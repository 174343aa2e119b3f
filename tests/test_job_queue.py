"""The video job queue's figures (API and the Process video page), from the tenant's jobs only."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from core.tenancy import tenant_scope
from ingest.models import VideoJob
from tests.conftest import key_client, session_client

pytestmark = pytest.mark.django_db


def job(world, status, *, created_ago, started_after=None, finished_ago=None, attempts=1):
    """A job of `world` created `created_ago` before now, started `started_after` later, finished `finished_ago`
    before now."""
    now = timezone.now()
    with tenant_scope(world.tenant):
        made = VideoJob.objects.create(camera=world.camera, source=VideoJob.Source.URL, source_url="https://x.test/a")
        created = now - created_ago
        VideoJob.objects.filter(pk=made.pk).update(
            status=status, created_at=created, attempts=attempts,
            started_at=created + started_after if started_after is not None else None,
            finished_at=now - finished_ago if finished_ago is not None else None,
        )  # fmt: skip


@pytest.fixture
def queue(world_a, world_b):
    """A's jobs: the world's own (queued now), one queued 10 minutes ago, one running that waited 30 s, one done an
    hour ago that waited 90 s, one failed 2 hours ago that waited 60 s, one done 2 days ago (too old), one retried
    (its wait unknown). B has a queued and a running job."""
    minutes = lambda n: timedelta(minutes=n)  # noqa: E731
    job(world_a, "queued", created_ago=minutes(10))
    job(world_a, "running", created_ago=minutes(5), started_after=timedelta(seconds=30))
    job(world_a, "succeeded", created_ago=minutes(90), started_after=timedelta(seconds=90), finished_ago=minutes(60))
    job(world_a, "failed", created_ago=minutes(150), started_after=timedelta(seconds=60), finished_ago=minutes(120))
    job(world_a, "succeeded", created_ago=timedelta(days=2), started_after=minutes(1), finished_ago=timedelta(days=2))
    job(world_a, "succeeded", created_ago=minutes(600), started_after=minutes(500), finished_ago=minutes(30),
        attempts=2)  # fmt: skip
    job(world_b, "running", created_ago=minutes(3), started_after=timedelta(seconds=1))
    return world_a


def test_the_api_counts_the_tenants_queue(queue):
    answer = key_client(queue.key).get(reverse("job-queue-stats")).json()
    assert answer["waiting"] == 2 and answer["running"] == 1  # the world's job and the 10-minute one; B's not
    assert answer["done_24h"] == 2 and answer["failed_24h"] == 1  # the retried one finished 30 minutes ago
    assert answer["mean_wait_seconds"] == 60.0 and answer["waits_measured"] == 3  # (30 + 90 + 60) / 3
    assert 600 <= answer["oldest_waiting_seconds"] <= 610


def test_an_empty_queue_has_no_mean_wait(world_a):
    answer = key_client(world_a.key).get(reverse("job-queue-stats")).json()
    assert answer == {"waiting": 1, "waiting_batch": 0, "running": 0, "done_24h": 0, "failed_24h": 0, "waits_measured": 0,
                      "oldest_waiting_seconds": answer["oldest_waiting_seconds"], "mean_wait_seconds": None}  # fmt: skip
    page = session_client(world_a.owner).get(reverse("jobs-queue-stats")).content.decode()
    assert "no job started in the last 24 h" in page


def test_the_process_video_page_shows_the_figures(queue):
    client = session_client(queue.owner)
    assert f'hx-get="{reverse("jobs-queue-stats")}"' in client.get(reverse("jobs-page")).content.decode()
    page = client.get(reverse("jobs-queue-stats")).content.decode()
    figures = dict(re.findall(r'data-queue="(\w+)">([^<]+)<', page))
    assert figures == {"waiting": "2", "running": "1", "done_24h": "2", "mean_wait": "60 s"}
    assert "(1 failed)" in page and "the oldest for 10 min" in page and "(3 jobs, 24 h)" in page


def test_the_batch_jobs_among_the_waiting_are_counted(queue):
    with tenant_scope(queue.tenant):
        VideoJob.objects.filter(pk=queue.job.pk).update(priority=VideoJob.Priority.BATCH)
    answer = key_client(queue.key).get(reverse("job-queue-stats")).json()
    assert answer["waiting"] == 2 and answer["waiting_batch"] == 1
    page = session_client(queue.owner).get(reverse("jobs-queue-stats")).content.decode()
    assert dict(re.findall(r'data-queue="(\w+)">([^<]+)<', page))["waiting_batch"] == "1"


def test_every_figure_is_defined_in_docs_metrics_and_the_page_links_to_it(queue):
    defined = (Path(__file__).resolve().parents[1] / "docs" / "metrics.md").read_text()
    for name in key_client(queue.key).get(reverse("job-queue-stats")).json():
        assert f"`{name}`" in defined, name
    client = session_client(queue.owner)
    anchor = re.search(r'href="/glossary/#([^"]+)"', client.get(reverse("jobs-queue-stats")).content.decode())[1]
    assert f'id="{anchor}"' in client.get(reverse("glossary")).content.decode()
