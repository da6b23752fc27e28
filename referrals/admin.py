from __future__ import annotations

import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.admin import PatientAuditMixin
from patients.admin_scope import CareTeamScopeMixin
from referrals.directory import (
    ImportFailed,
    directory_export_csv,
    directory_import_csv,
    hsds_sync,
)
from referrals.models import (
    ContactLogEntry,
    Organization,
    Referral,
    ReferralEvent,
    ReferralTransition,
    Service,
    SharingConsent,
)

MAX_UPLOAD = 5 * 1024 * 1024


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ["name", "category", "accepts_referrals", "is_active"]
    show_change_link = True


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "email", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    readonly_fields = ["hsds_organization", "created_at", "updated_at"]
    inlines = [ServiceInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Its services' HSDS records follow the listing (directory/legacy.py).
        hsds_sync(form.instance.services.select_related("organization"))


class DirectoryImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, one service per row, the columns of an export."),
    )


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "organization",
        "category",
        "languages",
        "accepts_referrals",
        "is_active",
    ]
    list_filter = ["category", "accepts_referrals", "is_active", "organization"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["service_at_location", "created_at", "updated_at"]
    actions = ["export_selected"]
    change_list_template = "admin/referrals/service/change_list.html"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        hsds_sync([obj])

    def get_urls(self):
        return [
            path(
                "import-csv/",
                self.admin_site.admin_view(self.import_csv),
                name="referrals_service_import",
            ),
            path(
                "export-csv/",
                self.admin_site.admin_view(self.export_csv),
                name="referrals_service_export",
            ),
            *super().get_urls(),
        ]

    def import_csv(self, request: HttpRequest) -> HttpResponse:
        """All or nothing: every bad row listed with its line number, or everything saved."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = DirectoryImportForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_UPLOAD:
                form.add_error("file", gettext("The file is larger than 5 MB."))
            else:
                try:
                    result = directory_import_csv(data=upload.read())
                except ImportFailed as failed:
                    errors = failed.errors
                else:
                    self.message_user(
                        request,
                        gettext(
                            "Directory imported: %(created)s added, %(updated)s updated, "
                            "%(unchanged)s unchanged."
                        )
                        % {
                            "created": result.created,
                            "updated": result.updated,
                            "unchanged": result.unchanged,
                        },
                        messages.SUCCESS,
                    )
                    return redirect("admin:referrals_service_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import the service directory from CSV"),
            "form": form,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/referrals/service/import.html", context)

    def _csv_response(self, queryset) -> HttpResponse:
        out = io.StringIO()
        directory_export_csv(queryset.select_related("organization").order_by("pk"), out)
        response = HttpResponse(out.getvalue(), content_type="text/csv")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="directory-{stamp}.csv"'
        return response

    def export_csv(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self._csv_response(self.get_queryset(request))

    @admin.action(description=_("Export selected services as CSV"))
    def export_selected(self, request, queryset):
        return self._csv_response(queryset)


class ReadOnlyInline(CareTeamScopeMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TransitionInline(ReadOnlyInline):
    model = ReferralTransition
    fields = readonly_fields = ["at", "from_status", "to_status", "by", "via_link", "reason"]


class ContactInline(ReadOnlyInline):
    model = ContactLogEntry
    fk_name = "referral"
    fields = readonly_fields = ["occurred_at", "channel", "direction", "contact_name", "by", "note"]


class EventInline(ReadOnlyInline):
    model = ReferralEvent
    fields = readonly_fields = ["at", "kind", "by", "remote_addr", "detail"]


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue now")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.overdue(now)
        if self.value() == "no":
            return queryset.exclude(Referral.objects.overdue_condition(now))
        return queryset


@admin.register(Referral)
class ReferralAdmin(PatientAuditMixin, admin.ModelAdmin):
    """Read-only: referrals change through their pages (transitions and services)."""

    list_display = [
        "__str__",
        "patient",
        "recipient",
        "priority",
        "status",
        "sent_at",
        "response_due_at",
        "referred_by",
    ]
    list_filter = ["status", "priority", OverdueFilter, "service__category", "service"]
    search_fields = ["patient__mrn", "service__name", "recipient_name"]
    list_select_related = ["patient", "service__organization", "referred_by"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [TransitionInline, ContactInline, EventInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Referral._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("recipient"))
    def recipient(self, obj: Referral) -> str:
        return obj.recipient_label


@admin.register(SharingConsent)
class SharingConsentAdmin(PatientAuditMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "organization",
        "recipient_name",
        "granted_on",
        "expires_on",
        "revoked_at",
    ]
    list_filter = ["method", "organization"]
    search_fields = ["patient__mrn", "organization__name", "recipient_name"]
    list_select_related = ["patient", "organization"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in SharingConsent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
