"""Notices in, encounters out: the one place that says what an admission, a transfer, a
discharge or a cancellation means for a patient's encounter.

HL7 v2 ADT (interfaces), FHIR notifications and a coordinator typing a discharge in all
call ``notice_record``. It keeps the notice and folds the encounter again from every
notice it has, in the order they happened (``occurred_at``, then the order events take
in a stay), so notices may arrive in any order and more than once: the same notices give
the same encounter.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field

from django.db import transaction
from django.utils.dateparse import parse_datetime

from encounters.models import (
    STAYS,
    Encounter,
    EncounterClass,
    EncounterNotice,
    EncounterStatus,
    NoticeEvent,
)
from patients.models import Patient

READMISSION_DAYS = 30

# Within one instant, the order events take in a stay: an admission before its transfer,
# a discharge after both, a cancellation after what it cancels.
_RANK = {
    NoticeEvent.PRE_ADMIT: 0,
    NoticeEvent.REGISTER: 1,
    NoticeEvent.ADMIT: 1,
    NoticeEvent.TO_INPATIENT: 2,
    NoticeEvent.TO_OUTPATIENT: 2,
    NoticeEvent.TRANSFER: 3,
    NoticeEvent.UPDATE: 4,
    NoticeEvent.CANCEL_TRANSFER: 5,
    NoticeEvent.DISCHARGE: 6,
    NoticeEvent.CANCEL_DISCHARGE: 7,
    NoticeEvent.CANCEL_ADMIT: 8,
}


@dataclass
class Notice:
    """What a notice says, whatever its format. Empty values say nothing (an update
    naming no attending keeps the one known)."""

    event: str
    occurred_at: datetime.datetime
    facility_key: str = ""
    visit_number: str = ""
    facility: str = ""
    encounter_class: str = ""
    admitted_at: datetime.datetime | None = None
    discharged_at: datetime.datetime | None = None
    location: str = ""
    attending: str = ""
    reason: str = ""
    diagnoses: list[dict] = field(default_factory=list)
    discharge_disposition: str = ""

    def as_json(self) -> dict:
        data = asdict(self)
        for name in ("occurred_at", "admitted_at", "discharged_at"):
            if data[name] is not None:
                data[name] = data[name].isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict) -> Notice:
        values = dict(data)
        for name in ("occurred_at", "admitted_at", "discharged_at"):
            if values.get(name):
                values[name] = parse_datetime(values[name])
        return cls(**values)


@dataclass(frozen=True)
class Outcome:
    encounter: Encounter
    created: bool
    # What changed for the follow-up: the encounter newly in progress as a stay or an
    # emergency visit; newly discharged from a stay.
    admitted: bool
    discharged: bool


@transaction.atomic
def notice_record(
    *, patient: Patient, notice: Notice, source: str, message_id: int | None = None
) -> Outcome:
    """Keep the notice on its encounter (found by facility and visit number, or made) and
    fold the encounter again. The patient's row is locked: notices about one patient are
    folded one at a time."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    encounter, created = _encounter_for(patient, notice)
    was = (encounter.status, encounter.encounter_class, encounter.discharged_at)
    EncounterNotice.objects.create(
        encounter=encounter,
        event=notice.event,
        occurred_at=notice.occurred_at,
        source=source,
        message_id=message_id,
        data=notice.as_json(),
    )
    _fold(encounter)
    readmission_mark(encounter)
    active = encounter.status == EncounterStatus.IN_PROGRESS
    admitted = (
        active
        and (encounter.is_stay or encounter.encounter_class == EncounterClass.EMERGENCY)
        and (was[0] != EncounterStatus.IN_PROGRESS or was[1] != encounter.encounter_class)
    )
    discharged = (
        encounter.status == EncounterStatus.FINISHED
        and encounter.is_stay
        and encounter.discharged_at is not None
        and was[2] is None
    )
    return Outcome(encounter, created, admitted, discharged)


def _encounter_for(patient: Patient, notice: Notice) -> tuple[Encounter, bool]:
    if notice.visit_number:
        return Encounter.objects.get_or_create(
            patient=patient,
            facility_key=notice.facility_key,
            visit_number=notice.visit_number,
        )
    return Encounter.objects.create(patient=patient), True


def _fold(encounter: Encounter) -> None:
    """The encounter as its notices say, in the order they happened."""
    notices = sorted(
        (Notice.from_json(row.data) for row in encounter.notices.all()),
        key=lambda n: (n.occurred_at, _RANK.get(n.event, 4)),
    )
    state = {
        "status": EncounterStatus.PLANNED,
        "encounter_class": encounter.encounter_class,
        "admitted_at": None,
        "discharged_at": None,
        "location": "",
        "facility": "",
        "attending": "",
        "reason": "",
        "diagnoses": [],
        "discharge_disposition": "",
    }
    locations: list[str] = []
    cancelled = False
    for n in notices:
        for name in ("facility", "attending", "reason", "discharge_disposition"):
            if getattr(n, name):
                state[name] = getattr(n, name)
        if n.diagnoses:
            state["diagnoses"] = n.diagnoses
        if n.encounter_class:
            state["encounter_class"] = n.encounter_class
        if n.admitted_at:
            state["admitted_at"] = n.admitted_at
        event = n.event
        if event in (NoticeEvent.ADMIT, NoticeEvent.REGISTER):
            cancelled = False
            if event == NoticeEvent.ADMIT and not n.encounter_class:
                state["encounter_class"] = EncounterClass.INPATIENT
            if state["status"] != EncounterStatus.FINISHED:
                state["status"] = EncounterStatus.IN_PROGRESS
            state["admitted_at"] = state["admitted_at"] or n.occurred_at
        elif event == NoticeEvent.PRE_ADMIT and state["status"] == EncounterStatus.PLANNED:
            pass
        elif event == NoticeEvent.TO_INPATIENT:
            state["encounter_class"] = n.encounter_class or EncounterClass.INPATIENT
        elif event == NoticeEvent.TO_OUTPATIENT:
            state["encounter_class"] = n.encounter_class or EncounterClass.AMBULATORY
        elif event == NoticeEvent.DISCHARGE:
            state["status"] = EncounterStatus.FINISHED
            state["discharged_at"] = n.discharged_at or n.occurred_at
            state["admitted_at"] = state["admitted_at"] or n.admitted_at
        elif event == NoticeEvent.CANCEL_DISCHARGE:
            state["status"] = EncounterStatus.IN_PROGRESS
            state["discharged_at"] = None
            state["discharge_disposition"] = ""
        elif event == NoticeEvent.CANCEL_ADMIT:
            cancelled = True
        elif event == NoticeEvent.CANCEL_TRANSFER:
            if locations:
                locations.pop()
            state["location"] = locations[-1] if locations else ""
            continue
        if n.location and n.location != state["location"]:
            locations.append(n.location)
            state["location"] = n.location
        if event == NoticeEvent.UPDATE and state["status"] == EncounterStatus.PLANNED:
            state["status"] = (
                EncounterStatus.IN_PROGRESS if state["admitted_at"] else state["status"]
            )
    if cancelled:
        state["status"] = EncounterStatus.CANCELLED
    if (
        state["discharged_at"] is not None
        and state["admitted_at"] is not None
        and state["discharged_at"] < state["admitted_at"]
    ):
        state["admitted_at"] = state["discharged_at"]
    for name, value in state.items():
        setattr(encounter, name, value)
    encounter.save()


def readmission_mark(encounter: Encounter) -> None:
    """A stay that begins within 30 days of the patient's discharge from another stay is a
    readmission (both are flagged by this encounter's mark: the earlier one is the index
    stay)."""
    if not encounter.is_stay or encounter.admitted_at is None:
        return
    if encounter.status in (EncounterStatus.CANCELLED, EncounterStatus.ENTERED_IN_ERROR):
        is_readmission = False
    else:
        is_readmission = (
            Encounter.objects.filter(
                patient_id=encounter.patient_id,
                encounter_class__in=STAYS,
                status=EncounterStatus.FINISHED,
                discharged_at__lte=encounter.admitted_at,
                discharged_at__gte=encounter.admitted_at
                - datetime.timedelta(days=READMISSION_DAYS),
            )
            .exclude(pk=encounter.pk)
            .exists()
        )
    if is_readmission != encounter.is_readmission:
        Encounter.objects.filter(pk=encounter.pk).update(is_readmission=is_readmission)
        encounter.is_readmission = is_readmission
