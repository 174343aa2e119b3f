"""A venue's alerts as analytics' pages show them (registered with analytics.alert_source by alerts.apps)."""

from django.db.models import Count

from alerts.models import Alert


def open_alert_counts() -> dict[int, int]:
    """Each venue's alerts that are not resolved, by venue id."""
    return dict(
        Alert.objects.exclude(state=Alert.State.RESOLVED)
        .values("venue")
        .annotate(n=Count("pk"))
        .values_list("venue", "n")
    )


def venue_alerts_during(venue, period):
    """The venue's alerts whose period overlaps `period`, oldest first."""
    return Alert.objects.filter(venue=venue, period_start__lt=period.end, period_end__gt=period.start).order_by(
        "period_start", "pk"
    )
