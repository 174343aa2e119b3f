"""The Visitors page: recognised visitors of the tenant, with staff marking and erasure."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from analytics.visitors import visitors_listed
from reid.models import Visitor
from reid.services import visitor_erase, visitor_staff_set
from venues.permissions import WRITER_ROLES


@login_required
def visitors_page(request):
    if request.tenant is None:
        return render(request, "venues/no_tenant.html", status=403)
    visitors = visitors_listed(Visitor.objects.select_related("venue"), request.tenant).order_by("-last_seen", "-pk")
    page = Paginator(visitors, 50).get_page(request.GET.get("page"))
    for visitor in page:
        visitor.tier = request.tenant.loyalty_tier(visitor.window_visit_days)
    can_edit = request.membership.role in WRITER_ROLES
    return render(request, "reid/visitors.html", {"page": page, "can_edit": can_edit, "tenant": request.tenant})


def _editable_visitor(request, visitor_id) -> Visitor | None:
    visitor = get_object_or_404(Visitor.objects.all(), pk=visitor_id)  # another tenant's: 404
    if request.membership is None or request.membership.role not in WRITER_ROLES:
        messages.error(request, "Your role in this tenant is read-only (viewer).")
        return None
    return visitor


@login_required
@require_POST
def visitor_staff(request, visitor_id):
    if visitor := _editable_visitor(request, visitor_id):
        staff = request.POST.get("staff") == "true"
        visitor_staff_set(visitor, staff)
        messages.success(request, f"Visitor {visitor.pk} is {'staff' if staff else 'a customer'} now.")
    return redirect("visitors-page")


@login_required
@require_POST
def visitor_erase_view(request, visitor_id):
    if visitor := _editable_visitor(request, visitor_id):
        visitor_erase(visitor)
        messages.success(
            request, f"Visitor {visitor_id} erased: their face samples are deleted, their visits anonymous."
        )
    return redirect("visitors-page")
