"""A caseload of any size, written with bulk_create: for the query budgets (10 and 1,000
patients) and the figures tests. Every kind of row each dashboard reads is there: open,
overdue and due-today tasks with their creation rows, referrals in each state with their
transition records, plans active, past review or missing, goals due soon, progress and
reviews in the period."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from careplans.models import (
    AchievementStatus,
    CarePlan,
    CarePlanReview,
    CarePlanStatus,
    Goal,
    GoalProgress,
    GoalStatus,
    NeedCategory,
    RecordKind,
    StatusChange,
    Task,
    TaskStatus,
)
from patients.models import Patient, PatientStatus, RiskLevel
from referrals.models import Referral, ReferralStatus, ReferralTransition

RISKS = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH]


def build_caseload(*, count: int, team, coordinators, author, prefix: str = "B") -> list[Patient]:
    now = timezone.now()
    today = timezone.localdate()
    patients = Patient.objects.bulk_create(
        [
            Patient(
                mrn=f"{prefix}{number:07d}",
                given_name=f"Given{number}",
                family_name=f"Family{number}",
                date_of_birth=datetime.date(1960, 1, 1),
                care_team=team,
                primary_coordinator=coordinators[number % len(coordinators)],
                risk_level=RISKS[number % 3],
                status=PatientStatus.ACTIVE if number % 10 else PatientStatus.INACTIVE,
            )
            for number in range(count)
        ]
    )
    # Care plans: two in three patients have an active plan, half of those past review.
    plans = CarePlan.objects.bulk_create(
        [
            CarePlan(
                patient=patient,
                title=f"Plan {patient.pk}",
                author=author,
                status=CarePlanStatus.ACTIVE,
                next_review_date=today + datetime.timedelta(days=-3 if n % 2 else 5),
            )
            for n, patient in enumerate(patients)
            if n % 3
        ]
    )
    goals = Goal.objects.bulk_create(
        [
            Goal(
                care_plan=plan,
                description="Walk every day",
                category=NeedCategory.MEDICAL,
                status=GoalStatus.ACTIVE,
                target_date=today + datetime.timedelta(days=n % 20),
                owner=author,
            )
            for n, plan in enumerate(plans)
        ]
    )
    GoalProgress.objects.bulk_create(
        [
            GoalProgress(
                goal=goal,
                recorded_on=today - datetime.timedelta(days=n % 40),
                achievement_status=AchievementStatus.ACHIEVED
                if n % 4 == 0
                else AchievementStatus.IMPROVING,
                measured_value=Decimal("1"),
                recorded_by=author,
            )
            for n, goal in enumerate(goals)
        ]
    )
    CarePlanReview.objects.bulk_create(
        [
            CarePlanReview(
                care_plan=plan,
                reviewed_by=author,
                reviewed_at=now - datetime.timedelta(days=10 + n % 30),
                due_on=today - datetime.timedelta(days=n % 25),
                note="Reviewed",
                next_review_date=today + datetime.timedelta(days=30),
            )
            for n, plan in enumerate(plans)
        ]
    )
    # Tasks: overdue, due today, later, completed (a contact).
    offsets = [-50, -2, 0.2, 3, -30]
    tasks = Task.objects.bulk_create(
        [
            Task(
                patient=patient,
                description="Call to check in",
                assignee=patient.primary_coordinator,
                due_at=now + datetime.timedelta(hours=offsets[n % 5]),
                status=TaskStatus.COMPLETED if n % 5 == 4 else TaskStatus.REQUESTED,
                completed_at=now - datetime.timedelta(days=n % 60) if n % 5 == 4 else None,
                completed_by=patient.primary_coordinator if n % 5 == 4 else None,
                created_by=author,
            )
            for n, patient in enumerate(patients)
            for _copy in range(2)
        ]
    )
    StatusChange.objects.bulk_create(
        [
            StatusChange(
                patient_id=task.patient_id,
                record=RecordKind.TASK,
                task=task,
                to_status=TaskStatus.REQUESTED,
                actor=author,
                occurred_at=now - datetime.timedelta(days=1 + n % 9),
            )
            for n, task in enumerate(tasks)
        ]
    )
    # Referrals, with the transition records of their path.
    paths = [
        [ReferralStatus.SENT],
        [ReferralStatus.SENT, ReferralStatus.RECEIVED],
        [ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.SCHEDULED],
        [
            ReferralStatus.SENT,
            ReferralStatus.ACCEPTED,
            ReferralStatus.SCHEDULED,
            ReferralStatus.OUTCOME_RECORDED,
            ReferralStatus.CLOSED,
        ],
    ]
    referrals, moves = [], []
    for n, patient in enumerate(patients):
        path = paths[n % 4]
        sent_at = now - datetime.timedelta(days=2 + n % 20)
        referrals.append(
            Referral(
                patient=patient,
                recipient_name="Food pantry",
                reason="Needs food",
                referred_by=patient.primary_coordinator,
                status=path[-1],
                sent_at=sent_at,
                response_due_at=sent_at + datetime.timedelta(days=7),
                appointment_at=now + datetime.timedelta(days=(n % 12) - 6)
                if ReferralStatus.SCHEDULED in path
                else None,
                outcome_code="got_help" if path[-1] == ReferralStatus.CLOSED else "",
            )
        )
        moves.append((sent_at, path))
    referrals = Referral.objects.bulk_create(referrals)
    ReferralTransition.objects.bulk_create(
        [
            ReferralTransition(
                referral=referral,
                from_status=previous,
                to_status=status,
                by=referral.referred_by,
                at=sent_at + datetime.timedelta(days=step),
            )
            for referral, (sent_at, path) in zip(referrals, moves, strict=True)
            for step, (previous, status) in enumerate(
                zip([ReferralStatus.DRAFT, *path], path, strict=False)
            )
        ]
    )
    return patients
