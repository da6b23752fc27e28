"""The receiving service's signed link: valid, expired, altered, replaced; every use recorded."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from referrals import links
from referrals.models import OutcomeCode, ReferralEvent, ReferralEventKind, ReferralStatus
from tests.referrals.factories import ReferralFactory, walk

pytestmark = pytest.mark.django_db
S = ReferralStatus
START = datetime.datetime(2026, 5, 4, 14, 0, tzinfo=datetime.UTC)


def url_for(referral):
    return reverse("referrals:respond", kwargs={"token": links.make_token(referral)})


def test_the_link_opens_without_signing_in_and_is_recorded_with_the_address(client):
    referral = ReferralFactory(sent=True)
    response = client.get(url_for(referral), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    body = response.content.decode()
    assert referral.patient.family_name in body
    assert referral.reason in body
    event = referral.events.get(kind=ReferralEventKind.LINK_OPENED)
    assert event.remote_addr == "203.0.113.9"
    assert event.by is None


def test_the_page_shows_only_the_letter_not_internal_notes(client):
    referral = ReferralFactory(sent=True, consent_override_reason="")
    from referrals import services

    services.contact_log_record(
        referral=referral, by=referral.referred_by, channel="phone", direction="outbound",
        note="INTERNAL-NOTE-MARKER",
    )  # fmt: skip
    body = client.get(url_for(referral)).content.decode()
    assert "INTERNAL-NOTE-MARKER" not in body
    assert referral.patient.care_team.name in body


def test_the_service_accepts_schedules_and_records_the_outcome(client):
    referral = ReferralFactory(sent=True)
    url = url_for(referral)
    client.post(url, {"action": S.ACCEPTED, "version": referral.version}, REMOTE_ADDR="203.0.113.9")
    referral.refresh_from_db()
    assert referral.status == S.ACCEPTED
    when = (timezone.now() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    client.post(url, {"action": S.SCHEDULED, "appointment_at": when, "version": referral.version})
    referral.refresh_from_db()
    assert referral.status == S.SCHEDULED
    client.post(
        url,
        {"action": S.OUTCOME_RECORDED, "outcome_code": OutcomeCode.GOT_HELP,
         "outcome_note": "Enrolled", "version": referral.version},
    )  # fmt: skip
    referral.refresh_from_db()
    assert (referral.status, referral.outcome_code) == (S.OUTCOME_RECORDED, OutcomeCode.GOT_HELP)
    moves = list(referral.transitions.filter(via_link=True).values_list("to_status", "by"))
    assert moves == [(S.ACCEPTED, None), (S.SCHEDULED, None), (S.OUTCOME_RECORDED, None)]
    used = referral.events.filter(kind=ReferralEventKind.LINK_USED)
    assert used.count() == 3
    assert used.filter(remote_addr="203.0.113.9").count() == 1


def test_declining_through_the_link_needs_a_reason(client):
    referral = ReferralFactory(sent=True)
    url = url_for(referral)
    response = client.post(url, {"action": S.DECLINED, "reason": "", "version": referral.version})
    assert response.status_code == 400
    referral.refresh_from_db()
    assert referral.status == S.SENT
    client.post(
        url,
        {"action": S.DECLINED, "reason": "Full until June", "outcome_code": "no_capacity",
         "version": referral.version},
    )  # fmt: skip
    referral.refresh_from_db()
    assert (referral.status, referral.outcome_code) == (S.DECLINED, "no_capacity")


@pytest.mark.parametrize("action", [S.CANCELLED, S.CLOSED, S.SCHEDULED, "bogus"])
def test_the_link_cannot_make_other_moves(client, action):
    referral = ReferralFactory(sent=True)
    response = client.post(
        url_for(referral),
        {"action": action, "reason": "x", "appointment_at": "2030-01-01T10:00",
         "version": referral.version},
    )  # fmt: skip
    assert response.status_code == 400
    referral.refresh_from_db()
    assert referral.status == S.SENT


def test_an_expired_link_is_refused_and_the_attempt_recorded(client, settings):
    settings.REFERRAL_LINK_MAX_AGE = datetime.timedelta(days=14)
    with time_machine.travel(START, tick=False):
        referral = ReferralFactory(sent=True)
        url = url_for(referral)
    with time_machine.travel(START + datetime.timedelta(days=13, hours=23), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(START + datetime.timedelta(days=14, minutes=1), tick=False):
        response = client.get(url, REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 403
        posted = client.post(url, {"action": S.ACCEPTED, "version": referral.version})
        assert posted.status_code == 403
    assert "expired" in response.content.decode()
    refused = referral.events.filter(kind=ReferralEventKind.LINK_REFUSED)
    assert refused.count() == 2
    assert refused.filter(remote_addr="198.51.100.7").exists()
    referral.refresh_from_db()
    assert referral.status == S.SENT


@pytest.mark.parametrize("tamper", ["flip_char", "other_referral", "truncate", "garbage"])
def test_an_altered_link_is_refused(client, tamper):
    referral = ReferralFactory(sent=True)
    other = ReferralFactory(sent=True)
    token = links.make_token(referral)
    if tamper == "flip_char":
        token = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    elif tamper == "other_referral":
        # The payload of one referral with the signature of another.
        token = links.make_token(other).split(":")[0] + ":" + ":".join(token.split(":")[1:])
    elif tamper == "truncate":
        token = token[:-3]
    else:
        token = "not-a-token"
    response = client.get(reverse("referrals:respond", kwargs={"token": token}))
    assert response.status_code == 403
    assert not ReferralEvent.objects.filter(kind=ReferralEventKind.LINK_OPENED).exists()


def test_a_renewed_or_finished_referral_refuses_its_old_link(client):
    referral = ReferralFactory(sent=True)
    old_url = url_for(referral)
    from referrals import services

    renewed = services.referral_renew_link(
        referral=referral, by=referral.referred_by, expected_version=referral.version
    )
    assert client.get(old_url).status_code == 403
    new_url = url_for(renewed)
    assert client.get(new_url).status_code == 200
    walk(renewed, [S.CANCELLED])
    assert client.get(new_url).status_code == 403


def test_a_link_is_for_one_referral_only():
    referral = ReferralFactory(sent=True, patient__unmistakable=True)
    token = links.make_token(referral)
    assert links.referral_for_token(token) == referral
    assert str(referral.patient.mrn) not in token
    assert referral.patient.family_name not in token


def test_a_link_sent_before_the_key_was_rotated_works_while_the_old_key_is_a_fallback(settings):
    referral = ReferralFactory(sent=True)
    old_key = settings.SECRET_KEY
    token = links.make_token(referral)
    settings.SECRET_KEY = "n" * 20 + "-the-new-key-after-rotation-0123456789abcdef"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert links.referral_for_token(token) == referral
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(links.LinkRefused):
        links.referral_for_token(token)


def test_too_many_requests_from_one_address_are_refused_for_a_while(client, settings):
    from django.core.cache import caches

    from api.throttling import ReferralLinkThrottle

    keys = [
        ReferralLinkThrottle.cache_format % {"scope": "referral_link", "ident": address}
        for address in ("203.0.113.9", "198.51.100.7")
    ]
    caches["throttle"].delete_many(keys)  # counters are shared with Redis when it is set
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "referral_link": "3/minute"}
    referral = ReferralFactory(sent=True, patient__unmistakable=True)
    url = url_for(referral)
    with time_machine.travel(START, tick=False):
        codes = [client.get(url, REMOTE_ADDR="203.0.113.9").status_code for _ in range(4)]
        refused = client.get(url, REMOTE_ADDR="203.0.113.9")
        other = client.get(url, REMOTE_ADDR="198.51.100.7")
        # An altered link counts too: guessing is refused like reading.
        altered = client.get(url[:-3] + "xyz/", REMOTE_ADDR="203.0.113.9")
    assert codes == [200, 200, 200, 429]
    assert refused.status_code == 429 and int(refused["Retry-After"]) == 60
    assert "opened too often" in refused.content.decode()
    assert referral.patient.family_name not in refused.content.decode()
    assert other.status_code == 200
    assert altered.status_code == 429
    # Refused requests are not recorded as uses of the link.
    assert referral.events.filter(kind=ReferralEventKind.LINK_OPENED).count() == 4
    with time_machine.travel(START + datetime.timedelta(seconds=61), tick=False):
        assert client.get(url, REMOTE_ADDR="203.0.113.9").status_code == 200
    caches["throttle"].delete_many(keys)
