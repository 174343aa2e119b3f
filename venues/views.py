from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from core.pages import model_form_page, tenant_page, writer_required
from venues.forms import BenchmarkReferencesForm, VenueForm
from venues.models import BenchmarkReference, Venue
from venues.onboarding import setup_checklist
from venues.services import benchmark_references_set


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


@tenant_page
def benchmark_references_edit(request, venue_type):
    """A venue type's reference figures, for analysts and owners; saved, back to the comparison of the venues."""
    writer_required(request)
    if venue_type not in Venue.VenueType.values:
        raise Http404(f"No venue type {venue_type!r}.")
    stored = {reference.figure: reference for reference in BenchmarkReference.objects.filter(venue_type=venue_type)}
    form = BenchmarkReferencesForm(request.POST if request.method == "POST" else None, stored=stored)
    label = Venue.VenueType(venue_type).label
    if request.method == "POST" and form.is_valid():
        benchmark_references_set(request.tenant, venue_type, form.stored_values(), form.cleaned_data["source"])
        messages.success(request, f"References for {label} saved.")
        return redirect("venue-benchmarks")
    context = {"form": form, "venue_type_label": label}
    return render(request, "venues/benchmark_references.html", context, status=400 if form.errors else 200)
