"""Who can be reassigned, and to whom (the case manager's reassign page)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from careplans.models import OPEN_TASK
from patients.models import Patient, PatientStatus
from patients.selectors import patients_visible_to, team_staff, teams_of

SHOWN = 200


@dataclass
class ReassignCandidates:
    queryset: QuerySet[Patient]  # what the form accepts (scoped, unsliced)
    patients: list[Patient] = field(default_factory=list)  # with open and overdue task counts
    team_ids: list[int] = field(default_factory=list)
    truncated: bool = False
    total: int = 0  # how many the queryset holds (more than shown when truncated)


def reassign_candidates(
    *,
    user: User,
    patient_ids: list[int],
    coordinator_id: int | None,
    overdue_only: bool,
    now: datetime.datetime,
) -> ReassignCandidates:
    """The patients named by id, or the open patients of one coordinator (optionally only
    those with overdue tasks), within the user's scope."""
    patients = patients_visible_to(user)
    if patient_ids:
        queryset = patients.filter(pk__in=patient_ids)
    elif coordinator_id:
        queryset = patients.filter(
            primary_coordinator_id=coordinator_id,
            status__in=(PatientStatus.ACTIVE, PatientStatus.INACTIVE),
        )
        if overdue_only:
            queryset = queryset.filter(
                tasks__status__in=OPEN_TASK, tasks__due_at__lt=now
            ).distinct()
    else:
        return ReassignCandidates(queryset=patients.none())
    open_task = Q(tasks__status__in=OPEN_TASK)
    rows = list(
        patients.filter(pk__in=queryset.values("pk"))
        .select_related("care_team", "primary_coordinator")
        .annotate(
            open_tasks=Count("tasks", filter=open_task),
            overdue_tasks=Count("tasks", filter=open_task & Q(tasks__due_at__lt=now)),
        )
        .order_by("family_name", "given_name", "pk")[: SHOWN + 1]
    )
    return ReassignCandidates(
        queryset=queryset,
        patients=rows[:SHOWN],
        team_ids=sorted({p.care_team_id for p in rows}),
        truncated=len(rows) > SHOWN,
        total=queryset.count() if len(rows) > SHOWN else len(rows),
    )


def reassign_staff(team_ids: list[int]) -> QuerySet[User]:
    """Who may take the patients: active members of their teams (the service checks each
    patient's own team)."""
    return team_staff(team_ids)


def user_team_ids(user: User) -> list[int]:
    return list(teams_of(user).values_list("pk", flat=True))
