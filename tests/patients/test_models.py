"""Model validation of the patient registry."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.roles import Role
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def _errors(patient) -> dict:
    with pytest.raises(ValidationError) as caught:
        patient.full_clean()
    return caught.value.message_dict


def test_a_valid_patient_passes(patient):
    patient.full_clean()


def test_birth_date_in_the_future_is_refused(patient):
    patient.date_of_birth = timezone.localdate() + datetime.timedelta(days=1)
    assert _errors(patient)["date_of_birth"] == ["The date of birth cannot be in the future."]


def test_invalid_email_is_refused(patient):
    patient.email = "not-an-email"
    assert "email" in _errors(patient)


def test_phone_is_normalised_to_e164(patient):
    patient.phone = "(413) 555-0199"
    patient.full_clean()
    patient.save()
    patient.refresh_from_db()
    assert str(patient.phone) == "+14135550199"


def test_invalid_phone_is_refused(patient):
    patient.phone = "12"
    assert "phone" in _errors(patient)


def test_mrn_is_unique(patient):
    twin = PatientFactory.build(mrn=patient.mrn, care_team=patient.care_team)
    assert _errors(twin)["mrn"] == ["Another patient already has this MRN."]


def test_coordinator_must_belong_to_the_patients_team(patient, coordinator_b):
    patient.primary_coordinator = coordinator_b
    assert _errors(patient)["primary_coordinator"] == [
        "Choose an active member of the patient's care team."
    ]


def test_inactive_member_cannot_coordinate(patient, team_a):
    former = UserFactory(role=Role.COORDINATOR, teams=[team_a], is_active=False)
    patient.primary_coordinator = former
    assert "primary_coordinator" in _errors(patient)


def test_case_manager_must_belong_to_the_patients_team(patient, coordinator_b):
    patient.case_manager = coordinator_b
    assert "case_manager" in _errors(patient)


def test_unknown_time_zone_is_refused(patient):
    patient.time_zone = "Mars/Olympus_Mons"
    assert "time_zone" in _errors(patient)


def test_str_carries_no_phi(patient):
    assert patient.family_name not in str(patient)
    assert patient.mrn not in str(patient)
