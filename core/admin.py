"""Admin for support staff, across every tenant (TenantMiddleware widens the scope for staff here)."""

from django.contrib import admin, messages

from core.api_keys import api_key_issue, api_key_revoke
from core.models import ApiKey, Membership, Tenant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["tenant", "role"]
    search_fields = ["user__username", "user__email", "tenant__name"]
    autocomplete_fields = ["user", "tenant"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys show only their prefix; a new key's plain text appears once, in the message after saving."""

    list_display = [
        "name",
        "scope",
        "prefix",
        "tenant",
        "venue",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["tenant", "scope", "revoked_at"]
    search_fields = ["name", "prefix", "tenant__name"]
    fields = ["name", "scope", "tenant", "venue", "expires_at", "prefix", "created_by", "created_at", "last_used_at",
              "revoked_at"]  # fmt: skip
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    autocomplete_fields = ["tenant", "venue"]
    actions = ["revoke_selected"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "scope"] if obj else self.readonly_fields  # fixed once made

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.created_by = request.user
        key = api_key_issue(obj)
        messages.warning(request, f"New API key (copy it now, it will not be shown again): {key}")

    @admin.action(description="Revoke the selected API keys")
    def revoke_selected(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key)
        messages.success(request, f"Revoked {queryset.count()} key(s).")
