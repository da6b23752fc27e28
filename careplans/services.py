"""Every write to care plans, goals, progress and tasks except status moves
(careplans.transitions). Interfaces authorise first; these validate and save."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import TeamMembership, User
from carehub.transitions import guarded_update
from careplans import reminder_rules
from careplans.models import (
    CarePlan,
    CarePlanNeed,
    CarePlanReview,
    CarePlanStatus,
    Goal,
    GoalProgress,
    GoalStatus,
    NeedCategory,
    Task,
)
from careplans.transitions import StaleEdit, record_created
from patients.models import Patient

__all__ = ["StaleEdit"]

CARE_PLAN_FIELDS = [
    "title",
    "description",
    "internal_notes",
    "period_start",
    "period_end",
    "next_review_date",
]
GOAL_FIELDS = [
    "description",
    "category",
    "priority",
    "target_measure",
    "target_value",
    "target_unit",
    "target_date",
    "owner",
]
TASK_FIELDS = [
    "care_plan",
    "goal",
    "description",
    "assignee",
    "due_at",
    "priority",
    "repeat_every",
    "repeat_unit",
    "repeat_until",
    "repeat_count",
]

Needs = dict[str, list[str]]


# Edited fields after which a record's reminders are brought in line, wherever the edit
# was made (these services, Django admin): the review date, a goal's target date or owner,
# a task's due time or assignee.
REMINDER_FIELDS = {
    CarePlan: ({"next_review_date"}, reminder_rules.care_plan_reminders_sync),
    Goal: ({"target_date", "owner"}, reminder_rules.goal_reminders_sync),
    Task: ({"due_at", "assignee"}, reminder_rules.task_reminders_sync),
}


def reminders_follow_edit(record: CarePlan | Goal | Task, changed) -> None:
    """Resync ``record``'s reminders if a field they follow is among ``changed``."""
    fields, sync = REMINDER_FIELDS[type(record)]
    if fields.intersection(changed):
        sync(record)


def _refuse_if_closed(care_plan: CarePlan) -> None:
    if not care_plan.is_open:
        raise ValidationError(
            _("This care plan is %(status)s and can no longer be changed.")
            % {"status": care_plan.get_status_display().lower()}
        )


def _replace_needs(care_plan: CarePlan, needs: Needs) -> bool:
    """Make the plan's needs exactly ``needs``; True when something changed."""
    wanted = [
        (category, position, text)
        for category in NeedCategory.values
        for position, text in enumerate(needs.get(category, []))
    ]
    existing = list(care_plan.needs.order_by("category", "position", "pk"))
    if [(n.category, n.position, n.description) for n in existing] == sorted(wanted):
        return False
    care_plan.needs.all().delete()
    rows = [
        CarePlanNeed(care_plan=care_plan, category=category, position=position, description=text)
        for category, position, text in wanted
    ]
    for row in rows:
        row.full_clean(exclude=["care_plan"])
    CarePlanNeed.objects.bulk_create(rows)
    return True


def _refuse_if_patient_closed(patient: Patient) -> None:
    if not patient.is_open:
        raise ValidationError(
            _("This patient is %(status)s: no new care plans or tasks.")
            % {"status": patient.get_status_display().lower()}
        )


@transaction.atomic
def careplan_create(*, patient: Patient, by: User, data: dict, needs: Needs) -> CarePlan:
    """Start a care plan as a draft."""
    _refuse_if_patient_closed(patient)
    care_plan = CarePlan(
        patient=patient,
        author=by,
        **{name: data[name] for name in CARE_PLAN_FIELDS if name in data},
    )
    care_plan.full_clean()
    care_plan.save()
    _replace_needs(care_plan, needs)
    record_created(care_plan, by=by)
    return care_plan


@transaction.atomic
def careplan_update(
    *, care_plan: CarePlan, by: User, data: dict, needs: Needs, expected_version: int
) -> CarePlan:
    """Save the user's edits if nobody saved the plan since they loaded it."""
    # Locked: the needs are rewritten before the plan's row, so the version checked here
    # must still be the plan's when they are.
    candidate = CarePlan.objects.select_for_update().get(pk=care_plan.pk)
    if candidate.version != expected_version:
        raise StaleEdit(_("care plan"))
    _refuse_if_closed(candidate)
    changed = [
        name for name in CARE_PLAN_FIELDS if name in data and getattr(candidate, name) != data[name]
    ]
    for name in changed:
        setattr(candidate, name, data[name])
    candidate.full_clean()
    if changed:
        won = guarded_update(
            CarePlan.objects,
            pk=candidate.pk,
            expected={"version": expected_version},
            changes={name: getattr(candidate, name) for name in changed},
        )
        if not won:
            raise StaleEdit(_("care plan"))
    if _replace_needs(candidate, needs) and not changed:
        # Needs are part of the plan: an edit of needs alone still moves the version on.
        won = guarded_update(
            CarePlan.objects, pk=candidate.pk, expected={"version": expected_version}, changes={}
        )
        if not won:
            raise StaleEdit(_("care plan"))
    candidate.refresh_from_db()
    reminders_follow_edit(candidate, changed)
    return candidate


@transaction.atomic
def careplan_record_review(
    *,
    care_plan: CarePlan,
    by: User,
    note: str,
    next_review_date: datetime.date,
    expected_version: int,
) -> CarePlanReview:
    """A case manager's review: the note, and when the plan is next due for review."""
    current = CarePlan.objects.get(pk=care_plan.pk)
    if current.version != expected_version:
        raise StaleEdit(_("care plan"))
    if current.status not in (CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD):
        raise ValidationError(_("Only an active or paused care plan is reviewed."))
    review = CarePlanReview(
        care_plan=current,
        reviewed_by=by,
        note=note.strip(),
        next_review_date=next_review_date,
        due_on=current.next_review_date,
    )
    review.full_clean()
    if review.next_review_date <= timezone.localdate(review.reviewed_at):
        raise ValidationError({"next_review_date": _("The next review must be in the future.")})
    review.save()
    won = guarded_update(
        CarePlan.objects,
        pk=current.pk,
        expected={"version": expected_version},
        changes={"last_review": review, "next_review_date": next_review_date},
    )
    if not won:
        raise StaleEdit(_("care plan"))
    reminder_rules.care_plan_reminders_sync(current)
    return review


@transaction.atomic
def goal_create(*, care_plan: CarePlan, by: User, data: dict) -> Goal:
    """Add a goal (proposed) to an open care plan."""
    _refuse_if_closed(CarePlan.objects.get(pk=care_plan.pk))
    goal = Goal(care_plan=care_plan, **{name: data[name] for name in GOAL_FIELDS if name in data})
    goal.full_clean()
    goal.save()
    record_created(goal, by=by)
    reminder_rules.goal_reminders_sync(goal)
    return goal


@transaction.atomic
def goal_update(*, goal: Goal, by: User, data: dict, expected_version: int) -> Goal:
    candidate = Goal.objects.select_related("care_plan").get(pk=goal.pk)
    if candidate.version != expected_version:
        raise StaleEdit(_("goal"))
    if not candidate.is_open:
        raise ValidationError(_("This goal is closed and can no longer be changed."))
    changed = [
        name for name in GOAL_FIELDS if name in data and getattr(candidate, name) != data[name]
    ]
    for name in changed:
        setattr(candidate, name, data[name])
    candidate.full_clean()
    if changed:
        won = guarded_update(
            Goal.objects,
            pk=candidate.pk,
            expected={"version": expected_version},
            changes={name: getattr(candidate, name) for name in changed},
        )
        if not won:
            raise StaleEdit(_("goal"))
        candidate.refresh_from_db()
        reminders_follow_edit(candidate, changed)
    return candidate


def takes_progress(goal: Goal) -> bool:
    """Progress is recorded on open goals and on completed ones (sustaining, achieved)."""
    return goal.status not in (GoalStatus.CANCELLED, GoalStatus.REJECTED)


@transaction.atomic
def goal_record_progress(*, goal: Goal, by: User, data: dict) -> GoalProgress:
    """A dated progress entry; its achievement status becomes the goal's."""
    if not takes_progress(goal):
        raise ValidationError(
            _("This goal was %(status)s: progress is no longer recorded.")
            % {"status": goal.get_status_display().lower()}
        )
    entry = GoalProgress(
        goal=goal,
        recorded_by=by,
        **{
            name: data[name]
            for name in ("recorded_on", "achievement_status", "measured_value", "note")
            if name in data
        },
    )
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def task_create(*, patient: Patient, by: User, data: dict) -> Task:
    """A task (requested) for the patient, optionally part of a care plan and goal."""
    _refuse_if_patient_closed(patient)
    task = Task(
        patient=patient, created_by=by, **{name: data[name] for name in TASK_FIELDS if name in data}
    )
    if task.goal_id and not task.care_plan_id:
        task.care_plan_id = task.goal.care_plan_id
    if task.care_plan_id:
        _refuse_if_closed(task.care_plan)
    task.full_clean()
    task.save()
    record_created(task, by=by)
    reminder_rules.task_reminders_sync(task)
    return task


@transaction.atomic
def task_reschedule(
    *, task: Task, by: User, due_at: datetime.datetime, expected_version: int
) -> Task:
    """Move an open task's due time."""
    current = Task.objects.get(pk=task.pk)
    if current.version != expected_version:
        raise StaleEdit(_("task"))
    if not current.is_open:
        raise ValidationError(
            _("This task is %(status)s and cannot be rescheduled.")
            % {"status": current.get_status_display().lower()}
        )
    if not guarded_update(
        Task.objects,
        pk=current.pk,
        expected={"version": expected_version, "status": current.status},
        changes={"due_at": due_at},
    ):
        raise StaleEdit(_("task"))
    current.refresh_from_db()
    reminder_rules.task_reminders_sync(current)
    return current


# Snoozing pushes a task later by one of these (days): the buttons on My day and My tasks.
SNOOZE_DAYS = (1, 7)


@transaction.atomic
def task_snooze(
    *,
    task: Task,
    by: User,
    days: int,
    expected_version: int,
    now: datetime.datetime | None = None,
) -> Task:
    """Push an open task ``days`` later: from its due time, or from now when it is already
    overdue (a task a week late snoozed for a day is due tomorrow, not six days ago)."""
    if days not in SNOOZE_DAYS:
        raise ValidationError(_("Snooze for a day or for a week."))
    current = Task.objects.get(pk=task.pk)
    start = max(current.due_at, now or timezone.now())
    return task_reschedule(
        task=current,
        by=by,
        due_at=start + datetime.timedelta(days=days),
        expected_version=expected_version,
    )


def open_work_follows_team(patient_id: int) -> None:
    """A patient hook (patients.hooks: in the patient change's transaction), run before the
    reminders' own: open tasks and goals held by someone outside the patient's care team
    (the patient moved to another team) go to the patient's primary coordinator, so the
    work stays with the team that can see the patient; their versions move on. Nothing
    moves without a coordinator in the team to take it."""
    patient = Patient.objects.only("care_team_id", "primary_coordinator_id").get(pk=patient_id)
    members = TeamMembership.objects.filter(team_id=patient.care_team_id).values("user_id")
    coordinator = patient.primary_coordinator_id
    if coordinator is None or not members.filter(user_id=coordinator).exists():
        return
    moved = {"version": F("version") + 1, "updated_at": timezone.now()}
    Task.objects.open().filter(patient_id=patient_id).exclude(assignee_id__in=members).update(
        assignee_id=coordinator, **moved
    )
    Goal.objects.open().filter(care_plan__patient_id=patient_id, owner__isnull=False).exclude(
        owner_id__in=members
    ).update(owner_id=coordinator, **moved)


@transaction.atomic
def tasks_move_with_patient(*, patient: Patient, from_user_id: int | None, to: User) -> int:
    """Hand the patient's open tasks held by their previous coordinator to the new one.

    Called by patients.services.patient_reassign inside its transaction. Only tasks still
    open and still assigned to the previous coordinator move (the WHERE clause is the
    guard: a task completed or handed on meanwhile stays as it is); each moved task's
    version moves on, so a form opened before the move is refused as stale.
    Returns how many tasks moved.
    """
    if from_user_id is None or from_user_id == to.pk:
        return 0
    if not TeamMembership.objects.filter(
        user_id=to.pk, team_id=patient.care_team_id, user__is_active=True
    ).exists():
        raise ValidationError(_("Choose an active member of the patient's care team."))
    return (
        Task.objects.open()
        .filter(patient_id=patient.pk, assignee_id=from_user_id)
        .update(assignee=to, version=F("version") + 1, updated_at=timezone.now())
    )
