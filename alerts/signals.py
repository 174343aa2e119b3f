from django.db.models.signals import post_save
from django.dispatch import receiver

from alerts.services import default_rules_create, footage_hours
from alerts.tasks import alert_check_venue
from ingest.signals import footage_stored
from venues.models import Venue


@receiver(post_save, sender=Venue, dispatch_uid="alerts.default_rules")
def venue_default_rules(sender, instance, created, raw=False, **kwargs):
    """However a venue is created (API, admin, command), it starts with the default alert rules."""
    if created and not raw:
        default_rules_create(instance)


@receiver(footage_stored, dispatch_uid="alerts.footage_hours_check")
def footage_hours_check(sender, job, **kwargs):
    """Footage of hours that have passed (uploaded after the hourly check ran on them) is checked once stored: a
    check task per hour it shows. A firing is stored once, so an hour checked twice alerts once. Sent without
    retrying: with the broker down the job still ends at once, and "Check now" does the same later."""
    if job.recording_start is None or not job.video_seconds_total:
        return
    for hour in footage_hours(job.venue, job.recording_start, job.video_seconds_total):
        alert_check_venue.apply_async((job.venue_id, job.tenant_id, hour.isoformat()), retry=False)
