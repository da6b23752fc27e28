"""Admin: care plans with their needs, goals and tasks inline. Statuses are read-only
here: they move through careplans.transitions (the pages), which records who moved what
and why. Records are created on the pages for the same reason. Edits check and move the
version as the pages do (carehub.admin_versions). A record stays with its patient (and a
goal with its plan): moving one would leave its tasks and reminders on the old one."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditedDeletionMixin, PatientAuditMixin, ReadOnlyAdminMixin
from carehub.admin_versions import VersionedAdminMixin
from careplans.models import CarePlan, CarePlanNeed, CarePlanReview, Goal, StatusChange, Task
from careplans.services import REMINDER_FIELDS, reminders_follow_edit
from patients.admin_scope import CareTeamScopeMixin


class RemindersFollowEditsMixin:
    """Admin saves of care plans, goals and tasks (inline ones too) resync reminders as
    the same edits on the pages do (careplans.services.REMINDER_FIELDS)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            reminders_follow_edit(obj, form.changed_data)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            record = inline_form.instance
            if type(record) in REMINDER_FIELDS and record.pk and inline_form.has_changed():
                reminders_follow_edit(record, inline_form.changed_data)


class NoAddNoDeleteMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NeedInline(CareTeamScopeMixin, admin.TabularInline):
    model = CarePlanNeed
    extra = 0


class GoalInline(CareTeamScopeMixin, VersionedAdminMixin, NoAddNoDeleteMixin, admin.TabularInline):
    model = Goal
    extra = 0
    fields = ["description", "category", "priority", "status", "target_date", "owner", "version"]
    readonly_fields = ["status", "version"]
    raw_id_fields = ["owner"]
    show_change_link = True


class TaskInline(CareTeamScopeMixin, VersionedAdminMixin, NoAddNoDeleteMixin, admin.TabularInline):
    model = Task
    fk_name = "care_plan"
    extra = 0
    fields = ["description", "assignee", "due_at", "priority", "status", "version"]
    readonly_fields = ["status", "version"]
    raw_id_fields = ["assignee"]
    show_change_link = True


class ReviewInline(CareTeamScopeMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = CarePlanReview
    extra = 0
    fields = ["reviewed_at", "reviewed_by", "due_on", "next_review_date", "note"]
    readonly_fields = fields


class ReviewDueFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("none", _("No review date"))]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.review_overdue()
        if self.value() == "none":
            return queryset.open().filter(next_review_date__isnull=True)
        return queryset


@admin.register(CarePlan)
class CarePlanAdmin(
    PatientAuditMixin,
    RemindersFollowEditsMixin,
    VersionedAdminMixin,
    AuditedDeletionMixin,
    NoAddNoDeleteMixin,
    admin.ModelAdmin,
):
    list_display = [
        "pk", "title", "patient", "status", "period_start", "next_review_date", "author",
    ]  # fmt: skip
    list_filter = ["status", ReviewDueFilter, ("next_review_date", admin.DateFieldListFilter)]
    search_fields = ["title", "patient__mrn"]
    list_select_related = ["patient", "author"]
    raw_id_fields = ["author", "last_review"]
    readonly_fields = [
        "patient", "status", "version", "last_review", "created_at", "updated_at",
    ]  # fmt: skip
    inlines = [NeedInline, GoalInline, TaskInline, ReviewInline]
    date_hierarchy = "period_start"
    show_full_result_count = False


@admin.register(Goal)
class GoalAdmin(
    PatientAuditMixin,
    RemindersFollowEditsMixin,
    VersionedAdminMixin,
    NoAddNoDeleteMixin,
    admin.ModelAdmin,
):
    list_display = ["pk", "description", "care_plan", "status", "priority", "target_date"]
    list_filter = ["status", "priority", "category"]
    search_fields = ["description", "care_plan__patient__mrn"]
    list_select_related = ["care_plan"]
    raw_id_fields = ["owner"]
    readonly_fields = ["care_plan", "status", "version", "created_at", "updated_at"]


@admin.register(Task)
class TaskAdmin(
    PatientAuditMixin,
    RemindersFollowEditsMixin,
    VersionedAdminMixin,
    NoAddNoDeleteMixin,
    admin.ModelAdmin,
):
    list_display = ["pk", "description", "patient", "assignee", "due_at", "status", "priority"]
    list_filter = ["status", "priority", ("due_at", admin.DateFieldListFilter)]
    search_fields = ["description", "patient__mrn"]
    list_select_related = ["patient", "assignee"]
    raw_id_fields = ["care_plan", "goal", "assignee", "completed_by", "series"]
    readonly_fields = [
        "patient", "status", "completed_by", "completed_at", "completion_note", "occurrence",
        "series", "created_by", "version", "created_at", "updated_at",
    ]  # fmt: skip
    show_full_result_count = False


@admin.register(StatusChange)
class StatusChangeAdmin(PatientAuditMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    patient_paths = ("patient",)

    list_display = ["occurred_at", "record", "from_status", "to_status", "actor", "patient"]
    list_filter = ["record", "to_status"]
    search_fields = ["patient__mrn"]
    list_select_related = ["actor", "patient"]
    show_full_result_count = False
