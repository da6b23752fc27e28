"""Admin: encounters are read here with the notices they were folded from; they change
only through notices (encounters.services), so nothing here edits them."""

from django.contrib import admin

from audit.admin import PatientAuditMixin, ReadOnlyAdminMixin
from encounters.models import Encounter, EncounterNotice
from patients.admin_scope import CareTeamScopeMixin


class NoticeInline(ReadOnlyAdminMixin, CareTeamScopeMixin, admin.TabularInline):
    model = EncounterNotice
    extra = 0
    fields = ["event", "occurred_at", "received_at", "source", "message_id"]
    readonly_fields = fields
    patient_paths = ("encounter__patient",)


@admin.register(Encounter)
class EncounterAdmin(ReadOnlyAdminMixin, PatientAuditMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "patient",
        "encounter_class",
        "status",
        "admitted_at",
        "discharged_at",
        "is_readmission",
    ]
    list_filter = ["encounter_class", "status", "is_readmission"]
    list_select_related = ["patient"]
    search_fields = ["=visit_number", "facility"]
    date_hierarchy = "admitted_at"
    inlines = [NoticeInline]
