"""The patient list counts matches only up to a limit (patients/paging.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from patients import paging
from patients.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_counts_up_to_the_limit_and_says_so(team_a):
    PatientFactory.create_batch(5, care_team=team_a)
    capped = paging.CappedPaginator(Patient.objects.order_by("pk"), 2, limit=3)
    assert capped.count == 4 and capped.capped and capped.num_pages == 2
    exact = paging.CappedPaginator(Patient.objects.order_by("pk"), 2, limit=10)
    assert exact.count == 5 and not exact.capped


def test_a_broad_search_says_more_than_the_limit(coordinator_client, team_a, monkeypatch):
    PatientFactory.create_batch(4, care_team=team_a, family_name="Hernandez")
    monkeypatch.setattr(paging, "COUNT_LIMIT", 3)
    page = coordinator_client.get(reverse("patients:list"), {"q": "hernand"}).content.decode()
    assert "More than 3 patients match" in page and page.count("Hernandez") == 4


def test_search_results_in_name_order_whatever_the_case(coordinator_client, team_a):
    for family in ("hernandez", "Hernandes", "HERNANDO"):
        PatientFactory(care_team=team_a, family_name=family)
    page = coordinator_client.get(reverse("patients:list"), {"q": "hernand"}).content.decode()
    assert page.index("Hernandes") < page.index("hernandez") < page.index("HERNANDO")


def _names_in_page(page: str, *names: str) -> list[str]:
    return sorted(names, key=page.index)


def test_a_broad_search_lists_the_newest_first_unless_a_sort_is_chosen(
    coordinator_client, team_a, monkeypatch
):
    for given in ("Anabel", "Zoraida", "Beatriz"):  # registered in this order
        PatientFactory(care_team=team_a, family_name="Hernandez", given_name=given)
    monkeypatch.setattr(paging, "COUNT_LIMIT", 2)
    url = reverse("patients:list")

    page = coordinator_client.get(url, {"q": "hernand"}).content.decode()
    assert "shown newest registration first" in page
    assert _names_in_page(page, "Anabel", "Zoraida", "Beatriz") == ["Beatriz", "Zoraida", "Anabel"]

    chosen = coordinator_client.get(url, {"q": "hernand", "sort": "name"}).content.decode()
    assert "More than 2 patients match" in chosen and "newest registration" not in chosen
    assert _names_in_page(chosen, "Anabel", "Zoraida", "Beatriz") == [
        "Anabel",
        "Beatriz",
        "Zoraida",
    ]


def test_a_narrow_search_and_an_unsearched_list_stay_in_name_order(
    coordinator_client, team_a, monkeypatch
):
    for given in ("Anabel", "Zoraida", "Beatriz"):
        PatientFactory(care_team=team_a, family_name="Hernandez", given_name=given)
    url = reverse("patients:list")
    narrow = coordinator_client.get(url, {"q": "hernand"}).content.decode()
    assert "newest registration" not in narrow
    assert _names_in_page(narrow, "Anabel", "Zoraida", "Beatriz") == [
        "Anabel",
        "Beatriz",
        "Zoraida",
    ]

    monkeypatch.setattr(paging, "COUNT_LIMIT", 2)
    unsearched = coordinator_client.get(url).content.decode()
    assert "More than 2 patients match" in unsearched and "newest registration" not in unsearched
    assert _names_in_page(unsearched, "Anabel", "Zoraida", "Beatriz") == [
        "Anabel",
        "Beatriz",
        "Zoraida",
    ]


def test_a_narrow_match_is_paged_by_id_without_matching_again(team_a, django_assert_num_queries):
    matches = [PatientFactory(care_team=team_a, family_name=f"Quist{n}") for n in range(5)]
    PatientFactory.create_batch(3, care_team=team_a, family_name="Other")
    found = Patient.objects.search("quist").order_by("-family_name")
    paginator = paging.CappedPaginator(
        found, 2, rows_by_id=lambda ids: Patient.objects.filter(pk__in=ids)
    )
    with django_assert_num_queries(4) as queries:
        pages = [list(paginator.page(n).object_list) for n in (1, 2, 3)]
    assert paginator.count == 5 and paginator.num_pages == 3
    assert [p for page in pages for p in page] == sorted(
        matches, key=lambda p: p.family_name, reverse=True
    )
    # The ids once (with the count), then each page's rows by id: the search ran once.
    searched = [("QUIST" in q["sql"].upper()) for q in queries.captured_queries]
    assert searched == [True, False, False, False]


def test_a_match_past_the_by_id_limit_is_paged_by_matching(team_a, monkeypatch):
    monkeypatch.setattr(paging, "BY_ID_LIMIT", 2)
    PatientFactory.create_batch(3, care_team=team_a, family_name="Quist")
    by_id = []
    paginator = paging.CappedPaginator(
        Patient.objects.search("quist").order_by("pk"),
        2,
        rows_by_id=lambda ids: by_id.append(ids) or Patient.objects.filter(pk__in=ids),
    )
    assert paginator.count == 3 and len(paginator.page(2).object_list) == 1
    assert by_id == []
