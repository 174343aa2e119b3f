from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from alerts.models import Alert, AlertRecipient, Severity
from alerts.services import alert_acknowledge, alert_resolve, recipient_from_token, recipient_unsubscribe
from venues.models import Venue
from venues.permissions import WRITER_ROLES
from venues.tenancy import all_tenants


@csrf_exempt  # the signed token is the credential; mail clients post here for one-click unsubscribe (RFC 8058)
def unsubscribe(request, token):
    """The link in every alert email: a page with one button (GET), which unsubscribes (POST)."""
    recipient_id = recipient_from_token(token)
    with all_tenants():
        recipient = AlertRecipient.objects.filter(pk=recipient_id).first() if recipient_id else None
        if recipient is None:
            return render(request, "alerts/unsubscribe.html", {"invalid": True}, status=404)
        if request.method == "POST":
            recipient_unsubscribe(recipient)
    return render(request, "alerts/unsubscribe.html", {"recipient": recipient})


@login_required
def alerts_page(request):
    """Alerts of the tenant, newest first, filtered by venue, severity and state; writers acknowledge and resolve."""
    if request.tenant is None:
        return render(request, "venues/no_tenant.html", status=403)
    alerts = Alert.objects.select_related("venue")
    chosen = {name: request.GET.get(name, "") for name in ("venue", "severity", "state")}
    if chosen["venue"].isdigit():
        alerts = alerts.filter(venue_id=int(chosen["venue"]))
    if chosen["severity"] in Severity.values:
        alerts = alerts.filter(severity=chosen["severity"])
    if chosen["state"] in Alert.State.values:
        alerts = alerts.filter(state=chosen["state"])
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {
        "page": Paginator(alerts, 50).get_page(request.GET.get("page")), "chosen": chosen,
        "venues": Venue.objects.order_by("name"), "severities": Severity.choices, "states": Alert.State.choices,
        "can_edit": request.membership.role in WRITER_ROLES, "query": filters.urlencode(),
    }  # fmt: skip
    return render(request, "alerts/alerts.html", context)


@login_required
@require_POST
def alert_state_change(request, alert_id, change):
    alert = get_object_or_404(Alert.objects.all(), pk=alert_id)  # another tenant's: 404
    if request.membership is None or request.membership.role not in WRITER_ROLES:
        messages.error(request, "Your role in this tenant is read-only (viewer).")
    else:
        (alert_acknowledge if change == "acknowledge" else alert_resolve)(alert, request.user)
    return redirect(f"{reverse('alerts-page')}?{request.POST.get('query', '')}")
