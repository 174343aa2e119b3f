from django.contrib import admin, messages
from django.utils import timezone

from ingest.models import LineCrossing, QueueEvent, ReviewClip, VideoJob, Visit, ZoneEvent
from ingest.services import video_job_cancel, video_job_retry, video_job_retry_refusal


class StuckFilter(admin.SimpleListFilter):
    """Jobs the recovery sweep will act on: running with a stopped heartbeat, or queued but never sent."""

    title, parameter_name = "stuck", "stuck"

    def lookups(self, request, model_admin):
        return [("lost", "Running, heartbeat stopped"), ("unsent", "Queued, not sent to the broker")]

    def queryset(self, request, queryset):
        if self.value() == "lost":
            return queryset.filter(VideoJob.worker_lost(timezone.now()))
        if self.value() == "unsent":
            return queryset.filter(status=VideoJob.Status.QUEUED, enqueued_at__isnull=True)
        return queryset


@admin.register(VideoJob)
class VideoJobAdmin(admin.ModelAdmin):
    list_display = ["__str__", "original_name", "camera", "tenant", "status", "progress", "visits_found", "attempts",
                    "heartbeat_at", "created_at"]  # fmt: skip
    list_filter = ["tenant", "status", StuckFilter, "source"]
    search_fields = ["original_name", "source_url", "camera__name", "venue__name"]
    list_select_related = ["camera__venue", "tenant"]
    fields = ["camera", "source", "source_url", "upload", "original_name", "recording_start", "status", "error",
              "frames_done", "frames_total", "video_seconds_done", "video_seconds_total", "rate", "visits_found",
              "stage_seconds", "attempts", "created_by", "created_at", "enqueued_at", "started_at", "heartbeat_at",
              "finished_at", "cancel_requested_at"]  # fmt: skip
    readonly_fields = [f for f in fields if f != "recording_start"]
    actions = ["cancel_selected", "retry_selected"]

    def has_add_permission(self, request):
        return False  # jobs start from the API, the web app or process_video, which validate the footage

    @admin.action(description="Cancel the selected jobs")
    def cancel_selected(self, request, queryset):
        for job in queryset:
            video_job_cancel(job)
        messages.success(request, f"Asked {queryset.count()} job(s) to stop.")

    @admin.action(description="Run the selected finished jobs again")
    def retry_selected(self, request, queryset):
        runnable = [job for job in queryset if video_job_retry_refusal(job) is None]
        for job in runnable:
            video_job_retry(job)
        messages.success(request, f"Queued {len(runnable)} job(s) again (finished ones whose footage is stored).")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the product's services: the admin shows (and may delete) them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReviewClip)
class ReviewClipAdmin(ReadOnlyAdmin):
    """Made by job runs; deleting one here deletes its file too."""

    list_display = ["job", "tenant", "duration_seconds", "faces_blurred", "created_at", "expires_at"]
    list_filter = ["tenant", "faces_blurred"]
    list_select_related = ["job", "tenant"]


class EventAdmin(ReadOnlyAdmin):
    """Events are written only by `ingest` services: the admin shows them."""

    list_filter = ["tenant", "venue"]
    search_fields = ["key", "visit_key"]
    list_select_related = ["venue", "tenant"]
    date_hierarchy = "at"


@admin.register(Visit)
class VisitAdmin(EventAdmin):
    list_display = ["visit_key", "venue", "at", "duration_seconds", "visitor", "staff", "age_bracket", "behaviour"]


@admin.register(ZoneEvent)
class ZoneEventAdmin(EventAdmin):
    list_display = ["visit_key", "zone", "kind", "at", "dwell_seconds"]


@admin.register(LineCrossing)
class LineCrossingAdmin(EventAdmin):
    list_display = ["visit_key", "line", "direction", "at"]


@admin.register(QueueEvent)
class QueueEventAdmin(EventAdmin):
    list_display = ["visit_key", "zone", "kind", "at", "wait_seconds"]
