"""A NUL character in any query parameter is a 400 (carehub.middleware), never the 500
PostgreSQL's refusal of such a string made of it: every API list's search and filters,
the FHIR endpoints, the pages' searches."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from api.urls import router

pytestmark = pytest.mark.django_db

PARAMS = ["search", "status", "ordering", "page_size", "patient", "care_team", "unread"]


@pytest.fixture
def signed_in(coordinator, patient):
    client = Client()
    client.force_login(coordinator)
    return client


@pytest.mark.parametrize("basename", sorted({entry[2] for entry in router.registry}))
def test_every_api_list_refuses_a_null_character(signed_in, basename):
    url = reverse(f"api:{basename}-list")
    for name in PARAMS:
        response = signed_in.get(url, {name: "a\x00b"})
        assert response.status_code == 400, (url, name)
        assert response.json() == {name: ["Null characters are not allowed."]}


def test_the_patient_search_of_the_issue(signed_in):
    response = signed_in.get("/api/v1/patients/?search=%00")
    assert response.status_code == 400
    assert response.json() == {"search": ["Null characters are not allowed."]}


def test_fhir_answers_an_operation_outcome(signed_in, patient):
    response = signed_in.get(reverse("fhir:patient", args=[patient.pk]), {"_format": "\x00"})
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("name", ["patients:list", "referrals:list"])
def test_pages_answer_the_400_page(signed_in, name):
    response = signed_in.get(reverse(name), {"q": "\x00"})
    assert response.status_code == 400
