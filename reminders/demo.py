"""Demo reminders for seed_demo: what the rules would have written for the demo's open tasks
and referrals, so ``make run`` has a live bell and digests from the start.

Runs after careplans and referrals (INSTALLED_APPS order) and reads what they wrote. Each
reminder comes from the rules themselves (careplans.reminder_rules, referrals.reminder_rules
and the appointment rule's guardrails), called with plain values instead of instances,
and is written with BulkTable: ~400,000 rows at 100,000 patients. Care plan review and
goal target reminders are left out (they would double that); the rules write them as soon
as a plan or goal is activated, reviewed or edited. Reminders whose time is more than ``ALREADY_SENT`` ago are
written as sent then (the demo's past); the rest are scheduled, so the first dispatcher
run delivers the last day's and the bell lights up.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from types import SimpleNamespace

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.models import User
from carehub.bulk import BulkTable, bulk_load
from careplans.models import OPEN_TASK as OPEN_TASKS
from careplans.models import Task
from careplans.reminder_rules import task_wanted_for
from patients.models import Patient, PatientStatus
from referrals.models import AWAITING_RESPONSE, Referral, ReferralStatus
from referrals.reminder_rules import place_name, referral_wanted_for
from reminders.models import Reminder, ReminderChannel, ReminderKind, ReminderState
from reminders.patient_messages import patient_message_check
from reminders.rules import Wanted, label_for, link_maker

ALREADY_SENT = datetime.timedelta(days=1)
CHUNK = 20_000

FIELDS = [
    "kind",
    "channel",
    "recipient_user_id",
    "recipient_patient_id",
    "patient_id",
    "content_type_id",
    "object_id",
    "key",
    "send_at",
    "due_at",
    "context",
    "state",
    "sent_at",
]


class _Writer:
    def __init__(self, now: datetime.datetime):
        self.now = now
        self.table = BulkTable(Reminder, FIELDS)

    def add(
        self,
        *,
        kind: str,
        channel: str,
        user_id: int | None,
        recipient_patient_id: int | None,
        patient_id: int,
        content_type_id: int,
        object_id: int,
        key: str,
        send_at: datetime.datetime,
        due_at: datetime.datetime | None,
        context: dict,
    ) -> None:
        past = send_at < self.now - ALREADY_SENT
        self.table.add_row(
            (
                kind,
                channel,
                user_id,
                recipient_patient_id,
                patient_id,
                content_type_id,
                object_id,
                key,
                send_at,
                due_at,
                context,
                ReminderState.SENT if past else ReminderState.SCHEDULED,
                send_at if past else None,
            )
        )
        if len(self.table.rows) >= CHUNK:
            self.table.flush()

    def add_wanted(self, wanted: list[Wanted], *, patient_id, content_type_id, object_id) -> None:
        for want in wanted:
            self.add(
                kind=want.kind,
                channel=ReminderChannel.PREFERENCE,
                user_id=want.recipient.pk,
                recipient_patient_id=None,
                patient_id=patient_id,
                content_type_id=content_type_id,
                object_id=object_id,
                key=want.key,
                send_at=want.send_at,
                due_at=want.due_at,
                context={"title": want.title, "link": want.link},
            )


def _in_range(queryset, field: str, patient_ids: list[int]):
    return queryset.filter(**{f"{field}__gte": patient_ids[0], f"{field}__lte": patient_ids[-1]})


def _appointments(writer: _Writer, rows: list, *, content_type_id: int) -> None:
    """The patient's appointment reminder, as services.appointment_reminders_schedule
    writes it (the same guardrails, key and values)."""
    patients = {
        row[0]: SimpleNamespace(
            pk=row[0],
            consent_email=row[1],
            email=row[2],
            consent_sms=row[3],
            phone=row[4],
            time_zone=row[5],
            preferred_language=row[6],
            is_open=row[7] in (PatientStatus.ACTIVE, PatientStatus.INACTIVE),
        )
        for row in Patient.objects.filter(pk__in={row[1] for row in rows}).values_list(
            "pk",
            "consent_email",
            "email",
            "consent_sms",
            "phone",
            "time_zone",
            "preferred_language",
            "status",
        )
    }
    for referral_id, patient_id, appointment_at, organization in rows:
        patient = patients[patient_id]
        if not patient.is_open:
            continue
        send_at = max(appointment_at - settings.REMINDERS_APPOINTMENT_LEAD, writer.now)
        label = label_for(Referral, referral_id)
        for channel in (ReminderChannel.EMAIL, ReminderChannel.SMS):
            check = patient_message_check(patient=patient, channel=channel, send_at=send_at)
            if not check.allowed or check.send_at >= appointment_at:
                continue
            writer.add(
                kind=ReminderKind.APPOINTMENT,
                channel=channel,
                user_id=None,
                recipient_patient_id=patient_id,
                patient_id=patient_id,
                content_type_id=content_type_id,
                object_id=referral_id,
                key=f"appointment:{label}:{appointment_at.isoformat()}:{channel}",
                send_at=check.send_at,
                due_at=appointment_at,
                context={
                    "appointment_at": appointment_at.isoformat(),
                    "place_name": place_name(organization),
                },
            )


def seed_for_patients(
    *, staff, patient_ids: list[int], rng: random.Random, progress: Callable[[int], object]
) -> None:
    """The reminders of the demo patients' open tasks and referrals."""
    if not patient_ids:
        return
    now = timezone.now()
    ordered = sorted(patient_ids)
    wanted_patients = set(ordered)
    users = {user.pk: user for user in User.objects.all()}
    team = {}
    closed = set()  # discharged or deceased: their open work reminds nobody (the task rule)
    for pk, case_manager, coordinator, status in _in_range(
        Patient.objects, "pk", ordered
    ).values_list("pk", "case_manager_id", "primary_coordinator_id", "status"):
        if pk in wanted_patients:
            team[pk] = (case_manager, coordinator)
            if status not in (PatientStatus.ACTIVE, PatientStatus.INACTIVE):
                closed.add(pk)
    types = ContentType.objects.get_for_models(Task, Referral)
    patient_link = link_maker("patients:detail")
    referral_link = link_maker("referrals:detail")
    writer = _Writer(now)
    with bulk_load([Reminder]):
        tasks = _in_range(Task.objects.filter(status__in=OPEN_TASKS), "patient_id", ordered)
        for task_id, patient_id, due_at, assignee_id in tasks.values_list(
            "pk", "patient_id", "due_at", "assignee_id"
        ).iterator(chunk_size=CHUNK):
            if patient_id not in team or patient_id in closed:
                continue
            writer.add_wanted(
                task_wanted_for(
                    task_id=task_id,
                    due_at=due_at,
                    assignee=users[assignee_id],
                    case_manager=users.get(team[patient_id][0]),
                    now=now,
                    link=patient_link(patient_id),
                ),
                patient_id=patient_id,
                content_type_id=types[Task].pk,
                object_id=task_id,
            )
        progress(len(ordered) // 2)

        referrals = _in_range(
            Referral.objects.filter(status__in=[*AWAITING_RESPONSE, ReferralStatus.SCHEDULED]),
            "patient_id",
            ordered,
        )
        appointments = []
        for row in referrals.values_list(
            "pk",
            "patient_id",
            "status",
            "response_due_at",
            "appointment_at",
            "referred_by_id",
            "service__organization__name",
        ).iterator(chunk_size=CHUNK):
            referral_id, patient_id, status, response_due_at, appointment_at = row[:5]
            if patient_id not in team:
                continue
            writer.add_wanted(
                referral_wanted_for(
                    referral_id=referral_id,
                    status=status,
                    response_due_at=response_due_at,
                    appointment_at=appointment_at,
                    coordinator=users[row[5]],
                    case_manager=users.get(team[patient_id][0]),
                    link=referral_link(referral_id),
                ),
                patient_id=patient_id,
                content_type_id=types[Referral].pk,
                object_id=referral_id,
            )
            if status == ReferralStatus.SCHEDULED and appointment_at and appointment_at > now:
                appointments.append((referral_id, patient_id, appointment_at, row[6]))
        _appointments(writer, appointments, content_type_id=types[Referral].pk)
        writer.table.finish()
        progress(len(ordered) - len(ordered) // 2)
