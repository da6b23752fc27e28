from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail cannot be changed or deleted through admin."""

    list_display = [
        "occurred_at",
        "actor_username",
        "action",
        "outcome",
        "patient_id",
        "object_type",
        "object_id",
        "route",
        "ip_address",
    ]
    list_filter = ["action", "outcome", "occurred_at", "actor"]
    search_fields = ["actor_username", "=patient__id", "object_id", "route"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    list_select_related = False

    def get_search_results(self, request, queryset, search_term):
        if search_term.isdigit():
            return queryset.filter(patient_id=int(search_term)) | queryset.filter(
                object_id=search_term
            ), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
