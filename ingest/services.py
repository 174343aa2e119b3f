from __future__ import annotations

import logging
import zoneinfo
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from core.models import Tenant
from ingest.models import CountAudit, LineCrossing, ReviewClip, VideoJob

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from vision.clips import ClipInfo


def video_job_create(
    *, camera, source: str, created_by=None, upload=None, source_url: str = "", recording_start=None,
    review_clip=False, enqueue=True, priority=VideoJob.Priority.SINGLE,
):  # fmt: skip
    """Create a job for a camera and queue it for a vision worker once the transaction commits
    (`enqueue=False`: the caller runs it in the foreground). `review_clip`: its runs make a review clip."""
    job = VideoJob(
        tenant_id=camera.tenant_id, venue_id=camera.venue_id, camera=camera, source=source, upload=upload,
        original_name=getattr(upload, "name", "") or source_url[:255], source_url=source_url,
        recording_start=recording_start, created_by=created_by, clip_requested=review_clip, priority=priority,
    )  # fmt: skip
    job.save()
    if enqueue:
        _enqueue(job)
    return job


def video_jobs_create(
    *, camera, files=(), urls=(), created_by=None, recording_start=None, review_clip=False
) -> list[VideoJob]:
    """One job per uploaded file and per URL, all for one camera, in one transaction (all or none). Several are a
    batch: workers take single jobs first; a batch of one is a single job."""
    priority = VideoJob.Priority.BATCH if len(files) + len(urls) > 1 else VideoJob.Priority.SINGLE
    common = dict(camera=camera, created_by=created_by, recording_start=recording_start, review_clip=review_clip,
                  priority=priority)  # fmt: skip
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
    job.frames_done, job.video_seconds_done, job.rate, job.enqueued_at = 0, 0.0, None, None
    job.save(update_fields=["status", "error", "cancel_requested_at", "finished_at", "frames_done",
                            "video_seconds_done", "rate", "enqueued_at"])  # fmt: skip
    _enqueue(job)
    return job


def review_clip_request(job: VideoJob) -> VideoJob:
    """Make a review clip of a finished job: it runs again with a clip (the clip's counts are that run's, which
    replace the job's events as a retry does). See `video_job_retry_refusal` first."""
    job.clip_requested = True
    job.save(update_fields=["clip_requested"])
    return video_job_retry(job)


def review_clip_save(job: VideoJob, path: Path, info: ClipInfo, *, faces_blurred: bool) -> ReviewClip:
    """Store a run's clip (an MP4 at `path`) in the media storage, kept for the tenant's clip retention;
    it replaces the job's earlier clip, file and row."""
    retention = Tenant.objects.get(pk=job.tenant_id).clip_retention_days
    earlier = ReviewClip.objects.filter(job=job).first()
    clip = ReviewClip(
        tenant_id=job.tenant_id, job=job, frames=info.frames, duration_seconds=info.duration_seconds, width=info.width, height=info.height,
        size_bytes=path.stat().st_size, faces_blurred=faces_blurred,
        expires_at=timezone.now() + timedelta(days=retention),
    )  # fmt: skip
    with path.open("rb") as content:
        clip.file.save(path.name, File(content), save=False)
    with transaction.atomic():
        if earlier is not None:
            earlier.delete()  # and its file, once committed
        clip.save()
    return clip


def review_clips_expire(now: datetime | None = None) -> int:
    """Delete the clips past their expiry, file and row, in the active scope (all tenants for the scheduled
    task); returns how many. A file already gone is no error: the row still goes."""
    expired = ReviewClip.objects.filter(expires_at__lte=now or timezone.now())
    return expired.delete()[0]  # their files go once this commits (venues.files)


def _enqueue(job: VideoJob) -> None:
    transaction.on_commit(lambda: video_job_send(job))


def video_job_send(job: VideoJob) -> bool:
    """Hand a queued job to the vision workers' broker. When the broker cannot be reached the job stays queued with
    no `enqueued_at`, the request that made it still succeeds, and `video_jobs_recover` sends it once it can.
    Celery's Redis broker serves priority 0 first: the reverse of `VideoJob.Priority`, whose highest is sent as 0."""
    from ingest.tasks import video_job_process

    try:
        video_job_process.apply_async(
            (job.pk, job.tenant_id), retry=False, priority=VideoJob.Priority.SINGLE - job.priority
        )
    except BrokerUnavailable as error:
        logger.warning("video job %s stays queued until the broker is back: %s", job.pk, error)
        return False
    job.enqueued_at = timezone.now()
    VideoJob.objects.filter(pk=job.pk).update(enqueued_at=job.enqueued_at)
    return True


def video_jobs_recover(now: datetime | None = None) -> dict[str, int]:
    """Scheduled every minute (config/schedules.py), in the active scope: no job is lost or stuck.
    - A running job whose heartbeat stopped (its worker died) is queued again, or failed with a plain reason once it
      has had VIDEO_JOB_MAX_ATTEMPTS runs; a re-run replaces the earlier run's events, so nothing counts twice.
    - A queued job whose task never reached the broker (it was down) is sent; so is one sent long ago, in case the
      broker lost it (a second delivery finds the job claimed or finished and ends)."""
    now = now or timezone.now()
    taken_back = failed = 0
    for job in VideoJob.objects.filter(VideoJob.worker_lost(now)):
        if job.attempts >= settings.VIDEO_JOB_MAX_ATTEMPTS:
            job.status, job.finished_at = VideoJob.Status.FAILED, now
            job.error = (f"The worker running this job stopped {job.attempts} times before it finished; retry it once "
                         "the vision workers are healthy.")  # fmt: skip
            job.save(update_fields=["status", "error", "finished_at"])
            failed += 1
        elif VideoJob.objects.filter(pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at).update(
            status=VideoJob.Status.QUEUED, enqueued_at=None
        ):  # unless its worker came back meanwhile
            taken_back += 1
    resend_before = now - timedelta(seconds=settings.VIDEO_JOB_RESEND_AFTER_SECONDS)
    unsent = VideoJob.objects.filter(status=VideoJob.Status.QUEUED).filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=resend_before)
    )
    sent = sum(video_job_send(job) for job in unsent)
    return {"taken_back": taken_back, "failed": failed, "sent": sent}


class AuditRefused(ValueError):
    """The audit cannot be compared with the job's counts; the message says why."""


def count_audit_record(job: VideoJob, line, start_seconds: float, end_seconds: float, counted_in: int,
                       counted_out: int, created_by=None) -> CountAudit:  # fmt: skip
    """Keep a person's count of the crossings of `line` between two moments of the job's footage, with the
    product's count of the same crossings (every person's, staff too: the person counted them all)."""
    if job.status != VideoJob.Status.SUCCEEDED or job.source == VideoJob.Source.STREAM or not job.recording_start:
        raise AuditRefused("Only a finished video job of a file or URL can be audited.")
    if line.camera_id != job.camera_id:
        raise AuditRefused(f"The line {line.name!r} is not on this job's camera.")
    if not 0 <= start_seconds < end_seconds <= (job.video_seconds_total or end_seconds):
        raise AuditRefused("The stretch must start before it ends, within the footage.")
    start = job.recording_start + timedelta(seconds=start_seconds)
    crossings = LineCrossing.objects.filter(job=job, line=line, at__gte=start,
                                            at__lt=job.recording_start + timedelta(seconds=end_seconds))  # fmt: skip
    return CountAudit.objects.create(
        tenant_id=job.tenant_id, job=job, line=line, start_seconds=start_seconds, end_seconds=end_seconds,
        counted_in=counted_in, counted_out=counted_out, measured_in=crossings.filter(direction="in").count(),
        measured_out=crossings.filter(direction="out").count(), created_by=created_by,
    )  # fmt: skip
