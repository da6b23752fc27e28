"""The reminders a referral calls for (issue 5, "What creates reminders").

``referral_reminders_sync`` looks at the referral as saved and makes its pending reminders
match; ``transitions.referral_move`` calls it in the transaction of every move.

- Awaiting a response (sent, received: models.AWAITING_RESPONSE, the same rule as the
  overdue list): "response overdue" to the referring coordinator at ``response_due_at``,
  and an escalation to the patient's case manager REMINDERS_ESCALATE_AFTER later. The
  service's answer (accepted, declined), closing or cancelling cancels them.
- Scheduled: the patient's appointment reminder (reminders.services.
  appointment_reminders_schedule: consent per channel, language, quiet hours, a time and
  a place name only), and "outcome overdue" to the coordinator at the appointment plus
  REFERRAL_OUTCOME_GRACE, with its escalation. A new appointment time moves them; a
  no-show, the outcome, closing or cancelling cancels them.

- Answered by the service (a move through its link, or by someone other than the
  referrer): "referral answered" to the referring coordinator at once, one per answer.

Titles name the referral by number only ("Referral #7"): no service category, reason or
notes, which may be clinical.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from referrals.models import AWAITING_RESPONSE, Referral, ReferralStatus
from reminders.models import Reminder, ReminderKind, ReminderState
from reminders.rules import Wanted, event_key, key_time, label_for, reminders_sync_for
from reminders.services import appointment_reminders_schedule, reminder_schedule

K = ReminderKind
STAFF_KINDS = (K.REFERRAL_RESPONSE_OVERDUE, K.REFERRAL_OUTCOME_OVERDUE, K.ESCALATION)


def referral_wanted_for(
    *,
    referral_id: int,
    status: str,
    response_due_at: datetime.datetime | None,
    appointment_at: datetime.datetime | None,
    coordinator: User,
    case_manager: User | None,
    link: str,
) -> list[Wanted]:
    """The coordinator's deadline and its escalation (plain values: reminders/demo.py too)."""
    if status in AWAITING_RESPONSE and response_due_at:
        kind, due_at, stage = K.REFERRAL_RESPONSE_OVERDUE, response_due_at, "response"
    elif status == ReferralStatus.SCHEDULED and appointment_at:
        kind = K.REFERRAL_OUTCOME_OVERDUE
        due_at = appointment_at + settings.REFERRAL_OUTCOME_GRACE
        stage = f"outcome:{key_time(appointment_at)}"
    else:
        return []
    label = label_for(Referral, referral_id)
    title = f"Referral #{referral_id}"
    wanted = []
    if coordinator.is_active:
        wanted.append(
            Wanted(
                kind=kind,
                recipient=coordinator,
                send_at=due_at,
                due_at=due_at,
                key=event_key(kind, label, coordinator.pk, due_at),
                title=title,
                link=link,
            )
        )
    if case_manager is not None and case_manager.is_active and case_manager.pk != coordinator.pk:
        wanted.append(
            Wanted(
                kind=K.ESCALATION,
                recipient=case_manager,
                send_at=due_at + settings.REMINDERS_ESCALATE_AFTER,
                due_at=due_at,
                # Once per deadline of the referral (its response; each appointment's outcome).
                key=f"{K.ESCALATION}:{label}:{stage}",
                title=title,
                link=link,
            )
        )
    return wanted


def referral_wanted(referral: Referral) -> list[Wanted]:
    return referral_wanted_for(
        referral_id=referral.pk,
        status=referral.status,
        response_due_at=referral.response_due_at,
        appointment_at=referral.appointment_at,
        coordinator=referral.referred_by,
        case_manager=referral.patient.case_manager,
        link=reverse("referrals:detail", args=[referral.pk]),
    )


def place_name(organization_name: str | None) -> str:
    """Where the appointment is, by name: the directory's organisation, never the service,
    whose name or category may say what it is for. A recipient outside the directory is
    free text ("Dr. Lee, dentist") and may say the same: the message then names no place."""
    return organization_name or ""


def _appointment_reminders_sync(referral: Referral) -> None:
    appointment_at = referral.appointment_at
    wanted = (
        referral.status == ReferralStatus.SCHEDULED
        and appointment_at is not None
        and referral.patient.is_open
    )
    stale = Reminder.objects.pending().about(referral).filter(kind=K.APPOINTMENT)
    if wanted:
        stale = stale.exclude(due_at=appointment_at)
    stale.update(state=ReminderState.CANCELLED, updated_at=Now())
    if not wanted or appointment_at <= timezone.now():
        return
    scheduled = appointment_reminders_schedule(
        patient=referral.patient,
        appointment_at=appointment_at,
        place_name=place_name(referral.service.organization.name if referral.service_id else None),
        about=referral,
    )
    # Scheduled again for the same time after a no-show was cancelled: the same
    # reminder (one per appointment and channel) goes back in the queue.
    revived = [row.pk for row in scheduled if row.state == ReminderState.CANCELLED]
    if revived:
        # Its time stands (the send re-checks consent and quiet hours).
        Reminder.objects.filter(pk__in=revived, state=ReminderState.CANCELLED).update(
            state=ReminderState.SCHEDULED, attempts=0, last_error="", updated_at=Now()
        )


def referral_reminders_sync(referral: Referral) -> None:
    """After every move of the referral (transitions.referral_move)."""
    referral = Referral.objects.select_related(
        "referred_by", "patient__case_manager", "service__organization"
    ).get(pk=referral.pk)
    reminders_sync_for(
        referral, kinds=STAFF_KINDS, wanted=referral_wanted(referral), patient=referral.patient
    )
    _appointment_reminders_sync(referral)


def patient_reminders_sync(patient_id: int) -> None:
    """The patient's case manager changed, or their consent or status: their open
    referrals' escalations and appointment reminders follow (for the services that
    change them; careplans.reminder_rules.patient_reminders_sync does the same for work)."""
    for referral in Referral.objects.open().filter(patient_id=patient_id):
        referral_reminders_sync(referral)


def referral_answered_notify(referral: Referral, record) -> None:
    """The service's answer (a transition record) to the referring coordinator, now.
    The title says the referral's number and its new status only (no clinical detail)."""
    coordinator = referral.referred_by
    if coordinator is None or not coordinator.is_active:
        return
    status = ReferralStatus(record.to_status).label
    reminder_schedule(
        kind=K.REFERRAL_ANSWERED,
        recipient=coordinator,
        about=referral,
        send_at=timezone.now(),
        key=f"{K.REFERRAL_ANSWERED}:{label_for(Referral, referral.pk)}:t{record.pk}",
        patient=referral.patient,
        context={
            "title": f"Referral #{referral.pk}: {status}",
            "link": reverse("referrals:detail", args=[referral.pk]),
        },
    )
