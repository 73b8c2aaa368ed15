from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, so the admin offers neither change nor delete."""

    list_display = ("at", "actor_name", "action", "object_type", "object_repr", "outcome", "region", "ip")
    list_filter = ("action", "outcome", "region", "channel")
    search_fields = ("actor_name", "object_type", "object_id")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
