"""Admin: read-only views of coverage, authorisations and applications. They are
recorded on the patient's pages, where deadlines and their reminders stay in step
(benefits.services, benefits.transitions)."""

from django.contrib import admin

from audit.admin import PatientAuditMixin, ReadOnlyAdmin
from benefits.models import BenefitApplication, Coverage, PriorAuthorisation, RequiredDocument
from patients.admin_scope import CareTeamScopeMixin


@admin.register(Coverage)
class CoverageAdmin(PatientAuditMixin, ReadOnlyAdmin):
    list_display = ["__str__", "patient", "payer", "order", "status", "effective_to"]
    list_filter = ["status", "order"]
    list_select_related = ["patient"]


@admin.register(PriorAuthorisation)
class PriorAuthorisationAdmin(PatientAuditMixin, ReadOnlyAdmin):
    list_display = ["__str__", "patient", "service", "payer", "valid_to", "units_used"]
    list_select_related = ["patient"]


class RequiredDocumentInline(CareTeamScopeMixin, admin.TabularInline):
    model = RequiredDocument
    extra = 0
    can_delete = False
    readonly_fields = ["name", "status", "received_on", "position"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(BenefitApplication)
class BenefitApplicationAdmin(PatientAuditMixin, ReadOnlyAdmin):
    list_display = ["__str__", "patient", "program", "status", "renewal_due_on", "case_manager"]
    list_filter = ["status", "program"]
    list_select_related = ["patient", "case_manager"]
    inlines = [RequiredDocumentInline]
