"""The encounters timeline of the patient page (registered in EncountersConfig.ready)."""

from __future__ import annotations

from django.http import HttpRequest

from encounters.selectors import patient_timeline
from patients.models import Patient
from patients.sections import Section


def patient_encounters_section(request: HttpRequest, patient: Patient) -> Section | None:
    """Stays and visits elsewhere, newest first: one query."""
    if not request.user.has_perm("encounters.view_encounter"):
        return None
    return Section(
        "encounters/partials/_patient_section.html",
        {"patient": patient, "encounters": patient_timeline(patient)},
    )
