"""Admin: the outbox (filters, retry failed, cancel pending), notifications, preferences.

States move only through the actions (reminders.services); the rows are read-only here
and never deleted (a cancelled reminder stays in the outbox). Notifications are written by
delivery and preferences by their users (reminders:preferences, which reschedules the
digest): both are read-only here.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.admin import PatientAuditMixin, ReadOnlyAdmin
from reminders import services
from reminders.models import Notification, NotificationPreference, Reminder, ReminderState


class UncertainFilter(admin.SimpleListFilter):
    title = _("uncertain attempts")
    parameter_name = "uncertain"

    def lookups(self, request, model_admin):
        return [("yes", _("May have been sent twice"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(uncertain_attempts__gt=0)
        return queryset


@admin.register(Reminder)
class ReminderAdmin(PatientAuditMixin, admin.ModelAdmin):
    patient_paths = ("patient", "recipient_patient")

    list_display = [
        "id", "kind", "channel", "state", "send_at", "attempts", "uncertain_attempts",
        "last_error", "sent_at", "recipient_user", "recipient_patient",
    ]  # fmt: skip
    list_filter = ["state", "kind", "channel", UncertainFilter]
    search_fields = ["key"]
    list_select_related = ["recipient_user", "recipient_patient"]
    date_hierarchy = "send_at"
    show_full_result_count = False
    actions = ["retry_failed", "cancel_pending"]
    readonly_fields = [
        "kind", "channel", "recipient_user", "recipient_patient", "patient", "content_type",
        "object_id", "key", "send_at", "due_at", "context", "state", "attempts", "last_error",
        "claimed_until", "attempt_started_at", "uncertain_attempts", "sent_at", "created_at",
        "updated_at",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Retry the selected failed reminders"))
    def retry_failed(self, request, queryset):
        ids = list(queryset.filter(state=ReminderState.FAILED).values_list("pk", flat=True))
        count = services.reminders_retry(reminder_ids=ids)
        self.message_user(
            request,
            ngettext("%(count)d reminder queued again.", "%(count)d reminders queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Cancel the selected scheduled reminders"))
    def cancel_pending(self, request, queryset):
        count = services.reminders_cancel(reminder_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d reminder cancelled.", "%(count)d reminders cancelled.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Notification)
class NotificationAdmin(PatientAuditMixin, ReadOnlyAdmin):
    patient_paths = ("reminder__patient",)

    list_display = ["id", "user", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    show_full_result_count = False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "delivery", "digest_time", "updated_at"]
    list_filter = ["kind", "delivery"]
    list_select_related = ["user"]
