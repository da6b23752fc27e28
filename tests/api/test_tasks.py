"""/api/v1/tasks/: list (cursor pages), filters, create, reschedule and moves."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from careplans.models import StatusChange, Task
from tests.careplans.factories import CarePlanFactory, TaskFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/tasks/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_list_is_scoped_and_ordered_by_due_time(
    api, patient, patient_b, coordinator, coordinator_b
):
    later = TaskFactory(patient=patient, assignee=coordinator)
    sooner = TaskFactory(patient=patient, assignee=coordinator, overdue=True)
    TaskFactory(patient=patient_b, assignee=coordinator_b)
    assert ids(api.get(URL)) == [sooner.pk, later.pk]


def test_filters(api, patient, coordinator, case_manager):
    mine = TaskFactory(patient=patient, assignee=coordinator, overdue=True)
    theirs = TaskFactory(patient=patient, assignee=case_manager, description="Fax the form")
    done = TaskFactory(patient=patient, assignee=coordinator, completed=True)
    assert set(ids(api.get(URL, {"mine": "true"}))) == {mine.pk, done.pk}
    assert ids(api.get(URL, {"overdue": "true"})) == [mine.pk]
    assert set(ids(api.get(URL, {"open": "true"}))) == {mine.pk, theirs.pk}
    assert ids(api.get(URL, {"status": "completed"})) == [done.pk]
    assert ids(api.get(URL, {"assignee": case_manager.pk})) == [theirs.pk]
    assert ids(api.get(URL, {"search": "fax"})) == [theirs.pk]
    assert api.get(URL, {"due_before": "not a date"}).status_code == 400


def test_create_a_task(api, patient, coordinator):
    plan = CarePlanFactory(patient=patient, author=coordinator)
    due = (timezone.now() + datetime.timedelta(days=2)).isoformat()
    response = api.post(
        URL,
        {
            "patient": patient.pk,
            "care_plan": plan.pk,
            "description": "Call",
            "assignee": coordinator.pk,
            "due_at": due,
        },
    )
    assert response.status_code == 201, response.content
    task = Task.objects.get(pk=response.json()["id"])
    assert (task.status, task.created_by, task.care_plan) == ("requested", coordinator, plan)


def test_a_task_assigned_outside_the_team_is_400(api, patient, coordinator_b):
    due = (timezone.now() + datetime.timedelta(days=2)).isoformat()
    response = api.post(
        URL,
        {"patient": patient.pk, "description": "Call", "assignee": coordinator_b.pk, "due_at": due},
    )
    assert response.status_code == 400 and "assignee" in response.json()
    assert not Task.objects.exists()


def test_reschedule_and_stale_reschedule(api, outsider_api, patient, coordinator):
    task = TaskFactory(patient=patient, assignee=coordinator)
    new_due = (timezone.now() + datetime.timedelta(days=5)).replace(microsecond=0)
    response = api.patch(
        f"{URL}{task.pk}/", {"due_at": new_due.isoformat(), "version": task.version}
    )
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert task.due_at == new_due
    assert (
        api.patch(f"{URL}{task.pk}/", {"due_at": new_due.isoformat(), "version": 1}).status_code
        == 412
    )
    assert (
        outsider_api.patch(
            f"{URL}{task.pk}/", {"due_at": new_due.isoformat(), "version": task.version}
        ).status_code
        == 404
    )


def test_moves_complete_and_refusals(api, patient, coordinator):
    task = TaskFactory(patient=patient, assignee=coordinator)
    for target in ("accepted", "in-progress"):
        assert api.post(f"{URL}{task.pk}/transition/", {"to": target}).status_code == 200
    done = api.post(f"{URL}{task.pk}/transition/", {"to": "completed", "reason": "Spoke to her"})
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["completion_note"]) == ("completed", "Spoke to her")
    refused = api.post(f"{URL}{task.pk}/transition/", {"to": "in-progress"})
    assert refused.status_code == 409
    assert (refused.json()["current"], refused.json()["allowed"]) == ("completed", [])


def test_a_refused_move_writes_nothing(api, patient, coordinator):
    task = TaskFactory(patient=patient, assignee=coordinator)
    rows = StatusChange.objects.filter(task=task).count()
    assert api.post(f"{URL}{task.pk}/transition/", {"to": "cancelled"}).status_code == 400  # reason
    assert api.post(f"{URL}{task.pk}/transition/", {"to": "completed"}).status_code == 409
    assert api.post(f"{URL}{task.pk}/transition/", {"to": "nonsense"}).status_code == 400
    task.refresh_from_db()
    assert task.status == "requested" and StatusChange.objects.filter(task=task).count() == rows


def test_a_due_filter_with_any_valid_utc_offset_answers_200(api):
    # Found by schemathesis: PostgreSQL refuses offsets beyond +/-15:59 in a literal.
    answer = api.get("/api/v1/tasks/", {"due_before": "1586-10-29T16:57:15-23:08"})
    assert answer.status_code == 200
