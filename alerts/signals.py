from django.db.models.signals import post_save
from django.dispatch import receiver

from alerts.services import default_rules_create
from venues.models import Venue


@receiver(post_save, sender=Venue, dispatch_uid="alerts.default_rules")
def venue_default_rules(sender, instance, created, raw=False, **kwargs):
    """However a venue is created (API, admin, command), it starts with the default alert rules."""
    if created and not raw:
        default_rules_create(instance)
