"""Registration with the duplicate check, optimistic locking and status moves."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import timezone

from carehub.transitions import InvalidTransition, StaleEdit
from patients import services
from patients.models import Patient, PatientEvent, PatientEventKind, PatientStatus
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def registration(team, coordinator, **overrides) -> dict:
    data = {
        "mrn": "NEW0001",
        "given_name": "Rosa",
        "family_name": "Diaz",
        "date_of_birth": datetime.date(1970, 5, 17),
        "phone": "+14135550111",
        "email": "rosa@example.org",
        "care_team": team,
        "primary_coordinator": coordinator,
    }
    data.update(overrides)
    return data


def test_register_creates_patient_and_history(team_a, coordinator):
    patient = services.patient_register(by=coordinator, data=registration(team_a, coordinator))
    assert patient.pk and patient.version == 1 and patient.status == PatientStatus.ACTIVE
    assert list(patient.events.values_list("kind", flat=True)) == [PatientEventKind.REGISTERED]


@pytest.mark.parametrize(
    "overrides",
    [
        {"given_name": "rosa", "family_name": "DIAZ"},  # same name (any case) and birth date
        {"given_name": "Rósa", "family_name": "Díaz"},  # accents typed, or not
        {"given_name": " Rosa ", "family_name": "Di-az"},  # spaces, hyphens, apostrophes
        {"mrn": "NEW0001", "given_name": "Other", "date_of_birth": datetime.date(1980, 1, 1)},
        {"phone": "+14135550111", "given_name": "Other", "mrn": "X"},
        {"email": "ROSA@example.org", "given_name": "Other", "mrn": "Y"},
    ],
    ids=["name-and-birth-date", "accents", "punctuation", "mrn", "phone", "email"],
)
def test_possible_duplicate_is_held_back(team_a, coordinator, overrides):
    existing = services.patient_register(by=coordinator, data=registration(team_a, coordinator))
    data = registration(team_a, coordinator, mrn="NEW0002", phone="", email="")
    data.update(overrides)
    if data["mrn"] == existing.mrn:
        # An equal MRN is refused by validation before any duplicate check.
        with pytest.raises(ValidationError):
            services.patient_register(by=coordinator, data=data)
        return
    with pytest.raises(services.PossibleDuplicate) as held:
        services.patient_register(by=coordinator, data=data)
    assert held.value.matches == [existing]
    assert Patient.objects.count() == 1


def test_confirmed_different_person_is_registered(team_a, coordinator):
    services.patient_register(by=coordinator, data=registration(team_a, coordinator))
    twin = registration(team_a, coordinator, mrn="NEW0002", phone="", email="")
    patient = services.patient_register(by=coordinator, data=twin, confirmed_not_duplicate=True)
    assert Patient.objects.count() == 2 and patient.mrn == "NEW0002"


def test_matches_in_other_teams_are_counted_not_shown(team_a, coordinator, patient_b):
    data = registration(
        team_a,
        coordinator,
        given_name=patient_b.given_name,
        family_name=patient_b.family_name,
        date_of_birth=patient_b.date_of_birth,
    )
    with pytest.raises(services.PossibleDuplicate) as held:
        services.patient_register(by=coordinator, data=data)
    assert held.value.matches == [] and held.value.hidden_count == 1


def test_update_bumps_version_and_records_changed_fields(patient, coordinator):
    updated = services.patient_update(
        patient=patient, by=coordinator, data={"city": "Lowell"}, expected_version=1
    )
    assert updated.city == "Lowell" and updated.version == 2
    event = patient.events.get(kind=PatientEventKind.UPDATED)
    assert event.to_value == "city" and "Lowell" not in event.to_value


def test_stale_update_is_refused_and_changes_nothing(patient, coordinator):
    services.patient_update(
        patient=patient, by=coordinator, data={"city": "Lowell"}, expected_version=1
    )
    with pytest.raises(StaleEdit):
        services.patient_update(
            patient=patient, by=coordinator, data={"city": "Boston"}, expected_version=1
        )
    patient.refresh_from_db()
    assert patient.city == "Lowell" and patient.version == 2


def test_invalid_update_writes_nothing(patient, coordinator):
    before = model_to_dict(Patient.objects.get(pk=patient.pk))
    with pytest.raises(ValidationError):
        services.patient_update(
            patient=patient,
            by=coordinator,
            data={"city": "Lowell", "email": "broken"},
            expected_version=1,
        )
    assert model_to_dict(Patient.objects.get(pk=patient.pk)) == before


def test_discharge_needs_a_reason(patient, coordinator):
    with pytest.raises(ValidationError) as refused:
        services.patient_set_status(
            patient=patient, by=coordinator, status=PatientStatus.DISCHARGED, expected_version=1
        )
    assert "reason" in refused.value.message_dict
    patient.refresh_from_db()
    assert patient.status == PatientStatus.ACTIVE


def test_discharge_with_reason_is_recorded(patient, coordinator):
    services.patient_set_status(
        patient=patient,
        by=coordinator,
        status=PatientStatus.DISCHARGED,
        reason="Moved out of state",
        expected_version=1,
    )
    patient.refresh_from_db()
    assert (
        patient.status == PatientStatus.DISCHARGED and patient.status_reason == "Moved out of state"
    )
    event = PatientEvent.objects.get(kind=PatientEventKind.STATUS_CHANGED)
    assert (event.from_value, event.to_value, event.actor) == ("active", "discharged", coordinator)


ALL_MOVES = [
    (current, target)
    for current in PatientStatus.values
    for target in PatientStatus.values
    if current != target
]


@pytest.mark.parametrize(("current", "target"), ALL_MOVES)
def test_every_status_move(current, target, team_a, coordinator):
    patient = PatientFactory(care_team=team_a, status=current)
    allowed = target in services.PATIENT_STATUS.moves[current]
    if allowed:
        services.patient_set_status(
            patient=patient, by=coordinator, status=target, reason="why", expected_version=1
        )
        patient.refresh_from_db()
        assert patient.status == target
    else:
        with pytest.raises(InvalidTransition) as refused:
            services.patient_set_status(
                patient=patient, by=coordinator, status=target, reason="why", expected_version=1
            )
        assert str(PatientStatus(current).label) in str(refused.value)
        patient.refresh_from_db()
        assert patient.status == current and patient.version == 1


def test_discharge_cancels_the_patients_pending_appointment_reminder(
    patient, coordinator, django_capture_on_commit_callbacks
):
    from reminders.models import Reminder, ReminderState
    from tests.referrals.factories import ReferralFactory

    patient.consent_email = True
    patient.save(update_fields=["consent_email"])
    ReferralFactory(patient=patient, referred_by=coordinator, scheduled=True)
    pending = Reminder.objects.filter(recipient_patient=patient, state=ReminderState.SCHEDULED)
    assert pending.exists()
    services.patient_set_status(
        patient=patient,
        by=coordinator,
        status=PatientStatus.DISCHARGED,
        reason="Moved away",
        expected_version=Patient.objects.get(pk=patient.pk).version,
    )
    assert not pending.exists()


def test_reassigning_moves_escalations_to_the_new_case_manager(
    patient, coordinator, case_manager, team_a
):
    from accounts.roles import Role
    from careplans.services import task_create
    from reminders.models import Reminder, ReminderKind, ReminderState
    from tests.factories import UserFactory

    task_create(
        patient=patient,
        by=coordinator,
        data={
            "description": "Call back",
            "due_at": timezone.now() + datetime.timedelta(days=1),
            "assignee": coordinator,
        },
    )
    escalations = Reminder.objects.filter(
        kind=ReminderKind.ESCALATION, state=ReminderState.SCHEDULED
    )
    assert list(escalations.values_list("recipient_user", flat=True)) == [case_manager.pk]
    other = UserFactory(role=Role.CASE_MANAGER, teams=[team_a])
    services.patient_update(
        patient=patient,
        by=coordinator,
        data={"case_manager": other},
        expected_version=Patient.objects.get(pk=patient.pk).version,
    )
    assert list(escalations.values_list("recipient_user", flat=True)) == [other.pk]
