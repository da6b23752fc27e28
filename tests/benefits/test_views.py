"""The case manager's benefits and programs view, the patient page's casework sections
and the casework pages: scope, query budgets, labels, no inline script."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from assessments.models import Domain, Severity
from benefits.models import ApplicationStatus
from programs.models import SessionStatus
from programs.services import session_record
from tests.assessments.factories import AssessmentFactory, IdentifiedNeedFactory
from tests.benefits.factories import (
    BenefitApplicationFactory,
    CoverageFactory,
    PriorAuthorisationFactory,
)
from tests.factories import PatientFactory, UserFactory
from tests.programs.factories import EnrolmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db

A = ApplicationStatus

# Benefits and programs view:
#   session, user, role names, user and group permissions     5
#   applications by status (one GROUP BY), open applications,
#     renewals due, authorisations expiring, enrolments below
#     threshold, high-severity needs not addressed            6
#   the bell's unread count, the audit row                    2
CASEWORK_BUDGET = 13


def caseload(size: int, *, team, case_manager, coordinator):
    """``size`` patients with one of everything the view lists (and one that it does not)."""
    program = ProgramFactory(team=team, attendance_threshold=80)
    today = timezone.localdate()
    for number in range(size):
        patient = PatientFactory(
            care_team=team, primary_coordinator=coordinator, case_manager=case_manager
        )
        BenefitApplicationFactory(patient=patient, case_manager=case_manager, state=A.SUBMITTED)
        BenefitApplicationFactory(
            patient=patient,
            case_manager=case_manager,
            state=A.APPROVED,
            program="medicaid",
        ).__class__.objects.filter(patient=patient, program="medicaid").update(
            renewal_due_on=today + datetime.timedelta(days=number % 30)
        )
        PriorAuthorisationFactory(
            patient=patient, valid_to=today + datetime.timedelta(days=1 + number % 29)
        )
        PriorAuthorisationFactory(patient=patient, valid_to=today + datetime.timedelta(days=90))
        enrolment = EnrolmentFactory(
            patient=patient, program=program, case_manager=case_manager, enrolled=True
        )
        for status in (SessionStatus.ATTENDED, SessionStatus.MISSED):
            session_record(enrolment=enrolment, by=case_manager, held_on=today, status=status)
        IdentifiedNeedFactory(patient=patient, domain=Domain.FOOD, severity=Severity.HIGH)
        IdentifiedNeedFactory(patient=patient, domain=Domain.UTILITIES, severity=Severity.MEDIUM)


@pytest.mark.parametrize("size", [1, 12])
def test_casework_view_lists_every_kind_with_a_constant_query_count(
    client, team_a, case_manager, coordinator, size, django_assert_max_num_queries
):
    caseload(size, team=team_a, case_manager=case_manager, coordinator=coordinator)
    client.force_login(case_manager)
    with django_assert_max_num_queries(CASEWORK_BUDGET):
        response = client.get(reverse("benefits:casework"))
    assert response.status_code == 200
    work = response.context["work"]
    counts = {value: count for value, _label, count in work.applications_by_status}
    assert counts[A.SUBMITTED] == size and counts[A.APPROVED] == size
    assert len(work.open_applications) == size
    assert len(work.renewals_due) == size
    assert len(work.authorisations_expiring) == size
    assert len(work.low_attendance) == size  # 1 of 2 attended: 50% < 80%
    assert [n.domain for n in work.high_needs] == [Domain.FOOD] * size
    page = response.content.decode()
    patient_links = set(re.findall(r'href="/patients/(\d+)/"', page))
    assert len(patient_links) == size


def test_an_overdue_renewal_stays_on_the_casework_view(client, patient, case_manager):
    today = timezone.localdate()
    for renewal_due_on in (today - datetime.timedelta(days=3), today + datetime.timedelta(days=90)):
        application = BenefitApplicationFactory(
            patient=patient, case_manager=case_manager, state=A.APPROVED
        )
        type(application).objects.filter(pk=application.pk).update(renewal_due_on=renewal_due_on)
    client.force_login(case_manager)
    response = client.get(reverse("benefits:casework"))
    work = response.context["work"]
    assert [a.renewal_due_on for a in work.renewals_due] == [today - datetime.timedelta(days=3)]
    assert "Overdue</span>" in response.content.decode()


def test_casework_view_shows_only_the_users_teams(
    client, team_a, team_b, case_manager, coordinator, coordinator_b
):
    manager_b = UserFactory(role=Role.CASE_MANAGER, teams=[team_b])
    caseload(1, team=team_b, case_manager=manager_b, coordinator=coordinator_b)
    client.force_login(case_manager)
    work = client.get(reverse("benefits:casework")).context["work"]
    assert not any(
        [
            work.open_applications,
            work.renewals_due,
            work.authorisations_expiring,
            work.low_attendance,
            work.high_needs,
        ]
    )
    assert all(count == 0 for _v, _l, count in work.applications_by_status)


def test_coordinators_get_403_and_no_menu_link(coordinator_client, client, case_manager):
    assert coordinator_client.get(reverse("benefits:casework")).status_code == 403
    home = coordinator_client.get(reverse("patients:list")).content.decode()
    assert reverse("benefits:casework") not in home
    client.force_login(case_manager)
    assert reverse("benefits:casework") in client.get(reverse("patients:list")).content.decode()


def full_patient(patient, case_manager, size: int):
    program = ProgramFactory(team=patient.care_team)
    for number in range(size):
        AssessmentFactory(
            patient=patient,
            assessed_by=case_manager,
            assessed_on=timezone.localdate() - datetime.timedelta(days=number),
        )
        CoverageFactory(patient=patient, effective_to=timezone.localdate())
        PriorAuthorisationFactory(patient=patient)
        BenefitApplicationFactory(patient=patient, case_manager=case_manager, state=A.DENIED)
    for domain in list(Domain.values)[:size]:
        IdentifiedNeedFactory(patient=patient, domain=domain)
    EnrolmentFactory(patient=patient, program=program, case_manager=case_manager, enrolled=True)


def test_patient_page_casework_sections_run_a_constant_number_of_queries(
    client, patient, case_manager
):
    """Needs (3 queries: assessments, the two latest results, needs), enrolments (1),
    coverage, authorisations and applications (3), whatever the number of records."""
    client.force_login(case_manager)
    few, many = patient, PatientFactory(care_team=patient.care_team, case_manager=case_manager)
    full_patient(few, case_manager, 1)
    full_patient(many, case_manager, 8)
    counts = []
    for someone in (few, many):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("patients:detail", args=[someone.pk]))
        counts.append(len(queries))
        page = response.content.decode()
        for heading in ("Social needs", "Programs", "Coverage and benefits", "Appeal by"):
            assert heading in page
    assert counts[0] == counts[1], "\n".join(q["sql"] for q in queries)


def test_patient_page_flags_expired_coverage_and_low_attendance(client, patient, case_manager):
    CoverageFactory(patient=patient, effective_to=timezone.localdate() - datetime.timedelta(1))
    enrolment = EnrolmentFactory(patient=patient, case_manager=case_manager, enrolled=True)
    session_record(
        enrolment=enrolment,
        by=case_manager,
        held_on=timezone.localdate(),
        status=SessionStatus.MISSED,
    )
    client.force_login(case_manager)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Expired" in page and "Below threshold" in page


def casework_urls(patient, case_manager):
    application = BenefitApplicationFactory(patient=patient, case_manager=case_manager)
    enrolment = EnrolmentFactory(patient=patient, case_manager=case_manager, enrolled=True)
    need = IdentifiedNeedFactory(patient=patient)
    return [
        reverse("assessments:create", args=[patient.pk]),
        reverse("assessments:create", args=[patient.pk])
        + f"?template={AssessmentFactory().template_id}&language=es",
        reverse("assessments:need_detail", args=[need.pk]),
        reverse("assessments:need_resolve", args=[need.pk]),
        reverse("programs:enrolment_create", args=[patient.pk]),
        reverse("programs:enrolment_detail", args=[enrolment.pk]),
        reverse("programs:enrolment_transition", args=[enrolment.pk, "paused"]),
        reverse("programs:session_create", args=[enrolment.pk]),
        reverse("benefits:coverage_create", args=[patient.pk]),
        reverse("benefits:authorisation_create", args=[patient.pk]),
        reverse("benefits:application_create", args=[patient.pk]),
        reverse("benefits:application_detail", args=[application.pk]),
        reverse("benefits:application_edit", args=[application.pk]),
        reverse("benefits:application_transition", args=[application.pk, "submitted"]),
        reverse("benefits:casework"),
        reverse("patients:detail", args=[patient.pk]),
    ]


def test_every_casework_form_field_has_a_label_and_no_page_has_inline_script(
    client, patient, case_manager
):
    client.force_login(case_manager)
    for url in casework_urls(patient, case_manager):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        fields = re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
        visible = [f for f in fields if 'type="hidden"' not in f and "csrfmiddleware" not in f]
        ids = {re.search(r'\bid="([^"]+)"', f).group(1) for f in visible if " id=" in f}
        labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
        assert ids <= labelled, (url, ids - labelled)
        assert len(ids) == len(visible), (url, "a visible field without an id")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\son[a-z]+=", html), url


def test_records_of_another_team_are_404(client, case_manager, patient_b, team_b):
    coordinator_b = UserFactory(role=Role.CASE_MANAGER, teams=[team_b])
    application = BenefitApplicationFactory(patient=patient_b, case_manager=coordinator_b)
    enrolment = EnrolmentFactory(patient=patient_b, case_manager=coordinator_b)
    need = IdentifiedNeedFactory(patient=patient_b)
    assessment = AssessmentFactory(patient=patient_b)
    coverage = CoverageFactory(patient=patient_b)
    authorisation = PriorAuthorisationFactory(patient=patient_b)
    client.force_login(case_manager)
    for url in [
        reverse("benefits:application_detail", args=[application.pk]),
        reverse("benefits:application_transition", args=[application.pk, "submitted"]),
        reverse("benefits:coverage_edit", args=[coverage.pk]),
        reverse("benefits:authorisation_edit", args=[authorisation.pk]),
        reverse("programs:enrolment_detail", args=[enrolment.pk]),
        reverse("assessments:need_detail", args=[need.pk]),
        reverse("assessments:detail", args=[assessment.pk]),
        reverse("assessments:create", args=[patient_b.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("benefits:document_mark", args=[application.documents.first().pk])
    )
    assert response.status_code == 404


def test_a_coverage_edit_saves_the_version_loaded_and_refuses_a_stale_one(
    client, patient, case_manager
):
    coverage = CoverageFactory(patient=patient, payer="MassHealth")
    client.force_login(case_manager)
    url = reverse("benefits:coverage_edit", args=[coverage.pk])
    page = client.get(url).content.decode()
    assert re.search(r'<input type="hidden" name="version" value="1"', page)
    form = {
        "payer": "Tufts Health",
        "member_id": coverage.member_id,
        "subscriber_relationship": coverage.subscriber_relationship,
        "order": coverage.order,
        "status": coverage.status,
        "effective_from": coverage.effective_from.isoformat(),
        "version": 1,
    }
    saved = client.post(url, form)
    assert saved.status_code == 302
    # The same form sent again (another tab, or a colleague who loaded version 1).
    stale = client.post(url, {**form, "payer": "Other payer"})
    assert stale.status_code in (200, 400)
    assert "Someone else saved this coverage after you opened it" in stale.content.decode()
    coverage.refresh_from_db()
    assert (coverage.payer, coverage.version) == ("Tufts Health", 2)


def test_an_overdue_decision_is_flagged_like_every_other_lateness(client, patient, case_manager):
    """Issue 25, item 6: a decision expected five weeks ago was shown as a plain date."""
    application = BenefitApplicationFactory(
        patient=patient, case_manager=case_manager, state=A.SUBMITTED
    )
    late = timezone.localdate() - datetime.timedelta(weeks=5)
    type(application).objects.filter(pk=application.pk).update(decision_due_on=late)
    client.force_login(case_manager)
    badge = '<span class="badge danger">Overdue</span>'
    for url in (
        reverse("benefits:casework"),
        reverse("benefits:application_detail", args=[application.pk]),
        reverse("patients:detail", args=[patient.pk]),
    ):
        assert badge in client.get(url).content.decode(), url
    type(application).objects.filter(pk=application.pk).update(
        decision_due_on=timezone.localdate() + datetime.timedelta(days=3)
    )
    assert badge not in client.get(reverse("benefits:casework")).content.decode()
