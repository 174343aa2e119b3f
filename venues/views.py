from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from venues.models import Venue
from venues.services import tenant_switch


@login_required
def home(request):
    """The tenant's venues; a user without a tenant is told so instead of seeing an empty product."""
    if request.tenant is None:
        return render(request, "venues/no_tenant.html", status=403)
    return render(request, "venues/home.html", {"venues": Venue.objects.exists()})


@login_required
@require_POST
def switch_tenant(request):
    try:
        tenant_switch(request, request.POST.get("tenant", ""))
    except (PermissionDenied, ValueError):
        messages.error(request, "You are not a member of that tenant.")
    return redirect("home")
