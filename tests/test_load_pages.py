"""`make load` reads CareHub's pages like a browser (bench/load_pages.py): these tests parse
real rendered pages with it, so a template change that breaks the load script fails here."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bench import load_pages
from careplans.models import TaskStatus
from tests.careplans.factories import TaskFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def csrf_client(coordinator):
    """A client that checks CSRF tokens, as gunicorn does for the load's users."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    return client


def test_my_day_task_actions_are_found_and_accepted(csrf_client, coordinator, patient):
    completed = TaskFactory(patient=patient, assignee=coordinator, overdue=True)
    snoozed = TaskFactory(patient=patient, assignee=coordinator, overdue=True)
    page = csrf_client.get(reverse("dashboards:my_day")).content.decode()

    actions = {(a.kind, a.task_id): a for a in load_pages.task_actions(page)}
    complete = actions[("complete", completed.pk)]
    assert complete.action == reverse("careplans:task_complete", args=[completed.pk])
    assert complete.version_field == f"task-{completed.pk}-version"
    assert complete.version == str(completed.version)
    assert len(complete.csrf_token) == 64
    snooze = actions[("snooze", snoozed.pk)]
    assert snooze.action == reverse("careplans:task_snooze", args=[snoozed.pk])
    assert (f"snooze-{snoozed.pk}-days", "7") in snooze.form.buttons

    # What the load script posts is what the views accept, CSRF checked.
    done = csrf_client.post(complete.action, complete.data(), HTTP_HX_REQUEST="true")
    assert "Completed." in done.content.decode()
    later = csrf_client.post(
        snooze.action, snooze.data(**{f"snooze-{snoozed.pk}-days": "1"}), HTTP_HX_REQUEST="true"
    )
    assert "Snoozed until" in later.content.decode()
    completed.refresh_from_db()
    assert completed.status == TaskStatus.COMPLETED
    # The same version again is a conflict, which the load counts apart from errors.
    stale = csrf_client.post(
        snooze.action, snooze.data(**{f"snooze-{snoozed.pk}-days": "1"}), HTTP_HX_REQUEST="true"
    )
    assert load_pages.is_conflict(stale.content.decode())


def test_patient_edit_form_round_trips(csrf_client, patient):
    path = reverse("patients:edit", args=[patient.pk])
    form = load_pages.form_posting_to(csrf_client.get(path).content.decode(), path)
    assert form is not None and form.csrf_token
    assert form.value("version") == str(patient.version)
    assert form.value("care_team") == str(patient.care_team_id)
    assert form.value("given_name") == patient.given_name

    response = csrf_client.post(path, form.data(address_line="12 Elm St"))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.address_line == "12 Elm St"
    # A second save with the version first loaded is refused as a conflict.
    stale = csrf_client.post(path, form.data(address_line="14 Elm St"))
    assert stale.status_code == 200 and load_pages.is_conflict(stale.content.decode())


def test_task_form_has_the_fields_the_load_fills(csrf_client, coordinator, patient):
    path = reverse("careplans:task_create", args=[patient.pk])
    form = load_pages.form_posting_to(csrf_client.get(path).content.decode(), path)
    assert form is not None and form.csrf_token
    assert form.value("assignee") == str(coordinator.pk)
    names = {name for name, _value in form.fields}
    assert {"description", "due_at", "priority"} <= names
    response = csrf_client.post(path, form.data(description="Call back", due_at="2030-01-02T09:30"))
    assert response.status_code == 302
    assert patient.tasks.get(description="Call back").assignee == coordinator


def test_referral_page_offers_the_one_click_moves(csrf_client, coordinator, patient):
    referral = ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    page = csrf_client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    moves = {form.action: form for form in load_pages.referral_moves(page, referral.pk)}
    accepted = reverse("referrals:move", args=[referral.pk, "accepted"])
    assert accepted in moves
    assert moves[accepted].value("version") == str(referral.version)

    response = csrf_client.post(accepted, moves[accepted].data())
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted"
