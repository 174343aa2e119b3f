"""Sign-in pages that differ from Django's own: password resets are rate-limited, and a login locked out by
django-axes says why and for how long."""

import logging

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import render

from core.throttling import PasswordResetAccountThrottle, PasswordResetAddressThrottle, client_address

logger = logging.getLogger(__name__)
RESET_THROTTLES = (PasswordResetAddressThrottle, PasswordResetAccountThrottle)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, mailing at most a few links per client address and per email address an hour. Over
    either limit nothing is sent, yet the page answers exactly as usual: it never tells whether an address has an
    account, nor whether it was limited."""

    def form_valid(self, form):
        if all(throttle().allow_request(self.request, self) for throttle in RESET_THROTTLES):
            return super().form_valid(form)
        logger.warning("Password reset not mailed: %s or the address it named is over its limit",
                       client_address(self.request))  # fmt: skip
        return HttpResponseRedirect(self.get_success_url())


def locked_out(request, original_response, credentials):
    """django-axes' answer to a login that is locked out (AXES_LOCKOUT_CALLABLE): the login card, saying why and
    for how many minutes, with a 429."""
    context = {
        "username": get_client_username(request, credentials),
        "failure_limit": get_failure_limit(request, credentials),
        "minutes": round(get_cool_off(request).total_seconds() / 60),
    }
    return render(request, "registration/locked_out.html", context, status=429)
