"""Admin: programs are defined here. Enrolments are read-only: statuses move through
programs.transitions on the pages, which records who moved what and why."""

from django.contrib import admin

from audit.admin import PatientAuditMixin
from patients.admin_scope import CareTeamScopeMixin
from programs.models import Enrolment, EnrolmentTransition, Program, Session


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "team",
        "required_sessions",
        "attendance_threshold",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "team"]
    search_fields = ["name"]


class SessionInline(CareTeamScopeMixin, admin.TabularInline):
    model = Session
    extra = 0
    can_delete = False
    readonly_fields = ["held_on", "status", "topic", "note", "recorded_by"]

    def has_add_permission(self, request, obj=None):
        return False


class TransitionInline(CareTeamScopeMixin, admin.TabularInline):
    model = EnrolmentTransition
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "reason", "actor", "occurred_at"]
    exclude = ["patient"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(PatientAuditMixin, admin.ModelAdmin):
    list_display = ["__str__", "patient", "program", "status", "case_manager", "referred_on"]
    list_filter = ["status", "program"]
    list_select_related = ["patient", "program", "case_manager"]
    inlines = [SessionInline, TransitionInline]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
