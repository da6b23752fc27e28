"""The needs section of the patient page (registered in AssessmentsConfig.ready)."""

from __future__ import annotations

from django.http import HttpRequest

from assessments.selectors import patient_needs_summary
from patients.models import Patient
from patients.sections import Section


def patient_needs_section(request: HttpRequest, patient: Patient) -> Section | None:
    """Needs by domain: latest result, change since the previous assessment, the open
    need and what addresses it; resolved needs; recent assessments. Three queries."""
    user = request.user
    if not user.has_perm("assessments.view_assessment"):
        return None
    return Section(
        "assessments/partials/_patient_section.html",
        {
            "patient": patient,
            **patient_needs_summary(patient),
            "can_assess": user.has_perm("assessments.add_assessment") and patient.is_open,
        },
    )
