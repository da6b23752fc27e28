"""Finished reminders and old notifications are deleted past their retention (README
"Operations"); scheduled, sending and recent ones stay."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from reminders.models import Notification, Reminder, ReminderState
from reminders.retention import records_prune
from tests.reminders.factories import NotificationFactory, ReminderFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def test_the_prune_keeps_what_the_policy_keeps(settings):
    now = timezone.now()
    old_sent = ReminderFactory(state=ReminderState.SENT, sent_at=now - 100 * DAY)
    old_failed = ReminderFactory(state=ReminderState.FAILED)
    recent_sent = ReminderFactory(state=ReminderState.SENT, sent_at=now)
    old_scheduled = ReminderFactory(send_at=now - 100 * DAY)
    Reminder.objects.filter(pk__in=[old_sent.pk, old_failed.pk, old_scheduled.pk]).update(
        updated_at=now - 91 * DAY
    )
    read_long_ago = NotificationFactory(read_at=now - 91 * DAY)
    read_lately = NotificationFactory(read_at=now - 10 * DAY)
    unread_old = NotificationFactory()
    unread_older = NotificationFactory()
    Notification.objects.filter(pk=unread_old.pk).update(created_at=now - 300 * DAY)
    Notification.objects.filter(pk=unread_older.pk).update(created_at=now - 366 * DAY)

    assert records_prune() == {"notifications": 2, "reminders": 2}
    assert set(Reminder.objects.values_list("pk", flat=True)) == {
        recent_sent.pk,
        old_scheduled.pk,
    }
    assert set(Notification.objects.values_list("pk", flat=True)) == {
        read_lately.pk,
        unread_old.pk,
    }
    assert read_long_ago.pk not in Notification.objects.values_list("pk", flat=True)


def test_the_prune_is_on_beats_schedule():
    assert PeriodicTask.objects.get(task="reminders.prune").enabled
