from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "venues"
    verbose_name = "Venues and cameras"

    def ready(self):
        from venues.files import files_deleted_with_rows
        from venues.models import Camera

        files_deleted_with_rows(Camera)  # its snapshot
