"""Demo notices for seed_demo: each team's hospital (an assigning authority), a few of its
patients known there by a hospital MRN, and ADT messages through the real inbox: admitted
and still in, discharged last week, seen in the emergency department; and one notice no
patient matches, for the team to match or dismiss."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.utils import timezone

from audit.history import history_paused
from encounters.models import Encounter
from interfaces import services
from interfaces.models import AssigningAuthority
from patients.models import Patient, PatientIdentifier

STORIES = 4  # patients per team with notices


def _hl7_time(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y%m%d%H%M%S")


def _message(
    event, *, control, facility, mrn, patient, visit, when, klass="I", admitted="", discharged=""
):
    family = patient.family_name if patient else "Whitlock"
    given = patient.given_name if patient else "Avery"
    born = patient.date_of_birth.strftime("%Y%m%d") if patient else "19610314"
    sex = {"female": "F", "male": "M"}.get(patient.sex if patient else "", "U")
    pv1 = [""] * 46
    pv1[0:4] = ["PV1", "1", klass, f"3E^310^1^{facility}"]
    pv1[7] = "4471^Okafor^Ngozi^^^Dr"
    pv1[19], pv1[36], pv1[44], pv1[45] = visit, "01" if discharged else "", admitted, discharged
    return (
        "\r".join(
            [
                f"MSH|^~\\&|ADT|{facility}|CAREHUB|CAREHUB|{when}||ADT^{event}^ADT_A01|{control}|P|2.5.1||||||UNICODE UTF-8",
                f"EVN|{event}|{when}",
                f"PID|1||{mrn}^^^{facility}^MR||{family}^{given}||{born}|{sex}",
                "|".join(pv1),
                "DG1|1||I50.9^Heart failure, unspecified^I10",
            ]
        )
        + "\r"
    )


def seed_for_patients(
    *, staff, patient_ids: list[int], rng: random.Random, progress: Callable[[int], object]
) -> None:
    # Generated data: not in the field history (as carehub.bulk's loads).
    with history_paused(Encounter, PatientIdentifier):
        _seed(staff=staff, patient_ids=patient_ids, rng=rng)
    progress(len(patient_ids))


def _seed(*, staff, patient_ids: list[int], rng: random.Random) -> None:
    now = timezone.now()
    for number, team_staff in enumerate(staff.teams, 1):
        team = team_staff.team
        facility = f"HOSP{number}"
        system = f"urn:oid:2.16.840.1.113883.3.7{number:03d}.1"
        AssigningAuthority.objects.get_or_create(
            code=facility,
            defaults={
                "name": f"{team.name} General Hospital",
                "identifier_system": system,
                "team": team,
            },
        )
        patients = list(
            Patient.objects.filter(care_team=team, pk__in=patient_ids).order_by("pk")[:STORIES]
        )
        for index, patient in enumerate(patients):
            mrn = f"H{number}{patient.pk:06d}"
            PatientIdentifier.objects.get_or_create(
                system=system, value=mrn, defaults={"patient": patient, "type_code": "MR"}
            )
            visit = f"V{number}{patient.pk:06d}"
            admitted = now - datetime.timedelta(
                days=[1, 9, 0, 20][index % 4], hours=rng.randint(1, 9)
            )
            events = [("A01", admitted, "I")]
            if index % 4 == 1:
                events.append(("A03", admitted + datetime.timedelta(days=4), "I"))
            if index % 4 == 2:
                events = [("A04", admitted, "E")]
            if index % 4 == 3:
                events.append(("A03", admitted + datetime.timedelta(days=3), "I"))
            for event, moment, klass in events:
                data = _message(
                    event,
                    control=f"DEMO-{facility}-{patient.pk}-{event}",
                    facility=facility,
                    mrn=mrn,
                    patient=patient,
                    visit=visit,
                    when=_hl7_time(moment),
                    klass=klass,
                    admitted=_hl7_time(admitted),
                    discharged=_hl7_time(moment) if event == "A03" else "",
                )
                received = services.message_receive(data.encode())
                services.message_process(received.message.pk)
        if number == 1:
            unknown = _message(
                "A01",
                control=f"DEMO-{facility}-unmatched",
                facility=facility,
                mrn="H9999999",
                patient=None,
                visit="V9999999",
                when=_hl7_time(now - datetime.timedelta(hours=3)),
            )
            services.message_process(services.message_receive(unknown.encode()).message.pk)
