"""The caseload review's figures, per coordinator and per team, against hand counts."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from careplans.models import AchievementStatus, CarePlanReview
from dashboards.selectors.caseload import caseload_review, sort_rows
from patients.models import PatientStatus, RiskLevel
from referrals.models import Referral, ReferralTransition
from tests.careplans.factories import CarePlanFactory, GoalFactory, GoalProgressFactory, TaskFactory
from tests.factories import PatientFactory, UserFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(team_a):
    return UserFactory(
        username="coord-a2", first_name="Zed", last_name="Zulu", role=Role.COORDINATOR,
        teams=[team_a],
    )  # fmt: skip


@pytest.fixture
def caseload(team_a, team_b, coordinator, colleague, coordinator_b, case_manager):
    now = timezone.now()
    today = timezone.localdate()
    high = PatientFactory(
        care_team=team_a, primary_coordinator=coordinator, risk_level=RiskLevel.HIGH
    )
    low = PatientFactory(care_team=team_a, primary_coordinator=coordinator)
    PatientFactory(
        care_team=team_a, primary_coordinator=coordinator, status=PatientStatus.DISCHARGED,
        risk_level=RiskLevel.HIGH,
    )  # fmt: skip
    theirs = PatientFactory(
        care_team=team_a, primary_coordinator=colleague, risk_level=RiskLevel.MEDIUM
    )
    other_team = PatientFactory(care_team=team_b, primary_coordinator=coordinator_b)

    plan = CarePlanFactory(
        patient=high, author=coordinator, active=True,
        next_review_date=today - datetime.timedelta(days=2),
    )  # fmt: skip
    CarePlanFactory(patient=theirs, author=colleague, active=True)
    goal = GoalFactory(care_plan=plan, active=True)
    GoalProgressFactory(
        goal=goal, recorded_by=coordinator, achievement_status=AchievementStatus.ACHIEVED
    )
    CarePlanReview.objects.create(
        care_plan=plan, reviewed_by=case_manager, note="ok",
        reviewed_at=now - datetime.timedelta(days=5), due_on=today - datetime.timedelta(days=7),
        next_review_date=today,
    )  # fmt: skip
    CarePlanReview.objects.create(
        care_plan=plan, reviewed_by=case_manager, note="ok",
        reviewed_at=now - datetime.timedelta(days=5), due_on=today, next_review_date=today,
    )  # fmt: skip

    TaskFactory(patient=high, assignee=coordinator, overdue=True)
    TaskFactory(patient=low, assignee=coordinator)
    TaskFactory(patient=low, assignee=coordinator, completed=True)
    TaskFactory(patient=theirs, assignee=colleague, overdue=True)
    TaskFactory(patient=other_team, assignee=coordinator_b, overdue=True)

    waiting = ReferralFactory(patient=high, referred_by=coordinator, sent=True)
    ReferralTransition.objects.filter(referral=waiting).update(at=now - datetime.timedelta(days=4))
    late = ReferralFactory(patient=low, referred_by=coordinator, received=True)
    ReferralTransition.objects.filter(referral=late, to_status="sent").update(
        at=now - datetime.timedelta(days=10)
    )
    Referral.objects.filter(pk=late.pk).update(response_due_at=now - datetime.timedelta(days=1))
    ReferralFactory(patient=theirs, referred_by=colleague, closed=True)
    ReferralFactory(patient=other_team, referred_by=coordinator_b, sent=True)
    return {"now": timezone.now()}


def _row(review, user):
    return next(r for r in review.coordinators if r.user_id == user.pk)


def test_per_coordinator(caseload, case_manager, coordinator, colleague, coordinator_b):
    review = caseload_review(user=case_manager, now=caseload["now"])
    mine = _row(review, coordinator)
    assert (mine.active_patients, mine.high_risk, mine.low_risk) == (2, 1, 1)
    assert (mine.overdue_tasks, mine.open_tasks) == (1, 2)
    assert (mine.plans_past_review, mine.without_active_plan) == (1, 1)
    assert (mine.overdue_referrals, mine.waiting_referrals) == (1, 2)
    assert mine.wait_avg_days == pytest.approx(7, abs=0.01)
    assert mine.wait_max_days == pytest.approx(10, abs=0.01)
    assert mine.task_age_max_days == pytest.approx(0, abs=0.01)
    theirs = _row(review, colleague)
    assert (theirs.active_patients, theirs.medium_risk, theirs.overdue_tasks) == (1, 1, 1)
    assert (theirs.without_active_plan, theirs.waiting_referrals) == (0, 0)
    assert coordinator_b.pk not in {r.user_id for r in review.coordinators}


def test_per_team_over_the_period(caseload, case_manager, team_a):
    review = caseload_review(user=case_manager, now=caseload["now"], period_days=30)
    [team] = review.team_figures
    assert team.team_id == team_a.pk
    assert (team.active_patients, team.high_risk, team.medium_risk, team.low_risk) == (3, 1, 1, 1)
    assert team.referrals_sent == 3 and team.closed_loop_rate == pytest.approx(1 / 3)
    assert team.overdue_referrals == 1
    assert team.goals_achieved == 1
    assert (team.reviews_done, team.reviews_with_due_date, team.reviews_on_time) == (2, 2, 1)
    assert sum(point.sent for point in review.trend) == 3
    assert sum(point.closed for point in review.trend) == 1
    assert review.trend_unit == "week"
    assert caseload_review(user=case_manager, period_days=365).trend_unit == "month"


def test_admin_sees_every_team_and_a_coordinator_none(caseload, admin_user, coordinator, team_b):
    review = caseload_review(user=admin_user, now=caseload["now"])
    assert {t.name for t in review.teams} == {"Team A", "Team B"}
    only_b = caseload_review(user=admin_user, now=caseload["now"], team_id=team_b.pk)
    assert [t.pk for t in only_b.teams] == [team_b.pk]
    assert caseload_review(user=coordinator).teams == []


def test_sorting(caseload, case_manager, coordinator, colleague):
    review = caseload_review(user=case_manager, now=caseload["now"])
    by_name = [r.name for r in sort_rows(review.coordinators, "name")]
    assert by_name == sorted(by_name, key=str.casefold)
    busiest = sort_rows(review.coordinators, "-active_patients")
    assert busiest[0].user_id == coordinator.pk
    assert sort_rows(review.coordinators, "active_patients")[0].user_id == colleague.pk
    # Unknown keys fall back to names; empty ages sort last either way.
    assert [r.name for r in sort_rows(review.coordinators, "bogus")] == by_name
    assert sort_rows(review.coordinators, "-wait_avg_days")[-1].wait_avg_days is None
