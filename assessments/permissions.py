"""Access to one assessment or identified need: 404 outside the user's teams, 403
without the permission (patients.permissions.access_record)."""

from __future__ import annotations

from accounts.models import User
from assessments.models import Assessment, IdentifiedNeed
from assessments.selectors import assessments_visible_to, needs_visible_to
from patients.permissions import access_record


def access_assessment(
    user: User, pk: int, *, perm: str = "assessments.view_assessment"
) -> Assessment:
    queryset = assessments_visible_to(user).select_related("patient", "template", "assessed_by")
    return access_record(user, queryset, pk, perm=perm, patient_id=lambda a: a.patient_id)


def access_need(
    user: User, pk: int, *, perm: str = "assessments.view_identifiedneed"
) -> IdentifiedNeed:
    queryset = needs_visible_to(user).select_related(
        "patient",
        "assessment",
        "care_plan_need",
        "goal",
        "resolved_by_referral",
        "resolved_by_goal",
    )
    return access_record(user, queryset, pk, perm=perm, patient_id=lambda n: n.patient_id)
