"""/api/v1/patients/{id}/identifiers/: add and remove a patient's identifiers of other
systems; the patient's answer lists them."""

from __future__ import annotations

import pytest

from patients.models import PatientIdentifier
from tests.api.conftest import token_client
from tests.factories import PatientFactory, PatientIdentifierFactory, UserFactory

pytestmark = pytest.mark.django_db

HOSPITAL = "http://hospital.example.org/mrn"


def url(patient, identifier=None) -> str:
    base = f"/api/v1/patients/{patient.pk}/identifiers/"
    return base if identifier is None else f"{base}{identifier.pk}/"


def test_the_patient_lists_its_identifiers(api, patient):
    identifier = PatientIdentifierFactory(patient=patient, value="H1")
    expected = [
        {
            "id": identifier.pk,
            "system": HOSPITAL,
            "value": "H1",
            "type_code": "MR",
            "assigner": "Example General Hospital",
        }
    ]
    assert api.get(f"/api/v1/patients/{patient.pk}/").json()["identifiers"] == expected
    listed = api.get("/api/v1/patients/").json()["results"]
    assert listed[0]["identifiers"] == expected


def test_create(api, patient):
    response = api.post(
        url(patient),
        {"system": " urn:oid:2.16.840.1.113883.3.1234 ", "value": " M7 ", "type_code": "MB"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["system"] == "urn:oid:2.16.840.1.113883.3.1234"
    assert (body["value"], body["type_code"], body["assigner"]) == ("M7", "MB", "")
    assert PatientIdentifier.objects.get(pk=body["id"]).patient == patient


def test_a_duplicate_is_400_on_value(api, patient, patient_b):
    PatientIdentifierFactory(patient=patient_b, value="TAKEN")
    response = api.post(url(patient), {"system": HOSPITAL, "value": "TAKEN"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"value": ["This identifier already belongs to another patient."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": "1"}, "system"),
        ({"system": HOSPITAL}, "value"),
        ({"system": "not a uri", "value": "1"}, "system"),
        ({"system": HOSPITAL, "value": "   "}, "value"),
        ({"system": HOSPITAL, "value": 12}, "value"),
        ({"system": HOSPITAL, "value": "1", "type_code": "XX"}, "type_code"),
        ({"system": HOSPITAL, "value": "1", "assigner": "a" * 201}, "assigner"),
    ],
)
def test_bad_input_is_400_by_field(api, patient, body, field):
    response = api.post(url(patient), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not PatientIdentifier.objects.exists()


def test_delete(api, patient):
    identifier = PatientIdentifierFactory(patient=patient)
    response = api.delete(url(patient, identifier))
    assert response.status_code == 204
    assert not PatientIdentifier.objects.exists()
    assert api.delete(url(patient, identifier)).status_code == 404


def test_another_patients_identifier_is_404(api, patient):
    elsewhere = PatientIdentifierFactory(patient=PatientFactory(care_team=patient.care_team))
    assert api.delete(url(patient, elsewhere)).status_code == 404
    assert PatientIdentifier.objects.filter(pk=elsewhere.pk).exists()


def test_outside_the_team_is_404(outsider_api, patient):
    identifier = PatientIdentifierFactory(patient=patient)
    body = {"system": HOSPITAL, "value": "X"}
    assert outsider_api.post(url(patient), body, format="json").status_code == 404
    assert outsider_api.delete(url(patient, identifier)).status_code == 404
    assert PatientIdentifier.objects.count() == 1


def test_without_permission_is_403(team_a, patient):
    client = token_client(UserFactory(teams=[team_a]))
    identifier = PatientIdentifierFactory(patient=patient)
    body = {"system": HOSPITAL, "value": "X"}
    assert client.post(url(patient), body, format="json").status_code == 403
    assert client.delete(url(patient, identifier)).status_code == 403
    assert PatientIdentifier.objects.count() == 1


def test_the_schema_documents_both_operations(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    create = schema["paths"]["/api/v1/patients/{id}/identifiers/"]["post"]
    assert set(create["responses"]) >= {"201", "400", "403", "404"}
    delete = schema["paths"]["/api/v1/patients/{id}/identifiers/{identifier_pk}/"]["delete"]
    assert set(delete["responses"]) >= {"204", "403", "404"}
