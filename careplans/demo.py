"""Demo care plans, goals, progress and tasks for seed_demo (patients/demo.py).

Proportions: most active patients have one active plan with 2-4 goals and a few tasks
(some overdue); some have a draft, an older completed plan, or only a follow-up task;
discharged patients keep a completed or revoked plan. Every record has the status
history the transitions would have written (StatusChange rows along allowed moves).

Speed: ``seed_demo --patients 100000`` writes ~2 million rows here. Rows are built as
plain tuples with ids assigned in Python and written with COPY on PostgreSQL (bulk_create
elsewhere). On PostgreSQL the whole load is one transaction that follows the manual's
"Populating a Database" advice: the tables' foreign keys and non-unique indexes are dropped
first and put back at the end (one validation and one index build each instead of a check
and an index update per row); unique constraints stay in force throughout. Foreign keys
are deferred to commit on both databases, so the order of tables in a chunk is free.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from carehub.bulk import BulkTable, bulk_load, rows_in_batches
from careplans.models import (
    AchievementStatus,
    CarePlan,
    CarePlanNeed,
    CarePlanReview,
    Goal,
    GoalPriority,
    GoalProgress,
    NeedCategory,
    StatusChange,
    Task,
)
from patients.models import Patient, PatientStatus

CHUNK = 5_000

M, B, S = NeedCategory.MEDICAL, NeedCategory.BEHAVIOURAL, NeedCategory.SOCIAL
# (category, need, plan title, [(goal, measure, target value, unit)])
PROBLEMS = [
    (M, "Type 2 diabetes not well controlled", "Diabetes care",
     [("Bring HbA1c below 7.5", "HbA1c", Decimal("7.5"), "%"),
      ("Check blood sugar every morning", "", None, ""),
      ("Walk 30 minutes five days a week", "Minutes walked a week", Decimal("150"), "min")]),
    (M, "High blood pressure", "Blood pressure",
     [("Keep blood pressure under 140/90", "Systolic pressure", Decimal("140"), "mmHg"),
      ("Take blood pressure tablets every day", "", None, "")]),
    (M, "Heart failure with recent admissions", "Heart failure at home",
     [("No hospital stays for 90 days", "", None, ""),
      ("Weigh every morning and call if up 2 kg", "Weight", Decimal("80"), "kg")]),
    (M, "COPD with shortness of breath", "Breathing well",
     [("Use the inhaler the right way", "", None, ""),
      ("Go to pulmonary rehab twice a week", "Sessions a week", Decimal("2"), "")]),
    (B, "Low mood and depression", "Mood and wellbeing",
     [("Bring PHQ-9 below 10", "PHQ-9 score", Decimal("10"), ""),
      ("See the counsellor every two weeks", "", None, "")]),
    (B, "Alcohol use", "Alcohol",
     [("Cut down to two drinks a day or fewer", "Drinks a day", Decimal("2"), ""),
      ("Join a support group", "", None, "")]),
    (S, "Unstable housing", "Housing",
     [("Move into stable housing", "", None, ""),
      ("Apply for a housing voucher", "", None, "")]),
    (S, "Not enough food at home", "Food",
     [("Enrol in SNAP", "", None, ""), ("Visit the food pantry weekly", "", None, "")]),
    (S, "No transport to appointments", "Getting to appointments",
     [("Arrange rides to every clinic visit", "", None, "")]),
    (S, "Lives alone and feels isolated", "Staying connected",
     [("Join a community activity once a week", "Activities a week", Decimal("1"), "")]),
]  # fmt: skip
TASKS = [
    "Call to check in",
    "Confirm the primary care appointment",
    "Check the referral was received",
    "Go through the medication list",
    "Help with the benefits application",
    "Book transport for the next visit",
    "Send the care plan to the primary care provider",
    "Follow up on lab results",
]
PROGRESS_NOTES = [
    "Doing better this week.",
    "Missed a few days; we talked about what gets in the way.",
    "Steady.",
    "Family is helping.",
    "",
]

PLAN_PATHS = {
    "draft": ("draft",),
    "active": ("draft", "active"),
    "on-hold": ("draft", "active", "on-hold"),
    "completed": ("draft", "active", "completed"),
    "revoked": ("draft", "active", "revoked"),
}
GOAL_PATHS = {
    "proposed": ("proposed",),
    "accepted": ("proposed", "accepted"),
    "active": ("proposed", "accepted", "active"),
    "on-hold": ("proposed", "accepted", "active", "on-hold"),
    "completed": ("proposed", "accepted", "active", "completed"),
    "cancelled": ("proposed", "accepted", "cancelled"),
}
TASK_PATHS = {
    "requested": ("requested",),
    "in-progress": ("requested", "accepted", "in-progress"),
    "completed": ("requested", "accepted", "in-progress", "completed"),
    "cancelled": ("requested", "cancelled"),
}


def _moves(path: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(from, to, reason) for each step of a path; the first is the creation."""
    return [
        (previous, status, REASONS.get(status, "") if previous else "")
        for previous, status in zip(("", *path), path, strict=False)
    ]


GOAL_PRIORITIES = list(GoalPriority.values)
ACHIEVEMENTS = [
    AchievementStatus.IN_PROGRESS.value,
    AchievementStatus.IMPROVING.value,
    AchievementStatus.IMPROVING.value,
    AchievementStatus.NO_CHANGE.value,
    AchievementStatus.WORSENING.value,
    AchievementStatus.ACHIEVED.value,
]
REASONS = {
    "revoked": "Patient moved out of the area.",
    "cancelled": "No longer relevant.",
    "on-hold": "In hospital.",
}
MOVES = {
    path: _moves(path) for paths in (PLAN_PATHS, GOAL_PATHS, TASK_PATHS) for path in paths.values()
}


class _Seeder:
    def __init__(self, *, rng: random.Random, staff):
        self.rng = rng
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.zone = timezone.get_current_timezone()
        self.case_managers = {t.team.pk: t.case_manager.pk for t in staff.teams}
        self.coordinators = {t.team.pk: [c.pk for c in t.coordinators] for t in staff.teams}
        self.plans = BulkTable(
            CarePlan,
            ["patient_id", "title", "description", "internal_notes", "status", "period_start",
             "period_end", "author_id", "next_review_date", "last_review_id", "created_at",
             "updated_at", "version"],
        )  # fmt: skip
        self.needs = BulkTable(
            CarePlanNeed, ["care_plan_id", "category", "description", "position"]
        )
        self.reviews = BulkTable(
            CarePlanReview,
            ["care_plan_id", "reviewed_by_id", "reviewed_at", "due_on", "note", "next_review_date"],
        )
        self.goals = BulkTable(
            Goal,
            ["care_plan_id", "description", "category", "priority", "status", "target_measure",
             "target_value", "target_unit", "target_date", "owner_id", "created_at", "updated_at",
             "version"],
        )  # fmt: skip
        self.progress = BulkTable(
            GoalProgress,
            ["goal_id", "recorded_on", "achievement_status", "measured_value", "note",
             "recorded_by_id", "created_at"],
        )  # fmt: skip
        self.tasks = BulkTable(
            Task,
            ["patient_id", "care_plan_id", "goal_id", "description", "assignee_id", "due_at",
             "priority", "status", "completion_note", "completed_by_id", "completed_at",
             "repeat_every", "repeat_unit", "repeat_until", "repeat_count", "occurrence",
             "series_id", "created_by_id", "created_at", "updated_at", "version"],
        )  # fmt: skip
        self.changes = BulkTable(
            StatusChange,
            ["patient_id", "record", "care_plan_id", "goal_id", "task_id", "from_status",
             "to_status", "reason", "actor_id", "occurred_at"],
        )  # fmt: skip
        self.tables = [
            self.plans, self.needs, self.reviews, self.goals, self.progress, self.tasks,
            self.changes,
        ]  # fmt: skip

    def days_ago(self, low: int, high: int) -> datetime.datetime:
        return self.now - datetime.timedelta(
            days=self.rng.randint(low, high), minutes=self.rng.randint(0, 600)
        )

    def history(self, *, patient_id, record, ids, path, start, actor, end=None):
        """StatusChange rows along ``path``, spread between ``start`` and ``end``.

        The busiest table by far: rows are added as tuples in the order of
        ``self.changes.fields``, skipping ``add``'s keyword handling."""
        step = ((end or self.now) - start) / len(path)
        care_plan, goal, task = ids
        add_row = self.changes.add_row
        for index, (from_status, to_status, reason) in enumerate(MOVES[path]):
            add_row(
                (
                    patient_id,
                    record,
                    care_plan,
                    goal,
                    task,
                    from_status,
                    to_status,
                    reason,
                    actor,
                    start + step * index,
                )
            )

    def plan(self, *, patient_id, team_id, coordinator, status, started):
        rng = self.rng
        problems = rng.sample(PROBLEMS, rng.choice([1, 2, 2, 3]))
        is_open = status in ("draft", "active", "on-hold")
        review_due = self.today + datetime.timedelta(days=rng.randint(-20, 90))
        plan_id = self.plans.add(
            patient_id=patient_id,
            title=" and ".join(p[2] for p in problems[:2]),
            description="We agreed on these goals together and will look at them each month.",
            internal_notes=rng.choice(["", "", "Prefers calls after 5 pm.", "Daughter helps."]),
            status=status,
            period_start=started.astimezone(self.zone).date(),
            period_end=None
            if is_open
            else self.today - datetime.timedelta(days=rng.randint(5, 60)),
            author_id=coordinator,
            next_review_date=review_due if is_open else None,
            last_review_id=None,
            created_at=started,
            updated_at=started,
            version=len(PLAN_PATHS[status]),
        )
        self.history(
            patient_id=patient_id,
            record="care_plan",
            ids=(plan_id, None, None),
            path=PLAN_PATHS[status],
            start=started,
            actor=coordinator,
        )
        if status in ("active", "on-hold") and rng.random() < 0.5:
            due_on = review_due - datetime.timedelta(days=30)
            reviewed = datetime.datetime.combine(
                due_on + datetime.timedelta(days=rng.randint(-5, 6)),
                datetime.time(11),
                tzinfo=datetime.UTC,
            )
            if reviewed < self.now:
                review_id = self.reviews.add(
                    care_plan_id=plan_id,
                    reviewed_by_id=self.case_managers.get(team_id, coordinator),
                    reviewed_at=reviewed,
                    due_on=due_on,
                    note="Reviewed with the patient; plan still fits.",
                    next_review_date=review_due,
                )
                # The plan's row is still in the buffer: point it at its last review.
                row = self.plans.rows[-1]
                index = self.plans.columns.index("last_review_id")
                self.plans.rows[-1] = (*row[:index], review_id, *row[index + 1 :])

        # 2-4 goals (1-2 in a draft), drawn from the needs addressed, more needs if short.
        wanted = rng.randint(1, 2) if status == "draft" else rng.randint(2, 4)
        pool = [(problem, goal) for problem in problems for goal in problem[3]]
        while len(pool) < wanted:
            extra = rng.choice(PROBLEMS)
            if extra not in problems:
                problems.append(extra)
                pool.extend((extra, goal) for goal in extra[3])
        for position, problem in enumerate(problems):
            self.needs.add(
                care_plan_id=plan_id, category=problem[0], description=problem[1], position=position
            )
        goal_ids = []
        for problem, (description, measure, value, unit) in pool[:wanted]:
            goal_status = self.goal_status(status)
            goal_id = self.goals.add(
                care_plan_id=plan_id,
                description=description,
                category=problem[0],
                priority=rng.choice(GOAL_PRIORITIES),
                status=goal_status,
                target_measure=measure,
                target_value=value,
                target_unit=unit,
                target_date=self.today + datetime.timedelta(days=rng.randint(-30, 180)),
                owner_id=coordinator,
                created_at=started,
                updated_at=started,
                version=len(GOAL_PATHS[goal_status]),
            )
            goal_ids.append(goal_id)
            self.history(
                patient_id=patient_id,
                record="goal",
                ids=(plan_id, goal_id, None),
                path=GOAL_PATHS[goal_status],
                start=started,
                actor=coordinator,
            )
            if goal_status in ("active", "completed", "on-hold"):
                for weeks in sorted(rng.sample(range(1, 12), rng.randint(0, 2))):
                    recorded = started + datetime.timedelta(weeks=weeks)
                    if recorded >= self.now:
                        continue
                    self.progress.add(
                        goal_id=goal_id,
                        recorded_on=recorded.astimezone(self.zone).date(),
                        achievement_status=rng.choice(ACHIEVEMENTS),
                        measured_value=value,
                        note=rng.choice(PROGRESS_NOTES),
                        recorded_by_id=coordinator,
                        created_at=recorded,
                    )
        if status == "draft":
            return
        for _number in range(rng.randint(1, 3)):
            self.task(
                patient_id=patient_id,
                plan_id=plan_id,
                goal_id=rng.choice(goal_ids) if goal_ids and rng.random() < 0.6 else None,
                assignee=coordinator,
                status=self.task_status(status),
                created=started,
            )

    def goal_status(self, plan_status: str) -> str:
        roll = self.rng.random()
        if plan_status == "draft":
            return "proposed"
        if plan_status == "completed":
            return "completed" if roll < 0.8 else "cancelled"
        if plan_status == "revoked":
            return "cancelled"
        if plan_status == "on-hold":
            return "on-hold" if roll < 0.7 else "accepted"
        return "active" if roll < 0.6 else "accepted" if roll < 0.85 else "proposed"

    def task_status(self, plan_status: str) -> str:
        if plan_status in ("completed", "revoked"):
            return "completed" if plan_status == "completed" else "cancelled"
        roll = self.rng.random()
        return "requested" if roll < 0.65 else "in-progress" if roll < 0.82 else "completed"

    def task(self, *, patient_id, plan_id, goal_id, assignee, status, created, repeat=False):
        rng = self.rng
        finished = status in ("completed", "cancelled")
        if finished:
            due = self.days_ago(3, 60)
        else:
            # About one open task in six is overdue.
            due = self.now + datetime.timedelta(hours=rng.randint(-24 * 7, 24 * 30))
        created = min(created, due - datetime.timedelta(days=1))
        completed_at = due + datetime.timedelta(hours=rng.randint(-48, 24))
        completed_at = (
            min(max(completed_at, created + datetime.timedelta(hours=1)), self.now)
            if status == "completed"
            else None
        )
        task_id = self.tasks.add(
            patient_id=patient_id,
            care_plan_id=plan_id,
            goal_id=goal_id,
            description=rng.choice(TASKS),
            assignee_id=assignee,
            due_at=due,
            priority="urgent" if rng.random() < 0.1 else "routine",
            status=status,
            completion_note="Done." if completed_at else "",
            completed_by_id=assignee if completed_at else None,
            completed_at=completed_at,
            repeat_every=1 if repeat else None,
            repeat_unit="weeks" if repeat else "",
            repeat_until=None,
            repeat_count=6 if repeat else None,
            occurrence=1,
            series_id=None,
            created_by_id=assignee,
            created_at=created,
            updated_at=completed_at or created,
            version=len(TASK_PATHS[status]),
        )
        self.history(
            patient_id=patient_id,
            record="task",
            ids=(plan_id, None, task_id),
            path=TASK_PATHS[status],
            start=created,
            end=completed_at or self.now,
            actor=assignee,
        )

    def patient(self, *, patient_id, team_id, coordinator_id, status):
        rng = self.rng
        coordinator = coordinator_id or rng.choice(self.coordinators.get(team_id) or [None])
        if coordinator is None:
            return
        roll = rng.random()
        if status == PatientStatus.ACTIVE:
            if rng.random() < 0.06:
                self.plan(
                    patient_id=patient_id,
                    team_id=team_id,
                    coordinator=coordinator,
                    status="completed",
                    started=self.days_ago(250, 400),
                )
            if roll < 0.78:
                plan_status = "active"
            elif roll < 0.86:
                plan_status = "draft"
            else:
                plan_status = None
            if plan_status:
                self.plan(
                    patient_id=patient_id,
                    team_id=team_id,
                    coordinator=coordinator,
                    status=plan_status,
                    started=self.days_ago(10, 200),
                )
            if rng.random() < 0.2:
                self.task(
                    patient_id=patient_id,
                    plan_id=None,
                    goal_id=None,
                    assignee=coordinator,
                    status="requested",
                    created=self.days_ago(1, 14),
                    repeat=rng.random() < 0.3,
                )
        elif status == PatientStatus.INACTIVE:
            if roll < 0.5:
                self.plan(
                    patient_id=patient_id,
                    team_id=team_id,
                    coordinator=coordinator,
                    status="on-hold",
                    started=self.days_ago(60, 300),
                )
        elif roll < 0.6:
            self.plan(
                patient_id=patient_id,
                team_id=team_id,
                coordinator=coordinator,
                status="completed" if roll < 0.45 else "revoked",
                started=self.days_ago(200, 600),
            )

    def flush(self) -> None:
        with transaction.atomic():
            for table in self.tables:
                table.flush()

    def finish(self) -> None:
        for table in self.tables:
            table.finish()


def seed_for_patients(
    *, staff, patient_ids: list[int], rng: random.Random, progress: Callable[[int], object]
) -> None:
    """Care plans, goals, progress and tasks for the demo patients (see module docstring)."""
    seeder = _Seeder(rng=rng, staff=staff)
    batches = rows_in_batches(
        Patient.objects, patient_ids, CHUNK, "care_team_id", "primary_coordinator_id", "status"
    )
    with bulk_load([table.model for table in seeder.tables]):
        for count, rows in batches:
            for patient_id, team_id, coordinator_id, status in rows:
                seeder.patient(
                    patient_id=patient_id,
                    team_id=team_id,
                    coordinator_id=coordinator_id,
                    status=status,
                )
            seeder.flush()
            progress(count)
        seeder.finish()
