"""Every write to reminders, notifications and preferences.

Causes (care plans, referrals ...) call these inside their own transaction, so a reminder
exists if and only if its cause was saved:

- ``reminder_schedule``: one reminder for one event (the key), idempotent;
- ``follow_up_reminders_schedule`` / ``follow_up_reminders_reschedule``: due, overdue and
  escalation for a piece of work in one call;
- ``appointment_reminders_schedule``: the patient-facing appointment reminder;
- ``reminders_reschedule_for`` / ``reminders_cancel_for``: move or cancel the pending ones
  about an object (work rescheduled, completed or closed).

Nothing here talks to the broker: the dispatcher finds due rows by itself.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Now
from django.utils import timezone

from accounts.models import User
from patients.models import Patient
from reminders.models import (
    PATIENT_KINDS,
    Delivery,
    Notification,
    NotificationPreference,
    Reminder,
    ReminderChannel,
    ReminderKind,
    ReminderState,
)
from reminders.patient_messages import patient_message_check

logger = logging.getLogger(__name__)


def _object_label(obj: models.Model) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def reminder_schedule(
    *,
    kind: str,
    recipient: User | Patient,
    about: models.Model | None,
    send_at: datetime.datetime,
    key: str,
    channel: str | None = None,
    patient: Patient | None = None,
    due_at: datetime.datetime | None = None,
    context: dict | None = None,
) -> Reminder | None:
    """Schedule one reminder for one event; a second call with the same key returns the
    first reminder unchanged (whatever its state).

    ``recipient`` is a user (channel defaults to the user's preference at send time) or a
    patient (channel email or sms; the patient guardrails apply: without consent or an
    address nothing is scheduled and None is returned; a time in quiet hours moves to
    their end). ``patient`` is the patient the reminder concerns, for scope. ``context``
    holds plain values for the message; it must carry no clinical detail.
    """
    if timezone.is_naive(send_at):
        raise ValueError("send_at must be an aware datetime")
    existing = Reminder.objects.filter(key=key).first()
    if existing is not None:
        return existing

    reminder = Reminder(
        kind=kind,
        key=key,
        send_at=send_at,
        due_at=due_at,
        context=context or {},
        patient=patient,
    )
    if about is not None:
        reminder.content_type = ContentType.objects.get_for_model(about, for_concrete_model=False)
        reminder.object_id = about.pk
    if isinstance(recipient, Patient):
        reminder.recipient_patient = recipient
        reminder.patient = patient or recipient
        reminder.channel = channel or ReminderChannel.EMAIL
        check = patient_message_check(patient=recipient, channel=reminder.channel, send_at=send_at)
        if not check.allowed:
            return None
        reminder.send_at = check.send_at
    else:
        reminder.recipient_user = recipient
        reminder.channel = channel or ReminderChannel.PREFERENCE
    reminder.full_clean(validate_unique=False, validate_constraints=False)
    try:
        # A savepoint, so a concurrent insert of the same key leaves the caller's
        # transaction usable; the database's unique constraint decides the race.
        with transaction.atomic():
            reminder.save()
    except IntegrityError:
        existing = Reminder.objects.filter(key=key).first()
        if existing is None:
            raise
        return existing
    return reminder


def reminders_reschedule_for(
    obj: models.Model,
    send_at: datetime.datetime,
    *,
    kind: str | None = None,
    due_at: datetime.datetime | None = None,
) -> int:
    """Move the pending reminders about ``obj`` (of ``kind`` if given) to ``send_at``.

    Reminders already handed to a worker, sent, failed or cancelled stay as they are.
    Patient reminders keep out of quiet hours. Returns how many moved.
    """
    pending = Reminder.objects.pending().about(obj)
    if kind:
        pending = pending.filter(kind=kind)
    changes: dict = {"send_at": send_at, "attempts": 0, "last_error": "", "updated_at": Now()}
    if due_at is not None:
        changes["due_at"] = due_at
    moved = 0
    patient_rows = list(
        pending.filter(recipient_patient__isnull=False).select_related("recipient_patient")
    )
    for row in patient_rows:
        check = patient_message_check(
            patient=row.recipient_patient, channel=row.channel, send_at=send_at
        )
        moved += (
            Reminder.objects.pending()
            .filter(pk=row.pk)
            .update(**{**changes, "send_at": check.send_at})
        )
    moved += pending.filter(recipient_patient__isnull=True).update(**changes)
    return moved


def reminders_cancel_for(obj: models.Model, *, kind: str | None = None) -> int:
    """Cancel the pending reminders about ``obj`` (work completed or closed)."""
    pending = Reminder.objects.pending().about(obj)
    if kind:
        pending = pending.filter(kind=kind)
    return pending.update(state=ReminderState.CANCELLED, updated_at=Now())


def reminder_escalation_schedule(
    *,
    about: models.Model,
    case_manager: User | None,
    overdue_since: datetime.datetime,
    patient: Patient | None = None,
    context: dict | None = None,
) -> Reminder | None:
    """Escalate work still open ``REMINDERS_ESCALATE_AFTER`` past its due time to the case
    manager: once per item (the key has no date), however often the rule runs."""
    if case_manager is None:
        return None
    return reminder_schedule(
        kind=ReminderKind.ESCALATION,
        recipient=case_manager,
        about=about,
        send_at=overdue_since + settings.REMINDERS_ESCALATE_AFTER,
        due_at=overdue_since,
        key=f"escalation:{_object_label(about)}",
        patient=patient,
        context=context,
    )


def follow_up_reminders_schedule(
    *,
    about: models.Model,
    assignee: User,
    due_at: datetime.datetime,
    title: str,
    link: str = "",
    patient: Patient | None = None,
    case_manager: User | None = None,
    due_kind: str = ReminderKind.TASK_DUE,
    overdue_kind: str = ReminderKind.TASK_OVERDUE,
    due_lead: datetime.timedelta = datetime.timedelta(0),
) -> list[Reminder]:
    """Due (at ``due_at - due_lead``), overdue (``REMINDERS_OVERDUE_AFTER`` later) and the
    escalation to ``case_manager``, for a task, follow-up, review or response deadline.

    ``title`` and ``link`` go into emails: no clinical detail (e.g. "Task #12").
    """
    label = _object_label(about)
    context = {"title": title, "link": link}
    scheduled = [
        reminder_schedule(
            kind=due_kind,
            recipient=assignee,
            about=about,
            send_at=due_at - due_lead,
            due_at=due_at,
            key=f"{due_kind}:{label}",
            patient=patient,
            context=context,
        ),
        reminder_schedule(
            kind=overdue_kind,
            recipient=assignee,
            about=about,
            send_at=due_at + settings.REMINDERS_OVERDUE_AFTER,
            due_at=due_at,
            key=f"{overdue_kind}:{label}",
            patient=patient,
            context=context,
        ),
        reminder_escalation_schedule(
            about=about,
            case_manager=case_manager,
            overdue_since=due_at,
            patient=patient,
            context=context,
        ),
    ]
    return [reminder for reminder in scheduled if reminder is not None]


def follow_up_reminders_reschedule(
    *,
    about: models.Model,
    due_at: datetime.datetime,
    due_kind: str = ReminderKind.TASK_DUE,
    overdue_kind: str = ReminderKind.TASK_OVERDUE,
    due_lead: datetime.timedelta = datetime.timedelta(0),
) -> int:
    """The work's due time moved: move its pending due, overdue and escalation reminders."""
    return (
        reminders_reschedule_for(about, due_at - due_lead, kind=due_kind, due_at=due_at)
        + reminders_reschedule_for(
            about, due_at + settings.REMINDERS_OVERDUE_AFTER, kind=overdue_kind, due_at=due_at
        )
        + reminders_reschedule_for(
            about,
            due_at + settings.REMINDERS_ESCALATE_AFTER,
            kind=ReminderKind.ESCALATION,
            due_at=due_at,
        )
    )


def appointment_reminders_schedule(
    *,
    patient: Patient,
    appointment_at: datetime.datetime,
    place_name: str,
    about: models.Model | None = None,
    now: datetime.datetime | None = None,
) -> list[Reminder]:
    """Remind the patient of an appointment ``REMINDERS_APPOINTMENT_LEAD`` before it, on
    each channel the patient consented to (email, text), in their language, outside quiet
    hours. Plain values only: ``place_name`` is a non-clinical place (an organisation's
    name), never a service category. ``about`` (e.g. the referral) defaults to the patient.
    """
    now = now or timezone.now()
    about = about if about is not None else patient
    send_at = max(appointment_at - settings.REMINDERS_APPOINTMENT_LEAD, now)
    context = {"appointment_at": appointment_at.isoformat(), "place_name": place_name}
    scheduled = []
    for channel in (ReminderChannel.EMAIL, ReminderChannel.SMS):
        check = patient_message_check(patient=patient, channel=channel, send_at=send_at)
        if not check.allowed or check.send_at >= appointment_at:
            continue
        reminder = reminder_schedule(
            kind=ReminderKind.APPOINTMENT,
            recipient=patient,
            about=about,
            send_at=check.send_at,
            due_at=appointment_at,
            channel=channel,
            key=f"appointment:{_object_label(about)}:{appointment_at.isoformat()}:{channel}",
            patient=patient,
            context=context,
        )
        if reminder is not None:
            scheduled.append(reminder)
    return scheduled


# --- Admin actions ------------------------------------------------------------------------


def reminders_retry(*, reminder_ids) -> int:
    """Failed reminders go back to the queue, due now, with their attempts reset."""
    return Reminder.objects.filter(pk__in=reminder_ids, state=ReminderState.FAILED).update(
        state=ReminderState.SCHEDULED,
        send_at=Now(),
        attempts=0,
        last_error="",
        attempt_started_at=None,
        claimed_until=None,
        updated_at=Now(),
    )


def reminders_cancel(*, reminder_ids) -> int:
    """Cancel pending reminders (those already sending or sent are left alone)."""
    return (
        Reminder.objects.pending()
        .filter(pk__in=reminder_ids)
        .update(state=ReminderState.CANCELLED, updated_at=Now())
    )


# --- Notifications and preferences --------------------------------------------------------


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user).unread().update(read_at=timezone.now())


def default_digest_time() -> datetime.time:
    return datetime.time.fromisoformat(settings.REMINDERS_DIGEST_TIME)


@transaction.atomic
def preferences_save(
    *, user: User, deliveries: dict[str, str], digest_time: datetime.time | None
) -> None:
    """Save the user's delivery per kind and digest time; pending digests follow the time."""
    for kind, delivery in deliveries.items():
        if kind in PATIENT_KINDS or kind not in ReminderKind.values:
            raise ValidationError({"kind": f"not a staff reminder kind: {kind}"})
        if delivery not in Delivery.values:
            raise ValidationError({"delivery": f"not a delivery: {delivery}"})
        NotificationPreference.objects.update_or_create(
            user=user,
            kind=kind,
            defaults={
                "delivery": delivery,
                "digest_time": digest_time if kind == ReminderKind.DIGEST else None,
            },
        )
    if digest_time is not None:
        NotificationPreference.objects.update_or_create(
            user=user,
            kind=ReminderKind.DIGEST,
            defaults={"digest_time": digest_time},
        )
        from reminders.digest import digest_reschedule_for

        digest_reschedule_for(user=user, digest_time=digest_time)
