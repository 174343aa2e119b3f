"""What the web pages share: who may open them and who may change things there."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render

from core.permissions import WRITER_ROLES


def tenant_page(view):
    """A page for members of a tenant: signed in (else the login page), and a tenant to show (else a 403 page
    saying the user belongs to none)."""

    @login_required
    @wraps(view)
    def page(request, *args, **kwargs):
        if request.tenant is None:
            return render(request, "core/no_tenant.html", status=403)
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


def model_form_page(
    request, form_class, instance, template: str, context: dict, opened_after, noun: str = ""
) -> HttpResponse:
    """The form of one of the tenant's objects, for analysts and owners: saved, it opens `opened_after(obj)` (a URL
    name and its arguments) with a message; refused, each field says why (400). `context` names the object for the
    template; the tenant is the session's, whatever the form says."""
    writer_required(request)
    saved_name = instance.name  # the form writes what was typed into the instance, refused or not
    form = form_class(request.POST if request.method == "POST" else None, instance=instance)
    if request.method == "POST" and form.is_valid():
        created = instance.pk is None
        saved = form.save()
        messages.success(request, f"{noun}{saved.name} {'added' if created else 'saved'}.")
        return redirect(*opened_after(saved))
    return render(request, template, {"form": form, "saved_name": saved_name, **context},
                  status=400 if form.errors else 200)  # fmt: skip
