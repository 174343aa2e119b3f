from django.conf import settings
from django.shortcuts import get_object_or_404, render

from core.pages import model_form_page, tenant_page
from venues.forms import VenueForm
from venues.models import Venue
from venues.onboarding import setup_checklist


@tenant_page
def home(request):
    """The tenant's venues, and until everything is set up, the checklist of what is left to do; a user without
    a tenant is told so instead of seeing an empty product."""
    checklist = setup_checklist()
    context = {
        "venues": Venue.objects.exists(),
        "checklist": None if all(step.done for step in checklist) else checklist,
    }
    return render(request, "venues/home.html", context)


@tenant_page
def venue_create(request):
    return _venue_form_page(request, Venue(tenant=request.tenant))


@tenant_page
def venue_edit(request, venue_id):
    return _venue_form_page(request, get_object_or_404(Venue.objects.all(), pk=venue_id))


def _venue_form_page(request, venue: Venue):
    """Saved, a venue's form opens the venue's page; its map pin is placed on the map's tiles, when it has some."""
    context = {"venue": venue, "tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION}
    return model_form_page(request, VenueForm, venue, "venues/venue_form.html", context,
                           lambda saved: ("venue-page", saved.pk))  # fmt: skip
