from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self):
        from alerts import signals  # noqa: F401  default rules for every new venue
        from alerts.selectors import open_alert_counts, venue_alerts_during
        from analytics.alert_source import AlertSource, alert_source_register

        alert_source_register(AlertSource(open_counts=open_alert_counts, during=venue_alerts_during))
