"""Account pages of a tenant's members: switching tenant, and the owners' API keys."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.api_keys import api_key_create, api_key_revoke
from core.models import ApiKey, Membership
from core.pages import tenant_page
from core.services import tenant_switch

LIMITABLE_VENUES = ApiKey.venue.field.related_model  # the venues a key can be limited to (core imports no app)


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
        venue = get_object_or_404(LIMITABLE_VENUES.objects.all(), pk=int(venue_id)) if venue_id.isdigit() else None
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
        "venues": LIMITABLE_VENUES.objects.order_by("name"),
        "scopes": ApiKey.Scope.choices,
    }
    return render(request, "core/api_keys.html", context)


@login_required
@require_POST
def api_key_revoke_view(request, key_id):
    if request.tenant is None or not _owner(request):
        raise PermissionDenied("Only the tenant's owners manage API keys.")
    api_key = get_object_or_404(ApiKey.objects.all(), pk=key_id)
    api_key_revoke(api_key)
    messages.success(request, f"Key {api_key.name} revoked.")
    return redirect("api-keys-page")
