"""Support staff see visitors (never their embeddings), mark staff and erase visitors, across tenants."""

from django.contrib import admin, messages

from reid.models import Visitor
from reid.services import visitor_erase, visitor_staff_set


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin):
    list_display = ["id", "tenant", "venue", "first_seen", "last_seen", "staff", "samples"]
    list_filter = ["staff", "tenant", "venue"]
    list_select_related = ["tenant", "venue"]
    readonly_fields = ["tenant", "venue", "first_seen", "last_seen", "staff", "staff_since", "created_at", "samples"]
    actions = ["mark_staff", "unmark_staff", "erase"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # `erase` instead: it also unlinks the visits
        return actions

    @admin.display(description="Face samples")
    def samples(self, visitor):
        return visitor.embeddings.count()

    @admin.action(description="Mark as staff (leave out of customer metrics)")
    def mark_staff(self, request, queryset):
        for visitor in queryset:
            visitor_staff_set(visitor, True)
        messages.success(request, f"{len(queryset)} visitor(s) marked as staff.")

    @admin.action(description="Unmark staff (count as customers again)")
    def unmark_staff(self, request, queryset):
        for visitor in queryset:
            visitor_staff_set(visitor, False)
        messages.success(request, f"{len(queryset)} visitor(s) are customers again.")

    @admin.action(description="Erase (embeddings and the link from visits)")
    def erase(self, request, queryset):
        count = len(queryset)
        for visitor in queryset:
            visitor_erase(visitor)
        messages.success(request, f"{count} visitor(s) erased.")

    def delete_model(self, request, obj):
        visitor_erase(obj)
