"""The first-run checklist on Home: what a new tenant still has to set up before every panel has data, each step
judged from the tenant's own rows (in the request's tenant scope) and linked to the page that does it."""

from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse

from alerts.models import AlertRecipient
from ingest.models import Sale, VideoJob, Visit
from venues.models import Camera, Venue


@dataclass(frozen=True)
class SetupStep:
    title: str
    why: str  # what it unlocks, shown while it is not done
    done: bool
    url: str


def setup_checklist() -> list[SetupStep]:
    """The steps in the order they are done: a store, a camera, alert recipients (before footage: an alert is
    emailed to the recipients there are when it fires, and footage is checked as soon as it is processed), footage,
    zones and lines, sales."""
    venue = Venue.objects.order_by("name").first()
    cameras = Camera.objects.order_by("venue__name", "name")
    unzoned = cameras.filter(Q(zones__isnull=True) | Q(countinglines__isnull=True)).first()
    camera_url = reverse("camera-create", args=[venue.pk]) if venue else reverse("venue-create")
    return [
        SetupStep("Add a store", "Everything is counted per store, in its time zone and opening hours.",
                  venue is not None, reverse("venue-create")),
        SetupStep("Add a camera", "Footage and live streams belong to a camera of a store.",
                  cameras.exists(), camera_url),
        SetupStep("Add alert recipients", "Alerts are emailed to them as they fire, from the first footage on; "
                  "digests too.", AlertRecipient.objects.filter(unsubscribed_at__isnull=True).exists(),
                  f"{reverse('alert-settings-page')}#recipients"),
        SetupStep("Process footage", "Visits, entries and dwell come from a camera's video (or an edge device).",
                  VideoJob.objects.filter(status=VideoJob.Status.SUCCEEDED).exists() or Visit.objects.exists(),
                  reverse("jobs-page")),
        SetupStep("Draw zones and counting lines", "Entries need a line at the door; dwell and queues need zones.",
                  cameras.exists() and unzoned is None,
                  reverse("camera-setup", args=[unzoned.pk]) if unzoned else camera_url),
        SetupStep("Upload sales", "Conversion and the sales chart compare visitors with the till's sales.",
                  Sale.objects.exists(), reverse("sales-upload-page", args=[venue.pk]) if venue else reverse("venue-create")),
    ]  # fmt: skip
