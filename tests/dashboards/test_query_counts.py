"""Query budgets: each dashboard runs the same number of queries with 10 and with 1,000
patients, and fewer than 20 (issue 6). The caseload is written with bulk_create."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.dashboards.bulk import build_caseload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# My day, for a coordinator, when it is drawn (dashboards/freshness.py keeps it after):
#   session, user, roles with permissions (accounts/backends.py)                3
#   the teams' generation (PostgreSQL; dashboards/freshness.py)                 1
#   tasks overdue + due today (one windowed query)                             1
#   referrals awaiting, appointments in 7 days, past with no outcome (one)     1
#   goals due in 14 days, plans due for review, patients without an active
#     plan, high-risk patients without contact                                 4
#   the bell's unread count                                                     1
#   the audit row                                                               1
MY_DAY_BUDGET = 12
# Caseload review, for a case manager:
#   session, user, roles with permissions                                       3
#   the teams' generation                                                       1
#   teams; goals achieved and reviews in the period, counted per team          3
#   patients, open tasks, open referrals grouped per coordinator                3
#   the people in the rows                                                      1
#   referral figures (referrals.selectors.referral_figures: facts, team names,
#     coordinator names)                                                        3
#   closed-loop trend                                                           1
#   the bell's unread count                                                     1
#   the audit row                                                               1
CASELOAD_BUDGET = 17
# The CSV: the same without the team figures, trend and charts.
EXPORT_BUDGET = 13


@pytest.fixture
def second_coordinator(team_a):
    from accounts.roles import Role

    return UserFactory(username="coord-a2", role=Role.COORDINATOR, teams=[team_a])


def _count_queries(client, url, django_assert_max_num_queries, budget):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with django_assert_max_num_queries(budget), CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("size", [10, 1000])
def test_my_day_query_count_is_constant(
    client, team_a, coordinator, second_coordinator, case_manager, size,
    django_assert_max_num_queries,
):  # fmt: skip
    build_caseload(
        count=size, team=team_a, coordinators=[coordinator, second_coordinator], author=case_manager
    )
    client.force_login(coordinator)
    count, response = _count_queries(
        client, reverse("dashboards:my_day"), django_assert_max_num_queries, MY_DAY_BUDGET
    )
    page = response.content.decode()
    assert "Overdue" in page and "Family" in page


@pytest.mark.parametrize("size", [10, 1000])
def test_caseload_review_query_count_is_constant(
    client, team_a, coordinator, second_coordinator, case_manager, size,
    django_assert_max_num_queries,
):  # fmt: skip
    build_caseload(
        count=size, team=team_a, coordinators=[coordinator, second_coordinator], author=case_manager
    )
    client.force_login(case_manager)
    for period in (30, 90, 365):
        url = f"{reverse('dashboards:caseload')}?period={period}&sort=-overdue_tasks"
        _count, response = _count_queries(
            client, url, django_assert_max_num_queries, CASELOAD_BUDGET
        )
        assert response.context["review"].coordinators[0].active_patients > 0


@pytest.mark.parametrize("size", [10, 1000])
def test_caseload_export_query_count_is_constant(
    client, team_a, coordinator, second_coordinator, case_manager, size,
    django_assert_max_num_queries,
):  # fmt: skip
    build_caseload(
        count=size, team=team_a, coordinators=[coordinator, second_coordinator], author=case_manager
    )
    client.force_login(case_manager)
    _count_queries(
        client, reverse("dashboards:caseload_export"), django_assert_max_num_queries, EXPORT_BUDGET
    )


def test_same_number_of_queries_with_10_and_1000_patients(
    client, team_a, team_b, coordinator, second_coordinator, case_manager, coordinator_b,
    django_assert_max_num_queries,
):  # fmt: skip
    """Not only under the budget: exactly the same count, small or large."""
    build_caseload(count=10, team=team_b, coordinators=[coordinator_b], author=coordinator_b)
    counts = {}
    for size, prefix in ((10, "S"), (990, "L")):
        build_caseload(
            count=size,
            team=team_a,
            coordinators=[coordinator, second_coordinator],
            author=case_manager,
            prefix=prefix,
        )
        for user, url, budget in (
            (coordinator, reverse("dashboards:my_day"), MY_DAY_BUDGET),
            (case_manager, reverse("dashboards:caseload"), CASELOAD_BUDGET),
        ):
            client.force_login(user)
            counts[(size, url)], _response = _count_queries(
                client, url, django_assert_max_num_queries, budget
            )
    assert counts[(10, reverse("dashboards:my_day"))] == counts[(990, reverse("dashboards:my_day"))]
    assert (
        counts[(10, reverse("dashboards:caseload"))]
        == counts[(990, reverse("dashboards:caseload"))]
    )
