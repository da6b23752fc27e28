from django.contrib import admin

from audit.admin import AuditedDeletionMixin, ReadOnlyAdmin
from carehub.admin_versions import VersionedAdminMixin
from patients import services
from patients.models import Patient, PatientEvent, RelatedPerson


class RelatedPersonInline(admin.TabularInline):
    model = RelatedPerson
    extra = 0
    readonly_fields = ["created_at", "updated_at"]


class PatientEventInline(admin.TabularInline):
    model = PatientEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "actor", "occurred_at", "from_value", "to_value", "reason"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Patient)
class PatientAdmin(VersionedAdminMixin, AuditedDeletionMixin, admin.ModelAdmin):
    list_display = [
        "mrn", "family_name", "given_name", "date_of_birth", "status", "risk_level",
        "care_team", "primary_coordinator", "updated_at",
    ]  # fmt: skip
    list_filter = ["status", "risk_level", "care_team", "preferred_language"]
    search_fields = ["mrn", "family_name", "given_name"]
    list_select_related = ["care_team", "primary_coordinator"]
    autocomplete_fields = ["care_team", "primary_coordinator", "case_manager"]
    # Status moves only through patients.services (admins use the pages for that); edits
    # check and move the version as the pages do (carehub.admin_versions).
    readonly_fields = ["status", "status_reason", "version", "created_at", "updated_at"]
    inlines = [RelatedPersonInline, PatientEventInline]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            # As an edit on the pages: the patient's event, and reminders (consents, staff,
            # status ...) brought in line, in the admin's transaction.
            fields = {field.name for field in Patient._meta.concrete_fields}
            services.patient_edited(
                patient=obj,
                by=request.user,
                changed=[name for name in form.changed_data if name in fields],
            )


@admin.register(RelatedPerson)
class RelatedPersonAdmin(AuditedDeletionMixin, admin.ModelAdmin):
    list_display = ["name", "relationship", "patient", "is_emergency_contact", "is_caregiver"]
    list_filter = ["relationship", "is_emergency_contact", "is_caregiver"]
    search_fields = ["name", "patient__mrn"]
    raw_id_fields = ["patient"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(PatientEvent)
class PatientEventAdmin(ReadOnlyAdmin):
    list_display = ["patient", "kind", "actor", "occurred_at"]
    list_filter = ["kind"]
    search_fields = ["patient__mrn"]
    readonly_fields = [
        "patient",
        "kind",
        "actor",
        "occurred_at",
        "from_value",
        "to_value",
        "reason",
    ]
