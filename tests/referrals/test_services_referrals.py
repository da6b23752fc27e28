"""Creating, editing, sending and re-routing referrals; consent; the contact log."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from carehub.transitions import InvalidTransition, StaleEdit
from referrals import services
from referrals.models import (
    ContactChannel,
    ContactDirection,
    ContactLogEntry,
    OutcomeCode,
    Priority,
    Referral,
    ReferralEventKind,
    ReferralStatus,
)
from tests.referrals.factories import (
    ReferralFactory,
    ServiceFactory,
    SharingConsentFactory,
    walk,
)

pytestmark = pytest.mark.django_db
S = ReferralStatus


def data(**overrides):
    return {
        "reason": "Food insecurity",
        "needs": ["food"],
        "priority": Priority.URGENT,
        **overrides,
    }


# --- Duplicate guard -----------------------------------------------------------------------


def test_a_second_open_referral_to_the_same_service_is_refused_with_the_open_one(
    patient, coordinator
):
    service = ServiceFactory()
    first = services.referral_create(patient=patient, by=coordinator, data=data(service=service))
    with pytest.raises(services.DuplicateReferral) as refused:
        services.referral_create(patient=patient, by=coordinator, data=data(service=service))
    assert refused.value.existing == first
    assert Referral.objects.count() == 1


def test_a_finished_referral_does_not_block_a_new_one(patient, coordinator):
    old = ReferralFactory(patient=patient, cancelled=True)
    new = services.referral_create(patient=patient, by=coordinator, data=data(service=old.service))
    assert new.status == S.DRAFT


def test_free_text_recipients_are_not_duplicates(patient, coordinator):
    for _ in range(2):
        services.referral_create(
            patient=patient, by=coordinator, data=data(recipient_name="Dr. Lee, dentist")
        )
    assert Referral.objects.count() == 2


def test_the_database_holds_the_duplicate_guard_too(patient, coordinator):
    service = ServiceFactory()
    Referral.objects.create(patient=patient, service=service, reason="x", referred_by=coordinator)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            patient=patient, service=service, reason="y", referred_by=coordinator
        )
    # A closed one is outside the partial index.
    Referral.objects.filter(service=service).update(status=S.CLOSED)
    Referral.objects.create(patient=patient, service=service, reason="z", referred_by=coordinator)


def test_a_referral_names_a_service_or_a_recipient(patient, coordinator):
    with pytest.raises(ValidationError):
        services.referral_create(patient=patient, by=coordinator, data=data())
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(patient=patient, reason="x", referred_by=coordinator)


def test_a_service_not_accepting_referrals_is_refused(patient, coordinator):
    service = ServiceFactory(accepts_referrals=False)
    with pytest.raises(ValidationError):
        services.referral_create(patient=patient, by=coordinator, data=data(service=service))


# --- Editing a draft -----------------------------------------------------------------------


def test_a_stale_edit_is_refused_and_changes_nothing(patient, coordinator):
    referral = services.referral_create(
        patient=patient, by=coordinator, data=data(service=ServiceFactory())
    )
    services.referral_update(
        referral=referral, by=coordinator, data={"reason": "First"}, expected_version=1
    )
    with pytest.raises(StaleEdit):
        services.referral_update(
            referral=referral, by=coordinator, data={"reason": "Second"}, expected_version=1
        )
    referral.refresh_from_db()
    assert (referral.reason, referral.version) == ("First", 2)
    assert referral.events.filter(kind=ReferralEventKind.EDITED).count() == 1


def test_only_drafts_are_edited():
    referral = ReferralFactory(sent=True)
    with pytest.raises(ValidationError):
        services.referral_update(
            referral=referral,
            by=referral.referred_by,
            data={"reason": "Changed"},
            expected_version=referral.version,
        )


# --- Sending: consent and the email --------------------------------------------------------


def send(referral, override=""):
    return services.referral_send(
        referral=referral,
        by=referral.referred_by,
        expected_version=referral.version,
        consent_override_reason=override,
    )


def test_sending_without_consent_or_override_is_refused():
    referral = ReferralFactory()
    with pytest.raises(ValidationError) as refused:
        send(referral)
    assert "consent_override_reason" in refused.value.message_dict
    referral.refresh_from_db()
    assert referral.status == S.DRAFT
    assert not referral.transitions.exists()


def test_recorded_consent_lets_it_go_and_is_linked(django_capture_on_commit_callbacks):
    referral = ReferralFactory()
    consent = SharingConsentFactory(
        patient=referral.patient, organization=referral.service.organization
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = send(referral)
    assert sent.status == S.SENT
    assert sent.sharing_consent == consent
    assert sent.consent_override_reason == ""
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("problem", ["expired", "revoked", "other_organization", "future"])
def test_consent_that_is_not_in_force_does_not_count(problem):
    referral = ReferralFactory()
    today = timezone.localdate()
    consent = {
        "expired": {"expires_on": today - datetime.timedelta(days=1)},
        "revoked": {"revoked_at": timezone.now()},
        "other_organization": {},
        "future": {"granted_on": today + datetime.timedelta(days=1)},
    }[problem]
    organization = None if problem == "other_organization" else referral.service.organization
    if organization:
        SharingConsentFactory(patient=referral.patient, organization=organization, **consent)
    else:
        SharingConsentFactory(patient=referral.patient)
    with pytest.raises(ValidationError):
        send(referral)


def test_an_override_is_recorded_and_audited(django_capture_on_commit_callbacks):
    referral = ReferralFactory()
    with django_capture_on_commit_callbacks(execute=True):
        sent = send(referral, override="Emergency shelter tonight; consent form to follow")
    assert sent.status == S.SENT
    assert sent.sharing_consent is None
    assert sent.consent_override_reason.startswith("Emergency shelter")
    event = sent.events.get(kind=ReferralEventKind.CONSENT_OVERRIDDEN)
    assert event.by == referral.referred_by
    assert "Emergency shelter" in event.detail


def test_the_email_carries_the_signed_link_and_no_patient_details(
    django_capture_on_commit_callbacks,
):
    referral = ReferralFactory(patient__unmistakable=True)
    SharingConsentFactory(patient=referral.patient, organization=referral.service.organization)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send(referral)
    assert len(callbacks) == 1
    (message,) = mail.outbox
    assert message.to == [referral.service.email]
    assert "/referrals/respond/" in message.body
    patient = referral.patient
    for detail in (patient.given_name, patient.family_name, patient.mrn, referral.reason):
        # As a word: an MRN or a reason can be part of another word of the letter.
        named = re.compile(rf"\b{re.escape(detail)}\b")
        assert not named.search(message.body)
        assert not named.search(message.subject)


def test_no_email_when_the_send_is_rolled_back(django_capture_on_commit_callbacks):
    referral = ReferralFactory()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send(referral, override="reason")
        raise RuntimeError
    assert callbacks == []
    assert mail.outbox == []


def test_renewing_the_link_replaces_the_key_and_emails_again(django_capture_on_commit_callbacks):
    referral = ReferralFactory(sent=True)
    old_key = referral.link_key
    with django_capture_on_commit_callbacks(execute=True):
        renewed = services.referral_renew_link(
            referral=referral, by=referral.referred_by, expected_version=referral.version
        )
    assert renewed.link_key and renewed.link_key != old_key
    assert len(mail.outbox) == 1
    assert renewed.events.filter(kind=ReferralEventKind.LINK_RENEWED).exists()


# --- Re-routing ------------------------------------------------------------------------------


def test_rerouting_closes_the_first_and_opens_a_linked_draft():
    declined = ReferralFactory(declined=True)
    other = ServiceFactory()
    new = services.referral_reroute(
        referral=declined,
        by=declined.referred_by,
        expected_version=declined.version,
        reason="No capacity until spring",
        data=data(service=other),
    )
    declined.refresh_from_db()
    assert declined.status == S.CLOSED
    assert "No capacity until spring" in declined.closing_reason
    assert new.rerouted_from == declined
    assert new.status == S.DRAFT
    assert new.service == other
    # The first keeps its whole history.
    assert [t.to_status for t in declined.transitions.all()] == [S.SENT, S.DECLINED, S.CLOSED]


def test_rerouting_needs_a_reason_and_an_allowed_state():
    accepted = ReferralFactory(accepted=True)
    with pytest.raises(ValidationError):
        services.referral_reroute(
            referral=accepted,
            by=accepted.referred_by,
            expected_version=accepted.version,
            reason="",
            data=data(service=ServiceFactory()),
        )
    with pytest.raises(InvalidTransition):
        services.referral_reroute(
            referral=accepted,
            by=accepted.referred_by,
            expected_version=accepted.version,
            reason="Elsewhere",
            data=data(service=ServiceFactory()),
        )
    assert Referral.objects.count() == 1


# --- Contact log -----------------------------------------------------------------------------


def log(referral, **kwargs):
    return services.contact_log_record(
        referral=referral,
        by=referral.referred_by,
        channel=kwargs.pop("channel", ContactChannel.PHONE),
        direction=kwargs.pop("direction", ContactDirection.INBOUND),
        note=kwargs.pop("note", "Spoke with intake"),
        expected_version=kwargs.pop("expected_version", referral.version),
        **kwargs,
    )


def test_a_contact_without_an_answer_only_logs():
    referral = ReferralFactory(sent=True)
    entry = log(referral, direction=ContactDirection.OUTBOUND, channel=ContactChannel.FAX)
    referral.refresh_from_db()
    assert referral.status == S.SENT
    assert entry.transition is None
    assert entry.by == referral.referred_by


@pytest.mark.parametrize(
    ("start", "response", "extra"),
    [
        (S.SENT, S.RECEIVED, {}),
        (S.SENT, S.ACCEPTED, {}),
        (S.RECEIVED, S.ACCEPTED, {}),
        (S.SENT, S.DECLINED, {"reason": "Not in their area"}),
        (S.ACCEPTED, S.SCHEDULED, {"appointment_at": "soon"}),
        (S.NO_SHOW, S.SCHEDULED, {"appointment_at": "soon"}),
    ],
)
def test_an_answer_in_a_contact_moves_the_referral(start, response, extra):
    referral = ReferralFactory(state=start)
    if extra.get("appointment_at") == "soon":
        extra["appointment_at"] = timezone.now() + datetime.timedelta(days=4)
    entry = log(referral, response=response, **extra)
    referral.refresh_from_db()
    assert referral.status == response
    assert entry.transition.to_status == response
    assert entry.transition.from_status == start


@pytest.mark.parametrize(
    ("start", "response"),
    [
        (S.DRAFT, S.ACCEPTED),
        (S.ACCEPTED, S.RECEIVED),
        (S.CLOSED, S.ACCEPTED),
        (S.SENT, S.SCHEDULED),
    ],
)
def test_an_answer_that_does_not_fit_saves_nothing(start, response):
    referral = ReferralFactory(state=start)
    with pytest.raises((InvalidTransition, ValidationError)):
        log(referral, response=response, appointment_at=timezone.now())
    assert not ContactLogEntry.objects.exists()
    referral.refresh_from_db()
    assert referral.status == start


def test_a_decline_by_phone_needs_its_reason_and_saves_nothing_without():
    referral = ReferralFactory(sent=True)
    with pytest.raises(ValidationError):
        log(referral, response=S.DECLINED)
    assert not ContactLogEntry.objects.exists()


def test_the_outcome_is_not_a_contact_answer():
    referral = ReferralFactory(scheduled=True)
    with pytest.raises(ValidationError):
        log(referral, response=S.OUTCOME_RECORDED)
    referral.refresh_from_db()
    assert referral.status == S.SCHEDULED


def test_closing_after_the_outcome_keeps_the_outcome():
    referral = ReferralFactory(outcome_recorded=True)
    closed = walk(referral, [S.CLOSED])
    assert closed.status == S.CLOSED
    assert closed.outcome_code == OutcomeCode.GOT_HELP
