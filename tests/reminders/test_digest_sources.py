"""The digest's real sources (careplans.tasks, referrals.deadlines): the user's own work due
today or overdue, in scope, labelled by number only."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.db.models.functions import Now

from careplans import services as careplan_services
from referrals.models import ReferralStatus
from referrals.transitions import referral_move
from reminders import digest
from reminders.delivery import reminders_send_batch
from reminders.dispatch import reminders_claim
from reminders.models import Reminder, ReminderKind
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
MARKER = "ZZ-CLINICAL-MARKER-7731"


def task(patient, user, due_at):
    return careplan_services.task_create(
        patient=patient,
        by=user,
        data={"description": f"Call about {MARKER}", "due_at": due_at, "assignee": user},
    )


def test_sources_are_registered():
    assert {"careplans.tasks", "referrals.deadlines"} <= set(digest.digest_sources())


def test_the_digest_holds_my_tasks_and_referrals_and_nobody_elses(
    patient, patient_b, coordinator, coordinator_b, case_manager
):
    # 06:00 in New York: the frozen clock of the rules and the digest, by the database's now.
    now = datetime.datetime(2026, 3, 2, 11, 0, tzinfo=datetime.UTC)
    with time_machine.travel(now, tick=False):
        overdue = task(patient, coordinator, now - 4 * DAY)
        today = task(patient, coordinator, now + datetime.timedelta(hours=6))
        task(patient, coordinator, now + 3 * DAY)  # not yet
        task(patient, case_manager, now - DAY)  # someone else's
        others = task(patient_b, coordinator_b, now - DAY)
    with time_machine.travel(now - 10 * DAY, tick=False):
        # Sent ten days ago: its routine 7-day deadline passed three days ago.
        waiting = ReferralFactory(
            patient=patient, referred_by=coordinator, sent=True, reason=MARKER
        )
        scheduled = ReferralFactory(patient=patient, referred_by=coordinator, accepted=True)
        scheduled = referral_move(
            referral=scheduled,
            to=ReferralStatus.SCHEDULED,
            by=coordinator,
            expected_version=scheduled.version,
            appointment_at=now - 4 * DAY,  # no outcome, 2 days' grace gone by
        ).referral
        theirs_waiting = ReferralFactory(patient=patient_b, referred_by=coordinator_b, sent=True)
    with time_machine.travel(now, tick=False):
        mine = digest.digest_for(user=coordinator)
        theirs = digest.digest_for(user=coordinator_b)
    assert [item.label for item in mine.overdue] == [
        f"Task #{overdue.pk} due",
        f"Referral #{waiting.pk} awaiting response",
        f"Referral #{scheduled.pk} appointment without outcome",
    ]
    assert [item.label for item in mine.due_today] == [f"Task #{today.pk} due"]
    assert [item.label for item in theirs.overdue] == [
        f"Referral #{theirs_waiting.pk} awaiting response",
        f"Task #{others.pk} due",
    ]
    assert theirs.due_today == []
    assert mine.overdue[0].link == f"/patients/{patient.pk}/"
    assert mine.overdue[1].link == f"/referrals/{waiting.pk}/"


def test_the_digest_email_says_how_late_and_nothing_clinical(patient, coordinator):
    now = datetime.datetime.now(datetime.UTC)
    late = task(patient, coordinator, now - 3 * DAY - datetime.timedelta(hours=1))
    digest.digests_schedule()
    first = Reminder.objects.filter(kind=ReminderKind.DIGEST, recipient_user=coordinator).earliest(
        "send_at"
    )
    Reminder.objects.filter(pk=first.pk).update(send_at=Now())
    Reminder.objects.exclude(pk=first.pk).delete()  # only the digest goes out here
    reminders_send_batch(ids=reminders_claim(limit=10))
    [email] = mail.outbox
    assert f"Task #{late.pk} due" in email.body
    assert "Overdue by 3 days" in email.body
    assert MARKER not in email.body
