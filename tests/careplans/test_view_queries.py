"""Query budgets: the care plan page, My tasks and the patient page's care section run the
same number of queries with 5 or 200 goals and tasks."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careplans.selectors import MY_TASKS_PAGE
from tests.careplans.factories import (
    CarePlanFactory,
    GoalFactory,
    GoalProgressFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

# Care plan page:
#   session, user                                   2
#   the user's role names (patients_visible_to)     1
#   care plan + patient, team, coordinator, author,
#     last review and its reviewer (access_care_plan) 1
#   user permissions, group permissions             2
#   needs, goals + owner, recent progress (one
#     windowed query), open tasks, closed tasks,
#     reviews, history                              7
#   the bell's unread count, the audit row          2
CARE_PLAN_PAGE_BUDGET = 15
# My tasks: session, user, role names, permissions (2), the team staff for the "assigned
# to" filter (1), tasks with patient, plan, goal (1), the bell's unread count (1), the
# audit row (1).
MY_TASKS_BUDGET = 9


def _plan_with(size: int, *, patient, coordinator):
    plan = CarePlanFactory(patient=patient, author=coordinator, active=True)
    goals = GoalFactory.create_batch(size, care_plan=plan, owner=coordinator)
    for goal in goals:
        GoalProgressFactory.create_batch(2, goal=goal, recorded_by=coordinator)
    now = timezone.now()
    for number in range(size):
        TaskFactory(
            patient=patient,
            care_plan=plan,
            goal=goals[number % len(goals)],
            assignee=coordinator,
            due_at=now + datetime.timedelta(hours=number - size // 2),
            # A few in other states, so several status groups show.
            moved_to=["requested", "accepted", "cancelled", "requested"][number % 4]
            if number % 5 == 0
            else None,
        )
    return plan


@pytest.mark.parametrize("size", [5, 200])
def test_care_plan_page_query_count_does_not_grow(
    coordinator_client, patient, coordinator, size, django_assert_max_num_queries
):
    plan = _plan_with(size, patient=patient, coordinator=coordinator)
    url = reverse("careplans:detail", args=[plan.pk])
    with django_assert_max_num_queries(CARE_PLAN_PAGE_BUDGET):
        response = coordinator_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="progress-history"') == size
    assert "Walk" in page


@pytest.mark.parametrize("size", [5, 200])
def test_my_tasks_query_count_does_not_grow(
    coordinator_client, patient, coordinator, size, django_assert_max_num_queries
):
    plan = CarePlanFactory(patient=patient, active=True)
    now = timezone.now()
    for number in range(size):
        TaskFactory(
            patient=patient,
            care_plan=plan if number % 2 else None,
            assignee=coordinator,
            due_at=now + datetime.timedelta(hours=6 * number - 3 * size),
        )
    with django_assert_max_num_queries(MY_TASKS_BUDGET):
        response = coordinator_client.get(reverse("careplans:my_tasks"))
    page = response.content.decode()
    assert page.count('class="task-row') == min(size, MY_TASKS_PAGE)
    assert ('rel="next"' in page) == (size > MY_TASKS_PAGE)


@pytest.mark.parametrize("size", [5, 200])
def test_patient_page_care_section_query_count_does_not_grow(
    coordinator_client, patient, coordinator, size
):
    CarePlanFactory(patient=patient, completed=True)
    plan = _plan_with(size, patient=patient, coordinator=coordinator)
    url = reverse("patients:detail", args=[patient.pk])
    with CaptureQueriesContext(connection) as with_plans:
        assert coordinator_client.get(url).status_code == 200
    plan.refresh_from_db()
    # The same page without any care records costs four queries less (the section's
    # plans, open goals, open tasks and timeline), whatever the number of records.
    from tests.factories import PatientFactory

    empty = PatientFactory(care_team=patient.care_team)
    with CaptureQueriesContext(connection) as without:
        assert (
            coordinator_client.get(reverse("patients:detail", args=[empty.pk])).status_code == 200
        )
    assert len(with_plans) == len(without), "\n".join(q["sql"] for q in with_plans)
