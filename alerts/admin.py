from django.contrib import admin

from alerts.models import Alert, AlertRecipient, AlertRule, AlertSettings, DigestSent
from alerts.services import alert_acknowledge, alert_resolve


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "tenant", "venue", "zone", "severity", "enabled", "params"]
    list_filter = ["kind", "severity", "enabled", "tenant"]
    list_select_related = ["tenant", "venue", "zone"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["title", "tenant", "venue", "severity", "state", "period_start", "emailed_at"]
    list_filter = ["state", "severity", "kind", "tenant", "venue"]
    list_select_related = ["tenant", "venue"]
    date_hierarchy = "period_start"
    readonly_fields = [f.name for f in Alert._meta.fields]
    actions = ["acknowledge", "resolve"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Acknowledge")
    def acknowledge(self, request, queryset):
        for alert in queryset:
            alert_acknowledge(alert, request.user)

    @admin.action(description="Resolve")
    def resolve(self, request, queryset):
        for alert in queryset:
            alert_resolve(alert, request.user)


@admin.register(AlertRecipient)
class AlertRecipientAdmin(admin.ModelAdmin):
    list_display = ["email", "tenant", "instant", "digest", "unsubscribed_at"]
    list_filter = ["tenant", "instant", "digest"]


@admin.register(AlertSettings)
class AlertSettingsAdmin(admin.ModelAdmin):
    list_display = ["tenant", "instant_severity", "digest", "digest_time", "time_zone"]


@admin.register(DigestSent)
class DigestSentAdmin(admin.ModelAdmin):
    list_display = ["tenant", "period_start", "period_end", "recipients", "sent_at"]
    list_filter = ["tenant"]
