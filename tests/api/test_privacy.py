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
