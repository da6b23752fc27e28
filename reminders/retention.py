"""How long reminders and notifications are kept (README "Operations", "Retention"), and
the prune that enforces it, every hour (beat, migration 0005).

- a reminder that is finished (sent, cancelled or failed): REMINDERS_RETENTION after it
  finished (its ``updated_at``); scheduled and sending ones are never pruned;
- an in-app notification: NOTIFICATIONS_RETENTION after it was read; an unread one
  NOTIFICATIONS_UNREAD_RETENTION after it was made.

Deleted in batches so a first prune of a large backlog does not hold long locks.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from reminders.models import Notification, Reminder, ReminderState

FINISHED_STATES = (ReminderState.SENT, ReminderState.CANCELLED, ReminderState.FAILED)
BATCH = 5000


def _delete_in_batches(queryset) -> int:
    total = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return total
        deleted, _detail = queryset.model.objects.filter(pk__in=ids).delete()
        total += len(ids)


def records_prune() -> dict[str, int]:
    now = timezone.now()
    reminders = Reminder.objects.filter(
        state__in=FINISHED_STATES, updated_at__lt=now - settings.REMINDERS_RETENTION
    )
    notifications = Notification.objects.filter(
        Q(read_at__lt=now - settings.NOTIFICATIONS_RETENTION)
        | Q(read_at__isnull=True, created_at__lt=now - settings.NOTIFICATIONS_UNREAD_RETENTION)
    )
    return {
        "notifications": _delete_in_batches(notifications),
        "reminders": _delete_in_batches(reminders),
    }
