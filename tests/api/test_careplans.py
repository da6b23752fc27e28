"""/api/v1/care-plans/ and /api/v1/goals/ (with progress)."""

from __future__ import annotations

import pytest

from careplans.models import CarePlan, Goal, GoalProgress, StatusChange
from tests.careplans.factories import CarePlanFactory, GoalFactory, GoalProgressFactory

pytestmark = pytest.mark.django_db

PLANS = "/api/v1/care-plans/"
GOALS = "/api/v1/goals/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def plan(patient, coordinator):
    return CarePlanFactory(patient=patient, author=coordinator, active=True)


@pytest.fixture
def plan_b(patient_b, coordinator_b):
    return CarePlanFactory(patient=patient_b, author=coordinator_b)


# --- Care plans -----------------------------------------------------------------------------


def test_list_filter_and_search_care_plans(api, plan, plan_b, patient, coordinator):
    draft = CarePlanFactory(patient=patient, author=coordinator, title="Housing first")
    assert set(ids(api.get(PLANS))) == {plan.pk, draft.pk}
    assert ids(api.get(PLANS, {"status": "draft"})) == [draft.pk]
    assert ids(api.get(PLANS, {"search": "housing"})) == [draft.pk]
    assert ids(api.get(PLANS, {"patient": patient.pk, "status": ["active", "on-hold"]})) == [
        plan.pk
    ]


def test_care_plan_detail_and_scope(api, outsider_api, plan):
    body = api.get(f"{PLANS}{plan.pk}/").json()
    assert (body["status"], body["patient"]) == ("active", plan.patient_id)
    assert body["allowed_transitions"] == ["completed", "on-hold", "revoked"]
    assert outsider_api.get(f"{PLANS}{plan.pk}/").status_code == 404
    assert outsider_api.post(f"{PLANS}{plan.pk}/transition/", {"to": "on-hold"}).status_code == 404


def test_start_a_care_plan_with_needs(api, patient, coordinator):
    response = api.post(
        PLANS,
        {
            "patient": patient.pk,
            "title": "Back home",
            "needs": [
                {"category": "social", "description": "Housing"},
                {"category": "medical", "description": "Diabetes"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    plan = CarePlan.objects.get(pk=response.json()["id"])
    assert (plan.status, plan.author) == ("draft", coordinator)
    assert sorted(n.description for n in plan.needs.all()) == ["Diabetes", "Housing"]
    assert {n["description"] for n in response.json()["needs"]} == {"Diabetes", "Housing"}


def test_a_care_plan_for_a_patient_outside_scope_does_not_exist(outsider_api, patient):
    response = outsider_api.post(PLANS, {"patient": patient.pk, "title": "x"})
    assert response.status_code == 400 and "does not exist" in response.json()["patient"][0]
    assert not CarePlan.objects.exists()


def test_care_plan_validation_is_400_by_field(api, patient):
    response = api.post(
        PLANS,
        {
            "patient": patient.pk,
            "title": "x",
            "period_start": "2030-01-02",
            "period_end": "2030-01-01",
        },
    )
    assert response.status_code == 400 and "period_end" in response.json()


def test_update_keeps_needs_unless_given_and_refuses_stale(api, plan):
    plan.needs.create(category="social", description="Food")
    response = api.patch(f"{PLANS}{plan.pk}/", {"title": "Renamed", "version": plan.version})
    assert response.status_code == 200, response.content
    assert [n["description"] for n in response.json()["needs"]] == ["Food"]
    stale = api.patch(f"{PLANS}{plan.pk}/", {"title": "Again", "version": plan.version})
    assert stale.status_code == 412
    plan.refresh_from_db()
    assert plan.title == "Renamed"


def test_transition_and_its_refusals(api, plan, patient, coordinator):
    assert (
        api.post(f"{PLANS}{plan.pk}/transition/", {"to": "on-hold"}).json()["status"] == "on-hold"
    )
    refused = api.post(f"{PLANS}{plan.pk}/transition/", {"to": "completed"})
    assert refused.status_code == 409
    assert (refused.json()["current"], refused.json()["allowed"]) == (
        "on-hold",
        ["active", "revoked"],
    )
    # A reason is required to revoke; nothing is written without it.
    moves = StatusChange.objects.filter(care_plan=plan).count()
    response = api.post(f"{PLANS}{plan.pk}/transition/", {"to": "revoked"})
    assert response.status_code == 400 and "reason" in response.json()
    assert StatusChange.objects.filter(care_plan=plan).count() == moves


def test_a_second_active_plan_is_refused_as_400(api, plan, patient, coordinator):
    second = CarePlanFactory(patient=patient, author=coordinator)
    response = api.post(f"{PLANS}{second.pk}/transition/", {"to": "active"})
    assert response.status_code == 400 and "non_field_errors" in response.json()
    second.refresh_from_db()
    assert second.status == "draft"


def test_closing_with_open_work_asks_what_to_do_with_it(api, plan):
    goal = GoalFactory(care_plan=plan, active=True)
    response = api.post(f"{PLANS}{plan.pk}/transition/", {"to": "completed"})
    assert response.status_code == 400 and "open_work" in response.json()
    response = api.post(f"{PLANS}{plan.pk}/transition/", {"to": "completed", "open_work": "cancel"})
    assert response.status_code == 200
    goal.refresh_from_db()
    assert goal.status == "cancelled"


# --- Goals ----------------------------------------------------------------------------------


def test_list_filter_and_detail_goals(api, outsider_api, plan, plan_b):
    goal = GoalFactory(care_plan=plan, active=True, description="Walk daily")
    other = GoalFactory(care_plan=plan, description="Sleep")
    GoalFactory(care_plan=plan_b)
    GoalProgressFactory(goal=goal, achievement_status="improving")
    assert set(ids(api.get(GOALS))) == {goal.pk, other.pk}
    assert ids(api.get(GOALS, {"status": "active"})) == [goal.pk]
    assert ids(api.get(GOALS, {"search": "walk"})) == [goal.pk]
    body = api.get(f"{GOALS}{goal.pk}/").json()
    assert (body["achievement_status"], body["patient"]) == ("improving", plan.patient_id)
    assert outsider_api.get(f"{GOALS}{goal.pk}/").status_code == 404


def test_add_change_and_move_a_goal(api, plan, coordinator):
    response = api.post(
        GOALS,
        {
            "care_plan": plan.pk,
            "description": "A1c under 7",
            "category": "medical",
            "target_measure": "HbA1c",
            "target_value": 7,
            "owner": coordinator.pk,
        },
    )
    assert response.status_code == 201, response.content
    goal = Goal.objects.get(pk=response.json()["id"])
    assert goal.status == "proposed"
    changed = api.patch(f"{GOALS}{goal.pk}/", {"priority": "high-priority"}, HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200 and changed.json()["priority"] == "high-priority"
    moved = api.post(f"{GOALS}{goal.pk}/transition/", {"to": "accepted"})
    assert moved.json()["status"] == "accepted"
    refused = api.post(f"{GOALS}{goal.pk}/transition/", {"to": "completed"})
    assert refused.status_code == 409 and refused.json()["allowed"] == ["active", "cancelled"]


def test_a_goal_owner_must_be_in_the_patients_team(api, plan, coordinator_b):
    response = api.post(
        GOALS,
        {"care_plan": plan.pk, "description": "x", "category": "social", "owner": coordinator_b.pk},
    )
    assert response.status_code == 400 and "owner" in response.json()


def test_progress_list_and_record(api, outsider_api, plan, coordinator):
    goal = GoalFactory(care_plan=plan, active=True)
    GoalProgressFactory(goal=goal, achievement_status="no-change")
    response = api.post(
        f"{GOALS}{goal.pk}/progress/", {"achievement_status": "achieved", "note": "Done"}
    )
    assert response.status_code == 201, response.content
    assert GoalProgress.objects.get(pk=response.json()["id"]).recorded_by == coordinator
    listed = api.get(f"{GOALS}{goal.pk}/progress/").json()
    assert listed["count"] == 2 and listed["results"][0]["achievement_status"] == "achieved"
    assert api.get(f"{GOALS}{goal.pk}/").json()["achievement_status"] == "achieved"
    assert outsider_api.get(f"{GOALS}{goal.pk}/progress/").status_code == 404
    assert (
        outsider_api.post(
            f"{GOALS}{goal.pk}/progress/", {"achievement_status": "achieved"}
        ).status_code
        == 404
    )
    bad = api.post(
        f"{GOALS}{goal.pk}/progress/", {"achievement_status": "great", "recorded_on": "2999-01-01"}
    )
    assert bad.status_code == 400 and {"achievement_status"} <= set(bad.json())
