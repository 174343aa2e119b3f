"""Scheduled alert work (config/schedules.py): one check task per venue, so a slow venue never delays the
others and a failed check is retried alone; alert and digest emails."""

from datetime import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from alerts import services
from alerts.models import Alert
from core.models import Tenant
from core.tenancy import all_tenants, tenant_scope
from venues.models import Venue

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5, "acks_late": True}


@shared_task
def alert_checks_fan_out() -> int:
    """Every venue's last complete local hour, one task each."""
    with all_tenants():
        venues = list(Venue.objects.all())
    for venue in venues:
        alert_check_venue.delay(venue.pk, venue.tenant_id, services.last_complete_hour(venue).isoformat())
    return len(venues)


@shared_task(**RETRY)
def alert_check_venue(venue_id: int, tenant_id: int, hour_start: str) -> int:
    with tenant_scope(Tenant.objects.get(pk=tenant_id)):
        return len(services.alert_check(Venue.objects.get(pk=venue_id), datetime.fromisoformat(hour_start)))


@shared_task(**RETRY)
def alert_email_send(alert_id: int, tenant_id: int) -> int:
    with tenant_scope(Tenant.objects.get(pk=tenant_id)):
        return services.alert_email_send(Alert.objects.get(pk=alert_id))


@shared_task
def digests_fan_out() -> int:
    """A digest task for each tenant whose digest is due (its local time passed, not sent yet for the period)."""
    now, due = timezone.now(), 0
    for tenant in Tenant.objects.all():
        with tenant_scope(tenant):
            period = services.digest_period(services.alert_settings_of(tenant), now)
        if period:
            digest_send.delay(tenant.pk, period[0].isoformat(), period[1].isoformat())
            due += 1
    return due


@shared_task(**RETRY)
def digest_send(tenant_id: int, first: str, last: str) -> int:
    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_scope(tenant):
        return services.digest_send(tenant, datetime.fromisoformat(first).date(), datetime.fromisoformat(last).date())
