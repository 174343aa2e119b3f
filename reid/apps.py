from django.apps import AppConfig
from django.db.models.signals import post_save


class ReidConfig(AppConfig):
    name = "reid"
    verbose_name = "Returning visitors"

    def ready(self):
        from core.models import Tenant
        from ingest.writer import visitor_identify_register
        from reid.matching import visitor_identify
        from reid.services import tenant_embeddings_erase_unless_returning

        visitor_identify_register(visitor_identify)  # finished visits' faces are matched as the writer stores them

        post_save.connect(tenant_embeddings_erase_unless_returning, sender=Tenant, dispatch_uid="reid-tenant-erase")
