"""The patient's printed copy: the plan in plain words, nothing meant for the team."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from careplans import services, transitions
from careplans.models import NeedCategory
from tests.careplans.factories import CarePlanFactory, GoalFactory, GoalProgressFactory, TaskFactory

pytestmark = pytest.mark.django_db

INTERNAL = {
    "internal note": "INTERNAL-NOTE-Lives-with-abusive-partner",
    "review note": "REVIEW-NOTE-considering-escalation",
    "progress note": "PROGRESS-NOTE-missed-two-appointments",
    "move reason": "MOVE-REASON-insurer-delay",
    "completion note": "COMPLETION-NOTE-left-voicemail",
    "cancelled goal": "CANCELLED-GOAL-stop-drinking",
}


def test_the_print_view_leaves_out_internal_notes(client, case_manager, coordinator, patient):
    plan = CarePlanFactory(patient=patient, internal_notes=INTERNAL["internal note"])
    services.careplan_update(
        care_plan=plan,
        by=coordinator,
        data={},
        needs={NeedCategory.SOCIAL: ["Stable housing"], NeedCategory.MEDICAL: ["Blood pressure"]},
        expected_version=plan.version,
    )
    transitions.careplan_transition(care_plan=plan, by=coordinator, target="active")
    transitions.careplan_transition(
        care_plan=plan, by=coordinator, target="on-hold", reason=INTERNAL["move reason"]
    )
    transitions.careplan_transition(care_plan=plan, by=coordinator, target="active")
    plan.refresh_from_db()
    services.careplan_record_review(
        care_plan=plan,
        by=case_manager,
        note=INTERNAL["review note"],
        next_review_date=timezone.localdate() + datetime.timedelta(days=30),
        expected_version=plan.version,
    )
    goal = GoalFactory(care_plan=plan, description="Walk to the park every day", active=True)
    GoalProgressFactory(goal=goal, note=INTERNAL["progress note"], recorded_by=coordinator)
    GoalFactory(care_plan=plan, description=INTERNAL["cancelled goal"], moved_to="cancelled")
    done = TaskFactory(patient=patient, care_plan=plan, assignee=coordinator)
    transitions.task_complete(task=done, by=coordinator, note=INTERNAL["completion note"])
    TaskFactory(
        patient=patient, care_plan=plan, assignee=coordinator, description="Bring your pill box"
    )

    client.force_login(coordinator)
    response = client.get(reverse("careplans:print", args=[plan.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for what, text in INTERNAL.items():
        assert text not in page, what
    for shown in [
        "Stable housing",
        "Blood pressure",
        "Walk to the park every day",
        "Bring your pill box",
        "Improving",
        plan.title,
    ]:
        assert shown in page, shown
    # The staff page does show them: the print view leaves them out on purpose.
    staff_page = client.get(reverse("careplans:detail", args=[plan.pk])).content.decode()
    assert INTERNAL["internal note"] in staff_page and INTERNAL["review note"] in staff_page


def test_the_print_stylesheet_styles_the_patient_copy(coordinator_client, patient):
    from django.contrib.staticfiles import finders

    plan = CarePlanFactory(patient=patient)
    page = coordinator_client.get(reverse("careplans:print", args=[plan.pk])).content.decode()
    assert 'media="print"' in page and 'class="patient-copy"' in page
    with open(finders.find("css/print.css")) as stylesheet:
        assert ".patient-copy" in stylesheet.read()
