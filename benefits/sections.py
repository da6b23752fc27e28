"""The coverage and benefits section of the patient page (BenefitsConfig.ready)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from benefits.selectors import patient_benefits
from patients.models import Patient
from patients.sections import Section


def patient_benefits_section(request: HttpRequest, patient: Patient) -> Section | None:
    """Coverage (expired flagged), authorisations and applications with their next
    deadline: three queries."""
    user = request.user
    if not user.has_perm("benefits.view_benefitapplication"):
        return None
    data = patient_benefits(patient)
    today = timezone.localdate()
    for coverage in data["coverages"]:
        coverage.expired = coverage.is_expired_on(today)
    for authorisation in data["authorisations"]:
        authorisation.expired = authorisation.is_expired_on(today)
    for application in data["applications"]:
        application.deadline = application.next_deadline()
    can_open = patient.is_open
    return Section(
        "benefits/partials/_patient_section.html",
        {
            "patient": patient,
            **data,
            "can_add_coverage": can_open and user.has_perm("benefits.add_coverage"),
            "can_change_coverage": user.has_perm("benefits.change_coverage"),
            "can_add_authorisation": can_open and user.has_perm("benefits.add_priorauthorisation"),
            "can_change_authorisation": user.has_perm("benefits.change_priorauthorisation"),
            "can_add_application": can_open and user.has_perm("benefits.add_benefitapplication"),
        },
    )
