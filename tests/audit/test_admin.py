"""Admin: the audit trail and the history tables are read-only lists filterable by user,
patient, action and date."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse

from audit import phi
from audit.models import AuditAction, AuditEvent
from patients.admin import PatientAdmin
from patients.models import Patient, PatientEvent, PatientHistory
from tests.factories import PatientFactory, RelatedPersonFactory

pytestmark = pytest.mark.django_db
MARKER = "ZQXPHIMARKER"


def shown(response) -> set[int]:
    return {row.pk for row in response.context["cl"].result_list}


def test_the_audit_list_filters_by_user_patient_action_and_date(
    client, admin_user, coordinator, coordinator_client, patient, patient_b
):
    coordinator_client.get(reverse("patients:detail", args=[patient.pk]))
    client.force_login(admin_user)
    changelist = reverse("admin:audit_auditevent_changelist")
    response = client.get(changelist, {"patient": str(patient.pk)})
    assert shown(response) == set(
        AuditEvent.objects.filter(patient=patient).values_list("pk", flat=True)
    )
    assert shown(response)
    assert client.get(changelist, {"patient": str(patient_b.pk)}).context["cl"].result_count == 0
    assert client.get(changelist, {"patient": "garcia"}).context["cl"].result_count == 0
    response = client.get(changelist, {"actor__id__exact": coordinator.pk, "action": "view"})
    assert shown(response) and all(
        event.actor_id == coordinator.pk for event in response.context["cl"].result_list
    )
    filters = {spec.title for spec in response.context["cl"].filter_specs}
    assert {"action", "who", "patient (id)", "when"} <= filters


@pytest.mark.postgres
def test_history_lists_filter_by_user_patient_action_and_date(
    client, admin_user, coordinator, coordinator_client, patient
):
    other = PatientFactory(care_team=patient.care_team)
    # Before the request: in the test's one transaction its context would still be set.
    Patient.objects.filter(pk=other.pk).update(risk_level="high")
    coordinator_client.post(
        reverse("patients:change_status", args=[patient.pk]),
        {"status": "inactive", "reason": "Moved away", "version": patient.version},
    )
    client.force_login(admin_user)
    changelist = reverse("admin:patients_patienthistory_changelist")
    by_user = client.get(changelist, {"user": coordinator.username})
    assert [row.pgh_obj_id for row in by_user.context["cl"].result_list] == [patient.pk]
    assert by_user.context["cl"].result_list[0].actor_username == coordinator.username
    by_patient = client.get(changelist, {"patient": str(other.pk), "pgh_label": "update"})
    assert [row.pgh_diff for row in by_patient.context["cl"].result_list] == [
        {"risk_level": ["low", "high"]}
    ]
    assert client.get(changelist, {"pgh_created_at__year": "1999"}).context["cl"].result_count == 0
    row = PatientHistory.objects.filter(pgh_obj_id=patient.pk).first()
    assert (
        client.get(reverse("admin:patients_patienthistory_change", args=[row.pk])).status_code
        == 200
    )
    assert (
        client.post(
            reverse("admin:patients_patienthistory_delete", args=[row.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert PatientHistory.objects.filter(pk=row.pk).exists()


def test_hard_deletion_is_admin_only_and_audited(client, admin_user, coordinator):
    """Patients are deleted in admin only (the pages mark mistakes entered-in-error);
    each deletion gets an audit row with the patient, on every database."""
    duplicate = PatientFactory(given_name=MARKER)
    client.force_login(coordinator)
    url = reverse("admin:patients_patient_delete", args=[duplicate.pk])
    assert "/admin/login/" in client.post(url, {"post": "yes"})["Location"]
    client.force_login(admin_user)
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Patient.objects.filter(pk=duplicate.pk).exists()
    event = AuditEvent.objects.get(action=AuditAction.DELETE, patient_id=duplicate.pk)
    assert (event.actor, event.object_type, event.object_id) == (
        admin_user,
        "patients.patient",
        str(duplicate.pk),
    )
    if connection.vendor == "postgresql":
        row = PatientHistory.objects.get(pgh_obj_id=duplicate.pk, pgh_label="delete")
        assert row.pgh_diff["given_name"] == [phi.MASK, None]
        assert row.pgh_context["user"] == admin_user.pk


def test_contacts_deleted_inline_in_admin_are_audited(client, admin_user, patient):
    person = RelatedPersonFactory(patient=patient)
    client.force_login(admin_user)
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in PatientAdmin.readonly_fields
    }
    data |= {
        "care_team": patient.care_team_id,
        "primary_coordinator": patient.primary_coordinator_id,
        "case_manager": patient.case_manager_id,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "related_persons-TOTAL_FORMS": "1",
        "related_persons-INITIAL_FORMS": "1",
        "related_persons-0-id": person.pk,
        "related_persons-0-patient": patient.pk,
        "related_persons-0-name": person.name,
        "related_persons-0-relationship": person.relationship,
        "related_persons-0-DELETE": "on",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "identifiers-TOTAL_FORMS": "0",
        "identifiers-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not patient.related_persons.exists()
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.DELETE,
            object_type="patients.relatedperson",
            object_id=str(person.pk),
        )
        .get()
        .patient_id
        == patient.pk
    )


# --- Admin reads and saves are on the patient's trail ---------------------------------------


def admin_rows(route: str):
    return AuditEvent.objects.filter(route=route)


def test_an_admin_opening_a_patient_or_a_care_plan_is_on_the_patients_trail(
    client, admin_user, coordinator, patient
):
    from tests.careplans.factories import CarePlanFactory

    plan = CarePlanFactory(patient=patient, author=coordinator)
    client.force_login(admin_user)
    for route, record in [
        ("admin:patients_patient_change", patient),
        ("admin:careplans_careplan_change", plan),
    ]:
        assert client.get(reverse(route, args=[record.pk])).status_code == 200

    looks = AuditEvent.objects.filter(actor=admin_user, patient=patient).order_by("pk")
    assert [(e.route, e.action, e.object_type, e.object_id) for e in looks] == [
        ("admin:patients_patient_change", AuditAction.VIEW, "patients.patient", str(patient.pk)),
        ("admin:careplans_careplan_change", AuditAction.VIEW, "careplans.careplan", str(plan.pk)),
    ]


def test_an_admin_save_is_on_the_patients_trail(client, admin_user, patient):
    from tests.test_admin_edits import change_form

    client.force_login(admin_user)
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    data = change_form(client, url)
    assert client.post(url, {**data, "city": "Lowell"}).status_code == 302
    saved = admin_rows("admin:patients_patient_change").get(method="POST")
    assert (saved.action, saved.patient_id) == (AuditAction.CHANGE, patient.pk)


@pytest.fixture
def patient_records(coordinator, case_manager, patient):
    """One record of ``patient`` for each admin of a patient's records."""
    from tests.assessments.factories import AssessmentFactory, IdentifiedNeedFactory
    from tests.benefits.factories import (
        BenefitApplicationFactory,
        CoverageFactory,
        PriorAuthorisationFactory,
    )
    from tests.careplans.factories import CarePlanFactory, GoalFactory, TaskFactory
    from tests.programs.factories import EnrolmentFactory
    from tests.referrals.factories import ReferralFactory, SharingConsentFactory
    from tests.reminders.factories import NotificationFactory, ReminderFactory

    plan = CarePlanFactory(patient=patient, author=coordinator)
    referral = ReferralFactory(patient=patient, referred_by=coordinator)
    reminder = ReminderFactory(recipient_user=coordinator, patient=patient)
    to_patient = ReminderFactory(
        recipient_user=None, recipient_patient=patient, channel="sms", patient=None
    )
    history = (
        # Field history of the patient's records (PostgreSQL's triggers write it).
        [PatientHistory.objects.filter(pgh_obj_id=patient.pk).first()]
        if connection.vendor == "postgresql"
        else []
    )
    return [
        *history,
        RelatedPersonFactory(patient=patient),
        plan,
        GoalFactory(care_plan=plan),
        TaskFactory(patient=patient, care_plan=plan, assignee=coordinator),
        plan.status_changes.first(),
        referral,
        SharingConsentFactory(patient=patient, organization=referral.service.organization),
        AssessmentFactory(patient=patient, assessed_by=case_manager),
        IdentifiedNeedFactory(patient=patient),
        EnrolmentFactory(patient=patient, case_manager=case_manager),
        CoverageFactory(patient=patient),
        PriorAuthorisationFactory(patient=patient),
        BenefitApplicationFactory(patient=patient, case_manager=case_manager),
        reminder,
        to_patient,
        NotificationFactory(user=coordinator, reminder=reminder),
        PatientEvent.objects.create(patient=patient, kind="updated", actor=coordinator),
    ]


def test_every_admin_of_a_patients_records_puts_its_pages_on_the_patients_trail(
    client, admin_user, patient, patient_records
):
    client.force_login(admin_user)
    for record in patient_records:
        opts = record._meta
        route = f"admin:{opts.app_label}_{opts.model_name}_change"
        assert client.get(reverse(route, args=[record.pk])).status_code == 200, route
        row = admin_rows(route).get(object_id=str(record.pk))
        assert (row.patient_id, row.object_type) == (patient.pk, opts.label_lower), route


def test_every_admin_of_a_model_that_leads_to_a_patient_notes_the_patient():
    """A new admin of a patient's records cannot forget the trail."""
    from django.contrib.admin.sites import site

    from audit.admin import PatientAuditMixin

    def leads_to_patient(model) -> bool:
        event_models = getattr(model, "pgh_event_models", {})
        if event_models and next(iter(event_models.values())).pgh_patient_path:
            return True
        return any(
            field.is_relation and field.related_model is Patient
            for field in model._meta.get_fields()
            if field.concrete
        )

    missing = [
        model._meta.label
        for model, model_admin in site._registry.items()
        if model is not AuditEvent  # the trail itself
        and (model is Patient or leads_to_patient(model))
        and not isinstance(model_admin, PatientAuditMixin)
    ]
    assert missing == []


def test_the_audit_list_finds_the_lists_that_showed_a_patient(
    client, admin_user, coordinator, coordinator_client, patient, team_a
):
    """A list's row (patients listed, no one patient) is found by each patient it showed;
    a staff user who is not an admin does not see lists' rows (their patients may be of
    any team: the patient's trail page shows them)."""
    second = PatientFactory(care_team=team_a)
    coordinator_client.get(reverse("api:patient-list"))
    listed = AuditEvent.objects.get(route="api:patient-list")
    assert listed.patient_id is None and {patient.pk, second.pk} <= set(listed.patient_ids)
    client.force_login(admin_user)
    changelist = reverse("admin:audit_auditevent_changelist")
    for query in ({"patient": str(second.pk)}, {"q": str(second.pk)}):
        assert listed.pk in shown(client.get(changelist, query)), query
    coordinator.is_staff = True
    coordinator.save(update_fields=["is_staff"])
    coordinator.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    coordinator_client.force_login(coordinator)
    response = coordinator_client.get(changelist)
    assert response.status_code == 200 and listed.pk not in shown(response)
