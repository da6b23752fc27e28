"""Response deadlines per priority, and what counts as overdue (computed in SQL)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from referrals.models import Priority, Referral, ReferralStatus
from tests.referrals.factories import ReferralFactory, walk

pytestmark = pytest.mark.django_db
S = ReferralStatus
SENT_AT = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("priority", "deadline"),
    [
        (Priority.ROUTINE, datetime.timedelta(days=7)),
        (Priority.URGENT, datetime.timedelta(days=2)),
        (Priority.ASAP, datetime.timedelta(days=1)),
        (Priority.STAT, datetime.timedelta(hours=4)),
    ],
)
def test_the_response_deadline_follows_the_priority(priority, deadline):
    with time_machine.travel(SENT_AT, tick=False):
        referral = ReferralFactory(priority=priority, sent=True)
    assert referral.sent_at == SENT_AT
    assert referral.response_due_at == SENT_AT + deadline


def test_the_deadlines_are_settings(settings):
    settings.REFERRAL_RESPONSE_DEADLINES = {
        **settings.REFERRAL_RESPONSE_DEADLINES,
        "urgent": datetime.timedelta(hours=30),
    }
    with time_machine.travel(SENT_AT, tick=False):
        referral = ReferralFactory(priority=Priority.URGENT, sent=True)
    assert referral.response_due_at == SENT_AT + datetime.timedelta(hours=30)


def overdue_ids(now):
    return set(Referral.objects.overdue(now).values_list("pk", flat=True))


@pytest.mark.parametrize("state", [S.SENT, S.RECEIVED])
def test_awaiting_a_response_past_the_deadline_is_overdue(state):
    with time_machine.travel(SENT_AT, tick=False):
        referral = ReferralFactory(priority=Priority.URGENT, state=state)
    due = SENT_AT + datetime.timedelta(days=2)
    assert referral.pk not in overdue_ids(due - datetime.timedelta(minutes=1))
    assert referral.pk not in overdue_ids(due)
    assert referral.pk in overdue_ids(due + datetime.timedelta(minutes=1))


@pytest.mark.parametrize(
    "state", [S.DRAFT, S.ACCEPTED, S.DECLINED, S.NO_SHOW, S.OUTCOME_RECORDED, S.CLOSED, S.CANCELLED]
)
def test_answered_drafted_or_finished_referrals_are_not_overdue_for_a_response(state):
    with time_machine.travel(SENT_AT, tick=False):
        referral = ReferralFactory(priority=Priority.STAT, state=state)
    assert referral.pk not in overdue_ids(SENT_AT + datetime.timedelta(days=60))


def test_scheduled_is_overdue_when_the_appointment_is_past_the_grace_with_no_outcome(settings):
    settings.REFERRAL_OUTCOME_GRACE = datetime.timedelta(days=2)
    with time_machine.travel(SENT_AT, tick=False):
        referral = ReferralFactory(scheduled=True)  # appointment three days later
    appointment = referral.appointment_at
    assert appointment == SENT_AT + datetime.timedelta(days=3)
    assert referral.pk not in overdue_ids(appointment + datetime.timedelta(days=1))
    assert referral.pk not in overdue_ids(appointment + datetime.timedelta(days=2))
    assert referral.pk in overdue_ids(appointment + datetime.timedelta(days=2, minutes=1))
    # Once the outcome is in, it is not overdue any more.
    with time_machine.travel(appointment + datetime.timedelta(days=5), tick=False):
        walk(referral, [S.OUTCOME_RECORDED])
    assert referral.pk not in overdue_ids(appointment + datetime.timedelta(days=5))


def test_with_overdue_annotates_the_same_rule():
    with time_machine.travel(SENT_AT, tick=False):
        late = ReferralFactory(priority=Priority.STAT, sent=True)
        fine = ReferralFactory(priority=Priority.ROUTINE, sent=True)
    now = SENT_AT + datetime.timedelta(hours=5)
    flags = dict(Referral.objects.with_overdue(now).values_list("pk", "is_overdue"))
    assert flags == {late.pk: True, fine.pk: False}
    assert timezone.is_aware(now)
