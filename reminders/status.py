"""The reminders' lines on the admin index health panel, and their parts of /healthz: the
workers' heartbeat, beat's last run and the outbox backlog (carehub.health)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from carehub.health import Part, StatusLine
from reminders.models import Reminder, ReminderState, WorkerHeartbeat

DISPATCH_TASK = "reminders.dispatch"
# The dispatcher runs every minute: a last run older than this means beat or workers stopped.
STALE_AFTER = datetime.timedelta(minutes=5)
# The heartbeat task runs every 30 s (migration 0004): no worker heard from in this long is
# "down". Beat writes its last run to the database every 3 minutes (django-celery-beat's
# sync), so it is judged over STALE_AFTER. The oldest due reminder older than
# HEALTH_OUTBOX_MAX_AGE means the outbox is not draining.
WORKER_STALE_AFTER = datetime.timedelta(seconds=120)


def heartbeat_record(*, hostname: str) -> None:
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname[:255], defaults={"seen_at": timezone.now()}
    )


def _age(now: datetime.datetime, then: datetime.datetime | None) -> int | None:
    return None if then is None else max(0, int((now - then).total_seconds()))


def worker_part() -> Part:
    now = timezone.now()
    last = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    alive = WorkerHeartbeat.objects.filter(seen_at__gte=now - WORKER_STALE_AFTER).count()
    return Part(
        "ok" if alive else "down",
        {"alive": alive, "last_heartbeat_age_seconds": _age(now, last)},
    )


def beat_part() -> Part:
    from django_celery_beat.models import PeriodicTask

    now = timezone.now()
    last = (
        PeriodicTask.objects.filter(enabled=True, last_run_at__isnull=False)
        .order_by("-last_run_at")
        .values_list("last_run_at", flat=True)
        .first()
    )
    fresh = last is not None and now - last <= STALE_AFTER
    return Part("ok" if fresh else "down", {"last_run_age_seconds": _age(now, last)})


def outbox_part() -> Part:
    from django.conf import settings

    now = timezone.now()
    due = Reminder.objects.filter(state=ReminderState.SCHEDULED, send_at__lte=now)
    oldest = due.order_by("send_at").values_list("send_at", flat=True).first()
    age = _age(now, oldest)
    limit = settings.HEALTH_OUTBOX_MAX_AGE.total_seconds()
    return Part(
        "ok" if age is None or age <= limit else "down",
        {"oldest_unsent_age_seconds": age, "due": due.count()},
    )


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
