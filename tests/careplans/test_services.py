"""Services and transitions beyond the move tables: the one-active-plan rule, closing a
plan with open work, stale edits, reviews, progress, tasks and recurrence."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from careplans import services, transitions
from careplans.models import (
    AchievementStatus,
    CarePlan,
    Goal,
    GoalStatus,
    NeedCategory,
    StatusChange,
    Task,
    TaskStatus,
)
from tests.careplans.factories import (
    CarePlanFactory,
    GoalFactory,
    GoalProgressFactory,
    TaskFactory,
    goal_with_target,
)

pytestmark = pytest.mark.django_db


# --- One active care plan per patient ------------------------------------------------------


def test_a_second_active_plan_is_refused_with_a_clear_message(patient, coordinator):
    first = CarePlanFactory(patient=patient, active=True)
    second = CarePlanFactory(patient=patient)
    with pytest.raises(ValidationError) as refused:
        transitions.careplan_transition(care_plan=second, by=coordinator, target="active")
    assert "already has an active care plan" in refused.value.messages[0]
    second.refresh_from_db()
    first.refresh_from_db()
    assert (first.status, second.status) == ("active", "draft")
    assert not StatusChange.objects.filter(care_plan=second, to_status="active").exists()


def test_another_patients_active_plan_does_not_count(patient, coordinator, team_a):
    from tests.factories import PatientFactory

    CarePlanFactory(patient=PatientFactory(care_team=team_a), active=True)
    plan = CarePlanFactory(patient=patient)
    assert (
        transitions.careplan_transition(care_plan=plan, by=coordinator, target="active").status
        == "active"
    )


def test_a_plan_can_be_activated_once_the_other_is_on_hold(patient, coordinator):
    first = CarePlanFactory(patient=patient, active=True)
    second = CarePlanFactory(patient=patient)
    transitions.careplan_transition(care_plan=first, by=coordinator, target="on-hold")
    transitions.careplan_transition(care_plan=second, by=coordinator, target="active")
    with pytest.raises(ValidationError):
        transitions.careplan_transition(care_plan=first, by=coordinator, target="active")


@pytest.mark.postgres
def test_postgres_holds_one_active_plan_per_patient_as_a_partial_unique_index(patient, coordinator):
    constraints = connection.introspection.get_constraints(
        connection.cursor(), CarePlan._meta.db_table
    )
    assert constraints["one_active_care_plan_per_patient"]["unique"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
            ["one_active_care_plan_per_patient"],
        )
        (definition,) = cursor.fetchone()
    assert "UNIQUE" in definition and "WHERE" in definition and "'active'" in definition

    CarePlanFactory(patient=patient, active=True)
    second = CarePlanFactory(patient=patient)
    with transaction.atomic():
        with pytest.raises(ValidationError):
            transitions.careplan_transition(care_plan=second, by=coordinator, target="active")
        # The refusal used a savepoint: the surrounding transaction is still usable.
        assert CarePlan.objects.filter(patient=patient, status="active").count() == 1
    # Drafts, completed and revoked plans are outside the index: any number may exist.
    CarePlanFactory(patient=patient, revoked=True)
    CarePlanFactory(patient=patient, revoked=True)
    assert CarePlan.objects.filter(patient=patient).count() == 4


# --- Closing a plan with open goals and tasks ----------------------------------------------


@pytest.fixture
def plan_with_work(patient, coordinator):
    plan = CarePlanFactory(patient=patient, active=True)
    open_goal = GoalFactory(care_plan=plan, active=True)
    proposed_goal = GoalFactory(care_plan=plan)
    done_goal = GoalFactory(care_plan=plan, moved_to=GoalStatus.COMPLETED)
    open_task = TaskFactory(patient=patient, care_plan=plan, assignee=coordinator)
    started_task = TaskFactory(
        patient=patient, care_plan=plan, assignee=coordinator, in_progress=True
    )
    done_task = TaskFactory(patient=patient, care_plan=plan, assignee=coordinator, completed=True)
    loose_task = TaskFactory(patient=patient, assignee=coordinator)  # no plan: never touched
    return {
        "plan": plan,
        "open": [open_goal, proposed_goal, open_task, started_task],
        "closed": [done_goal, done_task],
        "loose": loose_task,
    }


@pytest.mark.parametrize("target", ["completed", "revoked"])
def test_closing_a_plan_with_open_work_asks_what_to_do(plan_with_work, coordinator, target):
    plan = plan_with_work["plan"]
    with pytest.raises(ValidationError) as refused:
        transitions.careplan_transition(
            care_plan=plan, by=coordinator, target=target, reason="Done"
        )
    assert "open_work" in refused.value.message_dict
    plan.refresh_from_db()
    assert plan.status == "active"


@pytest.mark.parametrize("target", ["completed", "revoked"])
def test_closing_a_plan_can_cancel_its_open_goals_and_tasks(plan_with_work, coordinator, target):
    plan = plan_with_work["plan"]
    transitions.careplan_transition(
        care_plan=plan, by=coordinator, target=target, reason="Moved away", open_work="cancel"
    )
    for record in plan_with_work["open"]:
        record.refresh_from_db()
        assert record.status == "cancelled"
        change = record.status_changes.first()
        assert change.to_status == "cancelled" and "Moved away" in change.reason
        assert change.actor == coordinator
    for record in plan_with_work["closed"]:
        before = record.status
        record.refresh_from_db()
        assert record.status == before == "completed"
    plan_with_work["loose"].refresh_from_db()
    assert plan_with_work["loose"].status == "requested"


def test_closing_a_plan_can_keep_its_open_goals_and_tasks(plan_with_work, coordinator):
    plan = plan_with_work["plan"]
    transitions.careplan_transition(
        care_plan=plan, by=coordinator, target="completed", open_work="keep"
    )
    plan.refresh_from_db()
    assert plan.status == "completed"
    for record in plan_with_work["open"]:
        before = record.status
        record.refresh_from_db()
        assert record.status == before


def test_a_failing_cascade_rolls_back_the_plan_too(plan_with_work, coordinator, monkeypatch):
    """One transaction: if cancelling a task fails, the plan is not completed either."""
    plan = plan_with_work["plan"]
    original = transitions._move

    def fail_on_tasks(model, **kwargs):
        if model is Task:
            raise transitions.StaleEdit("task")
        return original(model, **kwargs)

    monkeypatch.setattr(transitions, "_move", fail_on_tasks)
    with pytest.raises(transitions.StaleEdit):
        transitions.careplan_transition(
            care_plan=plan, by=coordinator, target="completed", open_work="cancel"
        )
    plan.refresh_from_db()
    assert plan.status == "active"
    assert all(Goal.objects.get(pk=g.pk).status != "cancelled" for g in plan_with_work["open"][:2])


# --- Permission and scope in the transition functions ------------------------------------


def test_transitions_refuse_users_outside_the_team(patient, coordinator_b):
    plan = CarePlanFactory(patient=patient)
    with pytest.raises(PermissionDenied):
        transitions.careplan_transition(care_plan=plan, by=coordinator_b, target="active")
    task = TaskFactory(patient=patient)
    with pytest.raises(PermissionDenied):
        transitions.task_complete(task=task, by=coordinator_b)
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_transitions_refuse_users_without_the_permission(patient, team_a):
    from tests.factories import UserFactory

    no_role = UserFactory(teams=[team_a])
    plan = CarePlanFactory(patient=patient)
    with pytest.raises(PermissionDenied):
        transitions.careplan_transition(care_plan=plan, by=no_role, target="active")


# --- Stale edits ----------------------------------------------------------------------------


def test_a_stale_care_plan_edit_is_refused_and_nothing_is_overwritten(patient, coordinator):
    plan = services.careplan_create(
        patient=patient,
        by=coordinator,
        data={"title": "Diabetes", "period_start": timezone.localdate()},
        needs={NeedCategory.MEDICAL: ["Blood sugar"]},
    )
    loaded_version = plan.version
    services.careplan_update(
        care_plan=plan,
        by=coordinator,
        data={"title": "Diabetes and housing"},
        needs={NeedCategory.MEDICAL: ["Blood sugar"], NeedCategory.SOCIAL: ["Housing"]},
        expected_version=loaded_version,
    )
    with pytest.raises(transitions.StaleEdit) as stale:
        services.careplan_update(
            care_plan=plan,
            by=coordinator,
            data={"title": "Mine"},
            needs={},
            expected_version=loaded_version,
        )
    assert "Someone else saved this care plan" in str(stale.value)
    plan.refresh_from_db()
    assert plan.title == "Diabetes and housing"
    assert sorted(plan.needs.values_list("description", flat=True)) == ["Blood sugar", "Housing"]


def test_needs_alone_move_the_version_on(patient, coordinator):
    plan = CarePlanFactory(patient=patient)
    version = plan.version
    services.careplan_update(
        care_plan=plan,
        by=coordinator,
        data={},
        needs={NeedCategory.SOCIAL: ["Food"]},
        expected_version=version,
    )
    plan.refresh_from_db()
    assert plan.version == version + 1


def test_a_stale_move_is_refused(patient, coordinator):
    plan = CarePlanFactory(patient=patient)
    seen = plan.version
    services.careplan_update(
        care_plan=plan, by=coordinator, data={"title": "New"}, needs={}, expected_version=seen
    )
    with pytest.raises(transitions.StaleEdit):
        transitions.careplan_transition(
            care_plan=plan, by=coordinator, target="active", expected_version=seen
        )
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_stale_goal_edit_and_task_reschedule_are_refused(patient, coordinator):
    goal = GoalFactory(care_plan=CarePlanFactory(patient=patient))
    services.goal_update(goal=goal, by=coordinator, data={"description": "A"}, expected_version=1)
    with pytest.raises(transitions.StaleEdit):
        services.goal_update(
            goal=goal, by=coordinator, data={"description": "B"}, expected_version=1
        )
    goal.refresh_from_db()
    assert goal.description == "A"

    task = TaskFactory(patient=patient, assignee=coordinator)
    first = timezone.now() + datetime.timedelta(days=3)
    services.task_reschedule(task=task, by=coordinator, due_at=first, expected_version=task.version)
    with pytest.raises(transitions.StaleEdit):
        services.task_reschedule(
            task=task,
            by=coordinator,
            due_at=first + datetime.timedelta(days=1),
            expected_version=task.version,
        )
    task.refresh_from_db()
    assert task.due_at == first


def test_a_closed_plan_cannot_be_edited(patient, coordinator):
    plan = CarePlanFactory(patient=patient, revoked=True)
    with pytest.raises(ValidationError):
        services.careplan_update(
            care_plan=plan,
            by=coordinator,
            data={"title": "X"},
            needs={},
            expected_version=plan.version,
        )
    with pytest.raises(ValidationError):
        services.goal_create(
            care_plan=plan, by=coordinator, data={"description": "X", "category": "social"}
        )


# --- Reviews ---------------------------------------------------------------------------------


def test_a_review_records_the_note_and_the_next_date(patient, case_manager):
    today = timezone.localdate()
    plan = CarePlanFactory(
        patient=patient, active=True, next_review_date=today - datetime.timedelta(days=3)
    )
    assert list(CarePlan.objects.review_overdue()) == [plan]
    review = services.careplan_record_review(
        care_plan=plan,
        by=case_manager,
        note="Going well",
        next_review_date=today + datetime.timedelta(days=90),
        expected_version=plan.version,
    )
    plan.refresh_from_db()
    assert plan.last_review == review
    assert plan.next_review_date == today + datetime.timedelta(days=90)
    assert review.due_on == today - datetime.timedelta(days=3)
    assert review.was_on_time is False
    assert not CarePlan.objects.review_overdue().exists()


def test_a_draft_is_not_reviewed(patient, case_manager):
    plan = CarePlanFactory(patient=patient)
    with pytest.raises(ValidationError):
        services.careplan_record_review(
            care_plan=plan,
            by=case_manager,
            note="x",
            next_review_date=timezone.localdate() + datetime.timedelta(days=9),
            expected_version=plan.version,
        )


# --- Goals and progress ----------------------------------------------------------------------


def test_the_goal_achievement_is_its_latest_progress(patient, coordinator):
    goal = GoalFactory(care_plan=CarePlanFactory(patient=patient), active=True)
    assert Goal.objects.with_achievement().get(pk=goal.pk).achievement_status is None
    today = timezone.localdate()
    GoalProgressFactory(
        goal=goal, recorded_on=today, achievement_status=AchievementStatus.IMPROVING
    )
    GoalProgressFactory(
        goal=goal,
        recorded_on=today - datetime.timedelta(days=9),
        achievement_status=AchievementStatus.WORSENING,
    )
    services.goal_record_progress(
        goal=goal,
        by=coordinator,
        data={
            "recorded_on": today,
            "achievement_status": AchievementStatus.ACHIEVED,
            "note": "Walked daily",
        },
    )
    annotated = Goal.objects.with_achievement().get(pk=goal.pk)
    assert annotated.achievement_status == "achieved"
    assert annotated.achievement_label == "Achieved"


def test_progress_is_not_recorded_on_a_cancelled_goal_or_in_the_future(patient, coordinator):
    goal = GoalFactory(care_plan=CarePlanFactory(patient=patient), moved_to=GoalStatus.CANCELLED)
    with pytest.raises(ValidationError):
        services.goal_record_progress(
            goal=goal, by=coordinator, data={"achievement_status": "improving"}
        )
    open_goal = GoalFactory(care_plan=CarePlanFactory(patient=patient))
    with pytest.raises(ValidationError):
        services.goal_record_progress(
            goal=open_goal,
            by=coordinator,
            data={
                "achievement_status": "improving",
                "recorded_on": timezone.localdate() + datetime.timedelta(days=1),
            },
        )


# --- Tasks and recurrence --------------------------------------------------------------------


def test_a_task_is_assigned_within_the_patients_team(patient, coordinator, coordinator_b):
    data = {"description": "Call", "due_at": timezone.now(), "assignee": coordinator_b}
    with pytest.raises(ValidationError) as refused:
        services.task_create(patient=patient, by=coordinator, data=data)
    assert "assignee" in refused.value.message_dict
    task = services.task_create(
        patient=patient, by=coordinator, data={**data, "assignee": coordinator}
    )
    assert task.status == "requested"
    assert task.status_changes.get().to_status == "requested"


def test_a_task_goal_must_belong_to_its_plan(patient, coordinator):
    plan = CarePlanFactory(patient=patient)
    other_goal = GoalFactory(care_plan=CarePlanFactory(patient=patient))
    with pytest.raises(ValidationError) as refused:
        services.task_create(
            patient=patient,
            by=coordinator,
            data={
                "description": "x",
                "due_at": timezone.now(),
                "assignee": coordinator,
                "care_plan": plan,
                "goal": other_goal,
            },
        )
    assert "goal" in refused.value.message_dict
    task = services.task_create(
        patient=patient,
        by=coordinator,
        data={
            "description": "x",
            "due_at": timezone.now(),
            "assignee": coordinator,
            "goal": other_goal,
        },
    )
    assert task.care_plan_id == other_goal.care_plan_id


def test_complete_walks_the_allowed_moves_and_records_each(patient, coordinator):
    task = TaskFactory(patient=patient, assignee=coordinator)
    done = transitions.task_complete(
        task=task, by=coordinator, note="Spoke to her", expected_version=task.version
    )
    assert done.status == "completed"
    assert (done.completed_by, done.completion_note) == (coordinator, "Spoke to her")
    moves = list(task.status_changes.order_by("pk").values_list("from_status", "to_status"))
    assert moves == [
        ("", "requested"),
        ("requested", "accepted"),
        ("accepted", "in-progress"),
        ("in-progress", "completed"),
    ]
    with pytest.raises(transitions.InvalidTransition):
        transitions.task_complete(task=task, by=coordinator)


def test_a_weekly_task_repeats_until_its_count(patient, coordinator):
    due = timezone.now() + datetime.timedelta(hours=2)
    task = services.task_create(
        patient=patient,
        by=coordinator,
        data={
            "description": "Weekly call",
            "due_at": due,
            "assignee": coordinator,
            "repeat_every": 1,
            "repeat_unit": "weeks",
            "repeat_count": 3,
        },
    )
    transitions.task_complete(task=task, by=coordinator)
    second = Task.objects.get(series=task, occurrence=2)
    local = due.astimezone(zoneinfo.ZoneInfo(coordinator.effective_time_zone))
    assert second.due_at == local + datetime.timedelta(weeks=1)  # the same hour of the clock
    assert second.status == "requested" and second.assignee == coordinator
    transitions.task_complete(task=second, by=coordinator)
    third = Task.objects.get(series=task, occurrence=3)
    assert third.due_at == local + datetime.timedelta(weeks=2)
    transitions.task_complete(task=third, by=coordinator)
    assert Task.objects.filter(description="Weekly call").count() == 3


def assert_a_series_stops_at_its_end_date_and_skips_missed_intervals(patient, coordinator):
    """Shared with tests/careplans/test_clock.py, which runs it at many frozen instants."""
    now = timezone.now()
    due_at = now - datetime.timedelta(days=7, hours=1)
    local_due = due_at.astimezone(zoneinfo.ZoneInfo(coordinator.effective_time_zone))
    task = services.task_create(
        patient=patient,
        by=coordinator,
        data={
            "description": "Check in",
            "due_at": due_at,
            "assignee": coordinator,
            "repeat_every": 3,
            "repeat_unit": "days",
            # The end date is a day on the series' clock (the assignee's zone), counted from
            # the first due date: the occurrence at +9 days falls before it, +12 after. (It
            # was once counted from today's date in the clinic's zone, which put +12 days on
            # the end date itself when "7 days and an hour ago" was the day before yesterday
            # there, or when the assignee's zone had another date than the clinic's.)
            "repeat_until": local_due.date() + datetime.timedelta(days=11),
        },
    )
    transitions.task_complete(task=task, by=coordinator)
    following = Task.objects.get(series=task)
    # Due 7 days ago: +3 and +6 days have passed too; the next is at +9 days, in the future.
    assert following.due_at == local_due + datetime.timedelta(days=9)  # the same wall-clock time
    assert following.due_at > now
    transitions.task_complete(task=following, by=coordinator)
    assert Task.objects.filter(description="Check in").count() == 2


def test_a_repeating_task_stops_at_its_end_date_and_skips_missed_intervals(patient, coordinator):
    assert_a_series_stops_at_its_end_date_and_skips_missed_intervals(patient, coordinator)


def _weekly(patient, coordinator, **data) -> Task:
    return services.task_create(
        patient=patient,
        by=coordinator,
        data={
            "description": "Weekly call",
            "due_at": timezone.now() + datetime.timedelta(hours=2),
            "assignee": coordinator,
            "repeat_every": 1,
            "repeat_unit": "weeks",
            "repeat_count": 10,
            **data,
        },
    )


def test_a_weekly_call_keeps_its_hour_across_a_clock_change(patient, coordinator, time_machine):
    coordinator.time_zone = "America/New_York"
    coordinator.save(update_fields=["time_zone"])
    new_york = zoneinfo.ZoneInfo("America/New_York")
    time_machine.move_to(datetime.datetime(2026, 3, 4, 12, 0, tzinfo=new_york), tick=False)
    # Monday 2 March 9:00 (EST); the clocks go forward on Sunday 8 March.
    task = _weekly(
        patient, coordinator, due_at=datetime.datetime(2026, 3, 2, 9, 0, tzinfo=new_york)
    )
    transitions.task_complete(task=task, by=coordinator)
    following = Task.objects.get(series=task, occurrence=2)
    assert following.due_at.astimezone(new_york) == datetime.datetime(
        2026, 3, 9, 9, 0, tzinfo=new_york
    )  # 13:00 UTC now, not 14:00


def test_a_series_stops_when_its_patient_is_discharged(patient, coordinator):
    from patients.services import patient_set_status

    task = _weekly(patient, coordinator)
    patient_set_status(
        patient=patient,
        by=coordinator,
        status="discharged",
        reason="Moved to another clinic",
        expected_version=patient.version,
    )
    transitions.task_complete(task=task, by=coordinator)
    assert Task.objects.filter(patient=patient).count() == 1


def test_a_series_stops_when_its_care_plan_is_closed(patient, coordinator):
    plan = CarePlanFactory(patient=patient, author=coordinator, active=True)
    task = _weekly(patient, coordinator, care_plan=plan)
    transitions.careplan_transition(
        care_plan=plan, by=coordinator, target="revoked", reason="Wrong patient", open_work="keep"
    )
    transitions.task_complete(task=Task.objects.get(pk=task.pk), by=coordinator)
    assert Task.objects.filter(patient=patient).count() == 1


def test_the_next_occurrence_goes_to_the_coordinator_when_the_assignee_left(
    patient, coordinator, team_a
):
    from accounts.models import TeamMembership
    from tests.factories import UserFactory

    leaving = UserFactory(teams=[team_a])
    task = _weekly(patient, coordinator, assignee=leaving)
    TeamMembership.objects.filter(user=leaving).delete()
    transitions.task_complete(task=task, by=coordinator)
    assert Task.objects.get(series=task, occurrence=2).assignee == patient.primary_coordinator


def test_open_work_moves_with_the_patient_to_another_team(
    patient, coordinator, team_b, coordinator_b
):
    from patients.services import patient_update
    from reminders.models import Reminder, ReminderKind

    plan = CarePlanFactory(patient=patient, author=coordinator, active=True)
    task = _weekly(patient, coordinator, care_plan=plan)
    done = TaskFactory(patient=patient, assignee=coordinator, completed=True)
    goal = goal_with_target(
        plan, owner=coordinator, target_date=timezone.localdate() + datetime.timedelta(days=30)
    )
    patient_update(
        patient=patient,
        by=coordinator,
        data={"care_team": team_b, "primary_coordinator": coordinator_b, "case_manager": None},
        expected_version=patient.version,
    )
    task.refresh_from_db()
    goal.refresh_from_db()
    done.refresh_from_db()
    assert (task.assignee, goal.owner) == (coordinator_b, coordinator_b)
    assert done.assignee == coordinator  # closed work keeps who did it
    due = Reminder.objects.pending().about(task).filter(kind=ReminderKind.TASK_DUE)
    assert {r.recipient_user for r in due} == {coordinator_b}


def test_a_cancelled_repeating_task_does_not_repeat(patient, coordinator):
    task = services.task_create(
        patient=patient,
        by=coordinator,
        data={
            "description": "x",
            "due_at": timezone.now(),
            "assignee": coordinator,
            "repeat_every": 1,
            "repeat_unit": "days",
            "repeat_count": 5,
        },
    )
    transitions.task_transition(task=task, by=coordinator, target="cancelled", reason="Not needed")
    assert Task.objects.count() == 1


def test_repeat_needs_an_end(patient, coordinator):
    with pytest.raises(ValidationError) as refused:
        services.task_create(
            patient=patient,
            by=coordinator,
            data={
                "description": "x",
                "due_at": timezone.now(),
                "assignee": coordinator,
                "repeat_every": 1,
                "repeat_unit": "days",
            },
        )
    assert "repeat_until" in refused.value.message_dict


def test_overdue_and_open_querysets(patient, coordinator):
    late = TaskFactory(patient=patient, assignee=coordinator, overdue=True)
    TaskFactory(patient=patient, assignee=coordinator)
    TaskFactory(patient=patient, assignee=coordinator, overdue=True, completed=True)
    assert list(Task.objects.overdue()) == [late]
    assert Task.objects.open().count() == 2
    assert TaskStatus.COMPLETED not in Task.objects.open().values_list("status", flat=True)


def test_a_discharged_patient_gets_no_new_plans_or_tasks(coordinator, team_a):
    from patients.services import patient_set_status
    from tests.factories import PatientFactory, UserFactory

    patient = PatientFactory(care_team=team_a)
    discharged = patient_set_status(
        patient=patient,
        by=UserFactory(is_superuser=True),
        status="discharged",
        reason="Moved away",
        expected_version=patient.version,
    )
    with pytest.raises(ValidationError):
        services.careplan_create(patient=discharged, by=coordinator, data={"title": "x"}, needs={})
    with pytest.raises(ValidationError):
        services.task_create(
            patient=discharged,
            by=coordinator,
            data={"description": "x", "due_at": timezone.now(), "assignee": coordinator},
        )
