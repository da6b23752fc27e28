"""The reminders care plans, goals and tasks call for (issue 5, "What creates reminders").

Each ``*_reminders_sync`` looks at the record as saved and makes its pending reminders
match (reminders.rules.reminders_sync_for); services and transitions call them in the
transaction that changed the record, so a reminder exists if and only if its cause was
saved. Nothing here talks to the broker: the dispatcher finds due rows by itself.

- Task (open, with an assignee and a due time): "due" to the assignee at the due time,
  "overdue" REMINDERS_OVERDUE_AFTER later, and an escalation to the patient's case manager
  REMINDERS_ESCALATE_AFTER after the due time (once per task). Rescheduling moves them;
  reassigning moves them to the new assignee; completing, failing or cancelling cancels.
- Care plan (active or on hold, with a next review date): "review due" REMINDERS_REVIEW_LEAD
  before the date and "review overdue" the day after, to the patient's case manager and
  primary coordinator. A review with a new date moves them; ending the plan cancels them.
- Goal (open, with an owner and a target date): "target approaching"
  REMINDERS_GOAL_TARGET_LEAD before the date to the owner; moved with the date, cancelled
  when the goal ends.
- Tasks and goals of a patient who is no longer open (discharged, deceased) want nothing:
  the work stays open (a readmission resumes it) but nobody is reminded of it meanwhile.
  The patient's status change re-syncs them (patient_reminders_sync, a patient hook).

Titles name the record by number only ("Task #12"): they go out by email.
The notification page names the record in its own words when it is shown
(reminders/describe.py), from the record itself: nothing clinical is stored here.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from careplans.models import CarePlan, CarePlanStatus, Goal, Task
from reminders.models import ReminderKind
from reminders.rules import (
    Wanted,
    event_key,
    label_for,
    local_day_start,
    local_day_time,
    reminders_sync_for,
)

K = ReminderKind
TASK_KINDS = (K.TASK_DUE, K.TASK_OVERDUE, K.ESCALATION)
REVIEW_KINDS = (K.CARE_PLAN_REVIEW_DUE, K.CARE_PLAN_REVIEW_OVERDUE)
GOAL_KINDS = (K.GOAL_TARGET_APPROACHING,)
# Plans whose review is still owed (CarePlanQuerySet.review_overdue counts the same).
REVIEWED_STATUSES = (CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD)


def patient_link(patient_id: int) -> str:
    return reverse("patients:detail", args=[patient_id])


def care_plan_link(care_plan_id: int) -> str:
    return reverse("careplans:detail", args=[care_plan_id])


# --- Tasks -----------------------------------------------------------------------------------


def task_wanted_for(
    *,
    task_id: int,
    due_at: datetime.datetime,
    assignee: User,
    case_manager: User | None,
    now: datetime.datetime,
    link: str,
) -> list[Wanted]:
    """The reminders of an open task (plain values: reminders/demo.py calls this too)."""
    label = label_for(Task, task_id)
    title = f"Task #{task_id}"
    overdue_at = due_at + settings.REMINDERS_OVERDUE_AFTER
    wanted = []
    if overdue_at > now:
        # Created or moved when already past its overdue time: the overdue one says it all.
        wanted.append(
            Wanted(
                kind=K.TASK_DUE,
                recipient=assignee,
                send_at=due_at,
                due_at=due_at,
                key=event_key(K.TASK_DUE, label, assignee.pk, due_at),
                title=title,
                link=link,
            )
        )
    wanted.append(
        Wanted(
            kind=K.TASK_OVERDUE,
            recipient=assignee,
            send_at=overdue_at,
            due_at=due_at,
            key=event_key(K.TASK_OVERDUE, label, assignee.pk, due_at),
            title=title,
            link=link,
        )
    )
    if case_manager is not None and case_manager.is_active and case_manager.pk != assignee.pk:
        wanted.append(
            Wanted(
                kind=K.ESCALATION,
                recipient=case_manager,
                send_at=due_at + settings.REMINDERS_ESCALATE_AFTER,
                due_at=due_at,
                # Once per task, whatever its due time, assignee or case manager.
                key=f"{K.ESCALATION}:{label}",
                title=title,
                link=link,
            )
        )
    return wanted


def task_wanted(task: Task, *, now: datetime.datetime) -> list[Wanted]:
    if not (task.is_open and task.due_at and task.assignee_id and task.patient.is_open):
        return []
    return task_wanted_for(
        task_id=task.pk,
        due_at=task.due_at,
        assignee=task.assignee,
        case_manager=task.patient.case_manager,
        now=now,
        link=f"{patient_link(task.patient_id)}#task-{task.pk}",
    )


def task_reminders_sync(task: Task) -> None:
    """After the task was created, rescheduled, reassigned or moved."""
    task = Task.objects.select_related("assignee", "patient__case_manager").get(pk=task.pk)
    reminders_sync_for(
        task,
        kinds=TASK_KINDS,
        wanted=task_wanted(task, now=timezone.now()),
        patient=task.patient,
    )


# --- Care plan reviews -----------------------------------------------------------------------


def review_recipients(*users: User | None) -> list[User]:
    """The patient's case manager and primary coordinator: each once, if active."""
    recipients: list[User] = []
    for user in users:
        if user is not None and user.is_active and user not in recipients:
            recipients.append(user)
    return recipients


def care_plan_wanted_for(
    *,
    care_plan_id: int,
    review_date: datetime.date,
    recipients: list[User],
    now: datetime.datetime,
    link: str,
) -> list[Wanted]:
    """The review reminders of a plan in force (plain values: reminders/demo.py too)."""
    label = label_for(CarePlan, care_plan_id)
    title = f"Care plan #{care_plan_id}"
    wanted = []
    for user in recipients:
        due_at = local_day_start(review_date, user)
        if due_at > now:
            wanted.append(
                Wanted(
                    kind=K.CARE_PLAN_REVIEW_DUE,
                    recipient=user,
                    send_at=local_day_time(review_date - settings.REMINDERS_REVIEW_LEAD, user),
                    due_at=due_at,
                    key=event_key(K.CARE_PLAN_REVIEW_DUE, label, user.pk, due_at),
                    title=title,
                    link=link,
                )
            )
        wanted.append(
            Wanted(
                kind=K.CARE_PLAN_REVIEW_OVERDUE,
                recipient=user,
                send_at=local_day_time(review_date + datetime.timedelta(days=1), user),
                due_at=due_at,
                key=event_key(K.CARE_PLAN_REVIEW_OVERDUE, label, user.pk, due_at),
                title=title,
                link=link,
            )
        )
    return wanted


def care_plan_wanted(care_plan: CarePlan, *, now: datetime.datetime) -> list[Wanted]:
    if care_plan.status not in REVIEWED_STATUSES or care_plan.next_review_date is None:
        return []
    patient = care_plan.patient
    return care_plan_wanted_for(
        care_plan_id=care_plan.pk,
        review_date=care_plan.next_review_date,
        recipients=review_recipients(patient.case_manager, patient.primary_coordinator),
        now=now,
        link=care_plan_link(care_plan.pk),
    )


def care_plan_reminders_sync(care_plan: CarePlan) -> None:
    """After the plan's status, next review date or review changed."""
    care_plan = CarePlan.objects.select_related(
        "patient__case_manager", "patient__primary_coordinator"
    ).get(pk=care_plan.pk)
    reminders_sync_for(
        care_plan,
        kinds=REVIEW_KINDS,
        wanted=care_plan_wanted(care_plan, now=timezone.now()),
        patient=care_plan.patient,
    )


# --- Goals -----------------------------------------------------------------------------------


def goal_wanted_for(
    *,
    goal_id: int,
    target_date: datetime.date,
    owner: User,
    now: datetime.datetime,
    link: str,
) -> list[Wanted]:
    """The reminder of an open goal (plain values: reminders/demo.py too)."""
    due_at = local_day_start(target_date, owner)
    if not owner.is_active or due_at + datetime.timedelta(days=1) <= now:
        return []  # the target date has gone by: nothing is approaching
    return [
        Wanted(
            kind=K.GOAL_TARGET_APPROACHING,
            recipient=owner,
            send_at=local_day_time(target_date - settings.REMINDERS_GOAL_TARGET_LEAD, owner),
            due_at=due_at,
            key=event_key(K.GOAL_TARGET_APPROACHING, label_for(Goal, goal_id), owner.pk, due_at),
            title=f"Goal #{goal_id}",
            link=link,
        )
    ]


def goal_wanted(goal: Goal, *, now: datetime.datetime) -> list[Wanted]:
    if not goal.is_open or goal.target_date is None or goal.owner is None:
        return []
    if not goal.care_plan.patient.is_open:
        return []
    return goal_wanted_for(
        goal_id=goal.pk,
        target_date=goal.target_date,
        owner=goal.owner,
        now=now,
        link=care_plan_link(goal.care_plan_id),
    )


def goal_reminders_sync(goal: Goal) -> None:
    """After the goal was created, its target date or owner changed, or it moved."""
    goal = Goal.objects.select_related("owner", "care_plan__patient").get(pk=goal.pk)
    reminders_sync_for(
        goal,
        kinds=GOAL_KINDS,
        wanted=goal_wanted(goal, now=timezone.now()),
        patient=goal.care_plan.patient,
    )


def reminders_follow(instance: CarePlan | Goal | Task) -> None:
    """A status move (careplans.transitions._move): start, keep or cancel the reminders."""
    if isinstance(instance, Task):
        task_reminders_sync(instance)
    elif isinstance(instance, Goal):
        goal_reminders_sync(instance)
    elif isinstance(instance, CarePlan):
        care_plan_reminders_sync(instance)


def patient_reminders_sync(patient_id: int) -> None:
    """The patient's status, case manager or primary coordinator changed (a patient hook,
    run in the change's transaction): their open tasks' and goals' reminders stop or
    resume with the status, escalations and plans' review reminders follow the staff."""
    for task in Task.objects.open().filter(patient_id=patient_id):
        task_reminders_sync(task)
    for goal in Goal.objects.open().filter(care_plan__patient_id=patient_id):
        goal_reminders_sync(goal)
    for care_plan in CarePlan.objects.filter(patient_id=patient_id, status__in=REVIEWED_STATUSES):
        care_plan_reminders_sync(care_plan)
