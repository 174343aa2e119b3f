"""Alert checks, acknowledgement, and alert emails (instant and digest)."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert, AlertRecipient, AlertRule, AlertSettings, DigestSent, Severity
from alerts.rules import DEFAULTS, ONGOING, RULES, Hour
from analytics.periods import Period
from analytics.selectors import overview
from ingest.live import alert_publish

SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
DEFAULT_SEVERITY = {"after_hours": Severity.CRITICAL, "camera_silent": Severity.CRITICAL, "dead_zone": Severity.INFO}
UNSUBSCRIBE_SALT = "alerts.unsubscribe"


def default_rules_create(venue) -> None:
    """Every kind of rule, with its default limits, for a new venue."""
    AlertRule.objects.bulk_create(
        AlertRule(
            tenant_id=venue.tenant_id, venue=venue, kind=kind, severity=DEFAULT_SEVERITY.get(kind, Severity.WARNING)
        )
        for kind in DEFAULTS
    )


def last_complete_hour(venue, now: datetime | None = None) -> datetime:
    """The start (an instant) of the venue's last local clock hour that has ended."""
    local = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(venue.time_zone))
    return (local.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)).astimezone(zoneinfo.ZoneInfo("UTC"))


def _link(venue, alert_kind: str, hour_start: datetime) -> str:
    day = hour_start.astimezone(zoneinfo.ZoneInfo(venue.time_zone)).date().isoformat()
    return f"{reverse('venue-page', args=[venue.pk])}?from={day}&to={day}#{alert_kind}"


FOOTAGE_HOURS_CHECKED = 7 * 24  # a longer recording's earlier hours are left to "Check now"


def footage_hours(venue, start: datetime, seconds: float, now: datetime | None = None) -> list[datetime]:
    """The local hours (their starts) that footage from `start` lasting `seconds` shows and that have ended by
    `now`: those the hourly schedule may have checked before the footage was stored. The latest ones if many."""
    local = start.astimezone(zoneinfo.ZoneInfo(venue.time_zone))
    hour = local.replace(minute=0, second=0, microsecond=0).astimezone(zoneinfo.ZoneInfo("UTC"))
    last = min(start + timedelta(seconds=seconds), last_complete_hour(venue, now) + timedelta(hours=1))
    hours = []
    while hour < last:  # a local hour lasts 60 minutes, across a change of clocks too
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours[-FOOTAGE_HOURS_CHECKED:]


def alert_check(venue, hour_start: datetime) -> list[Alert]:
    """Run the venue's enabled rules (its own and the tenant-wide ones) on one local hour; store each firing once
    (a re-run finds them stored) and email new ones at or above the tenant's instant severity once committed."""
    rules = AlertRule.objects.filter(Q(venue=venue) | Q(venue__isnull=True), enabled=True).order_by("pk")
    new = []
    with transaction.atomic():
        for rule in rules:
            for firing in RULES[rule.kind](Hour(venue, hour_start, rule)):
                unresolved = Alert.objects.filter(rule=rule, venue=venue, subject=firing.subject).exclude(
                    state=Alert.State.RESOLVED
                )
                if rule.kind in ONGOING and unresolved.exists():
                    continue
                alert, created = Alert.objects.get_or_create(
                    rule=rule, venue=venue, subject=firing.subject, period_start=hour_start,
                    defaults=dict(
                        tenant_id=venue.tenant_id, zone_id=firing.zone_id, camera_id=firing.camera_id, kind=rule.kind,
                        severity=rule.severity, period_end=hour_start + timedelta(hours=1), title=firing.title,
                        message=firing.message, numbers=firing.numbers, link=_link(venue, rule.kind, hour_start),
                    ),
                )  # fmt: skip
                if created:
                    new.append(alert)
        if new:
            transaction.on_commit(lambda: [alert_publish(alert) for alert in new])
        threshold = SEVERITY_RANK[alert_settings_of(venue.tenant).instant_severity]
        urgent = [a.pk for a in new if SEVERITY_RANK[a.severity] >= threshold]
        if urgent:
            from alerts.tasks import alert_email_send

            transaction.on_commit(lambda: [alert_email_send.delay(pk, venue.tenant_id) for pk in urgent])
    return new


def alert_check_now(venue, hour_start: datetime | None = None) -> dict:
    """An on-demand check (API, Alerts page): the hourly check on one hour, by default the last complete one."""
    hour_start = hour_start or last_complete_hour(venue)
    new = alert_check(venue, hour_start)
    return {"venue": venue, "hour_start": hour_start, "hour_end": hour_start + timedelta(hours=1), "new_alerts": new}


def alert_acknowledge(alert: Alert, user) -> Alert:
    if alert.state == Alert.State.OPEN:
        alert.state, alert.acknowledged_at, alert.acknowledged_by = Alert.State.ACKNOWLEDGED, timezone.now(), user
        alert.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
    return alert


def alert_resolve(alert: Alert, user) -> Alert:
    if alert.state != Alert.State.RESOLVED:
        alert.state, alert.resolved_at, alert.resolved_by = Alert.State.RESOLVED, timezone.now(), user
        alert.save(update_fields=["state", "resolved_at", "resolved_by"])
    return alert


def alert_settings_of(tenant) -> AlertSettings:
    settings_row, _ = AlertSettings.objects.get_or_create(tenant=tenant)
    return settings_row


def unsubscribe_url(recipient: AlertRecipient) -> str:
    token = signing.dumps(recipient.pk, salt=UNSUBSCRIBE_SALT)
    return settings.SITE_URL + reverse("alerts-unsubscribe", args=[token])


def recipient_from_token(token: str) -> int | None:
    try:
        return signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None


def recipient_unsubscribe(recipient: AlertRecipient) -> None:
    if recipient.unsubscribed_at is None:
        recipient.unsubscribed_at = timezone.now()
        recipient.save(update_fields=["unsubscribed_at"])


def _send(recipient: AlertRecipient, subject: str, template: str, context: dict) -> None:
    context = {**context, "unsubscribe_url": unsubscribe_url(recipient), "site_url": settings.SITE_URL}
    message = EmailMultiAlternatives(
        subject, render_to_string(f"alerts/email/{template}.txt", context), to=[recipient.email],
        headers={"List-Unsubscribe": f"<{context['unsubscribe_url']}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )  # fmt: skip
    message.attach_alternative(render_to_string(f"alerts/email/{template}.html", context), "text/html")
    message.send()


def alert_email_send(alert: Alert) -> int:
    """Email a fired alert to the tenant's instant recipients, once (a retried task sends nothing again)."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("venue").get(pk=alert.pk)
        if alert.emailed_at:
            return 0
        recipients = list(AlertRecipient.objects.filter(instant=True, unsubscribed_at__isnull=True))
        for recipient in recipients:
            _send(recipient, f"[{alert.get_severity_display()}] {alert.title}", "alert", {"alert": alert})
        alert.emailed_at = timezone.now()
        alert.save(update_fields=["emailed_at"])
    return len(recipients)


def digest_time_zone(settings_row: AlertSettings) -> str:
    """The zone of the digest's time and days: the tenant's choice, else its first venue's (where the team reading
    it works), else UTC while it has no venue."""
    from venues.models import Venue

    if settings_row.time_zone:
        return settings_row.time_zone
    return Venue.objects.order_by("pk").values_list("time_zone", flat=True).first() or "UTC"


def digest_period(settings_row: AlertSettings, now: datetime) -> tuple[date, date] | None:
    """The days the next digest covers if one is due now (its local time has passed): yesterday (daily) or the
    last Monday-Sunday week (weekly, on Mondays); None when none is due."""
    local = now.astimezone(zoneinfo.ZoneInfo(digest_time_zone(settings_row)))
    if settings_row.digest == AlertSettings.Digest.OFF or local.time() < settings_row.digest_time:
        return None
    yesterday = local.date() - timedelta(days=1)
    if settings_row.digest == AlertSettings.Digest.DAILY:
        return yesterday, yesterday
    return (yesterday - timedelta(days=6), yesterday) if local.weekday() == 0 else None


def digest_content(tenant, first: date, last: date) -> dict:
    """Per venue: visitors and their change against the same days a week before, visit time, conversion, and the
    top three findings of its summary over the digest's days, at least the last seven (a single day is too little
    to judge); open alerts."""
    from analytics.summary import venue_summary
    from venues.models import Venue

    days = (last - first).days + 1
    summary_first = min(first, last - timedelta(days=6))
    venues = []
    for venue in Venue.objects.order_by("name"):
        now = overview(venue, Period(first, last, venue.time_zone))
        before = overview(venue, Period(first, last, venue.time_zone).shifted(-7))  # same weekdays: like for like
        change = (now["visitors"] - before["visitors"]) / before["visitors"] if before["visitors"] else None
        summary = venue_summary(venue, Period(summary_first, last, venue.time_zone))
        summary["findings"] = summary["findings"][:3]
        venues.append({"venue": venue, "now": now, "before": before, "change": change, "summary": summary})
    open_alerts = Alert.objects.exclude(state=Alert.State.RESOLVED).select_related("venue")
    return {
        "tenant": tenant, "first": first, "last": last, "days": days, "venues": venues, "summary_first": summary_first,
        "open_alerts": list(open_alerts[:20]), "open_alert_count": open_alerts.count(),
    }  # fmt: skip


def digest_send(tenant, first: date, last: date) -> int:
    """Send the digest of these days to the tenant's digest recipients, once per period."""
    with transaction.atomic():
        sent, created = DigestSent.objects.get_or_create(tenant=tenant, period_start=first, period_end=last)
        if not created:
            return 0
        context = digest_content(tenant, first, last)
        recipients = list(AlertRecipient.objects.filter(digest=True, unsubscribed_at__isnull=True))
        span = f"{first:%d %b}" if first == last else f"{first:%d %b} - {last:%d %b}"
        for recipient in recipients:
            _send(recipient, f"{tenant.name}: your stores, {span}", "digest", context)
        sent.recipients = len(recipients)
        sent.save(update_fields=["recipients"])
    return len(recipients)
