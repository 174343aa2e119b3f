"""Alert rules, the alerts they fire, who gets emails about them, and the digests sent.

A rule belongs to a tenant and optionally to one venue (and zone); `params` holds its limits, checked by
`alerts.rules.RULES`. An alert is stored once per rule, period and subject (a zone or camera), so a check that
runs twice fires once.
"""

from datetime import time

from django.conf import settings
from django.db import models

from core.tenancy import TenantOwned
from venues.models import Camera, Venue, Zone
from venues.validators import validate_time_zone


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class AlertRule(TenantOwned):
    class Kind(models.TextChoices):
        TRAFFIC_SPIKE = "traffic_spike", "Traffic spike"
        TRAFFIC_DROP = "traffic_drop", "Traffic drop"
        AFTER_HOURS = "after_hours", "Activity outside opening hours"
        CROWDING = "crowding", "Crowding"
        LONG_DWELL = "long_dwell", "Long dwell in a zone"
        DEAD_ZONE = "dead_zone", "Dead zone"
        QUEUE_ABANDONMENT = "queue_abandonment", "Queue abandonment"
        QUEUE_WAIT = "queue_wait", "Queue wait"
        CAMERA_SILENT = "camera_silent", "Camera went silent"

    venue_lookup = "venue_id"

    venue = models.ForeignKey(
        Venue, on_delete=models.CASCADE, null=True, blank=True, related_name="alert_rules",
        help_text="Empty: every venue of the tenant.",
    )  # fmt: skip
    zone = models.ForeignKey(
        Zone, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        help_text="Zone rules: empty means every zone (of the venue).",
    )  # fmt: skip
    kind = models.CharField(max_length=20, choices=Kind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.WARNING)
    enabled = models.BooleanField(default=True)
    params = models.JSONField(default=dict, blank=True, help_text="The rule's limits; missing ones take defaults.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["venue_id", "kind", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.venue or 'all venues'})"


class Alert(TenantOwned):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="alerts")
    zone = models.ForeignKey(Zone, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    camera = models.ForeignKey(Camera, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=20, choices=AlertRule.Kind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    subject = models.CharField(max_length=40, blank=True, help_text="What fired within the rule: zone:3, camera:2.")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    title = models.CharField(max_length=200)
    message = models.TextField()
    numbers = models.JSONField(default=dict, help_text="The figures behind the alert.")
    link = models.CharField(max_length=300, help_text="Where the dashboard explains it (path).")
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "venue", "subject", "period_start"], name="alert_once_per_period")
        ]
        indexes = [models.Index(fields=["tenant", "state", "-period_start"]), models.Index(fields=["venue", "state"])]

    def __str__(self):
        return self.title


class AlertSettings(TenantOwned):
    """A tenant's alert emails: which severity is emailed at once, and the digest's rhythm and local time."""

    class Digest(models.TextChoices):
        OFF = "off", "Off"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly (Mondays)"

    venue_lookup = None

    instant_severity = models.CharField(
        max_length=8, choices=Severity.choices, default=Severity.CRITICAL,
        help_text="Alerts of this severity or higher are emailed at once.",
    )  # fmt: skip
    digest = models.CharField(max_length=8, choices=Digest.choices, default=Digest.DAILY)
    digest_time = models.TimeField(default=time(7), help_text="Local time the digest is sent.")
    time_zone = models.CharField(
        max_length=64, blank=True, default="", validators=[validate_time_zone],
        help_text="IANA name for the digest's time; empty: the time zone of the tenant's first venue.",
    )  # fmt: skip

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="alert_settings_one_per_tenant")]
        verbose_name_plural = "alert settings"

    def __str__(self):
        return f"Alert settings of {self.tenant}"


class AlertRecipient(TenantOwned):
    venue_lookup = None

    email = models.EmailField()
    instant = models.BooleanField(default=True, help_text="Emails for alerts as they fire.")
    digest = models.BooleanField(default=True, help_text="The daily or weekly digest.")
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(fields=["tenant", "email"], name="alert_recipient_unique_email")]

    def __str__(self):
        return self.email


class DigestSent(TenantOwned):
    """One row per digest period sent: a re-run of the schedule sends nothing twice."""

    venue_lookup = None

    period_start = models.DateField()
    period_end = models.DateField()
    recipients = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "period_start", "period_end"], name="digest_once")]
