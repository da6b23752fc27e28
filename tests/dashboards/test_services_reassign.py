"""patients.services.patient_reassign and careplans.services.tasks_move_with_patient."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from careplans.models import TaskStatus
from patients.models import Patient, PatientEvent, PatientEventKind
from patients.services import StaleEdit, patient_reassign
from tests.careplans.factories import TaskFactory
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(team_a):
    return UserFactory(
        username="coord-a2", first_name="Jo", last_name="Reyes", role=Role.COORDINATOR,
        teams=[team_a],
    )  # fmt: skip


def _versions(*patients):
    return {p.pk: p.version for p in patients}


def test_reassign_records_history_and_moves_open_tasks(
    patient, coordinator, colleague, case_manager
):
    open_task = TaskFactory(patient=patient, assignee=coordinator)
    done = TaskFactory(patient=patient, assignee=coordinator, completed=True)
    others = TaskFactory(patient=patient, assignee=case_manager)

    [moved] = patient_reassign(
        versions=_versions(patient), to=colleague, by=case_manager, move_open_tasks=True,
        reason="Workload",
    )  # fmt: skip

    assert moved.primary_coordinator == colleague
    assert moved.version == patient.version + 1
    event = PatientEvent.objects.get(patient=patient, kind=PatientEventKind.REASSIGNED)
    assert (event.actor, event.from_value, event.to_value) == (
        case_manager,
        str(coordinator),
        str(colleague),
    )
    assert event.reason.startswith("Workload") and "1 open task moved" in event.reason
    open_task.refresh_from_db()
    done.refresh_from_db()
    others.refresh_from_db()
    assert open_task.assignee == colleague and open_task.version == 2
    assert done.assignee == coordinator and done.status == TaskStatus.COMPLETED
    assert others.assignee == case_manager


def test_tasks_stay_unless_asked(patient, coordinator, colleague, case_manager):
    task = TaskFactory(patient=patient, assignee=coordinator)
    patient_reassign(versions=_versions(patient), to=colleague, by=case_manager)
    task.refresh_from_db()
    assert task.assignee == coordinator
    assert PatientEvent.objects.get(kind=PatientEventKind.REASSIGNED).reason == ""


def test_many_at_once_all_or_nothing(team_a, coordinator, colleague, case_manager):
    first, second = PatientFactory.create_batch(
        2, care_team=team_a, primary_coordinator=coordinator
    )
    versions = _versions(first, second)
    Patient.objects.filter(pk=second.pk).update(version=9)  # someone saved it meanwhile
    with pytest.raises(StaleEdit):
        patient_reassign(versions=versions, to=colleague, by=case_manager)
    assert set(Patient.objects.values_list("primary_coordinator", flat=True)) == {coordinator.pk}
    assert not PatientEvent.objects.filter(kind=PatientEventKind.REASSIGNED).exists()

    versions[second.pk] = 9
    moved = patient_reassign(versions=versions, to=colleague, by=case_manager)
    assert [p.primary_coordinator_id for p in moved] == [colleague.pk, colleague.pk]
    assert PatientEvent.objects.filter(kind=PatientEventKind.REASSIGNED).count() == 2


def test_only_to_active_members_of_the_patients_team(
    patient, coordinator_b, colleague, case_manager
):
    with pytest.raises(ValidationError, match="not an active member"):
        patient_reassign(versions=_versions(patient), to=coordinator_b, by=case_manager)
    colleague.is_active = False
    colleague.save(update_fields=["is_active"])
    with pytest.raises(ValidationError, match="not an active member"):
        patient_reassign(versions=_versions(patient), to=colleague, by=case_manager)
    patient.refresh_from_db()
    assert patient.version == 1


def test_refuses_the_same_coordinator(patient, coordinator, case_manager):
    with pytest.raises(ValidationError, match="already coordinates"):
        patient_reassign(versions=_versions(patient), to=coordinator, by=case_manager)


def test_needs_the_permission_and_the_scope(
    patient, patient_b, coordinator, colleague, case_manager
):
    with pytest.raises(PermissionDenied):
        patient_reassign(versions=_versions(patient), to=colleague, by=coordinator)
    with pytest.raises(PermissionDenied):
        patient_reassign(versions=_versions(patient, patient_b), to=colleague, by=case_manager)
    with pytest.raises(ValidationError):
        patient_reassign(versions={}, to=colleague, by=case_manager)
