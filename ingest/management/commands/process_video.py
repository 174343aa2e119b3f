import sys
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from core.tenancy import all_tenants, tenant_scope
from ingest.job_runner import video_job_run
from ingest.models import VideoJob
from ingest.serializers import validate_video_url
from ingest.services import venue_local, video_job_create
from venues.models import Camera, Venue


class Command(BaseCommand):
    help = "Process a video file or URL for a camera in the foreground, with a progress bar (the same service as jobs)."

    def add_arguments(self, parser):
        parser.add_argument("source", help="A video file path, or an http(s) URL")
        parser.add_argument("--venue", required=True, help="Venue id or slug")
        parser.add_argument("--camera", required=True, help="Camera id or name within the venue")
        parser.add_argument("--tenant", help="Tenant slug, when the venue slug is used by several tenants")
        parser.add_argument("--recording-start", help="ISO time the footage starts (default: file metadata, else now)")

    def handle(self, *args, source, venue, camera, tenant, recording_start, **options):
        start = None
        if recording_start:
            start = parse_datetime(recording_start)
            if start is None:
                raise CommandError(f"--recording-start {recording_start!r} is not an ISO date and time.")
        venue_obj = self._venue(venue, tenant)
        start = start and venue_local(start, venue_obj)
        with tenant_scope(venue_obj.tenant):
            cameras = venue_obj.cameras.all()
            camera_obj = (cameras.filter(pk=int(camera)) if camera.isdigit() else cameras.filter(name=camera)).first()
            if camera_obj is None:
                raise CommandError(f"No camera {camera!r} in {venue_obj}; cameras: {[c.name for c in cameras]}")
            job = self._job(source, camera_obj, start)
            self.stdout.write(f"Job {job.pk}: {job.original_name} -> {camera_obj}")
            job = video_job_run(job, on_progress=self._bar)
            self._bar(job)
            sys.stderr.write("\n")
        if job.status != VideoJob.Status.SUCCEEDED:
            raise CommandError(f"Job {job.pk} {job.status}: {job.error}")
        self.stdout.write(self.style.SUCCESS(
            f"Job {job.pk} done: {job.visits_found} visits in {job.video_seconds_done:.1f} s of footage "
            f"starting {job.recording_start:%Y-%m-%d %H:%M:%S %Z}, at {job.rate or 0:.2f}x real time."
        ))  # fmt: skip

    def _venue(self, venue: str, tenant: str | None) -> Venue:
        with all_tenants():
            venues = Venue.objects.select_related("tenant")
            if tenant:
                venues = venues.filter(tenant__slug=tenant)
            found = list(venues.filter(pk=int(venue)) if venue.isdigit() else venues.filter(slug=venue))
        if len(found) != 1:
            raise CommandError(f"{'No' if not found else 'More than one'} venue {venue!r}; use its id or --tenant.")
        return found[0]

    def _job(self, source: str, camera: Camera, start) -> VideoJob:
        if source.startswith(("http://", "https://")):
            try:
                validate_video_url(source)
            except Exception as error:
                raise CommandError(f"{source}: {' '.join(getattr(error, 'detail', [str(error)]))}") from error
            return video_job_create(
                camera=camera, source=VideoJob.Source.URL, source_url=source, recording_start=start, enqueue=False
            )
        path = Path(source)
        if not path.is_file():
            raise CommandError(f"{source}: no such file.")
        with path.open("rb") as handle:
            return video_job_create(
                camera=camera, source=VideoJob.Source.UPLOAD, upload=File(handle, name=path.name),
                recording_start=start, enqueue=False,
            )  # fmt: skip

    def _bar(self, job: VideoJob) -> None:
        width = 30
        done = job.progress or 0.0
        filled = int(done * width)
        eta = ""
        if job.rate and job.video_seconds_total:
            eta = f", ETA {max(0.0, job.video_seconds_total - job.video_seconds_done) / job.rate:.0f} s"
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done:4.0%}  {job.video_seconds_done:6.1f}/"
            f"{job.video_seconds_total or 0:.1f} s of video, {job.rate or 0:.2f}x{eta}, {job.visits_found} visits  "
        )
        sys.stderr.flush()
