"""Access to one care plan, goal or task. "Not yours" and "does not exist" are both 404;
in scope without the permission is 403 (as patients.permissions.access_patient)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from accounts.models import User
from careplans.models import CarePlan, Goal, Task
from careplans.selectors import care_plans_visible_to, goals_visible_to, tasks_visible_to


def access_care_plan(user: User, pk: int, *, perm: str = "careplans.view_careplan") -> CarePlan:
    care_plan = get_object_or_404(
        care_plans_visible_to(user).select_related(
            "patient__care_team",
            "patient__primary_coordinator",
            "author",
            "last_review__reviewed_by",
        ),
        pk=pk,
    )
    if not user.has_perm(perm):
        raise PermissionDenied
    return care_plan


def access_goal(user: User, pk: int, *, perm: str = "careplans.view_goal") -> Goal:
    goal = get_object_or_404(
        goals_visible_to(user).select_related("care_plan__patient", "owner"), pk=pk
    )
    if not user.has_perm(perm):
        raise PermissionDenied
    return goal


def access_task(user: User, pk: int, *, perm: str = "careplans.view_task") -> Task:
    task = get_object_or_404(
        tasks_visible_to(user).select_related("patient", "care_plan", "goal", "assignee"), pk=pk
    )
    if not user.has_perm(perm):
        raise PermissionDenied
    return task
