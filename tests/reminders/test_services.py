"""Scheduling, moving and cancelling reminders; escalation; follow-ups; admin actions."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from reminders import services
from reminders.models import Reminder, ReminderChannel, ReminderKind, ReminderState
from tests.reminders.factories import ReminderFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)


def schedule(user, about, *, key="task:1:due", send_at=None, **extra):
    return services.reminder_schedule(
        kind=ReminderKind.TASK_DUE,
        recipient=user,
        about=about,
        send_at=send_at or NOW + datetime.timedelta(days=1),
        key=key,
        **extra,
    )


@time_machine.travel(NOW, tick=False)
def test_schedule_is_idempotent_on_the_key(coordinator, patient):
    first = schedule(coordinator, patient, patient=patient, context={"title": "Task #1"})
    again = schedule(coordinator, patient, send_at=NOW + datetime.timedelta(days=9))
    assert again.pk == first.pk
    assert again.send_at == NOW + datetime.timedelta(days=1)  # the first one stands
    assert Reminder.objects.count() == 1
    assert first.channel == ReminderChannel.PREFERENCE
    assert first.state == ReminderState.SCHEDULED
    assert first.about == patient
    assert first.patient == patient


def test_key_is_unique_in_the_database(coordinator):
    from django.db import IntegrityError

    ReminderFactory(key="same", recipient_user=coordinator)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderFactory(key="same", recipient_user=coordinator)


def test_exactly_one_recipient_is_enforced(coordinator, patient):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderFactory(recipient_user=coordinator, recipient_patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderFactory(recipient_user=None)


def test_reminder_exists_only_if_its_cause_was_saved(coordinator, patient):
    """Called inside the cause's transaction: a rolled-back cause leaves no reminder."""
    with pytest.raises(RuntimeError), transaction.atomic():
        schedule(coordinator, patient)
        raise RuntimeError("the cause failed to save")
    assert not Reminder.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_reschedule_moves_only_pending_ones(coordinator, patient):
    pending = schedule(coordinator, patient, key="a")
    sending = ReminderFactory(recipient_user=coordinator, sending=True, key="b")
    sending.about = patient
    sending.save()
    sent = ReminderFactory(recipient_user=coordinator, sent=True, key="c")
    sent.about = patient
    sent.save()
    other = schedule(coordinator, coordinator, key="d")  # about something else
    later = NOW + datetime.timedelta(days=5)

    assert services.reminders_reschedule_for(patient, later) == 1

    for row in (pending, sending, sent, other):
        row.refresh_from_db()
    assert pending.send_at == later
    assert sending.send_at != later and sent.send_at != later and other.send_at != later


@time_machine.travel(NOW, tick=False)
def test_cancel_cancels_only_pending_ones(coordinator, patient):
    pending = schedule(coordinator, patient, key="a")
    sent = ReminderFactory(recipient_user=coordinator, sent=True, key="c")
    sent.about = patient
    sent.save()

    assert services.reminders_cancel_for(patient) == 1

    pending.refresh_from_db()
    sent.refresh_from_db()
    assert pending.state == ReminderState.CANCELLED
    assert sent.state == ReminderState.SENT


@time_machine.travel(NOW, tick=False)
def test_follow_up_creates_due_overdue_and_escalation_once(
    coordinator, case_manager, patient, settings
):
    due = NOW + datetime.timedelta(days=2)
    created = services.follow_up_reminders_schedule(
        about=patient,
        assignee=coordinator,
        due_at=due,
        title="Task #7",
        link="/patients/",
        patient=patient,
        case_manager=case_manager,
    )
    assert [(r.kind, r.recipient_user, r.send_at) for r in created] == [
        (ReminderKind.TASK_DUE, coordinator, due),
        (ReminderKind.TASK_OVERDUE, coordinator, due + settings.REMINDERS_OVERDUE_AFTER),
        (ReminderKind.ESCALATION, case_manager, due + settings.REMINDERS_ESCALATE_AFTER),
    ]
    # The rule runs again (a second save, a retry): nothing new, escalation still once.
    services.follow_up_reminders_schedule(
        about=patient, assignee=coordinator, due_at=due, title="Task #7",
        patient=patient, case_manager=case_manager,
    )  # fmt: skip
    assert Reminder.objects.count() == 3
    assert Reminder.objects.filter(kind=ReminderKind.ESCALATION).count() == 1

    # Rescheduled: every pending one moves by its own offset.
    new_due = due + datetime.timedelta(days=3)
    assert services.follow_up_reminders_reschedule(about=patient, due_at=new_due) == 3
    moved = {r.kind: r for r in Reminder.objects.all()}
    assert moved[ReminderKind.TASK_DUE].send_at == new_due
    assert moved[ReminderKind.TASK_OVERDUE].due_at == new_due
    assert moved[ReminderKind.ESCALATION].send_at == new_due + settings.REMINDERS_ESCALATE_AFTER

    # Completed: all cancelled.
    assert services.reminders_cancel_for(patient) == 3


def test_escalation_needs_a_case_manager(patient):
    assert (
        services.reminder_escalation_schedule(
            about=patient, case_manager=None, overdue_since=timezone.now()
        )
        is None
    )


def test_retry_action_requeues_failed_only(coordinator):
    failed = ReminderFactory(recipient_user=coordinator, failed=True)
    sent = ReminderFactory(recipient_user=coordinator, sent=True)
    assert services.reminders_retry(reminder_ids=[failed.pk, sent.pk]) == 1
    failed.refresh_from_db()
    assert failed.state == ReminderState.SCHEDULED
    assert failed.attempts == 0 and failed.last_error == ""
    sent.refresh_from_db()
    assert sent.state == ReminderState.SENT


def test_cancel_action_cancels_pending_only(coordinator):
    pending = ReminderFactory(recipient_user=coordinator)
    sending = ReminderFactory(recipient_user=coordinator, sending=True)
    assert services.reminders_cancel(reminder_ids=[pending.pk, sending.pk]) == 1
    sending.refresh_from_db()
    assert sending.state == ReminderState.SENDING


def test_naive_send_at_is_refused(coordinator):
    with pytest.raises(ValueError):
        schedule(coordinator, None, send_at=datetime.datetime(2026, 1, 1, 9, 0))  # noqa: DTZ001
