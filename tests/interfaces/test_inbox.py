"""The inbox (interfaces.services): stored before it is acknowledged, processed once,
matched by identifier or (if allowed) by name, birth date and sex, or left unmatched for
the team to match or dismiss."""

from __future__ import annotations

import datetime

import hl7
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from encounters.models import Encounter, EncounterStatus
from interfaces import services
from interfaces.models import AssigningAuthority, InboundMessage, MatchingPolicy, MessageStatus
from patients.models import PatientIdentifier
from tests.interfaces.messages import adt

pytestmark = pytest.mark.django_db

SYSTEM = "urn:oid:2.16.840.1.113883.3.999.1"


@pytest.fixture
def hospital(team_a):
    return AssigningAuthority.objects.create(
        code="GENHOSP", name="General Hospital", identifier_system=SYSTEM, team=team_a
    )


@pytest.fixture
def known(patient, hospital):
    PatientIdentifier.objects.create(patient=patient, system=SYSTEM, value="H12345")
    return patient


def receive(text: str, encoding: str = "utf-8") -> tuple[InboundMessage, hl7.Message]:
    received = services.message_receive(text.encode(encoding))
    return received.message, hl7.parse(received.ack.decode("utf-8"))


def process(message: InboundMessage) -> InboundMessage:
    services.message_process(message.pk)
    message.refresh_from_db()
    return message


def test_an_admission_is_stored_acknowledged_and_processed_once(
    known, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        message, ack = receive(adt("A01", control_id="C1"))
    assert str(ack["MSA.F1"]) == "AA" and str(ack["MSA.F2"]) == "C1"
    assert message.status == MessageStatus.RECEIVED and message.accepted and len(queued) == 1
    assert message.team_id == known.care_team_id
    assert process(message).status == MessageStatus.PROCESSED and message.patient_id == known.pk
    encounter = Encounter.objects.get(patient=known)
    assert encounter.status == EncounterStatus.IN_PROGRESS and encounter.visit_number == "V1001"
    # Processed again (a second worker, a retry): nothing more happens.
    assert services.message_process(message.pk) is None
    assert encounter.notices.count() == 1
    assert AuditEvent.objects.filter(patient_id=known.pk, object_id=str(message.pk)).exists()


def test_a_duplicate_is_acknowledged_and_not_processed_twice(known):
    first, _ack = receive(adt("A01", control_id="SAME"))
    again, ack = receive(adt("A01", control_id="SAME"))
    assert str(ack["MSA.F1"]) == "AA"
    assert again.status == MessageStatus.DUPLICATE and again.duplicate_of_id == first.pk
    process(first)
    assert services.message_process(again.pk) is None
    assert Encounter.objects.get(patient=known).notices.count() == 1


def test_a_refused_message_is_kept_with_its_error(known):
    message, ack = receive(adt("A01", pid="", control_id="NOPID"))
    assert str(ack["MSA.F1"]) == "AE" and str(ack["ERR.F3.R1.C1"]) == "100"
    assert message.status == MessageStatus.ERROR and "PID" in message.error
    assert message.control_id == "NOPID" and message.raw.startswith("MSH|")
    # The sender fixes it and sends it again with the same id: taken this time.
    fixed, ack = receive(adt("A01", control_id="NOPID"))
    assert str(ack["MSA.F1"]) == "AA" and fixed.status == MessageStatus.RECEIVED
    undecodable = services.message_receive(adt("A01", family="Muñoz").encode("iso8859-1"))
    assert undecodable.message.status == MessageStatus.ERROR
    assert "Muñoz" in undecodable.message.raw  # every byte kept for the operator


def test_matched_by_name_birth_date_and_sex_unless_switched_off(patient, hospital):
    patient.family_name, patient.given_name, patient.sex = "Díaz", "Maria", "female"
    patient.save()
    text = adt(
        "A01",
        mrn="NEW1",
        family="DIAZ",
        given="maría",
        birth=patient.date_of_birth.strftime("%Y%m%d"),
    )
    message, _ack = receive(text)
    assert process(message).status == MessageStatus.PROCESSED and message.patient_id == patient.pk
    MatchingPolicy.objects.create(match_by_demographics=False)
    other, _ack = receive(
        adt(
            "A01",
            mrn="NEW2",
            family="Diaz",
            given="Maria",
            birth=patient.date_of_birth.strftime("%Y%m%d"),
        )
    )
    assert process(other).status == MessageStatus.UNMATCHED and "identifiers" in other.error


def test_an_unmatched_notice_is_matched_by_hand_or_dismissed(patient, hospital, coordinator):
    message, _ack = receive(adt("A03", mrn="UNKNOWN", family="Nobody", discharged="20261202100000"))
    assert (
        process(message).status == MessageStatus.UNMATCHED and message.team_id == hospital.team_id
    )
    services.message_match(message=message, patient=patient, by=coordinator)
    message.refresh_from_db()
    assert message.status == MessageStatus.PROCESSED and message.resolved_by == coordinator
    assert Encounter.objects.get(patient=patient).status == EncounterStatus.FINISHED
    assert AuditEvent.objects.filter(patient_id=patient.pk, actor=coordinator).exists()
    with pytest.raises(ValidationError):
        services.message_match(message=message, patient=patient, by=coordinator)
    second, _ack = receive(adt("A01", mrn="UNKNOWN2", family="Nobody"))
    process(second)
    with pytest.raises(ValidationError):
        services.message_dismiss(message=second, reason="  ", by=coordinator)
    services.message_dismiss(message=second, reason="Not our patient", by=coordinator)
    second.refresh_from_db()
    assert second.status == MessageStatus.DISMISSED


def test_reprocess_after_the_cause_is_fixed_and_the_sweep(patient, team_a):
    message, _ack = receive(adt("A01", mrn="H777"))
    assert process(message).status == MessageStatus.UNMATCHED
    AssigningAuthority.objects.create(code="GENHOSP", identifier_system=SYSTEM, team=team_a)
    PatientIdentifier.objects.create(patient=patient, system=SYSTEM, value="H777")
    services.message_reprocess(message=message)
    # Nobody queued it (the broker was down): the sweep processes it.
    InboundMessage.objects.filter(pk=message.pk).update(
        received_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    assert services.messages_sweep() == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.PROCESSED and message.patient_id == patient.pk


def test_a_merge_moves_the_prior_identifier(known):
    message, ack = receive(adt("A40", mrn="H99999", pv1=False, extra=["MRG|H12345^^^GENHOSP^MR"]))
    assert str(ack["MSA.F1"]) == "AA"
    assert process(message).status == MessageStatus.PROCESSED
    assert PatientIdentifier.objects.get(patient=known).value == "H99999"
