"""API bodies are bounded like form posts (DATA_UPLOAD_MAX_MEMORY_SIZE), and a body over
the bound is answered in the API's terms."""

from __future__ import annotations

import json

import pytest

from patients.models import Patient

pytestmark = pytest.mark.django_db

URL = "/api/v1/patients/"


def test_a_body_over_the_bound_is_refused_with_413_and_nothing_written(api, settings, team_a):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    before = Patient.objects.count()
    body = {
        "mrn": "BIG-1",
        "given_name": "Ana",
        "family_name": "Silva",
        "date_of_birth": "1980-01-01",
        "care_team": team_a.pk,
        "notes": "x" * (80 * 1024),
    }
    response = api.generic("POST", URL, json.dumps(body), content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is too large.",
        "code": "body_too_large",
    }
    assert Patient.objects.count() == before


def test_a_body_within_the_bound_is_read_as_usual(api, settings, team_a):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    body = {"mrn": "", "given_name": "Ana"}
    response = api.generic("POST", URL, json.dumps(body), content_type="application/json")
    assert response.status_code == 400  # parsed, then refused field by field
    assert "mrn" in response.json() or "family_name" in response.json()
