"""A change and its audit row commit together or not at all (audit.middleware)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from api.tokens import api_token_create
from audit.models import AuditEvent
from tests.careplans.factories import TaskFactory

REFUSE_AUDIT_INSERTS = """
CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'audit insert refused by the test'; END $$;
CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_auditevent
FOR EACH ROW EXECUTE FUNCTION test_refuse_audit();
"""
ALLOW_AUDIT_INSERTS = """
DROP TRIGGER IF EXISTS test_refuse_audit ON audit_auditevent;
DROP FUNCTION IF EXISTS test_refuse_audit();
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_whose_audit_row_fails_is_not_kept(coordinator, patient):
    task = TaskFactory(patient=patient, assignee=coordinator)
    _token, key = api_token_create(user=coordinator, by=coordinator, name="s", scope="write")
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    with connection.cursor() as cursor:
        cursor.execute(REFUSE_AUDIT_INSERTS)
    try:
        response = client.post(reverse("api:task-transition", args=[task.pk]), {"to": "accepted"})
    finally:
        with connection.cursor() as cursor:
            cursor.execute(ALLOW_AUDIT_INSERTS)
    assert response.status_code == 500
    task.refresh_from_db()
    assert task.status == "requested"  # the move did not commit without its row
    # The same move, with the trail working: both land.
    response = client.post(reverse("api:task-transition", args=[task.pk]), {"to": "accepted"})
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.status == "accepted"
    assert AuditEvent.objects.filter(patient_id=patient.pk, method="POST").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_answer_of_500_keeps_no_change_and_records_the_attempt(
    coordinator, patient, monkeypatch
):
    from careplans import transitions

    task = TaskFactory(patient=patient, assignee=coordinator)
    _token, key = api_token_create(user=coordinator, by=coordinator, name="s", scope="write")
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    real = transitions.task_transition

    def transition_then_fail(**kwargs):
        real(**kwargs)  # the change is written ...
        raise RuntimeError("a fault after the write")  # ... and then the request fails

    monkeypatch.setattr(transitions, "task_transition", transition_then_fail)
    response = client.post(reverse("api:task-transition", args=[task.pk]), {"to": "accepted"})
    assert response.status_code == 500
    task.refresh_from_db()
    assert task.status == "requested"
    attempt = AuditEvent.objects.get(method="POST")
    assert attempt.status_code == 500 and attempt.outcome == "failed"
