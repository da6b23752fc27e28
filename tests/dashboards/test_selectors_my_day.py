"""What each My day section lists: the coordinator's own work, within their scope."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from careplans.models import CarePlanStatus
from careplans.selectors import end_of_local_day
from dashboards.selectors import my_day as q
from patients.models import RiskLevel
from referrals.models import Referral
from tests.careplans.factories import CarePlanFactory, GoalFactory, TaskFactory
from tests.factories import PatientFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def _ids(rows):
    return [row.pk for row in rows]


def test_tasks_overdue_and_due_today_are_split_and_counted(patient, coordinator, case_manager):
    now = timezone.now()
    late = [
        TaskFactory(patient=patient, assignee=coordinator, due_at=now - datetime.timedelta(days=d))
        for d in (1, 3)
    ]
    today = TaskFactory(
        patient=patient, assignee=coordinator, due_at=end_of_local_day(now) - datetime.timedelta(minutes=1)
    )  # fmt: skip
    TaskFactory(patient=patient, assignee=coordinator, due_at=now + datetime.timedelta(days=2))
    TaskFactory(patient=patient, assignee=case_manager, overdue=True)  # not theirs
    TaskFactory(patient=patient, assignee=coordinator, overdue=True, completed=True)

    found = q.my_tasks_due(coordinator, now=now, end_of_today=end_of_local_day(now))

    rows, count = found[q.OVERDUE]
    assert _ids(rows) == [late[1].pk, late[0].pk] and count == 2
    assert _ids(found[q.TODAY][0]) == [today.pk] and found[q.TODAY][1] == 1


def test_sections_show_the_first_rows_and_count_them_all(team_a, coordinator):
    now = timezone.now()
    patient = PatientFactory(care_team=team_a, primary_coordinator=coordinator)
    for hours in range(q.ROWS + 3):
        TaskFactory(
            patient=patient, assignee=coordinator, due_at=now - datetime.timedelta(hours=hours + 1)
        )
    rows, count = q.my_tasks_due(coordinator, now=now, end_of_today=end_of_local_day(now))[
        q.OVERDUE
    ]
    assert len(rows) == q.ROWS and count == q.ROWS + 3


def test_referral_sections(patient, coordinator, settings):
    now = timezone.now()
    waiting = ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    late = ReferralFactory(patient=patient, referred_by=coordinator, received=True)
    Referral.objects.filter(pk=late.pk).update(response_due_at=now - datetime.timedelta(days=1))
    soon = ReferralFactory(patient=patient, referred_by=coordinator, scheduled=True)
    past = ReferralFactory(patient=patient, referred_by=coordinator, scheduled=True)
    Referral.objects.filter(pk=past.pk).update(appointment_at=now - datetime.timedelta(days=1))
    ReferralFactory(patient=patient, referred_by=coordinator, closed=True)

    found = q.my_referrals_to_watch(coordinator, now=now)

    assert _ids(found[q.AWAITING][0]) == [late.pk, waiting.pk]  # overdue first
    assert found[q.AWAITING][0][0].is_overdue
    assert _ids(found[q.APPOINTMENTS][0]) == [soon.pk]
    assert _ids(found[q.NO_OUTCOME][0]) == [past.pk]


def test_goals_plans_and_patients(team_a, coordinator, case_manager, settings):
    today = timezone.localdate()
    now = timezone.now()
    mine = PatientFactory(
        care_team=team_a, primary_coordinator=coordinator, risk_level=RiskLevel.HIGH
    )
    no_plan = PatientFactory(care_team=team_a, primary_coordinator=coordinator)
    someone_elses = PatientFactory(care_team=team_a, primary_coordinator=case_manager)
    plan = CarePlanFactory(
        patient=mine, author=coordinator, active=True,
        next_review_date=today - datetime.timedelta(days=1),
    )  # fmt: skip
    CarePlanFactory(
        patient=someone_elses, author=coordinator, active=True,
        next_review_date=today - datetime.timedelta(days=1),
    )  # fmt: skip
    soon = GoalFactory(care_plan=plan, active=True, target_date=today + datetime.timedelta(days=10))
    GoalFactory(care_plan=plan, active=True, target_date=today + datetime.timedelta(days=20))

    assert _ids(q.goals_due_soon(coordinator, today=today)[0]) == [soon.pk]
    assert _ids(q.care_plans_due_for_review(coordinator, today=today)[0]) == [plan.pk]
    assert plan.status == CarePlanStatus.ACTIVE
    assert _ids(q.patients_without_active_plan(coordinator)[0]) == [no_plan.pk]

    # High risk, never contacted; then contacted (a completed task) long ago, then lately.
    rows, count = q.high_risk_without_contact(coordinator, now=now, days=30)
    assert _ids(rows) == [mine.pk] and rows[0].last_contact is None
    task = TaskFactory(patient=mine, assignee=coordinator, completed=True)
    type(task).objects.filter(pk=task.pk).update(completed_at=now - datetime.timedelta(days=40))
    assert _ids(q.high_risk_without_contact(coordinator, now=now, days=30)[0]) == [mine.pk]
    TaskFactory(patient=mine, assignee=coordinator, completed=True)
    assert q.high_risk_without_contact(coordinator, now=now, days=30) == ([], 0)


def test_nothing_outside_the_users_scope(patient_b, coordinator, coordinator_b):
    """Work assigned to a user in a team they have left does not show."""
    now = timezone.now()
    TaskFactory(patient=patient_b, assignee=coordinator_b, overdue=True)
    assert q.my_tasks_due(coordinator, now=now, end_of_today=end_of_local_day(now)) == {}
    ReferralFactory(patient=patient_b, referred_by=coordinator, sent=True)
    assert q.my_referrals_to_watch(coordinator, now=now) == {}
