from django.contrib import admin

from audit.admin import AuditedDeletionMixin, PatientAuditMixin, ReadOnlyAdmin
from carehub.admin_versions import VersionedAdminMixin
from patients import services
from patients.admin_scope import CareTeamScopeMixin
from patients.models import Patient, PatientEvent, PatientIdentifier, RelatedPerson


class RelatedPersonInline(CareTeamScopeMixin, admin.TabularInline):
    model = RelatedPerson
    extra = 0
    readonly_fields = ["created_at", "updated_at"]


class PatientIdentifierInline(CareTeamScopeMixin, admin.TabularInline):
    model = PatientIdentifier
    extra = 0
    fields = ["system", "value", "type_code", "assigner", "created_at"]
    readonly_fields = ["created_at"]


class PatientEventInline(CareTeamScopeMixin, admin.TabularInline):
    model = PatientEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "actor", "occurred_at", "from_value", "to_value", "reason"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Patient)
class PatientAdmin(PatientAuditMixin, VersionedAdminMixin, AuditedDeletionMixin, admin.ModelAdmin):
    """Edits only: patients are registered on the pages (patients:create) or the API,
    through patients.services.patient_register, which holds back possible duplicates and
    records the patient's "registered" event."""

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
    inlines = [PatientIdentifierInline, RelatedPersonInline, PatientEventInline]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

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

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        # Contacts added, changed or removed inline: the event the pages record.
        if formset.model is RelatedPerson and (
            formset.new_objects or formset.changed_objects or formset.deleted_objects
        ):
            services.related_persons_edited(patient=form.instance, by=request.user)
        if formset.model is PatientIdentifier and (
            formset.new_objects or formset.changed_objects or formset.deleted_objects
        ):
            services.identifiers_edited(patient=form.instance, by=request.user)


@admin.register(RelatedPerson)
class RelatedPersonAdmin(PatientAuditMixin, AuditedDeletionMixin, admin.ModelAdmin):
    """Contacts saved or deleted here get the patient's "Contacts" event, as on the pages.
    A contact stays with its patient: moving it would change two patients' contacts."""

    list_display = ["name", "relationship", "patient", "is_emergency_contact", "is_caregiver"]
    list_filter = ["relationship", "is_emergency_contact", "is_caregiver"]
    search_fields = ["name", "patient__mrn"]
    raw_id_fields = ["patient"]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "patient"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.related_persons_edited(patient=obj.patient, by=request.user)

    def delete_model(self, request, obj):
        patient = obj.patient
        super().delete_model(request, obj)
        services.related_persons_edited(patient=patient, by=request.user)

    def delete_queryset(self, request, queryset):
        patient_ids = set(queryset.values_list("patient_id", flat=True))
        super().delete_queryset(request, queryset)
        for patient in Patient.objects.filter(pk__in=patient_ids).order_by("pk"):
            services.related_persons_edited(patient=patient, by=request.user)


@admin.register(PatientIdentifier)
class PatientIdentifierAdmin(PatientAuditMixin, AuditedDeletionMixin, admin.ModelAdmin):
    """Found by value (an identifier read off a letter or a message). Saved or deleted here,
    an identifier gets the patient's "Identifiers" event, as on the pages; it stays with
    its patient."""

    list_display = ["value", "system", "type_code", "assigner", "patient", "created_at"]
    list_filter = ["type_code"]
    search_fields = ["value", "patient__mrn"]
    raw_id_fields = ["patient"]
    readonly_fields = ["created_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "patient"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.identifiers_edited(patient=obj.patient, by=request.user)

    def delete_model(self, request, obj):
        patient = obj.patient
        super().delete_model(request, obj)
        services.identifiers_edited(patient=patient, by=request.user)

    def delete_queryset(self, request, queryset):
        patient_ids = set(queryset.values_list("patient_id", flat=True))
        super().delete_queryset(request, queryset)
        for patient in Patient.objects.filter(pk__in=patient_ids).order_by("pk"):
            services.identifiers_edited(patient=patient, by=request.user)


@admin.register(PatientEvent)
class PatientEventAdmin(PatientAuditMixin, ReadOnlyAdmin):
    patient_paths = ("patient",)

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
