"""Reminders that tasks, care plans and goals create, move and cancel (issue 5, "What
creates reminders"), through the real services and transitions, on a frozen clock."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from careplans import reminder_rules, services, transitions
from careplans.models import CarePlanStatus, GoalStatus, RecurrenceUnit, Task, TaskStatus
from patients.models import PatientStatus
from patients.services import patient_set_status
from reminders.delivery import reminders_send_batch
from reminders.dispatch import reminders_claim
from reminders.models import Reminder, ReminderKind, ReminderState
from tests.careplans.factories import CarePlanFactory, GoalFactory, goal_with_target
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
K = ReminderKind
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# Monday 2 March 2026, 10:00 in New York (the clinic's zone and the users').
NOW = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
MARKER = "ZZ-CLINICAL-MARKER-7731"


def about(obj, **filters):
    return Reminder.objects.about(obj).filter(**filters).order_by("kind", "recipient_user_id")


def pending(obj):
    return {(r.kind, r.recipient_user_id, r.send_at) for r in about(obj).pending()}


def new_task(patient, by, *, due_at, assignee=None, **data):
    return services.task_create(
        patient=patient,
        by=by,
        data={
            "description": f"Discuss the {MARKER} result",
            "due_at": due_at,
            "assignee": assignee or by,
            **data,
        },
    )


# --- Tasks ---------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_new_task_is_due_overdue_and_escalated_once(patient, coordinator, case_manager):
    due = NOW + 2 * DAY
    task = new_task(patient, coordinator, due_at=due)
    assert pending(task) == {
        (K.TASK_DUE, coordinator.pk, due),
        (K.TASK_OVERDUE, coordinator.pk, due + DAY),
        (K.ESCALATION, case_manager.pk, due + DAY),  # REMINDERS_ESCALATE_AFTER: 24 h
    }
    for reminder in about(task):
        assert reminder.patient == patient
        assert reminder.due_at == due
        # Titles go out by email: the number, never the description.
        assert reminder.context["title"] == f"Task #{task.pk}"
        assert MARKER not in str(reminder.context)
    assert about(task, kind=K.ESCALATION).get().key == f"escalation:careplans.task:{task.pk}"


@time_machine.travel(NOW, tick=False)
def test_doing_the_same_thing_twice_creates_nothing(patient, coordinator):
    task = new_task(patient, coordinator, due_at=NOW + 2 * DAY)
    before = list(about(task).values_list("pk", "key", "send_at", "state"))
    reminder_rules.task_reminders_sync(task)
    services.task_reschedule(
        task=task, by=coordinator, due_at=task.due_at, expected_version=task.version
    )
    assert list(about(task).values_list("pk", "key", "send_at", "state")) == before


@time_machine.travel(NOW, tick=False)
def test_rescheduling_moves_the_pending_reminders(patient, coordinator, case_manager):
    task = new_task(patient, coordinator, due_at=NOW + 2 * DAY)
    pks = set(about(task).values_list("pk", flat=True))
    later = NOW + 5 * DAY
    task = services.task_reschedule(
        task=task, by=coordinator, due_at=later, expected_version=task.version
    )
    assert set(about(task).values_list("pk", flat=True)) == pks  # moved, not recreated
    assert pending(task) == {
        (K.TASK_DUE, coordinator.pk, later),
        (K.TASK_OVERDUE, coordinator.pk, later + DAY),
        (K.ESCALATION, case_manager.pk, later + DAY),
    }
    assert set(about(task).values_list("due_at", flat=True)) == {later}


@time_machine.travel(NOW, tick=False)
def test_rescheduled_after_its_due_reminder_went_out_it_is_due_again(patient, coordinator):
    task = new_task(patient, coordinator, due_at=NOW + 2 * DAY)
    # The due reminder was delivered (as the send task marks it).
    about(task, kind=K.TASK_DUE).update(state=ReminderState.SENT, sent_at=NOW)
    later = NOW + 9 * DAY
    services.task_reschedule(task=task, by=coordinator, due_at=later, expected_version=task.version)
    due = about(task, kind=K.TASK_DUE).order_by("pk")
    assert [(r.state, r.send_at) for r in due] == [
        (ReminderState.SENT, NOW + 2 * DAY),
        (ReminderState.SCHEDULED, later),
    ]


@pytest.mark.parametrize("target", [TaskStatus.CANCELLED, TaskStatus.FAILED])
@time_machine.travel(NOW, tick=False)
def test_cancelling_or_failing_a_task_cancels_its_reminders(patient, coordinator, target):
    task = new_task(patient, coordinator, due_at=NOW + 2 * DAY)
    if target == TaskStatus.FAILED:
        for step in (TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS):
            task = transitions.task_transition(task=task, by=coordinator, target=step)
        assert len(pending(task)) == 3  # accepted, in progress: still open work
    transitions.task_transition(task=task, by=coordinator, target=target, reason="No longer")
    assert pending(task) == set()
    assert set(about(task).values_list("state", flat=True)) == {ReminderState.CANCELLED}


@time_machine.travel(NOW, tick=False)
def test_completing_cancels_and_the_next_occurrence_gets_its_own(patient, coordinator):
    task = new_task(
        patient,
        coordinator,
        due_at=NOW + DAY,
        repeat_every=1,
        repeat_unit=RecurrenceUnit.WEEKS,
        repeat_count=3,
    )
    transitions.task_complete(task=task, by=coordinator, note="Done")
    assert pending(task) == set()
    following = Task.objects.get(series_id=task.pk, occurrence=2)
    # A week on at the same hour on the assignee's clock (New York moves to summer time
    # on 8 March in between: 10:00 there is 14:00 UTC, no longer 15:00).
    next_due = datetime.datetime(2026, 3, 10, 10, tzinfo=NEW_YORK)
    assert (K.TASK_DUE, coordinator.pk, next_due) in pending(following)


@time_machine.travel(NOW, tick=False)
def test_reassigning_moves_the_assignees_reminders(patient, coordinator, case_manager, team_a):
    """For a reassignment service: it changes the assignee and calls task_reminders_sync."""
    task = new_task(patient, coordinator, due_at=NOW + 2 * DAY)
    old = {r.kind: r.pk for r in about(task, recipient_user=coordinator)}
    colleague = UserFactory(username="coord-a2", role="coordinator", teams=[team_a])
    Task.objects.filter(pk=task.pk).update(assignee=colleague)
    reminder_rules.task_reminders_sync(task)
    assert set(Reminder.objects.filter(pk__in=old.values()).values_list("state", flat=True)) == {
        ReminderState.CANCELLED
    }
    assert pending(task) == {
        (K.TASK_DUE, colleague.pk, NOW + 2 * DAY),
        (K.TASK_OVERDUE, colleague.pk, NOW + 3 * DAY),
        (K.ESCALATION, case_manager.pk, NOW + 3 * DAY),  # the same escalation, untouched
    }
    # And back: the first assignee's reminders come back, nothing new is made.
    count = Reminder.objects.count()
    Task.objects.filter(pk=task.pk).update(assignee=coordinator)
    reminder_rules.task_reminders_sync(task)
    assert Reminder.objects.count() == count
    assert {r.recipient_user_id for r in about(task).pending() if r.kind != K.ESCALATION} == {
        coordinator.pk
    }


def test_escalation_goes_out_once_however_often_the_dispatcher_runs(
    patient, coordinator, case_manager
):
    # The database's clock decides what is due; freeze ours at its "now".
    with time_machine.travel(timezone.now(), tick=False):
        now = timezone.now()
        task = new_task(patient, coordinator, due_at=now - 3 * DAY)
        # Created already past its overdue time: no "due", the overdue one says it all.
        assert {r.kind for r in about(task)} == {K.TASK_OVERDUE, K.ESCALATION}
        for _run in range(3):
            reminders_send_batch(ids=reminders_claim(limit=50))
        services.task_reschedule(
            task=task, by=coordinator, due_at=now - 2 * DAY, expected_version=task.version
        )
        for _run in range(3):
            reminders_send_batch(ids=reminders_claim(limit=50))
    escalations = [m for m in mail.outbox if case_manager.email in m.to]
    assert len(escalations) == 1
    assert about(task, kind=K.ESCALATION).get().state == ReminderState.SENT
    overdue = [m for m in mail.outbox if m.to == [coordinator.email]]
    # The first overdue reminder, then the one for the new due time (moved past it too).
    assert "Overdue by 3 days" in overdue[0].body
    assert f"Task #{task.pk}" in escalations[0].body
    assert "Overdue by 3 days" in escalations[0].body
    for message in mail.outbox:
        assert MARKER not in message.body + message.subject


def test_no_escalation_without_a_case_manager_or_to_oneself(team_a, coordinator, case_manager):
    from tests.factories import PatientFactory

    alone = PatientFactory(care_team=team_a, primary_coordinator=coordinator)
    with time_machine.travel(NOW, tick=False):
        task = new_task(alone, coordinator, due_at=NOW + DAY)
        own = PatientFactory(care_team=team_a, case_manager=case_manager)
        managers_task = new_task(own, case_manager, due_at=NOW + DAY)
    assert not about(task, kind=K.ESCALATION).exists()
    assert not about(managers_task, kind=K.ESCALATION).exists()


# --- Care plan reviews -----------------------------------------------------------------------


def at(day: datetime.date, hour: int = 8) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=NEW_YORK)


@time_machine.travel(NOW, tick=False)
def test_an_active_plan_reminds_its_case_manager_and_coordinator_of_the_review(
    patient, coordinator, case_manager
):
    review = datetime.date(2026, 4, 1)
    plan = CarePlanFactory(patient=patient, next_review_date=review)
    assert pending(plan) == set()  # a draft is not reviewed
    plan = transitions.careplan_transition(
        care_plan=plan, by=case_manager, target=CarePlanStatus.ACTIVE
    )
    expected = set()
    for user in (coordinator, case_manager):
        expected |= {
            (K.CARE_PLAN_REVIEW_DUE, user.pk, at(datetime.date(2026, 3, 25))),  # 7 days before
            (K.CARE_PLAN_REVIEW_OVERDUE, user.pk, at(datetime.date(2026, 4, 2))),  # passed
        }
    assert pending(plan) == expected
    assert {r.context["title"] for r in about(plan)} == {f"Care plan #{plan.pk}"}
    # Idempotent: moving it on hold and back creates nothing new.
    count = Reminder.objects.count()
    plan = transitions.careplan_transition(
        care_plan=plan, by=case_manager, target=CarePlanStatus.ON_HOLD
    )
    transitions.careplan_transition(care_plan=plan, by=case_manager, target=CarePlanStatus.ACTIVE)
    assert Reminder.objects.count() == count
    assert pending(plan) == expected


@time_machine.travel(NOW, tick=False)
def test_a_review_with_a_new_date_moves_the_reminders(patient, case_manager):
    plan = CarePlanFactory(patient=patient, active=True, next_review_date=datetime.date(2026, 3, 6))
    # The approaching one went out (5 days before: at once); the review is then recorded.
    about(plan, kind=K.CARE_PLAN_REVIEW_DUE).update(state=ReminderState.SENT, sent_at=NOW)
    overdue_pks = set(about(plan, kind=K.CARE_PLAN_REVIEW_OVERDUE).values_list("pk", flat=True))
    plan.refresh_from_db()
    services.careplan_record_review(
        care_plan=plan,
        by=case_manager,
        note="Reviewed",
        next_review_date=datetime.date(2026, 9, 1),
        expected_version=plan.version,
    )
    moved = about(plan, kind=K.CARE_PLAN_REVIEW_OVERDUE)
    assert set(moved.values_list("pk", flat=True)) == overdue_pks
    assert {r.send_at for r in moved} == {at(datetime.date(2026, 9, 2))}
    new_due = about(plan, kind=K.CARE_PLAN_REVIEW_DUE).pending()
    assert {r.send_at for r in new_due} == {at(datetime.date(2026, 8, 25))}
    assert new_due.count() == 2  # case manager and coordinator


@time_machine.travel(NOW, tick=False)
def test_editing_the_review_date_moves_and_ending_the_plan_cancels(patient, case_manager):
    plan = CarePlanFactory(patient=patient, active=True, next_review_date=datetime.date(2026, 5, 1))
    plan = services.careplan_update(
        care_plan=plan,
        by=case_manager,
        data={"next_review_date": datetime.date(2026, 6, 1)},
        needs={},
        expected_version=plan.version,
    )
    assert {r.send_at for r in about(plan, kind=K.CARE_PLAN_REVIEW_DUE).pending()} == {
        at(datetime.date(2026, 5, 25))
    }
    transitions.careplan_transition(
        care_plan=plan, by=case_manager, target=CarePlanStatus.COMPLETED
    )
    assert pending(plan) == set()


# --- Goals -----------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_goal_reminds_its_owner_seven_days_before_its_target(patient, coordinator):
    plan = CarePlanFactory(patient=patient, active=True)
    goal = services.goal_create(
        care_plan=plan,
        by=coordinator,
        data={
            "description": f"Bring {MARKER} down",
            "category": "medical",
            "target_date": datetime.date(2026, 4, 10),
            "owner": coordinator,
        },
    )
    [reminder] = about(goal)
    assert (reminder.kind, reminder.recipient_user, reminder.send_at) == (
        K.GOAL_TARGET_APPROACHING,
        coordinator,
        at(datetime.date(2026, 4, 3)),
    )
    assert reminder.context["title"] == f"Goal #{goal.pk}"

    goal = services.goal_update(
        goal=goal,
        by=coordinator,
        data={"target_date": datetime.date(2026, 5, 10)},
        expected_version=goal.version,
    )
    assert pending(goal) == {
        (K.GOAL_TARGET_APPROACHING, coordinator.pk, at(datetime.date(2026, 5, 3)))
    }
    assert about(goal).count() == 1  # moved

    transitions.goal_transition(
        goal=goal, by=coordinator, target=GoalStatus.CANCELLED, reason="Changed plans"
    )
    assert pending(goal) == set()


@time_machine.travel(NOW, tick=False)
def test_a_goal_without_owner_or_target_has_no_reminder(patient, coordinator):
    plan = CarePlanFactory(patient=patient, active=True)
    goal = GoalFactory(care_plan=plan)
    reminder_rules.goal_reminders_sync(goal)
    assert not about(goal).exists()


# --- The patient's status ------------------------------------------------------------------


@pytest.mark.parametrize("closed", [PatientStatus.DISCHARGED, PatientStatus.DECEASED])
@time_machine.travel(NOW, tick=False)
def test_a_closed_patients_open_work_reminds_nobody_until_readmitted(
    patient, coordinator, case_manager, closed
):
    """The work stays open (a readmission resumes it); its reminders stop meanwhile."""
    task = new_task(patient, coordinator, due_at=NOW + DAY)
    plan = CarePlanFactory(patient=patient, active=True)
    goal = goal_with_target(plan, owner=coordinator, target_date=datetime.date(2026, 4, 10))
    work = pending(task) | pending(goal)
    assert {kind for kind, _user, _at in work} == {
        K.TASK_DUE,
        K.TASK_OVERDUE,
        K.ESCALATION,
        K.GOAL_TARGET_APPROACHING,
    }

    patient = patient_set_status(
        patient=patient,
        by=case_manager,
        status=closed,
        reason="Moved away",
        expected_version=patient.version,
    )
    assert pending(task) == set() and pending(goal) == set()
    task.refresh_from_db()
    goal.refresh_from_db()
    assert task.is_open and goal.is_open
    if closed == PatientStatus.DECEASED:
        return

    count = Reminder.objects.count()
    patient_set_status(
        patient=patient,
        by=case_manager,
        status=PatientStatus.ACTIVE,
        reason="Readmitted",
        expected_version=patient.version,
    )
    assert pending(task) | pending(goal) == work
    assert Reminder.objects.count() == count  # the same reminders, back in the queue
