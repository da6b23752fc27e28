"""A patient's identifiers in other systems: the service's rules, the selector, the page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from audit.phi import is_masked
from patients import services
from patients.models import PatientEvent, PatientIdentifier
from patients.selectors import patient_by_identifier
from tests.factories import PatientFactory, PatientIdentifierFactory, UserFactory

pytestmark = pytest.mark.django_db

HOSPITAL = "http://hospital.example.org/mrn"
PAYER = "urn:oid:2.16.840.1.113883.3.1234"


def add(patient, by, **kwargs):
    return services.identifier_add(patient=patient, by=by, **{"system": HOSPITAL, **kwargs})


def test_add_strips_whitespace_and_records_the_event(patient, coordinator):
    identifier = add(
        patient, coordinator, system=f"  {PAYER} ", value="  A-123\t", type_code="MB",
        assigner=" Example Health Plan ",
    )  # fmt: skip
    identifier.refresh_from_db()
    assert (identifier.system, identifier.value, identifier.assigner) == (
        PAYER,
        "A-123",
        "Example Health Plan",
    )
    assert identifier.type_code == "MB"
    assert PatientEvent.objects.filter(patient=patient, to_value="Identifiers").exists()


def test_the_same_value_in_the_same_system_is_refused(patient, coordinator):
    add(patient, coordinator, value="H1")
    other = PatientFactory(care_team=patient.care_team)
    with pytest.raises(ValidationError) as refused:
        add(other, coordinator, value=" H1 ")
    assert refused.value.message_dict == {
        "value": ["This identifier already belongs to another patient."]
    }
    with pytest.raises(ValidationError) as again:
        add(patient, coordinator, value="H1")
    assert "value" in again.value.message_dict
    assert PatientIdentifier.objects.count() == 1


def test_the_same_value_in_another_system_is_allowed(patient, coordinator):
    add(patient, coordinator, value="42")
    other = PatientFactory(care_team=patient.care_team)
    add(other, coordinator, system=PAYER, value="42")
    assert PatientIdentifier.objects.filter(value="42").count() == 2


@pytest.mark.parametrize(
    ("fields", "error_on"),
    [
        ({"system": "   ", "value": "1"}, "system"),
        ({"system": HOSPITAL, "value": "   "}, "value"),
        ({"system": "not a uri", "value": "1"}, "system"),
        ({"system": "2.16.840.1", "value": "1"}, "system"),
        ({"system": HOSPITAL, "value": "1", "type_code": "XX"}, "type_code"),
        ({"system": HOSPITAL, "value": "1" * 101}, "value"),
    ],
)
def test_bad_input_is_a_field_error(patient, coordinator, fields, error_on):
    with pytest.raises(ValidationError) as refused:
        services.identifier_add(patient=patient, by=coordinator, **fields)
    assert error_on in refused.value.message_dict
    assert not PatientIdentifier.objects.exists()


def test_the_database_refuses_a_duplicate_too(patient):
    PatientIdentifierFactory(patient=patient, value="X1")
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientIdentifier.objects.create(patient=PatientFactory(), system=HOSPITAL, value="X1")


def test_a_duplicate_from_a_race_is_a_field_error(patient, coordinator, monkeypatch):
    """The check found nothing, the insert hit the constraint: the same 400, nothing saved."""
    PatientIdentifierFactory(patient=PatientFactory(), value="R1")
    monkeypatch.setattr(
        PatientIdentifier.objects, "filter", lambda **kw: PatientIdentifier.objects.none()
    )
    with pytest.raises(ValidationError) as refused:
        add(patient, coordinator, value="R1")
    assert refused.value.message_dict == {
        "value": ["This identifier already belongs to another patient."]
    }
    monkeypatch.undo()
    assert not PatientEvent.objects.filter(patient=patient, to_value="Identifiers").exists()


def test_remove(patient, coordinator):
    identifier = PatientIdentifierFactory(patient=patient)
    services.identifier_remove(identifier=identifier, by=coordinator)
    assert not PatientIdentifier.objects.exists()
    assert PatientEvent.objects.filter(patient=patient, to_value="Identifiers").exists()


def test_patient_by_identifier(patient, patient_b):
    PatientIdentifierFactory(patient=patient, value="V1")
    PatientIdentifierFactory(patient=patient_b, system=PAYER, value="V1")
    assert patient_by_identifier(HOSPITAL, " V1 ") == patient
    assert patient_by_identifier(PAYER, "V1") == patient_b
    assert patient_by_identifier(HOSPITAL, "V2") is None


def test_identifiers_are_masked_in_the_field_history():
    fields = {f.name: f for f in PatientIdentifier._meta.concrete_fields}
    assert is_masked(fields["system"]) and is_masked(fields["value"])
    assert is_masked(fields["assigner"])
    assert not is_masked(fields["type_code"])


# --- The patient page ---------------------------------------------------------------------


def test_the_page_lists_identifiers_and_adds_one(coordinator_client, patient):
    PatientIdentifierFactory(patient=patient, value="SHOWN-1")
    page = coordinator_client.get(reverse("patients:detail", args=[patient.pk]))
    assert b"SHOWN-1" in page.content
    add_url = reverse("patients:identifier_add", args=[patient.pk])
    assert add_url.encode() in page.content

    form = coordinator_client.get(add_url)
    assert form.status_code == 200
    for name in ("system", "value", "type_code", "assigner"):
        assert f'<label for="id_{name}"'.encode() in form.content

    response = coordinator_client.post(
        add_url, {"system": PAYER, "value": " M-9 ", "type_code": "MB", "assigner": "Plan"}
    )
    assert response.status_code == 302
    assert patient.identifiers.filter(system=PAYER, value="M-9").exists()


def test_the_page_shows_a_duplicate_on_the_value(coordinator_client, patient, patient_b):
    PatientIdentifierFactory(patient=patient_b, value="TAKEN")
    response = coordinator_client.post(
        reverse("patients:identifier_add", args=[patient.pk]),
        {"system": HOSPITAL, "value": "TAKEN", "type_code": "", "assigner": ""},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["value"] == [
        "This identifier already belongs to another patient."
    ]
    assert not patient.identifiers.exists()


def test_the_page_removes_one(coordinator_client, patient):
    identifier = PatientIdentifierFactory(patient=patient)
    url = reverse("patients:identifier_remove", args=[patient.pk, identifier.pk])
    assert coordinator_client.get(url).status_code == 405
    assert coordinator_client.post(url).status_code == 302
    assert not PatientIdentifier.objects.exists()


def test_another_teams_patient_is_404(coordinator_client, patient_b):
    identifier = PatientIdentifierFactory(patient=patient_b)
    add_url = reverse("patients:identifier_add", args=[patient_b.pk])
    assert coordinator_client.get(add_url).status_code == 404
    assert coordinator_client.post(add_url, {"system": HOSPITAL, "value": "1"}).status_code == 404
    remove_url = reverse("patients:identifier_remove", args=[patient_b.pk, identifier.pk])
    assert coordinator_client.post(remove_url).status_code == 404
    assert PatientIdentifier.objects.count() == 1


def test_an_identifier_of_another_patient_is_404(coordinator_client, patient):
    elsewhere = PatientIdentifierFactory(patient=PatientFactory(care_team=patient.care_team))
    url = reverse("patients:identifier_remove", args=[patient.pk, elsewhere.pk])
    assert coordinator_client.post(url).status_code == 404
    assert PatientIdentifier.objects.filter(pk=elsewhere.pk).exists()


def test_without_permission_is_403(client, team_a, patient):
    identifier = PatientIdentifierFactory(patient=patient)
    client.force_login(UserFactory(teams=[team_a]))
    add_url = reverse("patients:identifier_add", args=[patient.pk])
    assert client.get(add_url).status_code == 403
    assert client.post(add_url, {"system": HOSPITAL, "value": "1"}).status_code == 403
    remove_url = reverse("patients:identifier_remove", args=[patient.pk, identifier.pk])
    assert client.post(remove_url).status_code == 403
    assert PatientIdentifier.objects.count() == 1


# --- Django admin -----------------------------------------------------------------------


def test_admin_adds_one_inline_and_refuses_a_duplicate(client, admin_user, patient, patient_b):
    from tests.test_admin_edits import change_form

    PatientIdentifierFactory(patient=patient_b, value="TAKEN")
    client.force_login(admin_user)
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    data = change_form(client, url)
    prefix = "identifiers"
    row = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-0-system": f" {HOSPITAL} ",
        f"{prefix}-0-value": "TAKEN",
        f"{prefix}-0-type_code": "MR",
        f"{prefix}-0-assigner": "",
    }
    refused = client.post(url, {**data, **row})
    assert refused.status_code == 200
    assert "This identifier already belongs to another patient." in refused.content.decode()
    assert not patient.identifiers.exists()

    saved = client.post(url, {**data, **row, f"{prefix}-0-value": " NEW-7 "})
    assert saved.status_code == 302
    assert patient.identifiers.get().value == "NEW-7"
    assert PatientEvent.objects.filter(patient=patient, to_value="Identifiers").exists()


def test_admin_finds_an_identifier_by_value(client, admin_user, patient):
    PatientIdentifierFactory(patient=patient, value="FIND-ME")
    PatientIdentifierFactory(patient=patient, value="OTHER")
    client.force_login(admin_user)
    response = client.get(reverse("admin:patients_patientidentifier_changelist"), {"q": "FIND-ME"})
    assert [i.value for i in response.context["cl"].result_list] == ["FIND-ME"]
