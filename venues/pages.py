"""What the web pages share: who may open them and who may change things there."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from venues.permissions import WRITER_ROLES


def tenant_page(view):
    """A page for members of a tenant: signed in (else the login page), and a tenant to show (else a 403 page
    saying the user belongs to none)."""

    @login_required
    @wraps(view)
    def page(request, *args, **kwargs):
        if request.tenant is None:
            return render(request, "venues/no_tenant.html", status=403)
        return view(request, *args, **kwargs)

    return page


def member_writes(request) -> bool:
    """Whether the signed-in member may change things here (analysts and owners; viewers only look)."""
    return request.membership is not None and request.membership.role in WRITER_ROLES


READ_ONLY = "Your role in this tenant is read-only (viewer)."


def writer_required(request) -> None:
    """Refuse (403) a viewer a page that changes things."""
    if not member_writes(request):
        raise PermissionDenied(READ_ONLY)
