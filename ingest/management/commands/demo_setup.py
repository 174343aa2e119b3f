import zoneinfo
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from core.models import Membership, Tenant
from core.tenancy import all_tenants, tenant_scope
from ingest.models import VideoJob
from venues.hours import open_at
from venues.models import Camera, CountingLine, Venue, Zone

DEMO_FOOTAGE_MINUTES = 10  # the store is open this long from the footage's start (the clip is seconds long)


def demo_footage_start(venue, now: datetime) -> datetime:
    """The latest local minute, at least DEMO_FOOTAGE_MINUTES before `now`, from which the venue stays open for
    DEMO_FOOTAGE_MINUTES: within today's opening hours once the store has been open that long, else the last ones."""
    moment = now.astimezone(zoneinfo.ZoneInfo(venue.time_zone)).replace(second=0, microsecond=0)
    step = timedelta(minutes=1)
    moment -= DEMO_FOOTAGE_MINUTES * 2 * step
    for _ in range(8 * 24 * 60):  # a week and a day: every weekday's hours
        if open_at(venue, moment) and open_at(venue, moment + DEMO_FOOTAGE_MINUTES * step):
            return moment
        moment -= step
    return now - DEMO_FOOTAGE_MINUTES * 2 * step  # a store with no opening hours


class Command(BaseCommand):
    help = "Create (or refresh) the demo tenant, its store and camera, and print a login for it."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", help="Default: a new random password, printed.")
        parser.add_argument("--clip", help="A real video to process for the demo store's camera (once)")

    def handle(self, *args, username, password, clip, **options):
        password = self._setup(username, password)
        if clip:
            self._process(clip)
        self.stdout.write(self.style.SUCCESS(f"Demo tenant ready. Log in as  {username} / {password}"))

    def _process(self, clip: str) -> None:
        """The clip as footage of the store's most recent opening hours: today's once it has opened, so that Home and
        the map show its visitors today."""
        with all_tenants():
            venue = Venue.objects.get(slug="darmstadt-campus", tenant__slug="demo")
            if VideoJob.objects.filter(venue=venue, status=VideoJob.Status.SUCCEEDED).exists():
                return
        start = demo_footage_start(venue, timezone.now())
        call_command("process_video", clip, venue=str(venue.pk), camera="Entrance", recording_start=start.isoformat())

    @transaction.atomic
    def _setup(self, username, password) -> str:
        password = password or get_random_string(14)
        tenant, _ = Tenant.objects.get_or_create(slug="demo", defaults={"name": "Demo Retail"})
        user, _ = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com"}
        )
        user.set_password(password)
        user.is_staff = True  # the demo user may look around the admin too
        user.is_superuser = True
        user.save()
        Membership.objects.update_or_create(user=user, tenant=tenant, defaults={"role": Membership.Role.OWNER})

        with tenant_scope(tenant):
            venue, _ = Venue.objects.get_or_create(
                slug="darmstadt-campus",
                defaults=dict(
                    tenant=tenant, name="Darmstadt Campus Store", time_zone="Europe/Berlin", city="Darmstadt",
                    country="DE", latitude=49.8773, longitude=8.6545,
                    opening_hours={day: ["09:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat")},
                ),
            )  # fmt: skip
            camera, _ = Camera.objects.get_or_create(
                venue=venue,
                name="Entrance",
                defaults={"role": Camera.Role.ENTRANCE, "frame_width": 640, "frame_height": 480},
            )
            Zone.objects.get_or_create(
                camera=camera, name="Shop front",
                defaults={"kind": Zone.Kind.AREA, "polygon": [[0.0, 0.55], [0.5, 0.55], [0.5, 1.0], [0.0, 1.0]]},
            )  # fmt: skip
            CountingLine.objects.get_or_create(
                camera=camera, name="Door", defaults={"points": [[0.5, 0.5], [0.5, 1.0]], "in_side": "left"}
            )
        return password
