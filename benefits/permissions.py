"""Access to one coverage, authorisation, application or checklist line: 404 outside
the user's teams, 403 without the permission (patients.permissions.access_record)."""

from __future__ import annotations

from accounts.models import User
from benefits import selectors
from benefits.models import BenefitApplication, Coverage, PriorAuthorisation, RequiredDocument
from patients.permissions import access_record


def access_coverage(user: User, pk: int, *, perm: str = "benefits.view_coverage") -> Coverage:
    queryset = selectors.coverages_visible_to(user).select_related("patient")
    return access_record(user, queryset, pk, perm=perm, patient_id=lambda c: c.patient_id)


def access_authorisation(
    user: User, pk: int, *, perm: str = "benefits.view_priorauthorisation"
) -> PriorAuthorisation:
    queryset = selectors.authorisations_visible_to(user).select_related("patient", "coverage")
    return access_record(user, queryset, pk, perm=perm, patient_id=lambda a: a.patient_id)


def access_application(
    user: User, pk: int, *, perm: str = "benefits.view_benefitapplication"
) -> BenefitApplication:
    queryset = selectors.applications_visible_to(user).select_related("patient", "case_manager")
    return access_record(user, queryset, pk, perm=perm, patient_id=lambda a: a.patient_id)


def access_document(
    user: User, pk: int, *, perm: str = "benefits.change_requireddocument"
) -> RequiredDocument:
    queryset = selectors.documents_visible_to(user).select_related("application__patient")
    return access_record(
        user, queryset, pk, perm=perm, patient_id=lambda d: d.application.patient_id
    )
