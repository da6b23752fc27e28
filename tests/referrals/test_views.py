"""Referral pages: scope (404 outside the team) on every URL, the flows, query budgets."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from referrals.models import Priority, Referral, ReferralStatus, SharingConsent
from tests.referrals.factories import (
    ReferralFactory,
    ServiceFactory,
    SharingConsentFactory,
)

pytestmark = pytest.mark.django_db
S = ReferralStatus


@pytest.fixture
def referral(patient, coordinator):
    return ReferralFactory(patient=patient, referred_by=coordinator, sent=True)


def referral_urls(referral):
    pk = referral.pk
    return [
        ("get", reverse("referrals:detail", args=[pk])),
        ("get", reverse("referrals:edit", args=[pk])),
        ("post", reverse("referrals:edit", args=[pk])),
        ("get", reverse("referrals:send", args=[pk])),
        ("post", reverse("referrals:send", args=[pk])),
        ("get", reverse("referrals:move", args=[pk, S.ACCEPTED])),
        ("post", reverse("referrals:move", args=[pk, S.ACCEPTED])),
        ("get", reverse("referrals:contact_add", args=[pk])),
        ("post", reverse("referrals:contact_add", args=[pk])),
        ("get", reverse("referrals:reroute", args=[pk])),
        ("post", reverse("referrals:reroute", args=[pk])),
        ("get", reverse("referrals:letter", args=[pk])),
        ("post", reverse("referrals:renew_link", args=[pk])),
        ("get", reverse("referrals:consent_add", args=[pk])),
        ("post", reverse("referrals:consent_add", args=[pk])),
    ]


def test_every_referral_url_is_404_outside_the_team(client, coordinator_b, referral):
    client.force_login(coordinator_b)
    for method, url in referral_urls(referral):
        response = getattr(client, method)(url, {"version": referral.version})
        assert response.status_code == 404, (method, url)
    referral.refresh_from_db()
    assert referral.status == S.SENT
    assert referral.contacts.count() == 0


def test_every_referral_url_opens_for_the_team(client, coordinator, referral):
    client.force_login(coordinator)
    draft = ReferralFactory(patient=referral.patient, referred_by=coordinator)
    for method, url in referral_urls(referral) + referral_urls(draft):
        if method == "get" and not url.endswith(f"/{referral.pk}/edit/"):
            assert client.get(url).status_code == 200, url
    # A sent referral is not edited: back to its page.
    edit = client.get(reverse("referrals:edit", args=[referral.pk]))
    assert edit["Location"] == reverse("referrals:detail", args=[referral.pk])


def test_editing_a_draft_through_its_page(client, coordinator, patient):
    draft = ReferralFactory(patient=patient, referred_by=coordinator)
    other = ServiceFactory()
    client.force_login(coordinator)
    url = reverse("referrals:edit", args=[draft.pk])
    form = {"service": other.pk, "reason": "Updated", "priority": "asap"}
    assert client.post(url, {**form, "version": draft.version}).status_code == 302
    stale = client.post(url, {**form, "reason": "Again", "version": draft.version})
    assert "Someone else saved" in stale.content.decode()
    draft.refresh_from_db()
    assert (draft.service, draft.reason, draft.priority) == (other, "Updated", "asap")


def test_admin_referral_list_filters_overdue(client, admin_user, referral):
    client.force_login(admin_user)
    url = reverse("admin:referrals_referral_changelist")
    with time_machine.travel(timezone.now() - datetime.timedelta(days=30), tick=False):
        late = ReferralFactory(patient=referral.patient, sent=True)
    for params, expected in [
        ({}, {referral.pk, late.pk}),
        ({"overdue": "yes"}, {late.pk}),
        ({"overdue": "no"}, {referral.pk}),
        ({"status__exact": "draft"}, set()),
    ]:
        response = client.get(url, params)
        assert {r.pk for r in response.context["cl"].result_list} == expected, params
    change = client.get(reverse("admin:referrals_referral_change", args=[referral.pk]))
    assert change.status_code == 200


def test_an_unknown_referral_is_404_too(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("referrals:detail", args=[987654])).status_code == 404


def test_new_referral_and_consent_for_another_teams_patient_are_404(client, coordinator_b, patient):
    client.force_login(coordinator_b)
    assert client.get(reverse("referrals:create", args=[patient.pk])).status_code == 404
    consent = SharingConsentFactory(patient=patient)
    response = client.post(reverse("referrals:consent_revoke", args=[consent.pk]))
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.revoked_at is None


def test_signed_out_users_go_to_sign_in(client, referral):
    response = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_list_and_export_only_show_the_users_patients(client, coordinator, referral, patient_b):
    hidden = ReferralFactory(patient=patient_b, sent=True)
    client.force_login(coordinator)
    page = client.get(reverse("referrals:list"))
    ids = [r.pk for r in page.context["page"].object_list]
    assert ids == [referral.pk]
    exported = client.get(reverse("referrals:export"))
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert [row[0] for row in rows[1:]] == [str(referral.pk)]
    assert hidden.patient.mrn not in str(rows)


# --- The list: filters, export, query budget ------------------------------------------------


def make_referrals(patient, coordinator, count, **kwargs):
    return [
        ReferralFactory(patient=patient, referred_by=coordinator, **kwargs) for _ in range(count)
    ]


def test_the_list_filters_mine_overdue_status_and_category(
    client, coordinator, case_manager, patient
):
    start = timezone.now() - datetime.timedelta(days=10)
    with time_machine.travel(start, tick=False):
        late = ReferralFactory(
            patient=patient, referred_by=coordinator, priority=Priority.STAT, sent=True
        )
    mine_draft = ReferralFactory(patient=patient, referred_by=coordinator)
    theirs = ReferralFactory(
        patient=patient,
        referred_by=case_manager,
        service=ServiceFactory(category="housing"),
        accepted=True,
    )
    client.force_login(coordinator)

    def ids(**params):
        response = client.get(reverse("referrals:list"), params)
        return {r.pk for r in response.context["page"].object_list}

    assert ids() == {late.pk, mine_draft.pk, theirs.pk}
    assert ids(scope="mine") == {late.pk, mine_draft.pk}
    assert ids(overdue="true") == {late.pk}
    assert ids(status=S.ACCEPTED) == {theirs.pk}
    assert ids(category="housing") == {theirs.pk}
    assert ids(priority=Priority.STAT) == {late.pk}
    body = client.get(reverse("referrals:list")).content.decode()
    assert 'class="overdue"' in body

    exported = client.get(reverse("referrals:export"), {"overdue": "true"})
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert [row[0] for row in rows[1:]] == [str(late.pk)]
    assert rows[1][8] == "yes"


def test_the_list_runs_a_fixed_number_of_queries(client, coordinator, patient, team_a):
    client.force_login(coordinator)
    url = reverse("referrals:list")
    make_referrals(patient, coordinator, 2, sent=True)
    client.get(url)  # warm: session, permissions
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    make_referrals(patient, coordinator, 8, scheduled=True)
    for _ in range(3):
        ReferralFactory(
            patient=patient, referred_by=coordinator, recipient_name="Dr. X", service=None
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["page"].object_list) == 13
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)


def test_the_list_query_budget(client, coordinator, patient, django_assert_max_num_queries):
    make_referrals(patient, coordinator, 12, sent=True)
    client.force_login(coordinator)
    # session, user, permissions (2), count, page of referrals with patient, team, service,
    # organisation and referrer joined, and the filter form's choices: teams, services,
    # staff; the bell's unread count; the audit row; savepoints are not counted on SQLite
    # but are on PostgreSQL.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("referrals:list"))
    assert response.status_code == 200


def test_the_patient_page_section_is_constant_and_marks_overdue(client, coordinator, patient):
    client.force_login(coordinator)
    url = reverse("patients:detail", args=[patient.pk])
    with time_machine.travel(timezone.now() - datetime.timedelta(days=30), tick=False):
        late = ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    body = response.content.decode()
    assert reverse("referrals:detail", args=[late.pk]) in body
    assert "Overdue" in body
    assert reverse("referrals:create", args=[patient.pk]) in body
    make_referrals(patient, coordinator, 6, accepted=True)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


# --- Flows ------------------------------------------------------------------------------------


def test_new_referral_from_the_picker_then_send_with_consent(
    client, coordinator, patient, django_capture_on_commit_callbacks
):
    from django.core import mail

    service = ServiceFactory(name="Weekly pantry")
    client.force_login(coordinator)
    create_url = reverse("referrals:create", args=[patient.pk])
    picker = client.get(create_url, {"q": "pantry"}, headers={"HX-Request": "true"})
    assert f'value="{service.pk}"' in picker.content.decode()
    assert "<html" not in picker.content.decode()
    plain = client.get(create_url, {"q": "pantry"})
    assert f'value="{service.pk}"' in plain.content.decode()

    response = client.post(
        create_url,
        {"service": service.pk, "reason": "Food", "needs": ["food"], "priority": "urgent"},
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:detail", args=[referral.pk])

    send_url = reverse("referrals:send", args=[referral.pk])
    refused = client.post(send_url, {"version": referral.version})
    assert refused.status_code == 200
    assert "no recorded consent" in refused.content.decode()

    client.post(
        reverse("referrals:consent_add", args=[referral.pk]),
        {"granted_by": "The patient", "method": "verbal", "granted_on": timezone.localdate()},
    )
    consent = SharingConsent.objects.get()
    assert consent.organization == service.organization
    with django_capture_on_commit_callbacks(execute=True):
        client.post(send_url, {"version": referral.version})
    referral.refresh_from_db()
    assert referral.status == S.SENT
    assert referral.sharing_consent == consent
    assert len(mail.outbox) == 1


def test_a_duplicate_is_refused_with_a_link_to_the_open_one(client, coordinator, referral):
    client.force_login(coordinator)
    response = client.post(
        reverse("referrals:create", args=[referral.patient.pk]),
        {"service": referral.service.pk, "reason": "Again", "priority": "routine"},
    )
    assert response.status_code == 200
    assert reverse("referrals:detail", args=[referral.pk]) in response.content.decode()
    assert Referral.objects.count() == 1


def test_moves_through_the_page_and_a_stale_page_is_refused(client, coordinator, referral):
    client.force_login(coordinator)
    url = reverse("referrals:move", args=[referral.pk, S.ACCEPTED])
    assert client.post(url, {"version": referral.version}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == S.ACCEPTED
    stale = client.post(
        reverse("referrals:move", args=[referral.pk, S.CANCELLED]),
        {"version": referral.version - 1, "reason": "Moved away"},
    )
    assert stale.status_code == 400
    assert "Someone else saved" in stale.content.decode()
    invalid = client.post(
        reverse("referrals:move", args=[referral.pk, S.CLOSED]), {"version": referral.version}
    )
    assert invalid.status_code == 400
    assert "allowed moves" in invalid.content.decode()
    referral.refresh_from_db()
    assert referral.status == S.ACCEPTED


def test_logging_a_phone_answer_moves_the_referral(client, coordinator, referral):
    client.force_login(coordinator)
    response = client.post(
        reverse("referrals:contact_add", args=[referral.pk]),
        {
            "channel": "phone",
            "direction": "inbound",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "note": "Intake called back",
            "response": S.RECEIVED,
            "version": referral.version,
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == S.RECEIVED
    assert referral.contacts.get().transition.to_status == S.RECEIVED


def test_detail_shows_history_and_the_letter_has_no_internal_notes(client, coordinator, referral):
    from referrals import services

    services.contact_log_record(
        referral=referral, by=coordinator, channel="phone", direction="outbound",
        note="INTERNAL-NOTE-MARKER",
    )  # fmt: skip
    client.force_login(coordinator)
    detail = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "INTERNAL-NOTE-MARKER" in detail
    letter = client.get(reverse("referrals:letter", args=[referral.pk])).content.decode()
    assert "INTERNAL-NOTE-MARKER" not in letter
    assert referral.patient.mrn in letter
    assert "/referrals/respond/" in letter


def test_reroute_from_the_page(client, coordinator, patient):
    declined = ReferralFactory(patient=patient, referred_by=coordinator, declined=True)
    other = ServiceFactory()
    client.force_login(coordinator)
    response = client.post(
        reverse("referrals:reroute", args=[declined.pk]),
        {"service": other.pk, "reason": "Food", "priority": "routine",
         "reroute_reason": "No capacity", "version": declined.version},
    )  # fmt: skip
    new = Referral.objects.get(rerouted_from=declined)
    assert response["Location"] == reverse("referrals:detail", args=[new.pk])


def test_a_referral_links_to_a_goal_of_the_patients_plan(client, coordinator, patient, patient_b):
    from careplans.models import Goal
    from tests.careplans.factories import CarePlanFactory, GoalFactory

    goal = GoalFactory(
        care_plan=CarePlanFactory(patient=patient, author=coordinator, active=True), active=True
    )
    foreign = GoalFactory(care_plan=CarePlanFactory(patient=patient_b, active=True), active=True)
    service = ServiceFactory()
    client.force_login(coordinator)
    url = reverse("referrals:create", args=[patient.pk])
    data = {"service": service.pk, "reason": "Food support", "priority": "routine"}
    refused = client.post(url, {**data, "goal": foreign.pk})
    assert "goal" in refused.context["form"].errors
    assert client.post(url, {**data, "goal": goal.pk}).status_code == 302
    referral = Referral.objects.get(patient=patient)
    assert referral.goal == goal and list(Goal.objects.get(pk=goal.pk).referrals.all()) == [
        referral
    ]
