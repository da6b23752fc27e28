"""The state machines of care plans, goals and tasks, and the only code that moves them.

Each public function checks the user's permission and scope, checks the move against its
``Machine`` (DOMAIN.md), writes the new status with a guarded UPDATE and writes a
``StatusChange`` row, all in one transaction. Views, admin and the API call these; nothing
else assigns ``status``.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import deque

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from carehub.transitions import InvalidTransition, StaleEdit, guarded_update, machine
from careplans import reminder_rules
from careplans.models import (
    CarePlan,
    CarePlanStatus,
    Goal,
    GoalStatus,
    RecordKind,
    RecurrenceUnit,
    StatusChange,
    Task,
    TaskStatus,
)
from patients.selectors import patients_visible_to, team_staff

__all__ = [
    "CARE_PLAN",
    "GOAL",
    "TASK",
    "InvalidTransition",
    "OpenWork",
    "StaleEdit",
    "careplan_transition",
    "goal_transition",
    "record_created",
    "task_complete",
    "task_transition",
]

CARE_PLAN = machine(
    "care plan status",
    {
        CarePlanStatus.DRAFT: {
            CarePlanStatus.ACTIVE,
            CarePlanStatus.REVOKED,
            CarePlanStatus.ENTERED_IN_ERROR,
        },
        CarePlanStatus.ACTIVE: {
            CarePlanStatus.ON_HOLD,
            CarePlanStatus.COMPLETED,
            CarePlanStatus.REVOKED,
        },
        CarePlanStatus.ON_HOLD: {CarePlanStatus.ACTIVE, CarePlanStatus.REVOKED},
        CarePlanStatus.COMPLETED: set(),
        CarePlanStatus.REVOKED: set(),
        CarePlanStatus.ENTERED_IN_ERROR: set(),
    },
    reason_required={CarePlanStatus.REVOKED, CarePlanStatus.ENTERED_IN_ERROR},
    choices=CarePlanStatus,
)

GOAL = machine(
    "goal lifecycle status",
    {
        GoalStatus.PROPOSED: {GoalStatus.ACCEPTED, GoalStatus.REJECTED, GoalStatus.CANCELLED},
        GoalStatus.ACCEPTED: {GoalStatus.ACTIVE, GoalStatus.CANCELLED},
        GoalStatus.ACTIVE: {GoalStatus.ON_HOLD, GoalStatus.COMPLETED, GoalStatus.CANCELLED},
        GoalStatus.ON_HOLD: {GoalStatus.ACTIVE, GoalStatus.CANCELLED},
        GoalStatus.COMPLETED: set(),
        GoalStatus.CANCELLED: set(),
        GoalStatus.REJECTED: set(),
    },
    reason_required={GoalStatus.CANCELLED, GoalStatus.REJECTED},
    choices=GoalStatus,
)

TASK = machine(
    "task status",
    {
        TaskStatus.REQUESTED: {TaskStatus.ACCEPTED, TaskStatus.REJECTED, TaskStatus.CANCELLED},
        TaskStatus.ACCEPTED: {TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED},
        TaskStatus.IN_PROGRESS: {
            TaskStatus.ON_HOLD,
            TaskStatus.COMPLETED,
            TaskStatus.FAILED,
            TaskStatus.CANCELLED,
        },
        TaskStatus.ON_HOLD: {TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED},
        TaskStatus.COMPLETED: set(),
        TaskStatus.FAILED: set(),
        TaskStatus.CANCELLED: set(),
        TaskStatus.REJECTED: set(),
    },
    reason_required={TaskStatus.CANCELLED, TaskStatus.REJECTED},
    choices=TaskStatus,
)

# Closing a plan: the states whose open goals and tasks the user must decide about.
CLOSING_CARE_PLAN = frozenset(
    {CarePlanStatus.COMPLETED, CarePlanStatus.REVOKED, CarePlanStatus.ENTERED_IN_ERROR}
)


class OpenWork(models.TextChoices):
    """What closing a care plan does with its open goals and tasks."""

    CANCEL = "cancel", gettext_lazy("Cancel them")
    KEEP = "keep", gettext_lazy("Keep them open")


def _authorise(by: User, *, perm: str, patient_id: int) -> None:
    """Permission and scope: the interfaces check both first; this is the last word."""
    if not by.has_perm(perm) or not patients_visible_to(by).filter(pk=patient_id).exists():
        raise PermissionDenied


def _move(
    model: type[models.Model],
    *,
    pk: int,
    state_machine,
    target: str,
    reason: str,
    by: User,
    expected_version: int | None,
    what: str,
    changes: dict | None = None,
    when: datetime.datetime | None = None,
):
    """Check and perform one move of one row; write its StatusChange. Caller is atomic."""
    current = model.objects.get(pk=pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleEdit(what)
    reason = state_machine.check(current=current.status, target=target, reason=reason)
    won = guarded_update(
        model.objects,
        pk=pk,
        expected={"status": current.status, "version": current.version},
        changes={"status": target, **(changes or {})},
    )
    if not won:
        raise StaleEdit(what)
    _record(current, by=by, from_status=current.status, to_status=target, reason=reason, when=when)
    current.refresh_from_db()
    # Started, kept or cancelled with the move (a closed task's reminders are cancelled).
    reminder_rules.reminders_follow(current)
    return current


def _record(
    instance,
    *,
    by: User,
    from_status: str,
    to_status: str,
    reason: str = "",
    when: datetime.datetime | None = None,
) -> StatusChange:
    if isinstance(instance, CarePlan):
        subject = {"record": RecordKind.CARE_PLAN, "care_plan_id": instance.pk}
        patient_id = instance.patient_id
    elif isinstance(instance, Goal):
        subject = {
            "record": RecordKind.GOAL,
            "goal_id": instance.pk,
            "care_plan_id": instance.care_plan_id,
        }
        patient_id = CarePlan.objects.values_list("patient_id", flat=True).get(
            pk=instance.care_plan_id
        )
    else:
        subject = {
            "record": RecordKind.TASK,
            "task_id": instance.pk,
            "care_plan_id": instance.care_plan_id,
        }
        patient_id = instance.patient_id
    return StatusChange.objects.create(
        patient_id=patient_id,
        actor=by,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        occurred_at=when or timezone.now(),
        **subject,
    )


def record_created(instance: CarePlan | Goal | Task, *, by: User) -> StatusChange:
    """The row for a new record entering its first state (services call this on create)."""
    return _record(instance, by=by, from_status="", to_status=instance.status)


# --- Care plans ----------------------------------------------------------------------------


def careplan_has_open_work(care_plan: CarePlan) -> bool:
    return (
        care_plan.goals.open().exists()
        or Task.objects.open().filter(care_plan_id=care_plan.pk).exists()
    )


@transaction.atomic
def careplan_transition(
    *,
    care_plan: CarePlan,
    by: User,
    target: str,
    reason: str = "",
    expected_version: int | None = None,
    open_work: str | None = None,
) -> CarePlan:
    """Move a care plan. Closing it (complete, revoke, entered in error) needs ``open_work``
    when it has open goals or tasks: cancel them in this transaction, or keep them open."""
    _authorise(by, perm="careplans.change_careplan", patient_id=care_plan.patient_id)
    closing_with_work = target in CLOSING_CARE_PLAN and careplan_has_open_work(care_plan)
    if closing_with_work and open_work not in OpenWork.values:
        raise ValidationError(
            {"open_work": _("Choose what happens to the plan's open goals and tasks.")}
        )
    try:
        # A savepoint: on PostgreSQL a failed statement aborts the whole transaction.
        with transaction.atomic():
            moved = _move(
                CarePlan,
                pk=care_plan.pk,
                state_machine=CARE_PLAN,
                target=target,
                reason=reason,
                by=by,
                expected_version=expected_version,
                what=_("care plan"),
            )
    except IntegrityError as conflict:
        # Only activation can break a constraint here: one_active_care_plan_per_patient.
        raise ValidationError(
            _(
                "This patient already has an active care plan. Complete it, put it on hold "
                "or revoke it before activating this one."
            ),
            code="one_active_care_plan",
        ) from conflict
    if closing_with_work and open_work == OpenWork.CANCEL:
        _cancel_open_work(moved, by=by, reason=reason)
    return moved


def _cancel_open_work(care_plan: CarePlan, *, by: User, reason: str) -> None:
    label = CARE_PLAN.labels[care_plan.status]
    cascade_reason = _("Care plan closed (%(status)s)") % {"status": label}
    if reason:
        cascade_reason = f"{cascade_reason}: {reason}"
    for goal_pk in care_plan.goals.open().values_list("pk", flat=True):
        _move(
            Goal,
            pk=goal_pk,
            state_machine=GOAL,
            target=GoalStatus.CANCELLED,
            reason=cascade_reason,
            by=by,
            expected_version=None,
            what=_("goal"),
        )
    for task_pk in (
        Task.objects.open().filter(care_plan_id=care_plan.pk).values_list("pk", flat=True)
    ):
        _move(
            Task,
            pk=task_pk,
            state_machine=TASK,
            target=TaskStatus.CANCELLED,
            reason=cascade_reason,
            by=by,
            expected_version=None,
            what=_("task"),
        )


# --- Goals ---------------------------------------------------------------------------------


@transaction.atomic
def goal_transition(
    *, goal: Goal, by: User, target: str, reason: str = "", expected_version: int | None = None
) -> Goal:
    patient_id = CarePlan.objects.values_list("patient_id", flat=True).get(pk=goal.care_plan_id)
    _authorise(by, perm="careplans.change_goal", patient_id=patient_id)
    return _move(
        Goal,
        pk=goal.pk,
        state_machine=GOAL,
        target=target,
        reason=reason,
        by=by,
        expected_version=expected_version,
        what=_("goal"),
    )


# --- Tasks ---------------------------------------------------------------------------------


@transaction.atomic
def task_transition(
    *, task: Task, by: User, target: str, reason: str = "", expected_version: int | None = None
) -> Task:
    """One move of a task, exactly as the machine allows (completing from in progress
    included: then ``reason`` is the completion note and a recurring task repeats)."""
    _authorise(by, perm="careplans.change_task", patient_id=task.patient_id)
    if target == TaskStatus.COMPLETED:
        return _complete(task, by=by, note=reason, expected_version=expected_version, walk=False)
    return _move(
        Task,
        pk=task.pk,
        state_machine=TASK,
        target=target,
        reason=reason,
        by=by,
        expected_version=expected_version,
        what=_("task"),
    )


def path_to(state_machine, *, current: str, target: str) -> list[str]:
    """The shortest chain of allowed moves from ``current`` to ``target`` (empty: none)."""
    previous: dict[str, str | None] = {current: None}
    queue = deque([current])
    while queue:
        state = queue.popleft()
        if state == target:
            chain = []
            while previous[state] is not None:
                chain.append(state)
                state = previous[state]
            return chain[::-1]
        for following in state_machine.allowed_from(state):
            if following not in previous:
                previous[following] = state
                queue.append(following)
    return []


@transaction.atomic
def task_complete(
    *, task: Task, by: User, note: str = "", expected_version: int | None = None
) -> Task:
    """Complete a task from any open state, and create the next occurrence of a recurring one.

    "Complete" on My tasks is one click. The machine has no shortcut, so a task still
    requested, accepted or on hold walks the allowed moves to completed, each checked and
    recorded; a task in a final state is refused like any invalid move.
    """
    _authorise(by, perm="careplans.change_task", patient_id=task.patient_id)
    return _complete(task, by=by, note=note, expected_version=expected_version, walk=True)


def _complete(task: Task, *, by: User, note: str, expected_version: int | None, walk: bool) -> Task:
    current = Task.objects.get(pk=task.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleEdit(_("task"))
    steps = path_to(TASK, current=current.status, target=TaskStatus.COMPLETED) if walk else []
    if not steps:
        TASK.check(current=current.status, target=TaskStatus.COMPLETED)
        steps = [TaskStatus.COMPLETED]
    now = timezone.now()
    for step in steps:
        finishing = step == TaskStatus.COMPLETED
        current = _move(
            Task,
            pk=task.pk,
            state_machine=TASK,
            target=step,
            reason=note.strip() if finishing else "",
            by=by,
            expected_version=current.version,
            what=_("task"),
            changes={"completion_note": note.strip(), "completed_by": by, "completed_at": now}
            if finishing
            else None,
            when=now,
        )
    _create_next_occurrence(current, by=by)
    return current


def _zone_of(task: Task) -> zoneinfo.ZoneInfo:
    """Where the series' times are kept: its assignee's zone (the clinic's by default)."""
    return zoneinfo.ZoneInfo(task.assignee.effective_time_zone)


def series_date(task: Task, moment: datetime.datetime) -> datetime.date:
    """The calendar date of a moment on the series' clock (its assignee's zone): the one
    clock a series' end date (``repeat_until``) is compared on, whatever zone the server,
    the clinic or the person completing the task is in."""
    return moment.astimezone(_zone_of(task)).date()


def next_due(task: Task, *, now: datetime.datetime) -> datetime.datetime:
    """One interval after this occurrence's due time, moved on by whole intervals until it
    is in the future: a late completion keeps the cadence and does not create overdue work.
    Counted on the clock of the assignee's zone: a 9:00 call stays at 9:00 across a
    daylight-saving change (adding a fixed span to UTC would move it an hour)."""
    step = datetime.timedelta(
        days=task.repeat_every * (7 if task.repeat_unit == RecurrenceUnit.WEEKS else 1)
    )
    due = task.due_at.astimezone(_zone_of(task)) + step  # wall-clock arithmetic
    while due <= now:
        due += step
    return due


def _next_assignee_id(task: Task) -> int:
    """The assignee, while an active member of the patient's team; else the patient's
    primary coordinator (the work stays with the team), when there is one."""
    if team_staff([task.patient.care_team_id]).filter(pk=task.assignee_id).exists():
        return task.assignee_id
    return task.patient.primary_coordinator_id or task.assignee_id


def _create_next_occurrence(task: Task, *, by: User) -> Task | None:
    """The series' next task, unless the series is over: its count or end date reached,
    or its patient or care plan closed (no new work for a discharged patient)."""
    if not task.repeat_every:
        return None
    occurrence = task.occurrence + 1
    if task.repeat_count and occurrence > task.repeat_count:
        return None
    if not task.patient.is_open:
        return None
    if task.care_plan_id and not task.care_plan.is_open:
        return None
    due = next_due(task, now=timezone.now())
    if task.repeat_until and series_date(task, due) > task.repeat_until:
        return None
    following = Task(
        patient_id=task.patient_id,
        care_plan_id=task.care_plan_id,
        goal_id=task.goal_id,
        description=task.description,
        assignee_id=_next_assignee_id(task),
        due_at=due,
        priority=task.priority,
        repeat_every=task.repeat_every,
        repeat_unit=task.repeat_unit,
        repeat_until=task.repeat_until,
        repeat_count=task.repeat_count,
        occurrence=occurrence,
        series_id=task.series_id or task.pk,
        created_by=by,
    )
    following.save()
    record_created(following, by=by)
    reminder_rules.task_reminders_sync(following)
    return following
