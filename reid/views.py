"""The Visitors pages: a venue's returning-visitor numbers above the recognised visitors, one visitor's history,
staff marking and erasure."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from analytics.dashboard import PANELS
from analytics.periods import PeriodError, period_parse
from analytics.visitors import returning_visitors, visitor_visits, visitors_listed, visits_described
from core.pages import member_writes, tenant_page
from reid.models import Visitor
from reid.services import visitor_erase, visitor_staff_set
from venues.models import Venue

VISITORS_PER_PAGE = 50
VISITS_PER_PAGE = 50
ALL_VENUES = "all"
STAFF_FILTERS = {"": "Staff and customers", "false": "Customers", "true": "Staff"}


def _tiered(visitors, tenant):
    """Visitors (annotated by `visitors_listed`) with their loyalty tier."""
    for visitor in visitors:
        visitor.tier = tenant.loyalty_tier(visitor.window_visit_days)
    return visitors


def _venue_chosen(raw: str, venues: list, errors: dict) -> Venue | None:
    """`?venue=`: a venue id (another tenant's: 404), `all` (no venue), or nothing for the first venue."""
    if raw == ALL_VENUES:
        return None
    if raw.isdigit():
        return get_object_or_404(Venue.objects.all(), pk=int(raw))
    if raw:
        errors["venue"] = f"{raw!r} is not a venue."
    return venues[0] if venues else None


def _shares(rows: list[dict]) -> list[dict]:
    """Rows with `share`: their visitors as a percentage of all the rows' visitors (the width of a bar)."""
    total = sum(row["visitors"] for row in rows)
    return [{**row, "share": round(100 * row["visitors"] / total) if total else 0} for row in rows]


def _tier_rows(loyalty: dict) -> list[dict]:
    """Loyalty tiers with the visit days each spans (a recognised visitor has at least one)."""
    tiers = loyalty["tiers"]
    lows = [loyalty["thresholds"].get(tier["tier"], 1) for tier in tiers]
    rows = []
    for tier, low, following in zip(tiers, lows, [*lows[1:], None], strict=True):
        high = following - 1 if following else None
        days = f"{low}+" if high is None else str(low) if high == low else f"{low}-{high}"
        rows.append({**tier, "visit_days": days})
    return _shares(rows)


def _stats(request, venue, errors: dict) -> dict:
    """The venue's returning-visitor numbers over the asked period (a bad period: the reason, and the default)."""
    try:
        period = period_parse(request.GET, venue)
    except PeriodError as error:
        errors.update(error.errors)
        period = period_parse({}, venue)
    answer = returning_visitors(venue, period)
    return {
        "venue": venue, "period": period, "answer": answer,
        "chart": json.dumps(PANELS["visitors"].chart(answer)),
        "frequency": _shares(answer["frequency"]), "tiers": _tier_rows(answer["loyalty"]),
    }  # fmt: skip


@tenant_page
def visitors_page(request):
    """A venue's returning-visitor numbers over a period (new vs. returning per day, return rate, visit
    frequency, loyalty tiers) above its recognised visitors; filters: venue, period, staff. Bad filters are a
    400 with the reason, the page shown with defaults."""
    errors = {}
    venues = list(Venue.objects.order_by("name"))
    chosen = {"venue": request.GET.get("venue", ""), "staff": request.GET.get("staff", "")}
    venue = _venue_chosen(chosen["venue"], venues, errors)
    visitors = Visitor.objects.select_related("venue")
    if venue is not None:
        visitors = visitors.filter(venue=venue)
    if chosen["staff"] not in STAFF_FILTERS:
        errors["staff"] = f"{chosen['staff']!r} is not a choice: use true (staff) or false (customers)."
    elif chosen["staff"]:
        visitors = visitors.filter(staff=chosen["staff"] == "true")
    visitors = visitors_listed(visitors, request.tenant).order_by("-last_seen", "-pk")
    page = Paginator(visitors, VISITORS_PER_PAGE).get_page(request.GET.get("page"))
    _tiered(page, request.tenant)
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {
        "page": page, "venues": venues, "venue": venue, "chosen": chosen, "staff_filters": STAFF_FILTERS,
        "stats": _stats(request, venue, errors) if venue else None, "errors": errors, "query": filters.urlencode(),
        "can_edit": member_writes(request), "tenant": request.tenant, "all_venues": ALL_VENUES,
    }  # fmt: skip
    return render(request, "reid/visitors.html", context, status=400 if errors else 200)


@tenant_page
def visitor_page(request, visitor_id):
    """One visitor's history: first and last seen, tier, staff mark, and their visits (latest first) with the
    zones they went through and how long they stayed in each."""
    listed = visitors_listed(Visitor.objects.select_related("venue"), request.tenant)
    visitor = get_object_or_404(listed, pk=visitor_id)  # another tenant's: 404
    _tiered([visitor], request.tenant)
    page = Paginator(visitor_visits(visitor), VISITS_PER_PAGE).get_page(request.GET.get("page"))
    visits = list(page)
    context = {
        "visitor": visitor, "page": page, "visits": zip(visits, visits_described(visits), strict=True),
        "can_edit": member_writes(request), "tenant": request.tenant,
    }  # fmt: skip
    return render(request, "reid/visitor.html", context)


def _editable_visitor(request, visitor_id) -> Visitor | None:
    visitor = get_object_or_404(Visitor.objects.all(), pk=visitor_id)  # another tenant's: 404
    if not member_writes(request):
        messages.error(request, "Your role in this tenant is read-only (viewer).")
        return None
    return visitor


def _back(request):
    """Back where the form was (`next`, a path of this site), else to the visitors list."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
    return redirect(target if safe else "visitors-page")


@login_required
@require_POST
def visitor_staff(request, visitor_id):
    if visitor := _editable_visitor(request, visitor_id):
        staff = request.POST.get("staff") == "true"
        visitor_staff_set(visitor, staff)
        messages.success(request, f"Visitor {visitor.pk} is {'staff' if staff else 'a customer'} now.")
    return _back(request)


@login_required
@require_POST
def visitor_erase_view(request, visitor_id):
    if visitor := _editable_visitor(request, visitor_id):
        visitor_erase(visitor)
        messages.success(
            request, f"Visitor {visitor_id} erased: their face samples are deleted, their visits anonymous."
        )
    return _back(request)
