"""Admin for support staff, across every tenant (TenantMiddleware widens the scope for staff here)."""

from django.contrib import admin, messages

from reid.services import tenant_privacy_update
from venues.api_keys import api_key_issue, api_key_revoke
from venues.models import ApiKey, Camera, CountingLine, Membership, Tenant, Venue, Zone


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

    def save_model(self, request, obj, form, change):
        if change:  # through the service: leaving face re-identification erases the embeddings
            tenant_privacy_update(obj, **{name: form.cleaned_data[name] for name in form.changed_data})
        else:
            super().save_model(request, obj, form, change)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["tenant", "role"]
    search_fields = ["user__username", "user__email", "tenant__name"]
    autocomplete_fields = ["user", "tenant"]


class CameraInline(admin.TabularInline):
    model = Camera
    extra = 0
    fields = ["name", "role", "stream_url"]
    show_change_link = True


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "venue_type", "city", "country", "time_zone"]
    list_filter = ["tenant", "venue_type", "country"]
    search_fields = ["name", "slug", "city", "address"]
    readonly_fields = ["h3_cell", "created_at"]
    autocomplete_fields = ["tenant"]
    inlines = [CameraInline]


class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0
    fields = ["name", "kind", "polygon"]


class CountingLineInline(admin.TabularInline):
    model = CountingLine
    extra = 0
    fields = ["name", "points", "in_side"]


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    list_display = ["name", "venue", "role", "people_size", "tenant"]
    list_filter = ["tenant", "role", "people_size"]
    search_fields = ["name", "venue__name"]
    list_select_related = ["venue", "tenant"]
    exclude = ["tenant"]  # inherited from the venue
    autocomplete_fields = ["venue"]
    inlines = [ZoneInline, CountingLineInline]


class CameraGeometryAdmin(admin.ModelAdmin):
    list_filter = ["tenant"]
    search_fields = ["name", "camera__name", "camera__venue__name"]
    list_select_related = ["camera__venue", "tenant"]
    exclude = ["tenant"]  # inherited from the camera
    autocomplete_fields = ["camera"]


@admin.register(Zone)
class ZoneAdmin(CameraGeometryAdmin):
    list_display = ["name", "kind", "camera", "tenant"]
    list_filter = ["tenant", "kind"]


@admin.register(CountingLine)
class CountingLineAdmin(CameraGeometryAdmin):
    list_display = ["name", "in_side", "camera", "tenant"]


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
