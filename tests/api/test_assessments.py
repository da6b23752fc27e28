"""/api/v1/screening-templates/, /api/v1/assessments/ and /api/v1/identified-needs/."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from assessments import services
from assessments.models import Assessment, IdentifiedNeed, NeedStatus
from audit.models import AuditAction, AuditEvent, AuditOutcome
from tests.assessments.factories import (
    DomainRuleFactory,
    IdentifiedNeedFactory,
    ScreeningTemplateFactory,
    question_with_options,
)
from tests.careplans.factories import CarePlanFactory, GoalFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db

TEMPLATES = "/api/v1/screening-templates/"
ASSESSMENTS = "/api/v1/assessments/"
NEEDS = "/api/v1/identified-needs/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def screening():
    """Food: positive from 1 point, high from 3. Transportation: positive from 2."""
    template = ScreeningTemplateFactory(name="Social needs")
    DomainRuleFactory(template=template, domain="food", positive_at=1, high_at=3)
    DomainRuleFactory(template=template, domain="transportation", positive_at=2, high_at=4)
    food = question_with_options(template, "food", [0, 1, 3])
    ride = question_with_options(template, "transportation", [0, 2])
    return {"template": template, "food": food, "ride": ride}


def answer(question, position: int) -> dict:
    return {"question": question.pk, "option": question.options.get(position=position).pk}


def record(patient, by, screening, *, food: int, ride: int = 0, days_ago: int = 0) -> Assessment:
    return services.assessment_record(
        patient=patient,
        template=screening["template"],
        by=by,
        answers={
            screening["food"].pk: screening["food"].options.get(position=food).pk,
            screening["ride"].pk: screening["ride"].options.get(position=ride).pk,
        },
        assessed_on=timezone.localdate() - datetime.timedelta(days=days_ago),
    )


# --- Screening templates ----------------------------------------------------------------------


def test_templates_list_and_one_with_its_questions(api, screening):
    template = screening["template"]
    assert template.pk in ids(api.get(TEMPLATES, {"is_active": "true"}))
    body = api.get(f"{TEMPLATES}{template.pk}/").json()
    assert [rule["domain"] for rule in body["domain_rules"]] == ["food", "transportation"]
    food = next(q for q in body["questions"] if q["id"] == screening["food"].pk)
    assert [option["score"] for option in food["options"]] == [0, 1, 3]
    assert "questions" not in api.get(TEMPLATES).json()["results"][0]


# --- Assessments -------------------------------------------------------------------------------


def test_a_screening_is_scored_and_its_positive_domains_become_needs(
    manager_api, patient, case_manager, screening
):
    response = manager_api.post(
        ASSESSMENTS,
        {
            "patient": patient.pk,
            "template": screening["template"].pk,
            "answers": [answer(screening["food"], 2), answer(screening["ride"], 0)],
            "language": "es",
            "notes": "Asked at home",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assessment = Assessment.objects.get(pk=body["id"])
    assert (assessment.assessed_by, assessment.language) == (case_manager, "es")
    assert {
        r["domain"]: (r["score"], r["is_positive"], r["severity"]) for r in body["results"]
    } == {
        "food": (3, True, "high"),
        "transportation": (0, False, ""),
    }
    food = next(a for a in body["answers"] if a["domain"] == "food")
    assert food["question_text"] == screening["food"].text_es  # in the language asked
    assert food["score"] == 3
    need = IdentifiedNeed.objects.get(patient=patient)
    assert (need.domain, need.severity, need.assessment_id) == ("food", "high", assessment.pk)
    event = AuditEvent.objects.get(route="api:assessment-list", method="POST")
    assert (event.patient_id, event.actor, event.outcome) == (
        patient.pk,
        case_manager,
        AuditOutcome.SUCCESS,
    )


def test_a_role_the_admin_took_screening_from_cannot_record_them(api, patient, screening):
    from django.contrib.auth.models import Group, Permission

    from accounts.backends import forget_role_permissions
    from accounts.roles import Role

    Group.objects.get(name=Role.COORDINATOR.group_name).permissions.remove(
        Permission.objects.get(codename="add_assessment")
    )
    forget_role_permissions()
    response = api.post(
        ASSESSMENTS,
        {
            "patient": patient.pk,
            "template": screening["template"].pk,
            "answers": [answer(screening["food"], 1)],
        },
    )
    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_list_filter_detail_and_scope(
    api, outsider_api, patient, patient_b, case_manager, coordinator_b, screening
):
    older = record(patient, case_manager, screening, food=0, days_ago=30)
    newer = record(patient, case_manager, screening, food=1)
    record(patient_b, coordinator_b, screening, food=2)
    assert ids(api.get(ASSESSMENTS)) == [newer.pk, older.pk]  # latest first
    assert ids(api.get(ASSESSMENTS, {"positive_domain": "food"})) == [newer.pk]
    recent = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
    assert ids(api.get(ASSESSMENTS, {"assessed_after": recent, "patient": patient.pk})) == [
        newer.pk
    ]
    body = api.get(f"{ASSESSMENTS}{older.pk}/").json()
    assert (body["patient"], body["template_name"]) == (patient.pk, "Social needs")
    assert {r["domain"]: r["is_positive"] for r in body["results"]} == {
        "food": False,
        "transportation": False,
    }
    assert len(body["answers"]) == 2
    assert outsider_api.get(f"{ASSESSMENTS}{older.pk}/").status_code == 404
    assert ids(outsider_api.get(ASSESSMENTS, {"patient": patient.pk})) == []
    viewed = AuditEvent.objects.get(route="api:assessment-detail", outcome=AuditOutcome.SUCCESS)
    assert (viewed.patient_id, viewed.action, viewed.object_type, viewed.object_id) == (
        patient.pk,
        AuditAction.VIEW,
        "assessments.assessment",
        str(older.pk),
    )
    denied = AuditEvent.objects.get(route="api:assessment-detail", outcome=AuditOutcome.DENIED)
    assert denied.patient_id is None


def test_invalid_screenings_are_400_by_field_and_record_nothing(
    manager_api, patient, patient_b, screening
):
    template, food, ride = screening["template"], screening["food"], screening["ride"]
    other = question_with_options(ScreeningTemplateFactory(), "food", [0, 1])
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    cases = [
        ({"answers": [answer(food, 1), answer(food, 2)]}, "answers"),
        ({"answers": []}, "answers"),
        ({"answers": [answer(other, 1)]}, "non_field_errors"),
        (
            {"answers": [{"question": food.pk, "option": ride.options.first().pk}]},
            "non_field_errors",
        ),
        ({"answers": [answer(food, 1)], "assessed_on": tomorrow}, "assessed_on"),
        ({"answers": [answer(food, 1)], "language": "fr"}, "language"),
        ({"answers": [answer(food, 1)], "patient": patient_b.pk}, "patient"),
    ]
    for extra, field in cases:
        body = {"patient": patient.pk, "template": template.pk, **extra}
        response = manager_api.post(ASSESSMENTS, body)
        assert response.status_code == 400 and field in response.json(), (extra, response.json())
    ride.is_required = True
    ride.save()
    response = manager_api.post(
        ASSESSMENTS, {"patient": patient.pk, "template": template.pk, "answers": [answer(food, 1)]}
    )
    assert response.status_code == 400 and f"question_{ride.pk}" in response.json()
    assert not Assessment.objects.exists() and not IdentifiedNeed.objects.exists()


# --- Identified needs --------------------------------------------------------------------------


def test_needs_list_filters_and_scope(api, outsider_api, patient, patient_b, coordinator):
    food = IdentifiedNeedFactory(patient=patient, domain="food")
    plan = CarePlanFactory(patient=patient, author=coordinator, active=True)
    housing = IdentifiedNeedFactory(
        patient=patient,
        domain="living_situation",
        severity="medium",
        goal=GoalFactory(care_plan=plan),
    )
    IdentifiedNeedFactory(patient=patient_b)
    assert set(ids(api.get(NEEDS))) == {food.pk, housing.pk}
    assert ids(api.get(NEEDS, {"addressed": "false"})) == [food.pk]
    assert ids(api.get(NEEDS, {"addressed": "true"})) == [housing.pk]
    assert ids(api.get(NEEDS, {"severity": "medium"})) == [housing.pk]
    assert ids(api.get(NEEDS, {"domain": ["food", "safety"], "status": "open"})) == [food.pk]
    body = api.get(f"{NEEDS}{housing.pk}/").json()
    assert body["is_addressed"] is True and body["service_categories"] == ["housing"]
    assert outsider_api.get(f"{NEEDS}{food.pk}/").status_code == 404


def test_link_a_need_to_a_goal_then_resolve_it(manager_api, patient, patient_b, case_manager):
    need = IdentifiedNeedFactory(patient=patient)
    plan = CarePlanFactory(patient=patient, author=case_manager, active=True)
    goal = GoalFactory(care_plan=plan, active=True)
    others = GoalFactory(care_plan=CarePlanFactory(patient=patient_b, author=case_manager))
    refused = manager_api.post(f"{NEEDS}{need.pk}/address/", {"goal": others.pk})
    assert refused.status_code == 400 and "goal" in refused.json()
    linked = manager_api.post(f"{NEEDS}{need.pk}/address/", {"goal": goal.pk})
    assert linked.status_code == 200, linked.content
    assert (linked.json()["goal"], linked.json()["is_addressed"]) == (goal.pk, True)
    empty = manager_api.post(f"{NEEDS}{need.pk}/resolve/", {"note": "  "})
    assert empty.status_code == 400 and "note" in empty.json()
    referral = ReferralFactory(patient=patient, referred_by=case_manager, closed=True)
    resolved = manager_api.post(f"{NEEDS}{need.pk}/resolve/", {"referral": referral.pk})
    assert resolved.status_code == 200, resolved.content
    body = resolved.json()
    assert (body["status"], body["resolved_by_referral"], body["resolved_by"]) == (
        "resolved",
        referral.pk,
        case_manager.pk,
    )
    # Resolving again is refused and changes nothing.
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    again = manager_api.post(
        f"{NEEDS}{need.pk}/resolve/", {"note": "Again", "resolved_on": yesterday}
    )
    assert again.status_code == 400 and "non_field_errors" in again.json()
    need.refresh_from_db()
    assert (need.status, need.resolved_on, need.resolution_note) == (
        NeedStatus.RESOLVED,
        timezone.localdate(),
        "",
    )
    assert (
        AuditEvent.objects.filter(
            route="api:identified-need-resolve", patient=patient, object_id=str(need.pk)
        ).count()
        == 3
    )


def test_coordinators_read_needs_but_do_not_change_them(api, outsider_api, patient):
    need = IdentifiedNeedFactory(patient=patient)
    assert api.get(f"{NEEDS}{need.pk}/").status_code == 200
    assert api.post(f"{NEEDS}{need.pk}/resolve/", {"note": "Done"}).status_code == 403
    assert api.post(f"{NEEDS}{need.pk}/address/", {}).status_code == 403
    assert outsider_api.post(f"{NEEDS}{need.pk}/resolve/", {"note": "Done"}).status_code == 404
    need.refresh_from_db()
    assert need.status == NeedStatus.OPEN
