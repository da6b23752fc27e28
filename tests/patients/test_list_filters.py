"""The patient list's coordinator filter stays small however many teams a user sees."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from patients.forms import PatientFilter
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def coordinator_options(page: str) -> list[str]:
    select = re.search(r'<select[^>]*name="primary_coordinator".*?</select>', page, re.S).group(0)
    return [
        label for value, label in re.findall(r'<option value="(\d*)"[^>]*>([^<]*)', select) if value
    ]


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_with_few_teams_every_teams_coordinators_are_offered(
    admin_client, coordinator, coordinator_b
):
    page = admin_client.get(reverse("patients:list")).content.decode()
    assert {str(coordinator), str(coordinator_b)} <= set(coordinator_options(page))


def test_with_many_teams_a_team_is_chosen_first(
    admin_client, coordinator, coordinator_b, team_a, monkeypatch
):
    monkeypatch.setattr(PatientFilter, "STAFF_CHOICE_TEAMS", 1)
    url = reverse("patients:list")

    page = admin_client.get(url).content.decode()
    assert coordinator_options(page) == []
    assert "Choose a team to list its coordinators." in page

    in_team = admin_client.get(url, {"care_team": team_a.pk}).content.decode()
    assert coordinator_options(in_team) == [str(coordinator)]


def test_a_drill_down_to_one_coordinator_still_works_with_many_teams(
    admin_client, coordinator, coordinator_b, team_a, team_b, monkeypatch
):
    monkeypatch.setattr(PatientFilter, "STAFF_CHOICE_TEAMS", 1)
    mine = PatientFactory(care_team=team_a, primary_coordinator=coordinator, family_name="Okafor")
    PatientFactory(care_team=team_b, primary_coordinator=coordinator_b, family_name="Lindqvist")
    page = admin_client.get(
        reverse("patients:list"), {"primary_coordinator": coordinator.pk}
    ).content.decode()
    assert coordinator_options(page) == [str(coordinator)]
    assert mine.family_name in page and "Lindqvist" not in page
