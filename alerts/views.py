from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from alerts.models import AlertRecipient
from alerts.services import recipient_from_token, recipient_unsubscribe
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
