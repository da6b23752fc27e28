"""The dispatcher's claim and expiry, and the send task's rules, in-process on the test
database (the real worker and broker are in test_worker_faults.py).

Due-ness is by the database clock, so these tests place rows relative to real time."""

from __future__ import annotations

import contextlib
import datetime
import json
import socket
import threading

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError
from django.db.models.functions import Now
from django.utils import timezone

from reminders import dispatch
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
from tests.reminders.factories import NotificationFactory, ReminderFactory

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)


def claim_and_send(limit=100):
    ids = dispatch.reminders_claim(limit=limit)
    return ids, reminders_send_batch(ids=ids)


def db_now():
    return Reminder.objects.annotate(now=Now()).values_list("now", flat=True).first()


def test_claim_takes_due_scheduled_rows_in_send_at_order(coordinator, settings):
    later = ReminderFactory(recipient_user=coordinator, send_at=timezone.now() - MINUTE)
    first = ReminderFactory(recipient_user=coordinator, send_at=timezone.now() - 5 * MINUTE)
    future = ReminderFactory(recipient_user=coordinator, send_at=timezone.now() + 10 * MINUTE)
    ReminderFactory(recipient_user=coordinator, sent=True)
    ReminderFactory(recipient_user=coordinator, cancelled=True)

    assert dispatch.reminders_claim(limit=1) == [first.pk]
    assert dispatch.reminders_claim(limit=10) == [later.pk]
    assert dispatch.reminders_claim(limit=10) == []

    first.refresh_from_db()
    assert first.state == ReminderState.SENDING
    expected = db_now() + settings.REMINDERS_CLAIM_TIMEOUT
    assert abs(first.claimed_until - expected) < datetime.timedelta(seconds=5)
    future.refresh_from_db()
    assert future.state == ReminderState.SCHEDULED


def test_expired_claims_return_to_scheduled_and_interrupted_ones_are_counted(coordinator):
    past = timezone.now() - MINUTE
    plain = ReminderFactory(recipient_user=coordinator, sending=True, claimed_until=past)
    interrupted = ReminderFactory(
        recipient_user=coordinator,
        sending=True,
        claimed_until=past,
        attempt_started_at=past,
        attempts=1,
    )
    live = ReminderFactory(recipient_user=coordinator, sending=True)

    assert dispatch.reminders_release_expired() == 2

    plain.refresh_from_db()
    interrupted.refresh_from_db()
    live.refresh_from_db()
    assert plain.state == ReminderState.SCHEDULED and plain.uncertain_attempts == 0
    assert interrupted.state == ReminderState.SCHEDULED
    assert interrupted.uncertain_attempts == 1 and interrupted.attempt_started_at is None
    assert live.state == ReminderState.SENDING


def test_interrupted_on_the_last_attempt_fails(coordinator, settings):
    row = ReminderFactory(
        recipient_user=coordinator,
        sending=True,
        claimed_until=timezone.now() - MINUTE,
        attempt_started_at=timezone.now() - MINUTE,
        attempts=settings.REMINDERS_MAX_ATTEMPTS,
    )
    dispatch.reminders_release_expired()
    row.refresh_from_db()
    assert row.state == ReminderState.FAILED and row.uncertain_attempts == 1


def test_send_marks_sent_with_message_id_from_the_reminder(coordinator):
    row = ReminderFactory(recipient_user=coordinator, context={"title": "Task #3"})
    _ids, result = claim_and_send()
    assert result.sent == 1
    row.refresh_from_db()
    assert row.state == ReminderState.SENT and row.sent_at and row.attempts == 1
    assert row.claimed_until is None and row.uncertain_attempts == 0
    [message] = mail.outbox
    assert message.extra_headers["Message-ID"] == f"<reminder-{row.pk}@carehub>"
    assert message.to == [coordinator.email]
    assert "Task #3" in message.body


def test_a_doubled_batch_or_second_beat_sends_nothing_more(coordinator):
    ReminderFactory.create_batch(3, recipient_user=coordinator)
    ids, _first = claim_and_send()
    again = reminders_send_batch(ids=ids)
    assert again.sent == 0 and again.skipped == 3
    assert dispatch.reminders_dispatch().claimed == 0
    assert len(mail.outbox) == 3


def test_a_row_with_an_attempt_under_way_is_left_alone(coordinator):
    """Another task started it (doubled message): this one must not send it too."""
    row = ReminderFactory(
        recipient_user=coordinator, sending=True, attempt_started_at=timezone.now()
    )
    result = reminders_send_batch(ids=[row.pk])
    assert result.skipped == 1 and not mail.outbox


def test_no_send_on_a_claim_about_to_expire(coordinator, settings):
    row = ReminderFactory(
        recipient_user=coordinator,
        sending=True,
        claimed_until=timezone.now() + settings.REMINDERS_SEND_MARGIN / 2,
    )
    assert reminders_send_batch(ids=[row.pk]).skipped == 1
    assert not mail.outbox


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_transient_errors_retry_with_backoff_then_fail(coordinator, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()  # connection refused: a transient error
    settings.EMAIL_TIMEOUT = 2
    settings.REMINDERS_MAX_ATTEMPTS = 3
    row = ReminderFactory(recipient_user=coordinator)

    delays = []
    for attempt in (1, 2, 3):
        _ids, result = claim_and_send()
        row.refresh_from_db()
        assert row.attempts == attempt
        assert "ConnectionRefusedError" in row.last_error
        if attempt < 3:
            assert result.retried == 1 and row.state == ReminderState.SCHEDULED
            delays.append(row.send_at - db_now())
            # Not due again until the backoff has passed ...
            assert dispatch.reminders_claim(limit=10) == []
            # ... which the test skips over.
            Reminder.objects.filter(pk=row.pk).update(send_at=Now())
        else:
            assert result.failed == 1 and row.state == ReminderState.FAILED
    base = settings.REMINDERS_RETRY_BASE
    assert abs(delays[0] - base) < datetime.timedelta(seconds=5)
    assert abs(delays[1] - 2 * base) < datetime.timedelta(seconds=5)


class RefusingSmtpServer(threading.Thread):
    """A mail server on 127.0.0.1 that refuses every login (535), as one with a wrong
    password set in CareHub would."""

    def __init__(self):
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.logins = 0

    def run(self):
        with contextlib.suppress(OSError):
            while True:
                conn, _address = self.listener.accept()
                with conn, conn.makefile("rwb") as stream:
                    self._session(stream)

    def _session(self, stream):
        def say(line: str) -> None:
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        say("220 mail.example.org ready")
        for raw in stream:
            command = raw.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                say("250-mail.example.org")
                say("250 AUTH PLAIN LOGIN")
            elif command.startswith("AUTH"):
                self.logins += 1
                say("535 5.7.8 Authentication credentials invalid")
            elif command.startswith("QUIT"):
                say("221 bye")
                return
            else:
                say("250 OK")


def test_a_mail_server_refusing_carehubs_login_is_retried_not_failed(coordinator, settings):
    server = RefusingSmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "carehub", "wrong"
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    rows = ReminderFactory.create_batch(2, recipient_user=coordinator)
    try:
        _ids, result = claim_and_send()
    finally:
        server.listener.close()
    assert server.logins >= 1
    # A setting to fix: both go back with backoff, to go out once it is fixed.
    assert (result.retried, result.failed) == (2, 0)
    for row in Reminder.objects.filter(pk__in=[r.pk for r in rows]):
        assert row.state == ReminderState.SCHEDULED
        assert row.last_error == "SMTPAuthenticationError 535"


def test_a_deactivated_users_reminders_are_cancelled_not_mailed(coordinator, case_manager):
    colleague = case_manager
    coordinator.is_active = False
    coordinator.save(update_fields=["is_active"])
    theirs = ReminderFactory(recipient_user=coordinator)
    ReminderFactory(recipient_user=colleague)
    _ids, result = claim_and_send()
    assert (result.sent, result.cancelled) == (1, 1)
    theirs.refresh_from_db()
    assert theirs.state == ReminderState.CANCELLED and "deactivated" in theirs.last_error
    assert [m.to for m in mail.outbox] == [[colleague.email]]


def test_permanent_error_fails_at_once(coordinator, settings):
    coordinator.email = ""
    coordinator.save()
    row = ReminderFactory(recipient_user=coordinator)
    assert claim_and_send()[1].failed == 1
    row.refresh_from_db()
    assert row.state == ReminderState.FAILED and row.attempts == 1


@pytest.mark.parametrize(
    ("delivery", "emails", "notifications"),
    [(Delivery.EMAIL, 1, 0), (Delivery.IN_APP, 0, 1), (Delivery.BOTH, 1, 1)],
)
def test_user_preference_decides_the_channels(coordinator, delivery, emails, notifications):
    NotificationPreference.objects.create(
        user=coordinator, kind=ReminderKind.TASK_DUE, delivery=delivery
    )
    ReminderFactory(recipient_user=coordinator, channel=ReminderChannel.PREFERENCE)
    # Another kind has no preference: the default (both) applies to it.
    ReminderFactory(
        recipient_user=coordinator,
        channel=ReminderChannel.PREFERENCE,
        kind=ReminderKind.CARE_PLAN_REVIEW_DUE,
    )
    assert claim_and_send()[1].sent == 2
    assert len(mail.outbox) == emails + 1
    assert Notification.objects.filter(user=coordinator).count() == notifications + 1


def test_in_app_reminder_creates_one_notification(coordinator):
    row = ReminderFactory(
        recipient_user=coordinator, in_app=True, context={"title": "Task #5", "link": "/x/"}
    )
    ids, _result = claim_and_send()
    reminders_send_batch(ids=ids)  # doubled
    note = Notification.objects.get()
    assert note.user == coordinator and note.reminder_id == row.pk
    assert "Task #5" in note.title and note.link == "/x/"
    assert not mail.outbox


def test_overdue_reminder_says_by_how_much(coordinator):
    ReminderFactory(
        recipient_user=coordinator,
        kind=ReminderKind.TASK_OVERDUE,
        due_at=timezone.now() - datetime.timedelta(days=3, hours=2),
    )
    claim_and_send()
    assert "Overdue by 3 days" in mail.outbox[0].body


def test_patient_sms_goes_through_the_file_backend(patient, settings, tmp_path):
    settings.REMINDERS_SMS_BACKEND = "reminders.sms.FileSmsBackend"
    settings.REMINDERS_SMS_FILE_PATH = str(tmp_path)
    settings.REMINDERS_QUIET_HOURS = "00:00-00:00"
    patient.consent_sms = True
    patient.save()
    row = ReminderFactory(
        recipient_user=None,
        recipient_patient=patient,
        patient=patient,
        channel=ReminderChannel.SMS,
        kind=ReminderKind.APPOINTMENT,
        context={"appointment_at": timezone.now().isoformat(), "place_name": "North Clinic"},
    )
    assert claim_and_send()[1].sent == 1
    [line] = (tmp_path / "sms.jsonl").read_text().splitlines()
    sms = json.loads(line)
    assert sms["message_id"] == f"<reminder-{row.pk}@carehub>"
    assert sms["to"] == str(patient.phone) and "North Clinic" in sms["body"]


def test_patient_consent_withdrawn_before_sending_cancels(patient, settings):
    settings.REMINDERS_QUIET_HOURS = "00:00-00:00"
    row = ReminderFactory(
        recipient_user=None,
        recipient_patient=patient,
        channel=ReminderChannel.EMAIL,
        kind=ReminderKind.APPOINTMENT,
        context={"appointment_at": timezone.now().isoformat(), "place_name": "North Clinic"},
    )
    assert claim_and_send()[1].cancelled == 1
    row.refresh_from_db()
    assert row.state == ReminderState.CANCELLED and "consent" in row.last_error
    assert not mail.outbox


def test_a_reminder_that_cannot_be_prepared_fails_alone_and_the_batch_goes_on(coordinator):
    # A preference row holding a value no longer offered: its reminder cannot be routed.
    NotificationPreference.objects.create(
        user=coordinator, kind=ReminderKind.TASK_DUE, delivery=Delivery.EMAIL
    )
    NotificationPreference.objects.update(delivery="pager")
    unroutable = ReminderFactory(recipient_user=coordinator, channel=ReminderChannel.PREFERENCE)
    others = ReminderFactory.create_batch(2, recipient_user=coordinator)
    _ids, result = claim_and_send()
    assert (result.sent, result.failed) == (2, 1)
    unroutable.refresh_from_db()
    assert unroutable.state == ReminderState.FAILED and unroutable.claimed_until is None
    assert unroutable.last_error == "Preparing: KeyError"
    assert {r.state for r in Reminder.objects.filter(pk__in=[o.pk for o in others])} == {
        ReminderState.SENT
    }
    assert len(mail.outbox) == 2


def test_an_unexpected_error_hands_back_the_rows_not_started_at_once(coordinator):
    # The in-app row's notification exists already (one per reminder): its write fails.
    in_app = ReminderFactory(recipient_user=coordinator, in_app=True)
    NotificationFactory(user=coordinator, reminder=in_app)
    waiting = ReminderFactory.create_batch(2, recipient_user=coordinator)
    ids = dispatch.reminders_claim(limit=10)
    assert len(ids) == 3
    with pytest.raises(IntegrityError):
        reminders_send_batch(ids=ids)
    for row in Reminder.objects.filter(pk__in=[in_app.pk, *(w.pk for w in waiting)]):
        # Due again now, not held until the claim expires; no attempt counted.
        assert (row.state, row.claimed_until, row.attempts) == (ReminderState.SCHEDULED, None, 0)
    assert not mail.outbox


def _appointment_reminder(patient, *, due_at):
    patient.consent_email = True
    patient.save()
    return ReminderFactory(
        recipient_user=None,
        recipient_patient=patient,
        patient=patient,
        channel=ReminderChannel.EMAIL,
        kind=ReminderKind.APPOINTMENT,
        due_at=due_at,
        context={"appointment_at": due_at.isoformat(), "place_name": "North Clinic"},
    )


def test_an_appointment_reminder_is_not_sent_after_the_appointment(patient, settings):
    settings.REMINDERS_QUIET_HOURS = "00:00-00:00"
    # Retried until after the appointment (backoff), or resent after an interruption.
    late = _appointment_reminder(patient, due_at=timezone.now() - MINUTE)
    assert claim_and_send()[1].cancelled == 1
    late.refresh_from_db()
    assert late.state == ReminderState.CANCELLED and late.last_error.startswith("Too late")
    assert not mail.outbox


def test_quiet_hours_do_not_push_an_appointment_reminder_past_the_appointment(patient, settings):
    settings.REMINDERS_QUIET_HOURS = "20:00-08:00"
    patient.time_zone = "America/New_York"
    # 22:00 in New York: quiet until 08:00, and the appointment is at 23:00.
    with time_machine.travel(datetime.datetime(2026, 3, 5, 3, 0, tzinfo=datetime.UTC)):
        evening = _appointment_reminder(
            patient, due_at=timezone.now() + datetime.timedelta(hours=1)
        )
        result = claim_and_send()[1]
    assert (result.cancelled, result.deferred) == (1, 0)
    evening.refresh_from_db()
    assert evening.state == ReminderState.CANCELLED and evening.last_error.startswith("Too late")


def test_dispatch_hands_back_claims_when_the_broker_refuses(coordinator, monkeypatch):
    ReminderFactory.create_batch(3, recipient_user=coordinator)

    def refuse(ids):
        raise ConnectionRefusedError

    monkeypatch.setattr(dispatch, "_publish", refuse)
    result = dispatch.reminders_dispatch()
    assert result.claimed == 3 and result.published == 0 and result.handed_back == 3
    assert Reminder.objects.filter(state=ReminderState.SCHEDULED).count() == 3
