"""The send task's batched work: groups started and marked sent together, per-row outcomes,
one email connection per batch, and rows it does not own left alone.

In-process on the test database; the real worker, broker and SIGKILL are in
test_worker_faults.py."""

from __future__ import annotations

import datetime
import smtplib

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.mail.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reminders import delivery, dispatch
from reminders.delivery import reminders_send_batch
from reminders.models import (
    Delivery,
    Notification,
    NotificationPreference,
    Reminder,
    ReminderChannel,
    ReminderKind,
    ReminderState,
)
from tests.factories import UserFactory
from tests.reminders.factories import ReminderFactory

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)
BACKEND = f"{__name__}.RecordingBackend"


class RecordingBackend(locmem.EmailBackend):
    """locmem, counting the connections opened, refusing some addresses for now (451),
    and calling ``on_send`` before each message goes out."""

    opened = 0
    refuse: set[str] = set()
    on_send = None

    def open(self):
        RecordingBackend.opened += 1
        return super().open()

    def send_messages(self, messages):
        for message in messages:
            if RecordingBackend.on_send:
                RecordingBackend.on_send(message)
            if set(message.to) & RecordingBackend.refuse:
                raise smtplib.SMTPResponseException(451, b"try again later")
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def backend(settings):
    settings.EMAIL_BACKEND = BACKEND
    RecordingBackend.opened = 0
    RecordingBackend.refuse = set()
    RecordingBackend.on_send = None
    yield RecordingBackend
    RecordingBackend.on_send = None


def claim_all() -> list[int]:
    return dispatch.reminders_claim(limit=1000)


def sent_ids(outbox) -> list[int]:
    return [
        int(message.extra_headers["Message-ID"].removeprefix("<reminder-").split("@")[0])
        for message in outbox
    ]


def states(rows) -> dict[int, str]:
    return dict(Reminder.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", "state"))


def test_one_refused_address_is_retried_alone(coordinator, settings, mailoutbox):
    settings.REMINDERS_SEND_GROUP = 5
    other = UserFactory(email="refused@carehub.test")
    rows = ReminderFactory.create_batch(3, recipient_user=coordinator)
    refused = ReminderFactory(recipient_user=other)
    rows += ReminderFactory.create_batch(3, recipient_user=coordinator)
    RecordingBackend.refuse = {"refused@carehub.test"}

    result = reminders_send_batch(ids=claim_all())

    assert result.sent == 6 and result.retried == 1 and result.failed == 0
    assert all(state == ReminderState.SENT for state in states(rows).values())
    assert sorted(sent_ids(mailoutbox)) == sorted(r.pk for r in rows)
    refused.refresh_from_db()
    assert refused.state == ReminderState.SCHEDULED
    assert refused.attempts == 1 and refused.last_error == "SMTPResponseException 451"
    assert refused.attempt_started_at is None and refused.claimed_until is None
    assert refused.send_at > timezone.now() + settings.REMINDERS_RETRY_BASE - MINUTE
    assert refused.uncertain_attempts == 0


def test_rows_another_task_holds_are_skipped(coordinator, mailoutbox):
    free = ReminderFactory(recipient_user=coordinator)
    done = ReminderFactory(recipient_user=coordinator)
    ids = claim_all()
    # A doubled message: another task sent ``done`` and is sending ``held``.
    reminders_send_batch(ids=[done.pk])
    held = ReminderFactory(
        recipient_user=coordinator, sending=True, attempt_started_at=timezone.now()
    )
    held_marker = Reminder.objects.get(pk=held.pk).attempt_started_at
    mailoutbox.clear()

    result = reminders_send_batch(ids=[*ids, held.pk])

    assert result.sent == 1 and result.skipped == 2
    assert sent_ids(mailoutbox) == [free.pk]
    held.refresh_from_db()
    assert held.state == ReminderState.SENDING and held.attempt_started_at == held_marker


def test_a_row_taken_after_loading_is_not_sent(coordinator, monkeypatch, mailoutbox):
    """The guard is checked on the locked row, not on what the task loaded."""
    rows = ReminderFactory.create_batch(3, recipient_user=coordinator)
    taken = rows[1]
    prepare = delivery.BatchSender._prepare

    def prepare_then_lose_one(self, reminder, preferences):
        if reminder.pk == taken.pk:
            # Another task starts its attempt while this one renders.
            Reminder.objects.filter(pk=taken.pk).update(
                attempt_started_at=timezone.now(), attempts=1
            )
        return prepare(self, reminder, preferences)

    monkeypatch.setattr(delivery.BatchSender, "_prepare", prepare_then_lose_one)
    result = reminders_send_batch(ids=claim_all())

    assert result.sent == 2 and result.skipped == 1
    assert taken.pk not in sent_ids(mailoutbox)
    taken.refresh_from_db()
    assert taken.state == ReminderState.SENDING and taken.attempts == 1


def test_a_stale_claim_is_not_sent_then_retried(coordinator, mailoutbox):
    # A claim that expired (its task waited too long) and one a dead worker left mid-send.
    stale = ReminderFactory(
        recipient_user=coordinator, sending=True, claimed_until=timezone.now() - MINUTE
    )
    interrupted = ReminderFactory(
        recipient_user=coordinator,
        sending=True,
        claimed_until=timezone.now() - MINUTE,
        attempt_started_at=timezone.now() - 2 * MINUTE,
        attempts=1,
    )

    late = reminders_send_batch(ids=[stale.pk, interrupted.pk])
    assert late.sent == 0 and late.skipped == 2 and not mailoutbox

    dispatch.reminders_release_expired()
    result = reminders_send_batch(ids=claim_all())

    assert result.sent == 2
    assert sorted(sent_ids(mailoutbox)) == sorted([stale.pk, interrupted.pk])
    stale.refresh_from_db()
    interrupted.refresh_from_db()
    assert stale.state == interrupted.state == ReminderState.SENT
    assert (stale.attempts, stale.uncertain_attempts) == (1, 0)
    assert (interrupted.attempts, interrupted.uncertain_attempts) == (2, 1)


def test_one_email_connection_per_batch(coordinator, settings, mailoutbox):
    settings.REMINDERS_SEND_GROUP = 10
    ReminderFactory.create_batch(25, recipient_user=coordinator)
    result = reminders_send_batch(ids=claim_all())
    assert result.sent == 25 and len(mailoutbox) == 25
    assert RecordingBackend.opened == 1


def test_a_group_is_started_only_when_it_is_sent(coordinator, settings):
    """The uncertain window is one group: later groups carry no attempt marker yet."""
    settings.REMINDERS_SEND_GROUP = 4
    ReminderFactory.create_batch(10, recipient_user=coordinator)
    seen = []

    def look(message):
        seen.append(
            (
                Reminder.objects.filter(attempt_started_at__isnull=False)
                .exclude(state=ReminderState.SENT)
                .count(),
                Reminder.objects.filter(state=ReminderState.SENT).count(),
            )
        )

    RecordingBackend.on_send = look
    assert reminders_send_batch(ids=claim_all()).sent == 10
    assert seen == [(4, 0)] * 4 + [(4, 4)] * 4 + [(2, 8)] * 2


def test_out_of_time_marks_what_left_and_hands_back_the_rest(coordinator, settings, mailoutbox):
    settings.REMINDERS_SEND_GROUP = 5
    rows = ReminderFactory.create_batch(12, recipient_user=coordinator)

    def soft_limit_on_the_fourth(message):
        if len(mailoutbox) == 3:
            raise SoftTimeLimitExceeded

    RecordingBackend.on_send = soft_limit_on_the_fourth
    result = reminders_send_batch(ids=claim_all())

    by_pk = {r.pk: r for r in Reminder.objects.filter(pk__in=[r.pk for r in rows])}
    in_flight = by_pk[rows[3].pk]
    assert result.sent == 3 and [by_pk[r.pk].state for r in rows[:3]] == ["sent"] * 3
    # The one in flight may have left: it keeps its marker for the uncertain count.
    assert in_flight.state == ReminderState.SENDING and in_flight.attempt_started_at
    # The rest never left: due again now, no marker, the attempt not counted.
    rest = [by_pk[r.pk] for r in rows[4:]]
    assert result.handed_back == len(rest) == 8
    assert all(
        r.state == ReminderState.SCHEDULED
        and r.attempt_started_at is None
        and r.attempts == 0
        and r.claimed_until is None
        for r in rest
    )


def test_a_claim_running_short_hands_the_rest_of_the_group_back(
    coordinator, settings, monkeypatch, mailoutbox
):
    """No send starts on a claim that could end before it: the rest go back unsent."""
    settings.REMINDERS_SEND_GROUP = 50
    settings.REMINDERS_SEND_MARGIN = MINUTE
    rows = ReminderFactory.create_batch(12, recipient_user=coordinator)
    clock = [1000.0]
    monkeypatch.setattr(delivery, "monotonic", lambda: clock[0])

    def slow_send(message):  # each send takes 100 s of the 15-minute claim
        clock[0] += 100

    RecordingBackend.on_send = slow_send
    result = reminders_send_batch(ids=claim_all())

    # 15 min claim - 1 min margin = 840 s: sends start at 0, 100, ..., 800 s.
    assert result.sent == 9 and result.handed_back == 3
    back = Reminder.objects.filter(pk__in=[r.pk for r in rows[9:]])
    assert {(r.state, r.attempts, r.attempt_started_at) for r in back} == {
        (ReminderState.SCHEDULED, 0, None)
    }
    assert reminders_send_batch(ids=claim_all()).sent == 3
    assert len(mailoutbox) == 12 and len(set(sent_ids(mailoutbox))) == 12


def test_in_app_and_both_create_notifications_in_bulk(coordinator, mailoutbox):
    NotificationPreference.objects.create(
        user=coordinator, kind=ReminderKind.CARE_PLAN_REVIEW_DUE, delivery=Delivery.BOTH
    )
    in_app = ReminderFactory.create_batch(3, recipient_user=coordinator, in_app=True)
    both = ReminderFactory.create_batch(
        2,
        recipient_user=coordinator,
        channel=ReminderChannel.PREFERENCE,
        kind=ReminderKind.CARE_PLAN_REVIEW_DUE,
    )
    ids = claim_all()
    result = reminders_send_batch(ids=ids)
    again = reminders_send_batch(ids=ids)  # a doubled message

    assert result.sent == 5 and again.sent == 0 and again.skipped == 5
    assert sorted(Notification.objects.values_list("reminder_id", flat=True)) == sorted(
        r.pk for r in in_app + both
    )
    assert sorted(sent_ids(mailoutbox)) == sorted(r.pk for r in both)
    assert set(Reminder.objects.values_list("state", "attempts")) == {(ReminderState.SENT, 1)}


@pytest.mark.postgres
@pytest.mark.parametrize("count", [20, 40])
def test_queries_grow_with_groups_not_rows(coordinator, settings, count):
    settings.REMINDERS_SEND_GROUP = 10
    ReminderFactory.create_batch(count, recipient_user=coordinator)
    ids = claim_all()
    with CaptureQueriesContext(connection) as queries:
        assert reminders_send_batch(ids=ids).sent == count
    # Load, preferences, SET and RESET synchronous_commit; per group one statement that
    # starts the attempts and one that marks them sent.
    groups = count // 10
    assert len(queries) == 4 + 2 * groups, "\n".join(q["sql"][:120] for q in queries)
