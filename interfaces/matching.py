"""Which patient a notice is about: by identifier first, then (if the admin allows it) by
name, birth date and sex, exactly one patient alike. Anything else is unmatched: CareHub
never registers a patient from a notice."""

from __future__ import annotations

from dataclasses import dataclass

from interfaces.hl7v2 import Identifier
from interfaces.models import AssigningAuthority, MatchingPolicy
from patients.models import Patient, PatientIdentifier, Sex
from patients.selectors import name_key

# PID-8 (HL7 table 0001) -> Patient.sex
SEXES = {"F": Sex.FEMALE, "M": Sex.MALE, "O": Sex.OTHER, "U": Sex.UNKNOWN, "A": Sex.OTHER}


@dataclass(frozen=True)
class Match:
    patient: Patient | None
    how: str  # "identifier", "demographics" or why none matched


def authorities(codes: set[str]) -> dict[str, AssigningAuthority]:
    return {a.code: a for a in AssigningAuthority.objects.filter(code__in=codes)}


def match_patient(
    identifiers: list[Identifier],
    *,
    family_name: str = "",
    given_name: str = "",
    birth_date=None,
    sex: str = "",
    sending_facility: str = "",
) -> Match:
    known = authorities({i.authority or sending_facility for i in identifiers})
    found: set[int] = set()
    for identifier in identifiers:
        authority = known.get(identifier.authority or sending_facility)
        if authority is None:
            continue
        if authority.is_carehub_mrn:
            found |= set(Patient.objects.filter(mrn=identifier.value).values_list("pk", flat=True))
        elif authority.identifier_system:
            found |= set(
                PatientIdentifier.objects.filter(
                    system=authority.identifier_system, value=identifier.value
                ).values_list("patient_id", flat=True)
            )
    if len(found) == 1:
        return Match(Patient.objects.get(pk=found.pop()), "identifier")
    if len(found) > 1:
        return Match(None, "The identifiers name different patients.")
    if not MatchingPolicy.current().match_by_demographics:
        return Match(None, "No patient has these identifiers.")
    if not (family_name and given_name and birth_date and sex in SEXES):
        return Match(
            None, "No patient has these identifiers; the name, birth date or sex is missing."
        )
    family, given = name_key(family_name), name_key(given_name)
    alike = [
        p
        for p in Patient.objects.filter(date_of_birth=birth_date, sex=SEXES[sex])
        if name_key(p.family_name) == family and name_key(p.given_name) == given
    ]
    if len(alike) == 1:
        return Match(alike[0], "demographics")
    if alike:
        return Match(None, "Several patients have this name, birth date and sex.")
    return Match(None, "No patient has these identifiers, or this name, birth date and sex.")
