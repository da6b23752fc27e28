"""The API answers JSON in every case: a defect's 500 included, under /api/ and /fhir/;
and a related record's id is a whole number, never a float DRF would truncate."""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import pkgutil

import pytest
from rest_framework import relations, serializers

import api
from api.base import IdField, ReadSerializer
from careplans.models import Task
from tests.careplans.factories import TaskFactory

pytestmark = pytest.mark.django_db


def test_a_float_id_is_refused_not_truncated(api, patient, coordinator):
    body = {
        "patient": patient.pk + 0.5,
        "description": "Call",
        "assignee": coordinator.pk,
        "due_at": "2030-01-02T10:00:00Z",
    }
    response = api.post("/api/v1/tasks/", body)
    assert response.status_code == 400, response.content
    assert "patient" in response.json()
    body["patient"], body["assignee"] = patient.pk, coordinator.pk + 0.5
    response = api.post("/api/v1/tasks/", body)
    assert response.status_code == 400, response.content
    assert "assignee" in response.json()
    body["assignee"] = True
    assert api.post("/api/v1/tasks/", body).status_code == 400
    assert not Task.objects.exists()


def _write_serializers():
    for module_info in pkgutil.iter_modules(api.__path__):
        module = importlib.import_module(f"api.{module_info.name}")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, serializers.Serializer)
                and not issubclass(cls, ReadSerializer)
                and cls.__module__ == module.__name__
            ):
                yield cls


def test_every_writable_related_field_is_an_id_field():
    loose = []
    for cls in _write_serializers():
        try:
            fields = cls().fields
        except Exception:  # noqa: S112 - a serializer that needs its context is read below
            continue
        for name, field in fields.items():
            child = getattr(field, "child_relation", field)
            related = isinstance(child, relations.PrimaryKeyRelatedField)
            if related and not field.read_only and not isinstance(child, IdField):
                loose.append(f"{cls.__name__}.{name}")
    assert loose == []


def test_a_defect_in_an_api_view_answers_json_500(api, patient, monkeypatch, caplog):
    from api import patients as patients_api

    def broken(*args, **kwargs):
        raise RuntimeError(f"secret {patient.family_name}")

    monkeypatch.setattr(patients_api.PatientViewSet, "retrieve", broken)
    with caplog.at_level(logging.ERROR):
        response = api.get(f"/api/v1/patients/{patient.pk}/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error"
    assert patient.family_name not in caplog.text
    assert "RuntimeError" in caplog.text


def test_a_failure_outside_drf_answers_json_under_api_and_fhir(rf):
    from carehub.views import server_error

    assert server_error(rf.get("/api/v1/tasks/"))["Content-Type"] == "application/json"
    fhir = server_error(rf.get("/fhir/Patient/1"))
    assert fhir.status_code == 500 and b"OperationOutcome" in fhir.content
    assert b"<html" in server_error(rf.get("/patients/")).content.lower()


@pytest.mark.parametrize(
    "field, value",
    [
        ("status", "\ud800"),  # a choice field echoes its input in the error
        ("description", "Call \udfff"),
        ("due_at", "2030-01-02\ud800"),
        ("\ud800", "a key"),
    ],
)
def test_a_lone_surrogate_anywhere_in_a_body_is_a_400(api, patient, coordinator, field, value):
    body = {
        "patient": patient.pk,
        "description": "Call",
        "assignee": coordinator.pk,
        "due_at": "2030-01-02T10:00:00Z",
        field: value,
    }
    response = api.post(
        "/api/v1/tasks/", json.dumps(body, ensure_ascii=True), content_type="application/json"
    )
    assert response.status_code == 400
    assert "surrogate" in response.json()["detail"]
    assert not Task.objects.exists()


def test_a_lone_surrogate_in_a_choice_field_of_a_transition_is_a_400(api, patient, coordinator):
    task = TaskFactory(patient=patient, assignee=coordinator)
    response = api.post(
        f"/api/v1/tasks/{task.pk}/transition/",
        json.dumps({"to": "\ud800", "version": task.version}),
        content_type="application/json",
    )
    assert response.status_code == 400
