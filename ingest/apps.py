from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "ingest"
    verbose_name = "Video jobs and visitor events"

    def ready(self):
        from ingest.models import ReviewClip, VideoJob
        from venues.files import files_deleted_with_rows

        files_deleted_with_rows(VideoJob, ReviewClip)  # the upload; the clip
