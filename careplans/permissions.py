"""Access to one care plan, goal or task. "Not yours" and "does not exist" are both 404;
in scope without the permission is 403 (as patients.permissions.access_patient)."""

from __future__ import annotations

from accounts.models import User
from careplans.models import CarePlan, Goal, Task
from careplans.selectors import care_plans_visible_to, goals_visible_to, tasks_visible_to
from patients.permissions import access_record


def access_care_plan(user: User, pk: int, *, perm: str = "careplans.view_careplan") -> CarePlan:
    queryset = care_plans_visible_to(user).select_related(
        "patient__care_team", "patient__primary_coordinator", "author", "last_review__reviewed_by"
    )
    return access_record(user, queryset, pk, perm=perm, patient_id=lambda plan: plan.patient_id)


def access_goal(user: User, pk: int, *, perm: str = "careplans.view_goal") -> Goal:
    queryset = goals_visible_to(user).select_related("care_plan__patient", "owner")
    return access_record(
        user, queryset, pk, perm=perm, patient_id=lambda goal: goal.care_plan.patient_id
    )


def access_task(user: User, pk: int, *, perm: str = "careplans.view_task") -> Task:
    queryset = tasks_visible_to(user).select_related("patient", "care_plan", "goal", "assignee")
    return access_record(user, queryset, pk, perm=perm, patient_id=lambda task: task.patient_id)
