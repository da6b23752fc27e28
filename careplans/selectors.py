"""Reads of care plans, goals and tasks. Every one starts from the patient scope rule
(patients.selectors.patients_visible_to), so what is outside a user's teams never shows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit import context as audit_context
from careplans.models import (
    OPEN_TASK,
    CarePlan,
    CarePlanStatus,
    Goal,
    GoalProgress,
    GoalStatus,
    StatusChange,
    Task,
    TaskStatus,
)
from patients.models import Patient
from patients.selectors import patients_visible_to
from reminders.digest import DigestItem

RECENT_PROGRESS = 5
CLOSED_TASKS_SHOWN = 20
HISTORY_SHOWN = 50
TIMELINE_SHOWN = 30
MY_TASKS_PAGE = 50


def care_plans_visible_to(user: User | AnonymousUser) -> QuerySet[CarePlan]:
    return CarePlan.objects.filter(patient__in=patients_visible_to(user))


def goals_visible_to(user: User | AnonymousUser) -> QuerySet[Goal]:
    return Goal.objects.filter(care_plan__patient__in=patients_visible_to(user))


def tasks_visible_to(user: User | AnonymousUser) -> QuerySet[Task]:
    return Task.objects.filter(patient__in=patients_visible_to(user))


def goals_with_recent_progress(goals: QuerySet[Goal]) -> QuerySet[Goal]:
    """Goals with ``recent_progress``: their latest entries, newest first (one query)."""
    recent = GoalProgress.objects.select_related("recorded_by").order_by(
        "-recorded_on", "-created_at", "-pk"
    )[:RECENT_PROGRESS]
    return goals.select_related("owner").prefetch_related(
        Prefetch("progress", queryset=recent, to_attr="recent_progress")
    )


@dataclass
class TaskGroup:
    status: str
    label: str
    tasks: list[Task] = field(default_factory=list)


def group_by_status(tasks: list[Task]) -> list[TaskGroup]:
    groups = {status: TaskGroup(status, label) for status, label in TaskStatus.choices}
    for task in tasks:
        groups[task.status].tasks.append(task)
    return [group for group in groups.values() if group.tasks]


def care_plan_contents(care_plan: CarePlan) -> dict:
    """Everything the care plan page shows, in six queries whatever the plan holds:
    needs, goals, their recent progress, open tasks, recently closed tasks, reviews
    and the history of the plan, its goals and its tasks (one query each)."""
    tasks = Task.objects.filter(care_plan=care_plan).select_related("assignee", "goal")
    open_tasks = list(tasks.open().order_by("due_at", "pk"))
    closed_tasks = list(
        tasks.exclude(status__in=OPEN_TASK)
        .select_related("completed_by")
        .order_by("-updated_at", "-pk")[:CLOSED_TASKS_SHOWN]
    )
    return {
        "needs": list(care_plan.needs.all()),
        "goals": list(goals_with_recent_progress(care_plan.goals.all())),
        "task_groups": group_by_status(open_tasks + closed_tasks),
        "reviews": list(care_plan.reviews.select_related("reviewed_by")[:20]),
        "history": list(
            StatusChange.objects.filter(care_plan=care_plan).with_subjects()[:HISTORY_SHOWN]
        ),
    }


def care_plan_for_print(care_plan: CarePlan) -> dict:
    """What the patient's copy shows: needs, open and completed goals, open activities."""
    return {
        "needs": list(care_plan.needs.all()),
        "goals": list(
            care_plan.goals.exclude(status__in=[GoalStatus.CANCELLED, GoalStatus.REJECTED])
            .with_achievement()
            .order_by("pk")
        ),
        "tasks": list(
            Task.objects.open().filter(care_plan=care_plan).only("description", "due_at")
        ),
    }


def patient_care_summary(patient: Patient) -> dict:
    """The patient page's care section: plans, open goals, open tasks and the timeline of
    status changes across plans, goals and tasks, newest first. Four queries."""
    plans = list(patient.care_plans.select_related("author").order_by("-created_at", "-pk")[:20])
    return {
        "active_plan": next((p for p in plans if p.status == CarePlanStatus.ACTIVE), None),
        "plans": plans,
        "open_goals": list(
            Goal.objects.open()
            .filter(care_plan__patient=patient)
            .select_related("care_plan", "owner")
            .with_achievement()
            .order_by("target_date", "pk")[:50]
        ),
        "open_tasks": list(
            Task.objects.open()
            .filter(patient=patient)
            .select_related("assignee", "care_plan")
            .order_by("due_at", "pk")[:50]
        ),
        "timeline": list(
            StatusChange.objects.for_patient(patient).with_subjects()[:TIMELINE_SHOWN]
        ),
    }


@dataclass
class MyTasks:
    """One page of open tasks by due time, split into overdue, due today and upcoming;
    ``totals`` counts each group over every page."""

    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    page: Page
    totals: dict[str, int]

    @property
    def count(self) -> int:
        return self.page.paginator.count


def end_of_local_day(now: datetime.datetime) -> datetime.datetime:
    tomorrow = timezone.localtime(now).date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time.min))


def my_tasks(
    user: User,
    *,
    now: datetime.datetime | None = None,
    queryset: QuerySet[Task] | None = None,
    page: int | str | None = None,
) -> MyTasks:
    """The user's open tasks in scope, a page at a time: overdue, due today (their time
    zone), upcoming.

    ``queryset`` (already scoped, e.g. careplans.forms.TaskFilter's) shows other open tasks
    the same way: a team member's, or the overdue ones only."""
    now = now or timezone.now()
    if queryset is None:
        queryset = tasks_visible_to(user).open().assigned_to(user)
    midnight = end_of_local_day(now)
    # The groups' sizes in one query; their sum is the paginator's count.
    totals = queryset.order_by().aggregate(
        overdue=Count("pk", filter=Q(due_at__lt=now)),
        today=Count("pk", filter=Q(due_at__gte=now, due_at__lt=midnight)),
        upcoming=Count("pk", filter=Q(due_at__gte=midnight)),
    )
    # The page's ids first, then their rows with patient, plan and goal. Asked for all at
    # once, PostgreSQL misjudges how many of a user's tasks are in their teams and joins
    # the three to every open task before sorting (1,327 for a busy coordinator at
    # 100,000 patients: 13 ms); the ids alone read the task index, then 50 rows are joined.
    paginator = Paginator(
        queryset.order_by("due_at", "pk").values_list("pk", flat=True), MY_TASKS_PAGE
    )
    paginator.count = sum(totals.values())  # known: no second COUNT(*)
    shown = paginator.get_page(page)
    rows = list(
        Task.objects.filter(pk__in=list(shown.object_list))
        .select_related("patient", "care_plan", "goal")
        .order_by("due_at", "pk")
    )
    shown.object_list = rows
    audit_context.note_listed(rows)
    return MyTasks(
        overdue=[t for t in rows if t.due_at < now],
        today=[t for t in rows if now <= t.due_at < midnight],
        upcoming=[t for t in rows if t.due_at >= midnight],
        page=shown,
        totals=totals,
    )


# How many items one source gives a digest at most: it is a day's list, not an export.
DIGEST_LIMIT = 200


def task_digest_items(*, user: User, until: datetime.datetime) -> list[DigestItem]:
    """Digest source (reminders.digest): the user's open tasks in scope due before
    ``until`` (overdue ones included). Labels carry the number only, never the task's
    description, which may be clinical."""
    rows = (
        tasks_visible_to(user)
        .open()
        .assigned_to(user)
        .filter(due_at__lt=until)
        .order_by("due_at", "pk")
        .values_list("pk", "due_at", "patient_id")[:DIGEST_LIMIT]
    )
    return [
        DigestItem(
            label=f"Task #{pk} due",
            due_at=due_at,
            link=reverse("patients:detail", args=[patient_id]),
        )
        for pk, due_at, patient_id in rows
    ]


# --- Notification texts (reminders/describe.py) -------------------------------------------


def _with_patient(description: str, patient: Patient) -> str:
    audit_context.note_patient(patient.pk)  # the page discloses who it is about
    return f"{description} · {patient.full_name}"


def describe_tasks(user: User, ids: list[int]) -> dict[int, str]:
    tasks = tasks_visible_to(user).filter(pk__in=ids).select_related("patient")
    return {task.pk: _with_patient(task.description, task.patient) for task in tasks}


def describe_goals(user: User, ids: list[int]) -> dict[int, str]:
    goals = goals_visible_to(user).filter(pk__in=ids).select_related("care_plan__patient")
    return {goal.pk: _with_patient(goal.description, goal.care_plan.patient) for goal in goals}


def describe_care_plans(user: User, ids: list[int]) -> dict[int, str]:
    plans = care_plans_visible_to(user).filter(pk__in=ids).select_related("patient")
    return {plan.pk: _with_patient(plan.title, plan.patient) for plan in plans}
