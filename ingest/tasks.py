from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from core.models import Tenant
from core.tenancy import all_tenants, tenant_scope
from ingest.job_runner import video_job_fail, video_job_run
from ingest.models import VideoJob
from ingest.services import review_clips_expire, video_jobs_recover

MAX_RETRIES = 3


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def video_job_process(self, job_id: int, tenant_id: int) -> str:
    """Run one video job on a vision worker. Database hiccups are retried once the job's heartbeat has expired, so
    that the retry can claim it again; a re-run replaces its events."""
    with tenant_scope(Tenant.objects.get(pk=tenant_id)):
        job = VideoJob.objects.select_related("camera").get(pk=job_id)
        try:
            return video_job_run(job).status
        except OperationalError as error:
            if self.request.retries >= MAX_RETRIES:
                video_job_fail(job, "The database was unavailable; try again later.")
                raise
            countdown = settings.VIDEO_JOB_LOST_AFTER_SECONDS + 2 ** (self.request.retries + 1)
            raise self.retry(exc=error, countdown=countdown) from error


@shared_task
def review_clips_expire_all() -> int:
    """Scheduled (config/schedules.py): review clips past their tenant's retention are deleted, file and row."""
    with all_tenants():
        return review_clips_expire()


@shared_task
def video_jobs_recover_all() -> dict[str, int]:
    """Scheduled every minute (config/schedules.py): jobs of dead workers and unsent jobs go back to the queue."""
    with all_tenants():
        return video_jobs_recover()
