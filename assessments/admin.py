"""Admin: screening templates are defined here without code (domain rules and questions
inline; each question's answer options inline on its own page). Assessments and needs
are read-only: they are recorded on the pages, through assessments.services."""

from django.contrib import admin

from assessments.models import (
    AnswerOption,
    Assessment,
    DomainRule,
    IdentifiedNeed,
    Question,
    ScreeningTemplate,
)
from audit.admin import PatientAuditMixin, ReadOnlyAdmin


class DomainRuleInline(admin.TabularInline):
    model = DomainRule
    extra = 0


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["position", "domain", "text_en", "text_es", "is_required"]
    show_change_link = True  # its answer options are edited on the question's page


class AnswerOptionInline(admin.TabularInline):
    model = AnswerOption
    extra = 2
    fields = ["position", "text_en", "text_es", "score", "flags_domain"]


@admin.register(ScreeningTemplate)
class ScreeningTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "updated_at"]
    list_filter = ["is_active"]
    inlines = [DomainRuleInline, QuestionInline]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "template", "domain", "position"]
    list_filter = ["template", "domain"]
    inlines = [AnswerOptionInline]


@admin.register(Assessment)
class AssessmentAdmin(PatientAuditMixin, ReadOnlyAdmin):
    list_display = ["__str__", "patient", "template", "assessed_on", "assessed_by"]
    list_select_related = ["patient", "template", "assessed_by"]
    date_hierarchy = "assessed_on"


@admin.register(IdentifiedNeed)
class IdentifiedNeedAdmin(PatientAuditMixin, ReadOnlyAdmin):
    list_display = ["__str__", "patient", "domain", "severity", "status", "identified_on"]
    list_filter = ["status", "severity", "domain"]
    list_select_related = ["patient"]
