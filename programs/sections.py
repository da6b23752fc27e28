"""The enrolments section of the patient page (registered in ProgramsConfig.ready)."""

from __future__ import annotations

from django.http import HttpRequest

from patients.models import Patient
from patients.sections import Section
from programs.selectors import patient_enrolments


def patient_enrolments_section(request: HttpRequest, patient: Patient) -> Section | None:
    """Enrolments with attendance and the date their sessions are due by: one query."""
    user = request.user
    if not user.has_perm("programs.view_enrolment"):
        return None
    return Section(
        "programs/partials/_patient_section.html",
        {
            "patient": patient,
            "enrolments": patient_enrolments(patient),
            "can_enrol": user.has_perm("programs.add_enrolment") and patient.is_open,
        },
    )
