from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ingest.models import VideoJob


def video_job_create(
    *, camera, source: str, created_by=None, upload=None, source_url: str = "", recording_start=None, enqueue=True
):
    """Create a job for a camera and queue it for a vision worker once the transaction commits
    (`enqueue=False`: the caller runs it in the foreground)."""
    job = VideoJob(
        tenant_id=camera.tenant_id, venue_id=camera.venue_id, camera=camera, source=source, upload=upload,
        original_name=getattr(upload, "name", "") or source_url[:255], source_url=source_url,
        recording_start=recording_start, created_by=created_by,
    )  # fmt: skip
    job.save()
    if enqueue:
        _enqueue(job)
    return job


def video_jobs_create(*, camera, files=(), urls=(), created_by=None, recording_start=None) -> list[VideoJob]:
    """One job per uploaded file and per URL, all for one camera, in one transaction (all or none)."""
    common = dict(camera=camera, created_by=created_by, recording_start=recording_start)
    with transaction.atomic():
        jobs = [video_job_create(source=VideoJob.Source.UPLOAD, upload=file, **common) for file in files]
        jobs += [video_job_create(source=VideoJob.Source.URL, source_url=url, **common) for url in urls]
    return jobs


def venue_local(value: datetime, venue) -> datetime:
    """A time given without a time zone is the venue's local time."""
    return value.replace(tzinfo=zoneinfo.ZoneInfo(venue.time_zone)) if value.tzinfo is None else value


def video_job_cancel(job: VideoJob) -> VideoJob:
    """Ask a queued or running job to stop; the worker notices within about a second."""
    if job.status in VideoJob.FINISHED:
        return job
    job.cancel_requested_at = timezone.now()
    fields = ["cancel_requested_at"]
    if job.status == VideoJob.Status.QUEUED:
        job.status, job.finished_at = VideoJob.Status.CANCELLED, timezone.now()
        fields += ["status", "finished_at"]
    job.save(update_fields=fields)
    return job


def video_job_retry_refusal(job: VideoJob) -> tuple[str, str] | None:
    """Why a job cannot run again, as (field, reason), or None."""
    if job.status not in VideoJob.FINISHED:
        return "status", f"Only a finished job can be retried; this one is {job.get_status_display().lower()}."
    if job.source == VideoJob.Source.UPLOAD and not (job.upload and job.upload.storage.exists(job.upload.name)):
        return "source", "The uploaded file of this job is no longer stored: upload it again."
    return None


def video_job_retry(job: VideoJob) -> VideoJob:
    """Run a finished job again (see `video_job_retry_refusal` first); its new events replace the old ones."""
    job.status, job.error, job.cancel_requested_at, job.finished_at = VideoJob.Status.QUEUED, "", None, None
    job.frames_done, job.video_seconds_done, job.rate = 0, 0.0, None
    job.save(update_fields=["status", "error", "cancel_requested_at", "finished_at", "frames_done",
                            "video_seconds_done", "rate"])  # fmt: skip
    _enqueue(job)
    return job


def _enqueue(job: VideoJob) -> None:
    from ingest.tasks import video_job_process

    transaction.on_commit(lambda: video_job_process.delay(job.pk, job.tenant_id))
