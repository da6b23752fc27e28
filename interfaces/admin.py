"""Admin: the inbox for operators (filters by status, sender and event; reprocess), the
sending facilities and the matching policy. A message as received is PHI: its text shows
only to users with interfaces.view_raw_message, and each look is on the audit trail."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from audit import context as audit_context
from audit.admin import PatientAuditMixin, ReadOnlyAdminMixin
from interfaces import services
from interfaces.models import AssigningAuthority, InboundMessage, MatchingPolicy, MessageStatus
from patients.selectors import scope_team_ids


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdminMixin, PatientAuditMixin, admin.ModelAdmin):
    patient_paths = ("patient",)
    list_display = [
        "received_at", "transport", "sender", "event", "control_id", "status", "patient_id",
        "attempts",
    ]  # fmt: skip
    list_filter = ["status", "transport", "event", "sending_facility"]
    search_fields = ["=control_id", "sender"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    actions = ["reprocess"]
    readonly_fields = [
        "received_at", "transport", "sender", "sending_facility", "control_id", "event",
        "charset", "accepted", "status", "error", "duplicate_of", "patient_id", "team",
        "attempts", "processed_at", "resolved_by", "dismissed_reason", "message_text",
    ]  # fmt: skip
    exclude = ["raw", "patient"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        team_ids = scope_team_ids(request.user)
        if team_ids is not None:  # not an admin: the notices of their teams' facilities
            queryset = queryset.filter(team_id__in=team_ids)
        return queryset

    def has_change_permission(self, request, obj=None):
        # Read-only fields, but the action and the page need "change" to show.
        return request.user.has_perm("interfaces.change_inboundmessage")

    @admin.display(description=_("message as received"))
    def message_text(self, obj):
        request = getattr(self, "_request", None)
        if request is None or not request.user.has_perm("interfaces.view_raw_message"):
            return _("(hidden: reading messages as received needs its own permission)")
        audit_context.note_object(obj)
        if obj.patient_id:
            audit_context.note_patient(obj.patient_id)
        audit_context.note_detail(raw_message_read=True)
        return obj.raw.replace("\r", "\n")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._request = request
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Process again (after the cause was fixed)"))
    def reprocess(self, request, queryset):
        count = 0
        for message in queryset.filter(status__in=(MessageStatus.ERROR, MessageStatus.UNMATCHED)):
            before = message.status
            if services.message_reprocess(message=message).status != before:
                count += 1
        self.message_user(
            request, _("%(n)d messages will be processed again.") % {"n": count}, messages.SUCCESS
        )


@admin.register(AssigningAuthority)
class AssigningAuthorityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "identifier_system", "is_carehub_mrn", "team"]
    search_fields = ["code", "name", "identifier_system"]


@admin.register(MatchingPolicy)
class MatchingPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "match_by_demographics"]

    def has_add_permission(self, request):
        return not MatchingPolicy.objects.exists()
