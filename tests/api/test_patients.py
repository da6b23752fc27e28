"""/api/v1/patients/: list, filter, search, detail, register, change and status moves."""

from __future__ import annotations

import pytest

from patients.models import Patient, PatientEvent, PatientStatus
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/patients/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_list_shows_only_the_callers_teams(api, patient, patient_b):
    assert ids(api.get(URL)) == [patient.pk]


def test_admins_see_every_team(admin_api, patient, patient_b):
    assert set(ids(admin_api.get(URL))) == {patient.pk, patient_b.pk}


def test_filter_search_and_ordering(api, team_a, patient):
    high = PatientFactory(care_team=team_a, risk_level="high", family_name="Zeta", given_name="Ann")
    PatientFactory(care_team=team_a, family_name="Alpha", given_name="Bo")
    assert ids(api.get(URL, {"risk_level": "high"})) == [high.pk]
    assert ids(api.get(URL, {"search": "zeta"})) == [high.pk]
    assert ids(api.get(URL, {"search": high.mrn})) == [high.pk]
    names = [
        row["family_name"] for row in api.get(URL, {"ordering": "-family_name"}).json()["results"]
    ]
    assert names == sorted(names, reverse=True)
    assert api.get(URL, {"risk_level": "extreme"}).status_code == 400


def test_cursor_pages_walk_the_whole_list(api, team_a):
    made = {PatientFactory(care_team=team_a).pk for _ in range(5)}
    seen, url, params = [], URL, {"page_size": 2}
    while url:
        page = api.get(url, params).json()
        seen += [row["id"] for row in page["results"]]
        url, params = page["next"], None
    assert set(seen) == made and len(seen) == len(made)


def test_detail_answers_with_an_etag_of_the_version(api, patient):
    response = api.get(f"{URL}{patient.pk}/")
    assert response.status_code == 200
    assert response.json()["mrn"] == patient.mrn
    assert response["ETag"] == f'"{patient.version}"'


def test_outside_scope_is_404_on_every_verb(outsider_api, patient):
    assert outsider_api.get(f"{URL}{patient.pk}/").status_code == 404
    assert outsider_api.patch(f"{URL}{patient.pk}/", {"city": "X", "version": 1}).status_code == 404
    assert (
        outsider_api.post(
            f"{URL}{patient.pk}/transition/", {"to": "inactive", "reason": "x"}
        ).status_code
        == 404
    )
    patient.refresh_from_db()
    assert patient.city == "" and patient.status == PatientStatus.ACTIVE


def test_register_a_patient(api, team_a, coordinator):
    body = {
        "mrn": "NEW-1",
        "given_name": "Rosa",
        "family_name": "Parks",
        "date_of_birth": "1960-02-04",
        "care_team": team_a.pk,
        "primary_coordinator": coordinator.pk,
        "phone": "+14135550100",
    }
    response = api.post(URL, body)
    assert response.status_code == 201, response.content
    patient = Patient.objects.get(mrn="NEW-1")
    assert response.json()["id"] == patient.pk and str(patient.phone) == "+14135550100"
    assert PatientEvent.objects.filter(patient=patient, kind="registered").exists()


def test_register_validation_errors_are_400_by_field(api, team_b, patient):
    response = api.post(
        URL,
        {
            "mrn": patient.mrn,
            "given_name": "",
            "family_name": "X",
            "date_of_birth": "2999-01-01",
            "care_team": team_b.pk,
        },
    )
    assert response.status_code == 400
    errors = response.json()
    assert {"given_name", "date_of_birth", "care_team"} <= set(errors)
    # A team outside the caller's reads as one that does not exist.
    assert "does not exist" in errors["care_team"][0]


def test_a_taken_mrn_is_a_field_error(api, team_a, patient):
    response = api.post(
        URL,
        {
            "mrn": patient.mrn,
            "given_name": "Other",
            "family_name": "Person",
            "date_of_birth": "1990-01-01",
            "care_team": team_a.pk,
        },
    )
    assert response.status_code == 400 and "mrn" in response.json()


def test_a_possible_duplicate_is_409_until_confirmed(api, team_a, patient):
    body = {
        "mrn": "DUP-1",
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "care_team": team_a.pk,
    }
    response = api.post(URL, body)
    assert response.status_code == 409
    assert response.json()["code"] == "possible_duplicate"
    assert response.json()["matches"] == [patient.pk]
    assert not Patient.objects.filter(mrn="DUP-1").exists()
    assert api.post(URL, {**body, "confirm_not_duplicate": True}).status_code == 201


def test_roles_without_the_permission_get_403(client, patient):
    from rest_framework.test import APIClient

    from tests.factories import UserFactory

    no_role = UserFactory(username="no-role", teams=[patient.care_team])
    api = APIClient()
    api.force_authenticate(no_role)
    assert api.get(URL).status_code == 403
    assert api.post(URL, {}).status_code == 403


def test_update_with_the_version_in_the_body(api, patient):
    response = api.patch(f"{URL}{patient.pk}/", {"city": "Boston", "version": patient.version})
    assert response.status_code == 200, response.content
    assert response.json()["city"] == "Boston"
    assert response.json()["version"] == patient.version + 1
    assert response["ETag"] == f'"{patient.version + 1}"'


def test_update_with_if_match(api, patient):
    response = api.patch(
        f"{URL}{patient.pk}/", {"city": "Boston"}, HTTP_IF_MATCH=f'"{patient.version}"'
    )
    assert response.status_code == 200


def test_a_stale_update_is_412_and_changes_nothing(api, patient):
    api.patch(f"{URL}{patient.pk}/", {"city": "First", "version": patient.version})
    for kwargs in ({"data": {"city": "Second", "version": patient.version}},
                   {"data": {"city": "Second"}, "HTTP_IF_MATCH": f'"{patient.version}"'},
                   {"data": {"city": "Second"}, "HTTP_IF_MATCH": "garbage"}):  # fmt: skip
        data = kwargs.pop("data")
        response = api.patch(f"{URL}{patient.pk}/", data, **kwargs)
        assert response.status_code == 412, response.content
        assert response.json()["code"] == "stale"
    patient.refresh_from_db()
    assert patient.city == "First"


def test_an_update_without_a_version_is_400(api, patient):
    response = api.patch(f"{URL}{patient.pk}/", {"city": "Boston"})
    assert response.status_code == 400 and "version" in response.json()


def test_an_invalid_update_is_400_and_changes_nothing(api, patient):
    response = api.patch(
        f"{URL}{patient.pk}/", {"email": "not-an-email", "version": patient.version}
    )
    assert response.status_code == 400 and "email" in response.json()
    patient.refresh_from_db()
    assert patient.version == 1


def test_transition_discharges_with_a_reason(api, patient):
    response = api.post(
        f"{URL}{patient.pk}/transition/", {"to": "discharged", "reason": "Moved away"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "discharged"
    assert response.json()["allowed_transitions"] == ["active"]
    assert PatientEvent.objects.filter(patient=patient, kind="status_changed").count() == 1


def test_an_invalid_transition_is_409_with_current_and_allowed(api, patient):
    api.post(f"{URL}{patient.pk}/transition/", {"to": "deceased", "reason": "Sadly"})
    response = api.post(f"{URL}{patient.pk}/transition/", {"to": "active"})
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["current"], body["target"], body["allowed"]) == (
        "invalid_transition",
        "deceased",
        "active",
        [],
    )
    assert PatientEvent.objects.filter(patient=patient, kind="status_changed").count() == 1


def test_a_transition_without_its_required_reason_is_400(api, patient):
    response = api.post(f"{URL}{patient.pk}/transition/", {"to": "discharged"})
    assert response.status_code == 400 and "reason" in response.json()
    patient.refresh_from_db()
    assert patient.status == "active"


def test_a_stale_transition_is_412(api, patient):
    response = api.post(
        f"{URL}{patient.pk}/transition/",
        {"to": "inactive", "reason": "x"},
        HTTP_IF_MATCH=f'"{patient.version + 5}"',
    )
    assert response.status_code == 412
