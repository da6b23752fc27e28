"""PHI stays out of the logs and the audit trail for API and FHIR requests too; search
terms travel in query strings only (which the access logs drop)."""

from __future__ import annotations

import logging

import pytest

from audit.models import AuditEvent
from tests.factories import PatientFactory
from tests.test_privacy import MARKER

pytestmark = pytest.mark.django_db


def test_no_phi_in_logs_or_the_audit_trail(api, team_a, coordinator, caplog):
    patient = PatientFactory(care_team=team_a, family_name=MARKER, city=MARKER, mrn=f"{MARKER}-1")
    caplog.set_level(logging.DEBUG)
    requests = [
        api.get("/api/v1/patients/", {"search": MARKER}),
        api.get(f"/api/v1/patients/{patient.pk}/"),
        api.get(f"/fhir/Patient/{patient.pk}/$everything"),
        api.get("/api/v1/patients/", {"risk_level": MARKER}),  # 400
        api.patch(f"/api/v1/patients/{patient.pk}/", {"sex": MARKER, "version": 1}),  # 400
        api.patch(f"/api/v1/patients/{patient.pk}/", {"city": "X", "version": 99}),  # 412
        api.get("/api/v1/patients/999999/"),  # 404
    ]
    assert [r.status_code for r in requests] == [200, 200, 200, 400, 400, 412, 404]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert MARKER not in logged
    for event in AuditEvent.objects.all():
        assert MARKER not in f"{event.route} {event.detail} {event.object_id}"


def test_casework_requests_keep_phi_out_of_logs_and_the_trail(
    manager_api, patient, case_manager, caplog
):
    from tests.benefits.factories import BenefitApplicationFactory, CoverageFactory

    coverage = CoverageFactory(patient=patient, member_id=MARKER, subscriber_name=MARKER)
    application = BenefitApplicationFactory(
        patient=patient, case_manager=case_manager, notes=MARKER
    )
    caplog.set_level(logging.DEBUG)
    coverage_body = {"patient": patient.pk, "payer": "X", "member_id": MARKER}
    requests = [
        manager_api.get("/api/v1/coverages/", {"search": MARKER}),
        manager_api.get(f"/api/v1/coverages/{coverage.pk}/"),
        manager_api.post("/api/v1/coverages/", coverage_body),  # 400: no start date
        manager_api.patch(f"/api/v1/coverages/{coverage.pk}/", {"order": MARKER}),  # 400
        manager_api.get(f"/api/v1/benefit-applications/{application.pk}/"),
        manager_api.post(
            f"/api/v1/benefit-applications/{application.pk}/transition/",
            {"to": "denied", "reason": MARKER},
        ),  # 409
        manager_api.post(
            f"/api/v1/benefit-applications/{application.pk}/documents/", {"name": MARKER}
        ),
        manager_api.get(f"/fhir/Coverage/{coverage.pk}"),
    ]
    assert [r.status_code for r in requests] == [200, 200, 400, 400, 200, 409, 201, 200]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert MARKER not in logged
    for event in AuditEvent.objects.all():
        assert MARKER not in f"{event.route} {event.detail} {event.object_id}"
