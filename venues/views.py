from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from venues.api_keys import api_key_create, api_key_revoke
from venues.forms import BenchmarkReferencesForm, VenueForm
from venues.models import ApiKey, BenchmarkReference, Membership, Venue
from venues.onboarding import setup_checklist
from venues.pages import model_form_page, tenant_page, writer_required
from venues.services import benchmark_references_set, tenant_switch


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


@login_required
@require_POST
def switch_tenant(request):
    try:
        tenant_switch(request, request.POST.get("tenant", ""))
    except (PermissionDenied, ValueError):
        messages.error(request, "You are not a member of that tenant.")
    return redirect("home")


def _owner(request) -> bool:
    return request.membership is not None and request.membership.role == Membership.Role.OWNER


@tenant_page
def api_keys_page(request):
    """Owners create keys (the key is shown once, right here), see when each was last used, and revoke them."""
    if not _owner(request):
        raise PermissionDenied("Only the tenant's owners manage API keys.")
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        scope = request.POST.get("scope", ApiKey.Scope.INGEST)
        venue_id = request.POST.get("venue", "")
        venue = get_object_or_404(Venue.objects.all(), pk=int(venue_id)) if venue_id.isdigit() else None
        if not name or len(name) > 100:
            messages.error(request, "Give the key a name of 1 to 100 characters, e.g. the device it is for.")
        elif scope not in ApiKey.Scope.values:
            messages.error(request, f"Choose what the key may do: one of {', '.join(ApiKey.Scope.values)}.")
        else:  # shown on the next page only (post, redirect, get): a reload does not make another key
            _, request.session["new_api_key"] = api_key_create(
                tenant=request.tenant, name=name, scope=scope, venue=venue, created_by=request.user
            )
        return redirect("api-keys-page")
    keys = ApiKey.objects.select_related("venue").order_by("-created_at")
    context = {
        "keys": keys,
        "created": request.session.pop("new_api_key", None),
        "venues": Venue.objects.order_by("name"),
        "scopes": ApiKey.Scope.choices,
    }
    return render(request, "venues/api_keys.html", context)


@login_required
@require_POST
def api_key_revoke_view(request, key_id):
    if request.tenant is None or not _owner(request):
        raise PermissionDenied("Only the tenant's owners manage API keys.")
    api_key = get_object_or_404(ApiKey.objects.all(), pk=key_id)
    api_key_revoke(api_key)
    messages.success(request, f"Key {api_key.name} revoked.")
    return redirect("api-keys-page")


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
