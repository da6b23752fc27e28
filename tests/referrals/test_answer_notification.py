"""The referring coordinator is told when the service answers (issue 25, item 5): an
answer through the signed link, or recorded by someone else, notifies them at once, with
no clinical detail; their own moves and a mere receipt do not."""

from __future__ import annotations

import pytest
from django.core import mail

from referrals.models import ReferralStatus
from referrals.transitions import referral_move
from reminders.delivery import reminders_send_batch
from reminders.dispatch import reminders_claim
from reminders.models import Notification, Reminder, ReminderKind
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db
S = ReferralStatus
K = ReminderKind


def answered(referral):
    return Reminder.objects.about(referral).filter(kind=K.REFERRAL_ANSWERED)


def by_link(referral, to, **extra):
    return referral_move(
        referral=referral, to=to, by=None, expected_version=referral.version, via_link=True,
        **extra,
    ).referral  # fmt: skip


def test_an_answer_by_link_notifies_the_referrer_at_once(patient, coordinator):
    referral = ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    referral = by_link(referral, S.RECEIVED)
    assert not answered(referral).exists()  # a receipt is not an answer
    referral = by_link(referral, S.DECLINED, reason="We do not serve this area")
    reminder = answered(referral).get()
    assert reminder.recipient_user == coordinator and reminder.patient == patient
    reminders_send_batch(ids=reminders_claim(limit=50))
    note = Notification.objects.get(user=coordinator, kind=K.REFERRAL_ANSWERED)
    assert note.title.endswith(f"Referral #{referral.pk}: Declined")
    assert note.link == f"/referrals/{referral.pk}/"
    for message in mail.outbox:
        assert "serve this area" not in message.body and patient.family_name not in message.body


def test_the_referrers_own_moves_do_not_notify_them_a_colleagues_do(
    patient, coordinator, case_manager
):
    referral = ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    referral = referral_move(
        referral=referral, to=S.ACCEPTED, by=coordinator, expected_version=referral.version
    ).referral
    assert not answered(referral).exists()
    other = ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    other = referral_move(
        referral=other, to=S.ACCEPTED, by=case_manager, expected_version=other.version
    ).referral
    assert answered(other).get().recipient_user == coordinator
