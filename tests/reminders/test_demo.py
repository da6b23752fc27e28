"""reminders.demo: seed_demo's reminders are exactly what the live rules would have written,
so a demo task rescheduled or completed moves or cancels them like any other."""

from __future__ import annotations

import datetime
import random

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from careplans import reminder_rules as careplan_rules
from careplans.models import Task
from patients.models import Patient, PatientStatus
from referrals.models import Referral
from referrals.reminder_rules import referral_reminders_sync
from reminders.demo import seed_for_patients
from reminders.models import Reminder, ReminderKind, ReminderState
from tests.careplans.factories import TaskFactory
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)


def snapshot():
    return set(
        Reminder.objects.values_list(
            "key", "kind", "recipient_user_id", "recipient_patient_id", "send_at", "state"
        )
    )


@time_machine.travel(NOW, tick=False)
def test_seed_demo_writes_the_reminders_the_rules_would(settings):
    settings.DEBUG = True
    call_command("seed_demo", patients=400, verbosity=0)
    kinds = dict(Reminder.objects.values_list("kind").annotate(n=Count("pk")))
    for kind in (
        ReminderKind.TASK_DUE,
        ReminderKind.TASK_OVERDUE,
        ReminderKind.ESCALATION,
        ReminderKind.REFERRAL_RESPONSE_OVERDUE,
        ReminderKind.REFERRAL_OUTCOME_OVERDUE,
    ):
        assert kinds.get(kind, 0) > 0, kind
    states = set(Reminder.objects.values_list("state", flat=True))
    assert states == {ReminderState.SCHEDULED, ReminderState.SENT}
    # Due now (the last day's): the first dispatcher run lights the bell.
    assert Reminder.objects.pending().filter(send_at__lte=timezone.now()).exists()

    before = snapshot()
    for task in Task.objects.open():
        careplan_rules.task_reminders_sync(task)
    for referral in Referral.objects.all():
        referral_reminders_sync(referral)
    assert snapshot() == before
    # Reviews and goal targets are left to the rules (reminders.demo): none here.
    assert not Reminder.objects.filter(
        kind__in=[ReminderKind.CARE_PLAN_REVIEW_DUE, ReminderKind.GOAL_TARGET_APPROACHING]
    ).exists()


@time_machine.travel(NOW, tick=False)
def test_a_closed_patients_open_tasks_get_no_demo_reminders(patient, coordinator):
    """As the task rule: a discharged patient's open work reminds nobody."""
    discharged = PatientFactory(
        care_team=patient.care_team, primary_coordinator=coordinator, case_manager=None
    )
    for someone in (patient, discharged):
        TaskFactory(patient=someone, assignee=coordinator, due_at=NOW + datetime.timedelta(days=1))
    Patient.objects.filter(pk=discharged.pk).update(status=PatientStatus.DISCHARGED)
    seed_for_patients(
        staff=None,
        patient_ids=[patient.pk, discharged.pk],
        rng=random.Random(1),
        progress=lambda _count: None,
    )
    assert Reminder.objects.filter(patient=patient).exists()
    assert not Reminder.objects.filter(patient=discharged).exists()
