"""The identifiers section of the patient page (registered in PatientsConfig.ready)."""

from __future__ import annotations

from django.http import HttpRequest

from patients.models import Patient
from patients.sections import Section


def patient_identifiers_section(request: HttpRequest, patient: Patient) -> Section:
    """The patient's identifiers in other systems: one query."""
    return Section(
        "patients/partials/_identifiers_section.html",
        {
            "patient": patient,
            "identifiers": list(patient.identifiers.all()),
            "can_edit": request.user.has_perm("patients.change_patient"),
        },
    )
