"""Admin for support staff, across every tenant (TenantMiddleware widens the scope for staff here)."""

from django.contrib import admin

from venues.models import Camera, CountingLine, Venue, Zone


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
