"""Recompute the hourly rollups of every hour that has any, for all venues or one: after a release that adds a
rollup figure (such as occupancy), so that past hours answer it too. Safe to repeat."""

from django.core.management.base import BaseCommand

from core.tenancy import all_tenants, tenant_scope
from ingest.models import VenueHour
from ingest.rollups import hours_refresh
from venues.models import Venue

HOURS_PER_REFRESH = 200  # hours recomputed in one transaction


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--venue", type=int, help="Only this venue (its id)")

    def handle(self, *args, venue: int | None, **options):
        with all_tenants():
            venues = list(Venue.objects.select_related("tenant").filter(**({"pk": venue} if venue else {})))
        for place in venues:
            with tenant_scope(place.tenant):
                hours = list(
                    VenueHour.objects.filter(venue=place).order_by("hour_start").values_list("hour_start", flat=True)
                )
                for first in range(0, len(hours), HOURS_PER_REFRESH):
                    hours_refresh(place, hours[first : first + HOURS_PER_REFRESH])
            self.stdout.write(f"{place}: {len(hours)} hours recomputed")
