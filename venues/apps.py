from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "venues"
    verbose_name = "Tenants, venues and cameras"

    def ready(self):
        from venues.files import files_deleted_with_rows
        from venues.models import Camera

        files_deleted_with_rows(Camera)  # its snapshot
