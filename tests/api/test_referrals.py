"""/api/v1/referrals/ (with the contact log)."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from referrals.models import ContactLogEntry, Referral, ReferralTransition
from tests.careplans.factories import GoalFactory
from tests.referrals.factories import ReferralFactory, ServiceFactory, SharingConsentFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/referrals/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_list_filter_search_and_scope(api, patient, patient_b, coordinator, coordinator_b):
    food = ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    housing = ReferralFactory(
        patient=patient,
        referred_by=coordinator,
        service=ServiceFactory(name="Shelter Plus", category="housing"),
    )
    ReferralFactory(patient=patient_b, referred_by=coordinator_b)
    assert set(ids(api.get(URL))) == {food.pk, housing.pk}
    assert ids(api.get(URL, {"status": "sent"})) == [food.pk]
    assert ids(api.get(URL, {"category": "housing"})) == [housing.pk]
    assert ids(api.get(URL, {"search": "shelter"})) == [housing.pk]
    assert ids(
        api.get(
            URL,
            {"overdue": "false", "open": "true", "patient": patient.pk, "ordering": "created_at"},
        )
    ) == [
        food.pk,
        housing.pk,
    ]


def test_detail_speaks_fhir_statuses(api, outsider_api, patient, coordinator):
    referral = ReferralFactory(patient=patient, referred_by=coordinator, accepted=True)
    body = api.get(f"{URL}{referral.pk}/").json()
    assert (body["status"], body["fhir_request_status"], body["fhir_task_status"]) == (
        "accepted",
        "active",
        "accepted",
    )
    assert body["service_name"] == referral.service.name and "link_key" not in body
    assert outsider_api.get(f"{URL}{referral.pk}/").status_code == 404


def test_create_edit_and_the_duplicate_guard(api, patient, coordinator):
    service = ServiceFactory()
    response = api.post(
        URL, {"patient": patient.pk, "service": service.pk, "reason": "Food", "needs": ["food"]}
    )
    assert response.status_code == 201, response.content
    referral = Referral.objects.get(pk=response.json()["id"])
    assert (referral.status, referral.referred_by) == ("draft", coordinator)
    duplicate = api.post(URL, {"patient": patient.pk, "service": service.pk, "reason": "Again"})
    assert duplicate.status_code == 409
    assert duplicate.json()["existing"] == referral.pk
    edited = api.patch(f"{URL}{referral.pk}/", {"priority": "urgent", "version": referral.version})
    assert edited.status_code == 200 and edited.json()["priority"] == "urgent"
    assert api.patch(f"{URL}{referral.pk}/", {"priority": "stat", "version": 1}).status_code == 412


def test_another_teams_goal_reads_as_one_that_does_not_exist(api, patient, patient_b):
    theirs = GoalFactory(care_plan__patient=patient_b).pk
    never_issued = theirs + 10_000
    answers = {}
    for goal in (theirs, never_issued):
        response = api.post(
            URL,
            {"patient": patient.pk, "service": ServiceFactory().pk, "reason": "x", "goal": goal},
        )
        assert response.status_code == 400
        answers[goal] = response.json()["goal"][0].replace(str(goal), "<id>")
    assert answers[theirs] == answers[never_issued]
    assert "does not exist" in answers[theirs]

    referral = ReferralFactory(patient=patient)
    edit = api.patch(f"{URL}{referral.pk}/", {"goal": theirs, "version": referral.version})
    assert edit.status_code == 400 and "does not exist" in edit.json()["goal"][0]
    ours = GoalFactory(care_plan__patient=patient).pk
    edit = api.patch(f"{URL}{referral.pk}/", {"goal": ours, "version": referral.version})
    assert edit.status_code == 200 and Referral.objects.get(pk=referral.pk).goal_id == ours


def test_create_validation(api, patient):
    response = api.post(URL, {"patient": patient.pk, "reason": "x", "needs": ["moon"]})
    assert response.status_code == 400 and "needs" in response.json()
    response = api.post(URL, {"patient": patient.pk, "reason": "x"})
    assert response.status_code == 400 and "service" in response.json()


def test_send_needs_consent_or_an_override(
    api, patient, coordinator, django_capture_on_commit_callbacks
):
    referral = ReferralFactory(patient=patient, referred_by=coordinator)
    refused = api.post(f"{URL}{referral.pk}/transition/", {"to": "sent"})
    assert refused.status_code == 400 and "consent_override_reason" in refused.json()
    SharingConsentFactory(patient=patient, organization=referral.service.organization)
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(f"{URL}{referral.pk}/transition/", {"to": "sent"})
    assert sent.status_code == 200, sent.content
    assert (sent.json()["status"], sent.json()["fhir_task_status"]) == ("sent", "requested")
    assert len(mail.outbox) == 1


def test_moves_with_details_and_refusals(api, patient, coordinator):
    referral = ReferralFactory(patient=patient, referred_by=coordinator, accepted=True)
    missing = api.post(f"{URL}{referral.pk}/transition/", {"to": "scheduled"})
    assert missing.status_code == 400 and "appointment_at" in missing.json()
    when = (timezone.now() + datetime.timedelta(days=3)).isoformat()
    scheduled = api.post(
        f"{URL}{referral.pk}/transition/", {"to": "scheduled", "appointment_at": when}
    )
    assert scheduled.status_code == 200 and scheduled.json()["appointment_at"]
    refused = api.post(f"{URL}{referral.pk}/transition/", {"to": "closed"})
    assert refused.status_code == 409
    assert (refused.json()["current"], refused.json()["allowed"]) == (
        "scheduled",
        ["cancelled", "no_show", "outcome_recorded"],
    )
    outcome = api.post(
        f"{URL}{referral.pk}/transition/", {"to": "outcome_recorded", "outcome_code": "got_help"}
    )
    assert outcome.json()["outcome_code"] == "got_help"
    closed = api.post(f"{URL}{referral.pk}/transition/", {"to": "closed"})
    assert (closed.json()["status"], closed.json()["fhir_request_status"]) == (
        "closed",
        "completed",
    )


def test_a_stale_move_is_412_and_writes_nothing(api, patient, coordinator):
    referral = ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    rows = ReferralTransition.objects.filter(referral=referral).count()
    response = api.post(
        f"{URL}{referral.pk}/transition/", {"to": "received", "version": referral.version - 1}
    )
    assert response.status_code == 412
    assert ReferralTransition.objects.filter(referral=referral).count() == rows


def test_contact_log_with_an_answer_moves_the_referral(api, outsider_api, patient, coordinator):
    referral = ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    response = api.post(
        f"{URL}{referral.pk}/contacts/",
        {
            "channel": "phone",
            "direction": "inbound",
            "note": "They took it",
            "response": "accepted",
        },
    )
    assert response.status_code == 201, response.content
    assert ContactLogEntry.objects.get(pk=response.json()["id"]).transition is not None
    referral.refresh_from_db()
    assert referral.status == "accepted"
    listed = api.get(f"{URL}{referral.pk}/contacts/").json()
    assert [row["id"] for row in listed["results"]] == [response.json()["id"]]
    assert outsider_api.get(f"{URL}{referral.pk}/contacts/").status_code == 404
    refused = api.post(
        f"{URL}{referral.pk}/contacts/",
        {"channel": "phone", "direction": "inbound", "response": "received"},
    )
    assert refused.status_code == 409
    assert ContactLogEntry.objects.count() == 1
