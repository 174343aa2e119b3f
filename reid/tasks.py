from celery import shared_task

from core.tenancy import all_tenants
from reid.services import embeddings_expire


@shared_task
def embeddings_expire_all() -> int:
    """Scheduled (config/schedules.py): face embeddings past their tenant's retention period are deleted."""
    with all_tenants():
        return embeddings_expire()
