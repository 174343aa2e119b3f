"""Video jobs and the visitor events they (or edge devices) produce.

Events are written only by `ingest.services`. Each row has a `key`, unique within its tenant, made from
where it came from (a job or a device) and its own id there, so a retried write never double counts.
`visit_key` ties zone, line and queue events to their visit: one identity per visitor and venue.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from core.tenancy import TenantManager, TenantOwned
from venues.models import Camera, CountingLine, Venue, Zone


class VideoJob(TenantOwned):
    class Source(models.TextChoices):
        UPLOAD = "upload", "Uploaded file"
        URL = "url", "Video URL"
        STREAM = "stream", "Live stream"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Priority(models.IntegerChoices):
        """Which queued jobs a vision worker takes first: higher first. A job made on its own is not kept waiting
        behind a batch of files (Celery's priority on the Redis broker, `video_job_send`)."""

        BATCH = 0, "Batch"
        SINGLE = 9, "Single"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    tenant_parent = "camera"

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="video_jobs")
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="video_jobs")
    source = models.CharField(max_length=8, choices=Source.choices)
    source_url = models.CharField(max_length=1000, blank=True)
    upload = models.FileField(upload_to="uploads/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    recording_start = models.DateTimeField(
        null=True, blank=True, help_text="When the footage starts; empty: from the file's metadata, else upload time."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    frames_done = models.PositiveIntegerField(default=0)
    frames_total = models.PositiveIntegerField(null=True, blank=True)
    video_seconds_done = models.FloatField(default=0)
    video_seconds_total = models.FloatField(null=True, blank=True)
    rate = models.FloatField(null=True, blank=True, help_text="Video seconds processed per wall-clock second.")
    error = models.TextField(blank=True)
    warning = models.TextField(blank=True, help_text="A finished job's caveat, e.g. that nobody was detected.")
    visits_found = models.PositiveIntegerField(default=0)
    stage_seconds = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    enqueued_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When its task last reached the broker; empty while the broker could not be reached (the recovery "
        "sweep sends it again).",
    )  # fmt: skip
    heartbeat_at = models.DateTimeField(
        null=True, blank=True,
        help_text="The running worker's last sign of life; a running job whose heartbeat stops is queued again.",
    )  # fmt: skip
    clip_requested = models.BooleanField(
        default=False, help_text="Each run also makes an annotated review clip of the footage's first minutes."
    )
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.SINGLE,
        help_text="Workers take single jobs before the jobs of a batch of several files or URLs.",
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self):
        return f"Job {self.pk} ({self.get_source_display()}, {self.get_status_display()})"

    def save(self, *args, **kwargs):
        self.venue_id = self.camera.venue_id
        super().save(*args, **kwargs)

    @classmethod
    def worker_lost(cls, now) -> models.Q:
        """Running jobs whose worker died: no heartbeat for VIDEO_JOB_LOST_AFTER_SECONDS (or, from before heartbeats,
        started that long ago without one). The recovery sweep, a new run's claim and the admin's filter agree."""
        lost_before = now - timedelta(seconds=settings.VIDEO_JOB_LOST_AFTER_SECONDS)
        return models.Q(status=cls.Status.RUNNING) & (
            models.Q(heartbeat_at__lt=lost_before) | models.Q(heartbeat_at__isnull=True, started_at__lt=lost_before)
        )

    @property
    def progress(self) -> float | None:
        """0..1, when the length of the footage is known."""
        if self.status == self.Status.SUCCEEDED:
            return 1.0
        if self.video_seconds_total:
            return min(1.0, self.video_seconds_done / self.video_seconds_total)
        return None

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the current rate, while running."""
        if self.status != self.Status.RUNNING or not self.rate or not self.video_seconds_total:
            return None
        return round(max(0.0, self.video_seconds_total - self.video_seconds_done) / self.rate, 1)


def _clip_name(clip: "ReviewClip", filename: str) -> str:
    return f"clips/{clip.tenant_id}/{clip.job_id}-{secrets.token_urlsafe(12)}.mp4"  # not guessable


class ReviewClip(TenantOwned):
    """A job's annotated review clip (`vision.clips`): its first minutes with the people, zones, lines and counts
    drawn on, in the media storage until `expires_at` (the tenant's clip retention), then deleted."""

    tenant_parent = "job"
    venue_lookup = "job__venue_id"

    job = models.OneToOneField(VideoJob, on_delete=models.CASCADE, related_name="review_clip")
    file = models.FileField(upload_to=_clip_name, max_length=200)
    frames = models.PositiveIntegerField()
    duration_seconds = models.FloatField()
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    size_bytes = models.PositiveBigIntegerField()
    faces_blurred = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"Review clip of job {self.job_id}"


class CountAudit(TenantOwned):
    """A person's count of the people crossing a line in a stretch of a job's footage (on its review clip), beside
    the product's own count of the same stretch: the customer's check of the counts (`docs/metrics.md`)."""

    tenant_parent = "job"
    venue_lookup = "job__venue_id"

    job = models.ForeignKey(VideoJob, on_delete=models.CASCADE, related_name="audits")
    line = models.ForeignKey(CountingLine, on_delete=models.CASCADE, related_name="+")
    start_seconds = models.FloatField(help_text="Where the stretch starts, seconds into the footage.")
    end_seconds = models.FloatField()
    counted_in = models.PositiveIntegerField(help_text="The person's count of crossings in.")
    counted_out = models.PositiveIntegerField()
    measured_in = models.PositiveIntegerField(help_text="The product's count of the same crossings.")
    measured_out = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class EventRow(TenantOwned):
    """What every event row carries: where, when, which visit, and its idempotency key.

    Every index costs each insert, so none repeats another's leading column: the tenant's and the venue's are
    the first columns of `(tenant, key)` and `(venue, at)`, and the job's is its foreign key's own."""

    tenant = models.ForeignKey("core.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False)
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="+", db_index=False)
    camera = models.ForeignKey(Camera, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    job = models.ForeignKey(VideoJob, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    key = models.CharField(max_length=200)
    visit_key = models.CharField(max_length=160)
    at = models.DateTimeField()
    staff = models.BooleanField(default=False, help_text="A staff member's: left out of customer metrics.")

    class Meta:
        abstract = True
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="%(class)s_unique_key_per_tenant")]
        indexes = [
            models.Index(fields=["venue", "at"], name="%(class)s_venue_at"),
            models.Index(fields=["tenant", "visit_key"], name="%(class)s_visit"),
        ]


class Visit(EventRow):
    """One visitor's stay as seen by one camera (or reported by a device); `at` is when it started."""

    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    zone_path = models.JSONField(default=list, blank=True)
    trajectory = models.JSONField(default=list, blank=True, help_text="[[seconds, x, y], ...] of the feet")
    age_bracket = models.CharField(max_length=8, blank=True)
    age_confidence = models.FloatField(null=True, blank=True)
    gender = models.CharField(max_length=8, blank=True)
    gender_confidence = models.FloatField(null=True, blank=True)
    engagement_score = models.PositiveSmallIntegerField(null=True, blank=True)
    behaviour = models.CharField(max_length=10, blank=True)
    posture = models.CharField(max_length=12, blank=True, help_text="upright, leaning or arms crossed, held most of "
                               "the visit (from the pose); empty when the pose did not tell")  # fmt: skip
    visitor = models.ForeignKey(
        "reid.Visitor", on_delete=models.SET_NULL, null=True, blank=True, related_name="visits",
        help_text="The returning visitor recognised by face; empty when no usable face was seen.",
    )  # fmt: skip


class ZoneEvent(EventRow):
    class Kind(models.TextChoices):
        ENTERED = "entered", "Entered"
        EXITED = "exited", "Exited"

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    dwell_seconds = models.FloatField(null=True, blank=True, help_text="On exit: this stay's dwell.")


class LineCrossing(EventRow):
    class Direction(models.TextChoices):
        IN = "in", "In"
        OUT = "out", "Out"

    line = models.ForeignKey(CountingLine, on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices)


class QueueEvent(EventRow):
    class Kind(models.TextChoices):
        JOINED = "joined", "Joined"
        SERVED = "served", "Served"
        ABANDONED = "abandoned", "Abandoned"

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    wait_seconds = models.FloatField(null=True, blank=True, help_text="On served/abandoned.")


class Sale(TenantOwned):
    """A point-of-sale transaction of a venue (for conversion and sales analytics)."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200, help_text="Idempotency key: the POS's transaction id.")
    at = models.DateTimeField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    items = models.PositiveIntegerField(default=1)
    basket_id = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="sale_unique_key_per_tenant")]
        indexes = [models.Index(fields=["venue", "at"], name="sale_venue_at")]


class RollupManager(TenantManager):
    """The hourly rollups are read through this: the hours of the scope written but not rebuilt yet (`PendingHour`)
    are rebuilt first, so that every answer counts every stored event, whoever reads them."""

    def get_queryset(self):
        from ingest.rollups import pending_hours_refresh_in_scope  # the rollups import these models

        pending_hours_refresh_in_scope()
        return super().get_queryset()


class PendingHour(TenantOwned):
    """A local hour of a venue whose events were written since its rollups were last rebuilt (`ingest.rollups`).

    A write marks its hours in its own transaction (bumping `version`), and the rebuild that read a version
    removes the mark only if it is still that version, so no write is ever left out of a rebuild."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="+")
    hour_start = models.DateTimeField()
    version = models.PositiveBigIntegerField(default=1)
    marked_at = models.DateTimeField(db_default=Now(), help_text="When it was first marked since its last rebuild.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["venue", "hour_start"], name="pendinghour_unique")]


class VenueHour(TenantOwned):
    """Hourly totals of a venue, kept up to date by `ingest.rollups` whenever events are written.

    `hour_start` is the start of a clock hour in the venue's time zone (stored in UTC): analytics in local
    time group these rows, which stays exact for zones with half-hour offsets and across DST changes.
    """

    objects = RollupManager()

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="+")
    hour_start = models.DateTimeField()
    visits = models.PositiveIntegerField(default=0)
    visit_seconds = models.FloatField(default=0)
    visit_histogram = models.JSONField(default=dict, help_text="Visit durations: {bucket: count} (ingest.rollups).")
    entries = models.PositiveIntegerField(default=0)
    exits = models.PositiveIntegerField(default=0)
    with_demographics = models.PositiveIntegerField(default=0)
    engagement_score_sum = models.PositiveIntegerField(default=0)
    engagement_scored = models.PositiveIntegerField(default=0)
    engaged = models.PositiveIntegerField(default=0)
    browsing = models.PositiveIntegerField(default=0)
    waiting = models.PositiveIntegerField(default=0)
    passing = models.PositiveIntegerField(default=0)
    upright = models.PositiveIntegerField(default=0)  # visits by the posture they held most
    leaning = models.PositiveIntegerField(default=0)
    arms_crossed = models.PositiveIntegerField(default=0)
    # the funnel, nested by visit and counted in the hour the visit started (docs/metrics.md)
    entered = models.PositiveIntegerField(default=0, help_text="Visits that came in (crossed an entrance line in).")
    browsed = models.PositiveIntegerField(default=0, help_text="Entered visits that stayed in a zone.")
    queued = models.PositiveIntegerField(default=0, help_text="Browsing visits that queued or reached a checkout.")
    purchased = models.PositiveIntegerField(default=0, help_text="Queued visits that a sale was linked to.")
    sales_linked = models.PositiveIntegerField(default=0, help_text="Sales linked to the purchasing visits.")
    transactions = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    items = models.PositiveIntegerField(default=0)
    peak_occupancy = models.PositiveIntegerField(default=0, help_text="The most visits open at once in the hour.")
    occupancy_seconds = models.FloatField(default=0, help_text="Time of the visits open in the hour, summed.")
    occupied_seconds = models.FloatField(default=0, help_text="Time in the hour with at least one visit open.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["venue", "hour_start"], name="venuehour_unique")]


class ZoneHour(TenantOwned):
    """Hourly totals of a zone: stays (by exit time) with their dwell, and queue outcomes with their waits."""

    objects = RollupManager()

    venue_lookup = "venue_id"

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="+")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="+")
    hour_start = models.DateTimeField()
    visits = models.PositiveIntegerField(default=0)
    dwell_seconds = models.FloatField(default=0)
    dwell_histogram = models.JSONField(default=dict, help_text="Dwell of each stay: {bucket: count}.")
    engagement_score_sum = models.PositiveIntegerField(default=0, help_text="Of the visits whose stays ended here.")
    engagement_scored = models.PositiveIntegerField(default=0)
    queue_joined = models.PositiveIntegerField(default=0)
    queue_served = models.PositiveIntegerField(default=0)
    queue_abandoned = models.PositiveIntegerField(default=0)
    wait_seconds = models.FloatField(default=0)
    wait_histogram = models.JSONField(default=dict, help_text="Wait of each served or abandoned: {bucket: count}.")
    peak_occupancy = models.PositiveIntegerField(default=0, help_text="The most stays open at once in the hour.")
    occupancy_seconds = models.FloatField(default=0, help_text="Time of the stays open in the hour, summed.")
    occupied_seconds = models.FloatField(default=0, help_text="Time in the hour with at least one stay open.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "hour_start"], name="zonehour_unique")]
        indexes = [models.Index(fields=["venue", "hour_start"], name="zonehour_venue_hour")]


class CameraHour(TenantOwned):
    """Where people stood on a camera's image in an hour: trajectory points counted on a grid."""

    objects = RollupManager()

    GRID = (32, 18)  # columns, rows over the image

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="+")
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="+")
    hour_start = models.DateTimeField()
    positions = models.JSONField(default=dict, help_text="{cell: count}, cell = row * columns + column.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["camera", "hour_start"], name="camerahour_unique")]
        indexes = [models.Index(fields=["venue", "hour_start"], name="camerahour_venue_hour")]


class VisitorHour(TenantOwned):
    """The customers of a venue whose visits started in one local hour, so that distinct people over any range
    are counted without reading the visits: a row per recognised visitor (their visits in the hour), and one row
    without a visitor for the visits with no recognised face, each of which is a person of its own."""

    objects = RollupManager()

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="+")
    hour_start = models.DateTimeField()
    visitor = models.ForeignKey("reid.Visitor", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    visits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["venue", "hour_start", "visitor"], name="visitorhour_unique", nulls_distinct=False
            )
        ]
        indexes = [models.Index(fields=["venue", "visitor", "hour_start"], name="visitorhour_visitor")]


class DemographicHour(TenantOwned):
    """Hourly visits by estimated age bracket and gender (only visits with a usable face have them)."""

    objects = RollupManager()

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="+")
    hour_start = models.DateTimeField()
    age_bracket = models.CharField(max_length=8)
    gender = models.CharField(max_length=8)
    visits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["venue", "hour_start", "age_bracket", "gender"], name="demohour_unique")
        ]
