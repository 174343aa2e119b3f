"""The video job queue in numbers, for the jobs page and the API (read from VideoJob: ingest owns the jobs)."""

from datetime import datetime, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Min, Q
from django.utils import timezone

from ingest.models import VideoJob

RECENT = timedelta(hours=24)


def video_job_queue(now: datetime | None = None) -> dict:
    """The tenant's jobs waiting (of them, batch jobs, which workers take after single ones) and running now, finished in the last 24 hours, and how long jobs waited before
    a worker started them (first runs started in the last 24 hours: a retried job's wait is not known)."""
    now = now or timezone.now()
    since = now - RECENT
    status = VideoJob.Status
    wait = ExpressionWrapper(F("started_at") - F("created_at"), output_field=DurationField())
    numbers = VideoJob.objects.aggregate(
        waiting=Count("pk", filter=Q(status=status.QUEUED)),
        waiting_batch=Count("pk", filter=Q(status=status.QUEUED, priority=VideoJob.Priority.BATCH)),
        running=Count("pk", filter=Q(status=status.RUNNING)),
        done_24h=Count("pk", filter=Q(status=status.SUCCEEDED, finished_at__gte=since)),
        failed_24h=Count("pk", filter=Q(status=status.FAILED, finished_at__gte=since)),
        oldest_waiting_since=Min("created_at", filter=Q(status=status.QUEUED)),
        mean_wait=Avg(wait, filter=Q(started_at__gte=since, attempts=1)),
        waits_measured=Count("pk", filter=Q(started_at__gte=since, attempts=1)),
    )
    oldest, mean = numbers.pop("oldest_waiting_since"), numbers.pop("mean_wait")
    return {
        **numbers,
        "oldest_waiting_seconds": round((now - oldest).total_seconds()) if oldest else None,
        "mean_wait_seconds": round(mean.total_seconds(), 1) if mean is not None else None,
    }
