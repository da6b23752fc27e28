"""The care section of the patient page (registered in CareplansConfig.ready)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from careplans.models import CarePlanStatus
from careplans.selectors import patient_care_summary
from patients.models import Patient
from patients.sections import Section


def patient_care_section(request: HttpRequest, patient: Patient) -> Section | None:
    """Active plan, other plans, open goals, open tasks and the timeline: four queries."""
    user = request.user
    if not user.has_perm("careplans.view_careplan"):
        return None
    summary = patient_care_summary(patient)
    now = timezone.now()
    for task in summary["open_tasks"]:
        task.overdue = task.is_overdue_at(now)
    active = summary["active_plan"]
    return Section(
        "careplans/partials/_patient_section.html",
        {
            "patient": patient,
            **summary,
            "active_review_overdue": bool(
                active and active.review_overdue_on(timezone.localdate())
            ),
            "other_plans": [p for p in summary["plans"] if p.status != CarePlanStatus.ACTIVE],
            "can_add_plan": user.has_perm("careplans.add_careplan") and patient.is_open,
            "can_add_task": user.has_perm("careplans.add_task") and patient.is_open,
            "can_change_task": user.has_perm("careplans.change_task"),
            # Task actions come back here (``next``): the path holds the patient id only.
            "request_path": request.path,
        },
    )
