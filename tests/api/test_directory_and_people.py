"""/api/v1/services/, /organizations/, /users/ and /teams/ (read)."""

from __future__ import annotations

import pytest

from tests.referrals.factories import OrganizationFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_services_filter_and_search(api):
    food = ServiceFactory(name="Food Bank", category="food", languages="en,vi")
    shelter = ServiceFactory(name="Shelter", category="housing", languages="es")
    closed = ServiceFactory(name="Closed", category="food", is_active=False)
    assert set(ids(api.get("/api/v1/services/"))) == {food.pk, shelter.pk, closed.pk}
    assert set(ids(api.get("/api/v1/services/", {"category": "food"}))) == {food.pk, closed.pk}
    assert ids(api.get("/api/v1/services/", {"language": "vi"})) == [food.pk]
    assert set(ids(api.get("/api/v1/services/", {"available": "true"}))) == {food.pk, shelter.pk}
    assert ids(api.get("/api/v1/services/", {"search": "shelter"})) == [shelter.pk]
    body = api.get(f"/api/v1/services/{food.pk}/").json()
    assert body["languages"] == ["en", "vi"] and body["organization_name"]


def test_organizations(api):
    org = OrganizationFactory(name="Neighbours United")
    assert org.pk in ids(api.get("/api/v1/organizations/", {"search": "neighbours"}))
    assert api.get(f"/api/v1/organizations/{org.pk}/").json()["name"] == "Neighbours United"


def test_users_are_colleagues_only(api, admin_api, coordinator, case_manager, coordinator_b):
    assert set(ids(api.get("/api/v1/users/"))) == {coordinator.pk, case_manager.pk}
    assert api.get(f"/api/v1/users/{coordinator_b.pk}/").status_code == 404
    assert coordinator_b.pk in ids(admin_api.get("/api/v1/users/"))
    me = api.get("/api/v1/users/me/").json()
    assert (me["id"], me["roles"]) == (coordinator.pk, ["coordinator"])
    assert ids(api.get("/api/v1/users/", {"search": case_manager.username})) == [case_manager.pk]


def test_teams_are_the_callers(api, team_a, team_b, coordinator, case_manager):
    assert ids(api.get("/api/v1/teams/")) == [team_a.pk]
    body = api.get(f"/api/v1/teams/{team_a.pk}/").json()
    assert set(body["members"]) == {coordinator.pk, case_manager.pk}
    assert api.get(f"/api/v1/teams/{team_b.pk}/").status_code == 404
