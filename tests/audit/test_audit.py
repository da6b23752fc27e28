"""The audit trail: every signed-in request to a patient's records, every sign-in."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from audit.models import AuditAction, AuditEvent, AuditOutcome
from tests.factories import TEST_PASSWORD, RelatedPersonFactory

pytestmark = pytest.mark.django_db


def test_viewing_a_patient_is_recorded_with_who_what_and_where(
    coordinator_client, coordinator, patient
):
    coordinator_client.get(reverse("patients:detail", args=[patient.pk]), REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(patient=patient)
    assert (event.actor, event.action, event.outcome) == (
        coordinator,
        AuditAction.VIEW,
        AuditOutcome.SUCCESS,
    )
    assert (event.route, event.method, event.status_code) == ("patients:detail", "GET", 200)
    assert event.ip_address == "10.1.2.3"


def test_a_change_is_recorded_as_a_change(coordinator_client, patient):
    coordinator_client.post(
        reverse("patients:related_person_add", args=[patient.pk]),
        {"name": "Kim", "relationship": "friend"},
    )
    assert AuditEvent.objects.filter(
        patient=patient, action=AuditAction.CHANGE, method="POST"
    ).exists()


def test_a_look_outside_scope_is_recorded_as_denied(client, coordinator_b, patient):
    client.force_login(coordinator_b)
    client.get(reverse("patients:detail", args=[patient.pk]))
    event = AuditEvent.objects.get(route="patients:detail")
    assert (event.actor, event.outcome, event.status_code, event.patient_id) == (
        coordinator_b,
        AuditOutcome.DENIED,
        404,
        None,
    )


def test_lists_and_searches_are_recorded(coordinator_client):
    coordinator_client.get(reverse("patients:list"), {"q": "garcia"})
    event = AuditEvent.objects.get(route="patients:list")
    assert event.action == AuditAction.LIST
    # Search terms can be names: they are not kept in the trail.
    assert "garcia" not in str(event.detail) and "garcia" not in event.route


def test_every_patient_page_request_is_audited(coordinator_client, patient):
    """Audited PHI requests / PHI requests = 100% over the patient pages."""
    person = RelatedPersonFactory(patient=patient)
    urls = [
        reverse("patients:detail", args=[patient.pk]),
        reverse("patients:edit", args=[patient.pk]),
        reverse("patients:change_status", args=[patient.pk]),
        reverse("patients:related_person_add", args=[patient.pk]),
        reverse("patients:related_person_edit", args=[patient.pk, person.pk]),
    ]
    for url in urls:
        coordinator_client.get(url)
    audited = AuditEvent.objects.filter(patient=patient).count()
    assert audited / len(urls) == 1.0


def test_sign_in_sign_out_and_failed_sign_in_are_recorded(client, coordinator):
    client.post(
        reverse("accounts:login"),
        {"username": coordinator.username, "password": "wrong-password-123"},
    )
    client.post(
        reverse("accounts:login"), {"username": coordinator.username, "password": TEST_PASSWORD}
    )
    client.post(reverse("accounts:logout"))
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "actor_username"))
    assert actions == [
        (AuditAction.SIGN_IN_FAILED, coordinator.username),
        (AuditAction.SIGN_IN, coordinator.username),
        (AuditAction.SIGN_OUT, coordinator.username),
    ]
    assert "wrong-password" not in str(list(AuditEvent.objects.values("detail")))


def test_static_files_and_health_checks_are_not_recorded(coordinator_client):
    before = AuditEvent.objects.count()
    coordinator_client.get("/healthz")
    coordinator_client.get("/static/css/carehub.css")
    assert AuditEvent.objects.count() == before


def test_admin_cannot_change_or_delete_audit_events(
    client, admin_user, patient, coordinator_client
):
    coordinator_client.get(reverse("patients:detail", args=[patient.pk]))
    event = AuditEvent.objects.get(patient=patient)
    client.force_login(admin_user)
    assert (
        client.get(reverse("admin:audit_auditevent_changelist"), {"q": str(patient.pk)}).status_code
        == 200
    )
    assert (
        client.post(
            reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:audit_auditevent_change", args=[event.pk]), {"action": "view"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk, action=AuditAction.VIEW).exists()


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_audit_rows(coordinator_client, patient):
    coordinator_client.get(reverse("patients:detail", args=[patient.pk]))
    event = AuditEvent.objects.get(patient=patient)
    for statement in (
        "UPDATE audit_auditevent SET action = 'delete' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="delete")
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.VIEW


@pytest.mark.postgres
def test_postgres_refuses_truncate_of_the_audit_table(coordinator_client, patient):
    coordinator_client.get(reverse("patients:detail", args=[patient.pk]))
    with transaction.atomic(), connection.cursor() as cursor:
        # Off in the test database only, for the flush between transactional tests.
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_no_truncate")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("TRUNCATE audit_auditevent")
        assert AuditEvent.objects.filter(patient=patient).exists()
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_no_truncate")


def test_a_referral_export_is_recorded_as_an_export(coordinator_client):
    coordinator_client.get(reverse("referrals:export"))
    assert AuditEvent.objects.filter(route="referrals:export", action=AuditAction.EXPORT).exists()


def test_viewing_a_referral_records_its_patient(coordinator_client, coordinator, patient):
    from tests.referrals.factories import ReferralFactory

    referral = ReferralFactory(patient=patient, referred_by=coordinator)
    coordinator_client.get(reverse("referrals:detail", args=[referral.pk]))
    event = AuditEvent.objects.get(route="referrals:detail")
    assert (event.patient_id, event.object_type, event.object_id) == (
        patient.pk,
        "referrals.referral",
        str(referral.pk),
    )


def test_case_managers_and_admins_read_a_patients_trail_coordinators_cannot(
    client, coordinator, case_manager, admin_user, coordinator_b, patient
):
    url = reverse("audit:patient_trail", args=[patient.pk])
    client.force_login(coordinator)
    client.get(reverse("patients:detail", args=[patient.pk]))
    assert client.get(url).status_code == 403
    client.force_login(coordinator_b)
    assert client.get(url).status_code == 404
    for reader in (case_manager, admin_user):
        client.force_login(reader)
        response = client.get(url)
        assert response.status_code == 200
        assert any(
            e.actor == coordinator and e.route == "patients:detail"
            for e in response.context["page"].object_list
        )
