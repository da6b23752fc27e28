"""/api/v1/coverages/, /api/v1/prior-authorisations/ and /api/v1/benefit-applications/
(with the document checklist)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent, AuditOutcome
from benefits.models import (
    ApplicationTransition,
    BenefitApplication,
    Coverage,
    PriorAuthorisation,
    RequiredDocument,
)
from tests.benefits.factories import (
    BenefitApplicationFactory,
    CoverageFactory,
    PriorAuthorisationFactory,
)

pytestmark = pytest.mark.django_db

COVERAGES = "/api/v1/coverages/"
AUTHORISATIONS = "/api/v1/prior-authorisations/"
APPLICATIONS = "/api/v1/benefit-applications/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def day(offset: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=offset)).isoformat()


@pytest.fixture
def application(patient, case_manager):
    return BenefitApplicationFactory(
        patient=patient, case_manager=case_manager, state="gathering_documents"
    )


# --- Coverage --------------------------------------------------------------------------------


def test_add_and_change_coverage(manager_api, patient, case_manager):
    response = manager_api.post(
        COVERAGES,
        {
            "patient": patient.pk,
            "payer": "MassHealth",
            "member_id": "M123",
            "effective_from": day(-30),
            "order": 1,
        },
    )
    assert response.status_code == 201, response.content
    coverage = Coverage.objects.get(pk=response.json()["id"])
    assert (coverage.status, coverage.subscriber_relationship) == ("active", "self")
    assert response["ETag"] == '"1"'
    url = f"{COVERAGES}{coverage.pk}/"
    unversioned = manager_api.patch(url, {"status": "entered-in-error"})
    assert unversioned.status_code == 400 and "version" in unversioned.json()
    changed = manager_api.patch(url, {"status": "entered-in-error"}, HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200 and changed.json()["status"] == "entered-in-error"
    assert changed["ETag"] == '"2"'
    # Another edit came first: the version sent is no longer current.
    stale = manager_api.patch(url, {"status": "active", "version": 1})
    assert stale.status_code == 412
    bad = manager_api.patch(url, {"effective_to": day(-60), "version": 2})
    assert bad.status_code == 400 and "effective_to" in bad.json()
    coverage.refresh_from_db()
    assert (coverage.status, coverage.effective_to, coverage.version) == (
        "entered-in-error",
        None,
        2,
    )
    event = AuditEvent.objects.filter(route="api:coverage-detail", method="PATCH").first()
    assert (event.patient_id, event.object_id) == (patient.pk, str(coverage.pk))


def test_coverage_validation_roles_and_scope(api, manager_api, outsider_api, patient, patient_b):
    body = {"patient": patient.pk, "payer": "X", "member_id": "1", "effective_from": day(0)}
    assert api.post(COVERAGES, body).status_code == 403  # coordinators read coverage only
    missing = manager_api.post(COVERAGES, {"patient": patient.pk, "payer": "X"})
    assert missing.status_code == 400
    assert {"member_id", "effective_from"} <= set(missing.json())
    outside = manager_api.post(COVERAGES, {**body, "patient": patient_b.pk})
    assert outside.status_code == 400 and "patient" in outside.json()
    ordered = manager_api.post(COVERAGES, {**body, "effective_to": day(-1)})
    assert ordered.status_code == 400 and "effective_to" in ordered.json()
    assert not Coverage.objects.exists()
    coverage = CoverageFactory(patient=patient)
    change = {"payer": "Y", "version": 1}
    assert api.patch(f"{COVERAGES}{coverage.pk}/", change).status_code == 403
    assert outsider_api.patch(f"{COVERAGES}{coverage.pk}/", change).status_code == 404
    coverage.refresh_from_db()
    assert coverage.payer == "MassHealth"


def test_coverage_list_filters_and_scope(api, outsider_api, patient, patient_b):
    current = CoverageFactory(patient=patient)
    ended = CoverageFactory(
        patient=patient, effective_from=day(-400), effective_to=day(-100), status="cancelled"
    )
    CoverageFactory(patient=patient_b)
    assert ids(api.get(COVERAGES)) == [current.pk, ended.pk]  # latest start first
    assert ids(api.get(COVERAGES, {"in_force_on": day(0)})) == [current.pk]
    assert ids(api.get(COVERAGES, {"status": "cancelled", "patient": patient.pk})) == [ended.pk]
    body = api.get(f"{COVERAGES}{ended.pk}/").json()
    assert (body["is_expired"], body["member_id"]) == (True, ended.member_id)
    assert outsider_api.get(f"{COVERAGES}{current.pk}/").status_code == 404


# --- Prior authorisations ----------------------------------------------------------------------


def test_add_and_change_an_authorisation_with_its_version(manager_api, patient, patient_b):
    coverage = CoverageFactory(patient=patient)
    response = manager_api.post(
        AUTHORISATIONS,
        {
            "patient": patient.pk,
            "coverage": coverage.pk,
            "service": "Home health aide",
            "payer": "MassHealth",
            "reference_number": "PA-1",
            "units_approved": 20,
            "valid_from": day(-10),
            "valid_to": day(20),
        },
    )
    assert response.status_code == 201, response.content
    authorisation = PriorAuthorisation.objects.get(pk=response.json()["id"])
    assert (response.json()["units_left"], response["ETag"]) == (20, '"1"')
    url = f"{AUTHORISATIONS}{authorisation.pk}/"
    unversioned = manager_api.patch(url, {"units_used": 4})
    assert unversioned.status_code == 400 and "version" in unversioned.json()
    used = manager_api.patch(url, {"units_used": 4}, HTTP_IF_MATCH='"1"')
    assert used.status_code == 200 and used.json()["units_left"] == 16
    stale = manager_api.patch(url, {"units_used": 8, "version": 1})
    assert stale.status_code == 412
    too_many = manager_api.patch(url, {"units_used": 21, "version": 2})
    assert too_many.status_code == 400 and "units_used" in too_many.json()
    another = CoverageFactory(patient=patient_b)
    outside = manager_api.patch(url, {"coverage": another.pk, "version": 2})
    assert outside.status_code == 400 and "coverage" in outside.json()
    authorisation.refresh_from_db()
    assert (authorisation.units_used, authorisation.version) == (4, 2)


def test_an_authorisation_names_a_coverage_of_its_own_patient(manager_api, patient, team_a):
    from tests.factories import PatientFactory

    neighbour = CoverageFactory(patient=PatientFactory(care_team=team_a))
    response = manager_api.post(
        AUTHORISATIONS,
        {
            "patient": patient.pk,
            "coverage": neighbour.pk,
            "service": "Aide",
            "payer": "X",
            "reference_number": "PA-2",
            "units_approved": 1,
            "valid_from": day(0),
            "valid_to": day(1),
        },
    )
    assert response.status_code == 400 and "coverage" in response.json()
    assert not PriorAuthorisation.objects.exists()


def test_authorisations_list_filters_and_roles(api, outsider_api, patient, patient_b):
    soon = PriorAuthorisationFactory(patient=patient, valid_to=day(5))
    later = PriorAuthorisationFactory(patient=patient, valid_to=day(90))
    PriorAuthorisationFactory(patient=patient_b)
    assert ids(api.get(AUTHORISATIONS)) == [soon.pk, later.pk]  # ending first
    assert ids(api.get(AUTHORISATIONS, {"ends_before": day(30)})) == [soon.pk]
    assert ids(api.get(AUTHORISATIONS, {"valid_on": day(60)})) == [later.pk]
    assert api.get(f"{AUTHORISATIONS}{soon.pk}/").json()["is_expired"] is False
    url = f"{AUTHORISATIONS}{soon.pk}/"
    assert api.patch(url, {"units_used": 6, "version": soon.version}).status_code == 403
    assert outsider_api.get(url).status_code == 404


# --- Benefit applications ------------------------------------------------------------------


def test_start_an_application_with_its_checklist(manager_api, patient, case_manager):
    response = manager_api.post(
        APPLICATIONS,
        {"patient": patient.pk, "program": "snap", "case_manager": case_manager.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["documents_complete"]) == ("not_started", False)
    assert body["documents_missing"] == len(body["documents"]) == 4  # the usual SNAP ones
    custom = manager_api.post(
        APPLICATIONS,
        {
            "patient": patient.pk,
            "program": "housing",
            "case_manager": case_manager.pk,
            "documents": ["Lease", "Lease", " Pay stubs "],
            "notes": "Waiting list",
        },
    )
    assert [d["name"] for d in custom.json()["documents"]] == ["Lease", "Pay stubs"]
    application = BenefitApplication.objects.get(pk=custom.json()["id"])
    assert ApplicationTransition.objects.get(application=application).actor == case_manager


def test_application_input_and_roles(api, manager_api, patient, coordinator):
    body = {"patient": patient.pk, "program": "snap", "case_manager": coordinator.pk}
    assert api.post(APPLICATIONS, body).status_code == 403
    wrong = manager_api.post(APPLICATIONS, body)
    assert wrong.status_code == 400 and "case_manager" in wrong.json()
    unknown = manager_api.post(APPLICATIONS, {**body, "program": "lottery"})
    assert unknown.status_code == 400 and "program" in unknown.json()
    assert not BenefitApplication.objects.exists()


def test_edit_an_application_with_its_version(manager_api, api, application):
    url = f"{APPLICATIONS}{application.pk}/"
    edited = manager_api.patch(url, {"notes": "Call the office", "version": application.version})
    assert edited.status_code == 200 and edited.json()["notes"] == "Call the office"
    stale = manager_api.patch(url, {"notes": "Again", "version": application.version})
    assert stale.status_code == 412
    assert api.patch(url, {"notes": "x", "version": application.version + 1}).status_code == 403
    application.refresh_from_db()
    assert application.notes == "Call the office"


def test_moves_set_their_dates_and_refusals_change_nothing(manager_api, application):
    url = f"{APPLICATIONS}{application.pk}/transition/"
    submitted = manager_api.post(url, {"to": "submitted", "decision_due_on": day(30)})
    assert submitted.status_code == 200, submitted.content
    body = submitted.json()
    assert (body["submitted_on"], body["decision_due_on"]) == (day(0), day(30))
    assert body["next_deadline"]["date"] == day(30)
    rows = ApplicationTransition.objects.filter(application=application).count()
    version = body["version"]
    for move, code, key in [
        ({"to": "denied"}, 400, "reason"),  # a denial needs a reason
        ({"to": "appeal", "reason": "x"}, 409, "allowed"),  # not from submitted
        ({"to": "approved", "on": day(3)}, 400, "on"),  # not in the future
        ({"to": "pending_decision", "version": version - 1}, 412, "detail"),
    ]:
        response = manager_api.post(url, move)
        assert response.status_code == code and key in response.json(), (move, response.json())
    application.refresh_from_db()
    assert (application.status, application.version) == ("submitted", version)
    assert ApplicationTransition.objects.filter(application=application).count() == rows
    denied = manager_api.post(url, {"to": "denied", "reason": "Over the income limit"})
    assert denied.status_code == 200
    assert denied.json()["appeal_deadline"] and denied.json()["allowed_transitions"] == ["appeal"]


def test_the_document_checklist(api, manager_api, outsider_api, application, patient, case_manager):
    documents = f"{APPLICATIONS}{application.pk}/documents/"
    added = manager_api.post(documents, {"name": "Birth certificate"})
    assert added.status_code == 201, added.content
    duplicate = manager_api.post(documents, {"name": "Birth certificate"})
    assert duplicate.status_code == 400 and "name" in duplicate.json()
    assert api.post(documents, {"name": "Passport"}).status_code == 403
    document = RequiredDocument.objects.get(pk=added.json()["id"])
    mark = f"{documents}{document.pk}/"
    ticked = manager_api.patch(mark, {"received": True, "received_on": day(-1)})
    assert ticked.status_code == 200
    assert (ticked.json()["status"], ticked.json()["received_on"]) == ("received", day(-1))
    future = manager_api.patch(mark, {"received": True, "received_on": day(2)})
    assert future.status_code == 400 and "received_on" in future.json()
    assert api.patch(mark, {"received": False}).status_code == 403
    assert outsider_api.patch(mark, {"received": False}).status_code == 404
    # A document of another application is not under this one.
    other = BenefitApplicationFactory(patient=patient, case_manager=case_manager)
    wrong = f"{APPLICATIONS}{other.pk}/documents/{document.pk}/"
    assert manager_api.patch(wrong, {"received": False}).status_code == 404
    document.refresh_from_db()
    assert (document.status, document.received_on.isoformat()) == ("received", day(-1))
    body = api.get(f"{APPLICATIONS}{application.pk}/").json()
    assert body["documents_missing"] == len(body["documents"]) - 1


def test_applications_list_filters_and_scope(
    api, outsider_api, patient, patient_b, case_manager, coordinator_b, application
):
    approved = BenefitApplicationFactory(
        patient=patient, case_manager=case_manager, state="approved", program="medicaid"
    )
    assert set(ids(api.get(APPLICATIONS))) == {application.pk, approved.pk}
    assert ids(api.get(APPLICATIONS, {"status": "approved"})) == [approved.pk]
    assert ids(api.get(APPLICATIONS, {"program": "medicaid", "patient": patient.pk})) == [
        approved.pk
    ]
    assert ids(api.get(APPLICATIONS, {"renewal_due_before": day(400)})) == [approved.pk]
    body = api.get(f"{APPLICATIONS}{approved.pk}/").json()
    assert body["next_deadline"] == {"label": "Renewal due", "date": body["renewal_due_on"]}
    assert outsider_api.get(f"{APPLICATIONS}{approved.pk}/").status_code == 404
    assert ids(outsider_api.get(APPLICATIONS)) == []
    denied = AuditEvent.objects.get(route="api:benefit-application-detail", outcome="denied")
    assert denied.patient_id is None
    assert AuditEvent.objects.filter(
        route="api:benefit-application-detail", outcome=AuditOutcome.SUCCESS, patient=patient
    ).exists()
