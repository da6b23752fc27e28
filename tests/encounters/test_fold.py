"""An encounter is what its notices say in the order they happened, whatever order they
arrive in and however often (encounters.services)."""

from __future__ import annotations

import datetime
import itertools

import pytest

from encounters.models import EncounterClass, EncounterStatus, NoticeEvent
from encounters.services import Notice, notice_record

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 12, 1, 13, 0, tzinfo=datetime.UTC)


def at(hours: float) -> datetime.datetime:
    return T0 + datetime.timedelta(hours=hours)


def notice(event, hours, **fields) -> Notice:
    return Notice(
        event=event, occurred_at=at(hours), facility_key="GENHOSP", visit_number="V1", **fields
    )


STAY = [
    notice(NoticeEvent.ADMIT, 0, location="4W, 401", attending="Dr John Smith"),
    notice(NoticeEvent.TRANSFER, 5, location="ICU, 2"),
    notice(
        NoticeEvent.UPDATE,
        6,
        diagnoses=[{"code": "I50.9", "system": "http://hl7.org/fhir/sid/icd-10-cm", "text": "HF"}],
    ),
    notice(NoticeEvent.DISCHARGE, 48, discharge_disposition="01"),
]


def fields(encounter) -> tuple:
    return (
        encounter.status,
        encounter.encounter_class,
        encounter.admitted_at,
        encounter.discharged_at,
        encounter.location,
        encounter.attending,
        encounter.diagnoses,
        encounter.discharge_disposition,
    )


def test_a_stay_in_order(patient):
    outcomes = [notice_record(patient=patient, notice=n, source="test") for n in STAY]
    encounter = outcomes[-1].encounter
    encounter.refresh_from_db()
    assert fields(encounter) == (
        EncounterStatus.FINISHED,
        EncounterClass.INPATIENT,
        at(0),
        at(48),
        "ICU, 2",
        "Dr John Smith",
        STAY[2].diagnoses,
        "01",
    )
    assert [o.admitted for o in outcomes] == [True, False, False, False]
    assert [o.discharged for o in outcomes] == [False, False, False, True]
    assert encounter.notices.count() == 4 and patient.encounters.count() == 1


@pytest.mark.parametrize("order", list(itertools.permutations(range(4)))[::5])
def test_any_order_of_arrival_gives_the_same_encounter(patient, order):
    for index in order:
        outcome = notice_record(patient=patient, notice=STAY[index], source="test")
    encounter = outcome.encounter
    assert fields(encounter)[:4] == (
        EncounterStatus.FINISHED,
        EncounterClass.INPATIENT,
        at(0),
        at(48),
    )
    assert encounter.location == "ICU, 2"


def test_a_discharge_before_its_admission_and_a_notice_twice(patient):
    notice_record(patient=patient, notice=STAY[3], source="test")
    first = notice_record(patient=patient, notice=STAY[0], source="test")
    again = notice_record(patient=patient, notice=STAY[0], source="test")
    assert first.encounter.status == EncounterStatus.FINISHED
    assert fields(again.encounter)[:4] == (
        EncounterStatus.FINISHED,
        EncounterClass.INPATIENT,
        at(0),
        at(48),
    )
    # A discharge known before the admission: the admission does not tell anyone again.
    assert not first.admitted


def test_cancelled_admission_discharge_and_transfer(patient):
    admit = notice_record(patient=patient, notice=STAY[0], source="test").encounter
    notice_record(patient=patient, notice=STAY[1], source="test")
    notice_record(patient=patient, notice=notice(NoticeEvent.CANCEL_TRANSFER, 5.5), source="test")
    admit.refresh_from_db()
    assert admit.location == "4W, 401"
    notice_record(patient=patient, notice=STAY[3], source="test")
    undone = notice_record(
        patient=patient, notice=notice(NoticeEvent.CANCEL_DISCHARGE, 49), source="test"
    ).encounter
    assert (undone.status, undone.discharged_at) == (EncounterStatus.IN_PROGRESS, None)
    # A cancellation that arrives before what it cancels still wins: it happened later.
    cancelled = notice_record(
        patient=patient, notice=notice(NoticeEvent.CANCEL_ADMIT, 50), source="test"
    ).encounter
    assert cancelled.status == EncounterStatus.CANCELLED


def test_an_emergency_visit_then_admitted(patient):
    visit = notice_record(
        patient=patient,
        notice=notice(NoticeEvent.REGISTER, 0, encounter_class=EncounterClass.EMERGENCY),
        source="test",
    )
    assert visit.admitted and visit.encounter.encounter_class == EncounterClass.EMERGENCY
    moved = notice_record(
        patient=patient, notice=notice(NoticeEvent.TO_INPATIENT, 3), source="test"
    )
    assert moved.admitted and moved.encounter.encounter_class == EncounterClass.INPATIENT


def test_a_stay_within_30_days_of_a_discharge_is_a_readmission(patient):
    for n in STAY:
        notice_record(patient=patient, notice=n, source="test")
    back = Notice(
        event=NoticeEvent.ADMIT,
        occurred_at=at(48 + 24 * 29),
        facility_key="GENHOSP",
        visit_number="V2",
    )
    later = Notice(
        event=NoticeEvent.ADMIT,
        occurred_at=at(48 + 24 * 90),
        facility_key="GENHOSP",
        visit_number="V3",
    )
    assert notice_record(patient=patient, notice=back, source="test").encounter.is_readmission
    assert not notice_record(patient=patient, notice=later, source="test").encounter.is_readmission
