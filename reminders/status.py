"""The reminders' line on the admin index health panel (carehub.health)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from carehub.health import StatusLine
from reminders.models import Reminder, ReminderState

DISPATCH_TASK = "reminders.dispatch"
# The dispatcher runs every minute: a last run older than this means beat or workers stopped.
STALE_AFTER = datetime.timedelta(minutes=5)


def reminder_status() -> list[StatusLine]:
    from django_celery_beat.models import PeriodicTask

    now = timezone.now()
    counts = Reminder.objects.aggregate(
        failed=Count("pk", filter=Q(state=ReminderState.FAILED)),
        waiting=Count("pk", filter=Q(state=ReminderState.SCHEDULED, send_at__lte=now)),
    )
    last_run = (
        PeriodicTask.objects.filter(task=DISPATCH_TASK)
        .values_list("last_run_at", flat=True)
        .first()
    )
    if last_run is None:
        dispatcher = StatusLine(_("Reminder dispatcher"), "warning", _("has not run yet"))
    else:
        state = "ok" if now - last_run <= STALE_AFTER else "down"
        dispatcher = StatusLine(
            _("Reminder dispatcher"),
            state,
            _("last run %(when)s")
            % {"when": date_format(timezone.localtime(last_run), "DATETIME_FORMAT")},
        )
    return [
        StatusLine(
            _("Reminders failed"),
            "ok" if counts["failed"] == 0 else "warning",
            _("%(count)d failed: see Reminders in admin, filter Failed, action Retry")
            % {"count": counts["failed"]},
        ),
        StatusLine(
            _("Reminders waiting"),
            "ok" if counts["waiting"] < 1000 else "warning",
            _("%(count)d due and not yet sent") % {"count": counts["waiting"]},
        ),
        dispatcher,
    ]
