"""The Alerts pages: the alert list, and the alert emails, their recipients and a venue's rules (settings)."""

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from alerts.models import Alert, AlertRecipient, AlertRule, AlertSettings, Severity
from alerts.rules import DEFAULTS, LIMITS
from alerts.serializers import (
    AlertCheckSerializer,
    AlertRecipientSerializer,
    AlertRuleSerializer,
    AlertSettingsSerializer,
)
from alerts.services import (
    alert_acknowledge,
    alert_check_now,
    alert_resolve,
    alert_settings_of,
    recipient_from_token,
    recipient_unsubscribe,
)
from core.pages import member_writes, tenant_page
from core.tenancy import all_tenants
from venues.models import Venue

READ_ONLY = "Your role in this tenant is read-only (viewer)."
FIELD_LABELS = {"params": "Limits"}


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


@tenant_page
def alerts_page(request):
    """Alerts of the tenant, newest first, filtered by venue, severity and state; writers acknowledge and resolve."""
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
    venues = Venue.objects.order_by("name")
    context = {
        "page": Paginator(alerts, 50).get_page(request.GET.get("page")), "chosen": chosen,
        "venues": venues, "severities": Severity.choices, "states": Alert.State.choices,
        "can_edit": member_writes(request), "query": filters.urlencode(),
        "check_venues": venues.filter(pk=int(chosen["venue"])) if chosen["venue"].isdigit() else venues,
    }  # fmt: skip
    return render(request, "alerts/alerts.html", context)


@login_required
@require_POST
def alert_state_change(request, alert_id, change):
    alert = get_object_or_404(Alert.objects.all(), pk=alert_id)  # another tenant's: 404
    if not member_writes(request):
        messages.error(request, "Your role in this tenant is read-only (viewer).")
    else:
        (alert_acknowledge if change == "acknowledge" else alert_resolve)(alert, request.user)
    return redirect(f"{reverse('alerts-page')}?{request.POST.get('query', '')}")


@login_required
@require_POST
def alert_check_form(request, venue_id):
    """The Alerts page's *Check now*: the venue's rules on the last complete hour (or the form's `hour`), at once;
    answers the htmx request with what fired."""
    venue = get_object_or_404(Venue.objects.all(), pk=venue_id)  # another tenant's: 404
    if not member_writes(request):
        return render(request, "alerts/_check_result.html", {"error": READ_ONLY}, status=403)
    given = AlertCheckSerializer(data=request.POST, context={"venue": venue})
    if not given.is_valid():
        return render(request, "alerts/_check_result.html", {"error": " ".join(_errors(given))}, status=400)
    result = alert_check_now(venue, given.validated_data.get("hour"))
    return render(request, "alerts/_check_result.html", {**result, "time_zone": venue.time_zone})


def _writer(request) -> None:
    """Alert settings, recipients and rules change as the API allows: owners and analysts, not viewers."""
    if not member_writes(request):
        raise PermissionDenied(READ_ONLY)


def _errors(serializer) -> list[str]:
    """A serializer's errors in plain words: the field's label, then the API's own message."""
    plain = []
    for name, problems in serializer.errors.items():
        field = serializer.fields.get(name)
        label = FIELD_LABELS.get(name) or (field.label if field else None)
        plain += [f"{label}: {problem}" if label else str(problem) for problem in problems]
    return plain


def _rules_venue(params, errors: list[str]) -> Venue | None:
    """The venue whose rules are shown: `venue=<id>` (another tenant's: 404), else the first by name."""
    raw = params.get("venue", "")
    if raw.isdigit():
        return get_object_or_404(Venue.objects.all(), pk=int(raw))
    if raw:
        errors.append(f"Venue: {raw!r} is not a venue.")
    return Venue.objects.order_by("name").first()


def _number(raw: str):
    """A typed limit as a number where it is a finite one; otherwise as typed, for the serializer to refuse."""
    try:
        value = float(raw)
    except ValueError:
        return raw
    if not math.isfinite(value):
        return raw
    return int(value) if value.is_integer() else value


def _rule_change(rule: AlertRule, form) -> dict:
    """A rule's form as the API's body; a limit left empty or at its default is not stored (defaults apply)."""
    defaults = DEFAULTS[rule.kind]
    typed = {name: _number(raw) for name in defaults if (raw := form.get(name, "").strip())}
    return {
        "enabled": "enabled" in form, "severity": form.get("severity", rule.severity),
        "params": {name: value for name, value in typed.items() if value != defaults[name]},
    }  # fmt: skip


def _rule_rows(rules, failed: dict | None) -> list[dict]:
    """Each rule with its limits (typed values again for the rule whose change was refused)."""
    rows = []
    for rule in rules:
        values, errors = {**DEFAULTS[rule.kind], **rule.params}, []
        enabled, severity = rule.enabled, rule.severity
        if failed and failed["rule"].pk == rule.pk:
            values.update({name: failed["form"].get(name, "") for name in DEFAULTS[rule.kind]})
            enabled, severity = "enabled" in failed["form"], failed["form"].get("severity", severity)
            errors = failed["errors"]
        limits = [{"name": name, "value": values[name], "low": LIMITS[name][0], "high": LIMITS[name][1]}
                  for name in DEFAULTS[rule.kind]]  # fmt: skip
        rows.append({"rule": rule, "enabled": enabled, "severity": severity, "limits": limits, "errors": errors})
    return rows


def _settings_page(request, *, errors=None, failed_rule=None, status=200):
    """The settings page; after a refused change, with the typed values and the reasons."""
    errors = errors or {}
    venue_errors = []
    venue = _rules_venue(request.GET if request.method == "GET" else request.POST, venue_errors)
    rules = AlertRule.objects.filter(Q(venue=venue) | Q(venue__isnull=True)).select_related("venue", "zone")
    settings_values = AlertSettingsSerializer(alert_settings_of(request.tenant)).data
    if "settings" in errors:
        settings_values.update({name: request.POST[name] for name in settings_values if name in request.POST})
    recipient = (
        {"email": request.POST.get("email", ""), "instant": "instant" in request.POST, "digest": "digest" in request.POST}
        if "recipient" in errors else {"email": "", "instant": True, "digest": True}
    )  # fmt: skip
    context = {
        "settings": settings_values, "recipient": recipient, "errors": errors, "venue_errors": venue_errors,
        "recipients": AlertRecipient.objects.all(), "venue": venue, "venues": Venue.objects.order_by("name"),
        "rules": _rule_rows(rules, failed_rule), "severities": Severity.choices,
        "digests": AlertSettings.Digest.choices, "can_edit": member_writes(request),
    }  # fmt: skip
    return render(request, "alerts/settings.html", context, status=400 if venue_errors else status)


@tenant_page
def alert_settings_page(request):
    """The tenant's alert emails (which severity is emailed at once; the digest's rhythm, time and zone), who
    receives them, and a venue's rules (its own and the tenant-wide ones). Every change is checked by the API's
    serializer, so the page and the API refuse the same input with the same words; viewers only read."""
    if request.method != "POST":
        return _settings_page(request)
    _writer(request)
    form = request.POST.get("form")
    if form == "settings":
        serializer = AlertSettingsSerializer(alert_settings_of(request.tenant), data=request.POST, partial=True)
    elif form == "recipient":
        body = {"email": request.POST.get("email", "").strip(), "instant": "instant" in request.POST,
                "digest": "digest" in request.POST}  # fmt: skip
        serializer = AlertRecipientSerializer(data=body)
    else:
        return _settings_page(request, errors={"form": [f"Unknown form {form!r}."]}, status=400)
    if not serializer.is_valid():
        return _settings_page(request, errors={form: _errors(serializer)}, status=400)
    if form == "recipient":
        messages.success(request, f"{serializer.save(tenant=request.tenant).email} added.")
    else:
        serializer.save()
        messages.success(request, "Alert emails saved.")
    return redirect("alert-settings-page")


@login_required
@require_POST
def alert_rule_form(request, rule_id):
    """Switch a rule on or off, set its severity and limits (the API's checks and messages)."""
    _writer(request)
    rule = get_object_or_404(AlertRule.objects.select_related("venue"), pk=rule_id)  # another tenant's: 404
    serializer = AlertRuleSerializer(rule, data=_rule_change(rule, request.POST), partial=True)
    if not serializer.is_valid():
        failed = {"rule": rule, "form": request.POST, "errors": _errors(serializer)}
        return _settings_page(request, failed_rule=failed, status=400)
    serializer.save()
    messages.success(request, f"{rule} saved.")
    venue = request.POST.get("venue", "")
    return redirect(
        f"{reverse('alert-settings-page')}?venue={venue}#rules" if venue.isdigit() else "alert-settings-page"
    )


@login_required
@require_POST
def alert_recipient_remove(request, recipient_id):
    _writer(request)
    recipient = get_object_or_404(AlertRecipient.objects.all(), pk=recipient_id)  # another tenant's: 404
    recipient.delete()
    messages.success(request, f"{recipient.email} removed: no more alert emails go there.")
    return redirect("alert-settings-page")
