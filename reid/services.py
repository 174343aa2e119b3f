"""What users and schedules do to returning visitors: mark staff, erase, expire embeddings, change the
tenant's face processing. New visits are recognised by `reid.matching.visitor_identify`."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from core.tenancy import tenant_scope
from ingest.writer import visitor_visits_staff_set, visitor_visits_unlink
from reid.models import Visitor, VisitorEmbedding


def visitor_staff_set(visitor: Visitor, staff: bool) -> Visitor:
    """Mark (or unmark) a visitor as staff: all their visits, past and future, leave (or rejoin) the
    customer metrics."""
    with transaction.atomic():
        visitor = Visitor.objects.select_for_update().get(pk=visitor.pk)
        if visitor.staff != staff:
            visitor.staff, visitor.staff_since = staff, timezone.now() if staff else None
            visitor.save(update_fields=["staff", "staff_since"])
            visitor_visits_staff_set(visitor, staff=staff)
    return visitor


def visitor_erase(visitor: Visitor) -> None:
    """Forget a visitor completely: their embeddings and the link from their visits. The visits stay as
    anonymous visits (a staff member's stay out of customer metrics)."""
    with transaction.atomic():
        visitor_visits_unlink(visitor)
        visitor.delete()  # and, by cascade, the embeddings


def embeddings_expire(now=None) -> int:
    """Delete every embedding older than its tenant's retention period; returns how many. Runs across all
    tenants (a scheduled task), in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM reid_visitorembedding e USING venues_tenant t WHERE e.tenant_id = t.id "
            "AND e.created_at < %s - make_interval(days => t.embedding_retention_days)",
            [now or timezone.now()],
        )
        return cursor.rowcount


def tenant_embeddings_erase_unless_returning(sender, instance, created, **kwargs) -> None:
    """After any save of a tenant (its privacy settings, the admin, a shell): a tenant that does not recognise
    returning visitors keeps no face embedding. Connected to core.Tenant's post_save by this app, so that core
    (the tenant's home) knows nothing of re-identification."""
    if not created and instance.face_processing != instance.FaceProcessing.RETURNING:
        with tenant_scope(instance):
            VisitorEmbedding.objects.all().delete()


def tenant_privacy_update(tenant, **changes) -> None:
    """Save the tenant's face and loyalty settings. Leaving returning-visitor recognition erases all the
    tenant's embeddings at once: stored faces are never kept for a feature that is switched off."""
    with transaction.atomic():
        for name, value in changes.items():
            setattr(tenant, name, value)
        tenant.full_clean()
        tenant.save(update_fields=list(changes))  # tenant_embeddings_erase_unless_returning follows the save
