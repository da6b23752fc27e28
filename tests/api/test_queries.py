"""Every list endpoint runs a constant number of queries: 3 rows or 30, the same count
(PERFORMANCE.md). The budgets, for a token request that was used a moment ago:

1 token with its user; 1 for the user's roles and permissions together (accounts/backends.py:
the scope rule's "admin?" reads the same); the page's rows (plus its prefetches); 1 audit row.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.services import assessment_record
from programs.services import session_record
from tests.assessments.factories import (
    DomainRuleFactory,
    IdentifiedNeedFactory,
    ScreeningTemplateFactory,
    question_with_options,
)
from tests.benefits.factories import (
    BenefitApplicationFactory,
    CoverageFactory,
    PriorAuthorisationFactory,
)
from tests.careplans.factories import CarePlanFactory, GoalFactory, GoalProgressFactory, TaskFactory
from tests.factories import CareTeamFactory, PatientFactory, UserFactory
from tests.programs.factories import EnrolmentFactory, ProgramFactory
from tests.referrals.factories import ReferralFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def count(client, url: str) -> int:
    client.get(url)  # the token's last use is noted on the first request of a minute
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


def grow(make, n: int) -> None:
    for _ in range(n):
        make()


@pytest.fixture
def plan(patient, coordinator):
    return CarePlanFactory(patient=patient, author=coordinator)


def screened(r) -> None:
    """An assessment with two answers and two domain results."""
    question_ids = [q.pk for q in r["questions"]]
    assessment_record(
        patient=r["patient"],
        template=r["questions"][0].template,
        by=r["manager"],
        answers={pk: r["questions"][i].options.last().pk for i, pk in enumerate(question_ids)},
    )


def patient_enrolled(r) -> None:
    EnrolmentFactory(
        patient=PatientFactory(care_team=r["team"]),
        program=r["program"],
        case_manager=r["manager"],
    )


LISTS = {
    # url: (queries, how to add one row). Every one: the token with its user, the user's
    # roles and permissions (1), the audit row; then what the list itself needs.
    # + the page of rows (cursor: no count), their identifiers (prefetch)
    "/api/v1/patients/": (5, lambda r: PatientFactory(care_team=r["team"])),
    # + count, the page, its needs (prefetch)
    "/api/v1/care-plans/": (6, lambda r: CarePlanFactory(patient=r["patient"], author=r["user"])),
    # + count, the page with plans and achievement (subquery)
    "/api/v1/goals/": (5, lambda r: GoalFactory(care_plan=r["plan"])),
    # + the page (cursor)
    "/api/v1/tasks/": (4, lambda r: TaskFactory(patient=r["patient"], assignee=r["user"])),
    # + the page with services and organisations, overdue computed in SQL
    "/api/v1/referrals/": (
        4,
        lambda r: ReferralFactory(
            patient=r["patient"], referred_by=r["user"], service=ServiceFactory()
        ),
    ),
    # + count, the page with organisations
    "/api/v1/services/": (5, lambda r: ServiceFactory()),
    "/api/v1/organizations/": (5, lambda r: ServiceFactory()),
    # + role check, count, the page, groups and teams (prefetch)
    "/api/v1/users/": (7, lambda r: UserFactory(teams=[r["team"]])),
    # (an admin: no permission queries) role check, count, the page, members (prefetch)
    "/api/v1/teams/": (5, lambda r: CareTeamFactory()),
    # + count, the page (no patient data: no scope)
    "/api/v1/screening-templates/": (5, lambda r: ScreeningTemplateFactory()),
    # + the page with templates, domain results and answers with their
    # questions and options (two prefetches)
    "/api/v1/assessments/": (6, screened),
    # + the page
    "/api/v1/identified-needs/": (
        4,
        lambda r: IdentifiedNeedFactory(patient=PatientFactory(care_team=r["team"])),
    ),
    # + count, the page
    "/api/v1/programs/": (5, lambda r: ProgramFactory()),
    # + the page with programs (shares and the threshold flag need them)
    "/api/v1/enrolments/": (4, patient_enrolled),
    # + the page with enrolments
    "/api/v1/attendance-sessions/": (
        4,
        lambda r: session_record(
            enrolment=r["enrolment"],
            by=r["user"],
            held_on=r["enrolment"].start_date,
            status="attended",
        ),
    ),
    # + the page
    "/api/v1/coverages/": (4, lambda r: CoverageFactory(patient=r["patient"])),
    "/api/v1/prior-authorisations/": (4, lambda r: PriorAuthorisationFactory(patient=r["patient"])),
    # + the page, the document checklists (prefetch)
    "/api/v1/benefit-applications/": (
        5,
        lambda r: BenefitApplicationFactory(patient=r["patient"], case_manager=r["manager"]),
    ),
}


@pytest.mark.parametrize("url", sorted(LISTS))
def test_lists_run_constant_queries(
    api, admin_api, url, team_a, patient, coordinator, case_manager, plan
):
    budget, make = LISTS[url]
    rows = {"team": team_a, "patient": patient, "user": coordinator, "plan": plan}
    rows["manager"] = case_manager
    if url == "/api/v1/assessments/":
        template = ScreeningTemplateFactory()
        DomainRuleFactory(template=template, domain="food")
        DomainRuleFactory(template=template, domain="safety")
        rows["questions"] = [
            question_with_options(template, domain, [0, 2]) for domain in ("food", "safety")
        ]
    if url in ("/api/v1/enrolments/", "/api/v1/attendance-sessions/"):
        rows["program"] = ProgramFactory()
        rows["enrolment"] = EnrolmentFactory(
            patient=patient, program=rows["program"], case_manager=case_manager, enrolled=True
        )
    client = admin_api if url == "/api/v1/teams/" else api  # admins list every team
    grow(lambda: make(rows), 3)
    few = count(client, url)
    grow(lambda: make(rows), 27)
    many = count(client, url)
    assert few == many, f"{url}: {few} queries for 3 rows, {many} for 30"
    assert many == budget, f"{url}: {many} queries, expected {budget}"


def test_sub_lists_run_constant_queries(api, patient, coordinator, plan):
    goal = GoalFactory(care_plan=plan)
    referral = ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    progress = f"/api/v1/goals/{goal.pk}/progress/"
    contacts = f"/api/v1/referrals/{referral.pk}/contacts/"

    def add(n):
        for _ in range(n):
            GoalProgressFactory(goal=goal, recorded_by=coordinator)
            api.post(contacts, {"channel": "phone", "direction": "outbound"})

    add(3)
    few = (count(api, progress), count(api, contacts))
    add(27)
    assert (count(api, progress), count(api, contacts)) == few
    assert max(few) <= 9
