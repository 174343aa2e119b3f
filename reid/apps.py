from django.apps import AppConfig


class ReidConfig(AppConfig):
    name = "reid"
    verbose_name = "Returning visitors"
