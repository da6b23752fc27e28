"""Sending a batch of claimed reminders: the body of the send task.

For each id: re-check the claim, apply the patient guardrails again, and deliver.
- In-app only: the notification and "sent" are one transaction; nothing can happen twice.
- Email or text: first record that an attempt starts (a guarded, committed update that
  only one task can win), then send, then mark sent (``WHERE id=? AND state='sending'``).
  A doubled task message or a second dispatcher finds the row taken and does nothing. A
  crash between the send and the commit leaves the attempt marker: the dispatcher counts
  it as uncertain when the claim expires and sends again (dispatch.reminders_release_expired).
- Transient failures go back to "scheduled" with send_at pushed forward by the database
  clock (exponential backoff); after REMINDERS_MAX_ATTEMPTS, or on a permanent failure,
  the reminder is failed and shows in admin with a retry action.

One database connection and one email connection serve the whole batch.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Now
from django.utils import timezone

from reminders.dispatch import db_now_plus
from reminders.messages import Message, render_reminder
from reminders.models import (
    Delivery,
    Notification,
    NotificationPreference,
    Reminder,
    ReminderChannel,
    ReminderState,
)
from reminders.patient_messages import REFUSAL_LABELS, patient_address, patient_message_check
from reminders.sms import PermanentDeliveryError, TransientDeliveryError, get_sms_backend

logger = logging.getLogger(__name__)

EMAIL, IN_APP, SMS = ReminderChannel.EMAIL, ReminderChannel.IN_APP, ReminderChannel.SMS
TRANSIENT_ERRORS = (
    TransientDeliveryError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    TimeoutError,
    OSError,
)


class _NotYours(Exception):
    """The guarded update found the row taken: roll back and leave it."""


@dataclass
class BatchResult:
    sent: int = 0
    skipped: int = 0  # not ours any more: sent, moved or taken by another task
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    deferred: int = 0  # patient quiet hours
    errors: list[str] = field(default_factory=list)


def _error_text(error: BaseException) -> str:
    """Class and SMTP code only: messages can echo addresses."""
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__}{f' {code}' if code else ''}"[:300]


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, PermanentDeliveryError | smtplib.SMTPRecipientsRefused):
        return False
    code = getattr(error, "smtp_code", None)
    if code is not None:
        return 400 <= code < 500
    return isinstance(error, TRANSIENT_ERRORS)


def _mine(reminder_id: int):
    """The row as this claim left it: sending, no attempt under way."""
    return Reminder.objects.filter(
        pk=reminder_id, state=ReminderState.SENDING, attempt_started_at__isnull=True
    )


def _backoff(attempts: int):
    delay = settings.REMINDERS_RETRY_BASE * (2 ** max(0, attempts - 1))
    return min(delay, settings.REMINDERS_RETRY_CAP)


class BatchSender:
    def __init__(self, ids: Iterable[int]):
        self.ids = list(dict.fromkeys(ids))
        self.result = BatchResult()
        self._email = None
        self._sms = None

    # --- channels ----------------------------------------------------------------------

    def _channels(self, reminder: Reminder, preferences: dict) -> set[str]:
        if reminder.channel != ReminderChannel.PREFERENCE:
            return {reminder.channel}
        delivery = preferences.get(
            (reminder.recipient_user_id, reminder.kind), settings.REMINDERS_DEFAULT_DELIVERY
        )
        channels = {
            Delivery.EMAIL: {EMAIL},
            Delivery.IN_APP: {IN_APP},
            Delivery.BOTH: {EMAIL, IN_APP},
        }[delivery]
        if EMAIL in channels and IN_APP in channels and not reminder.recipient_user.email:
            channels = {IN_APP}
        return channels

    def _address(self, reminder: Reminder, channel: str) -> str:
        if reminder.recipient_patient_id:
            return patient_address(reminder.recipient_patient, channel)
        return reminder.recipient_user.email if channel == EMAIL else ""

    def _send_email(self, reminder: Reminder, message: Message, to: str) -> None:
        if self._email is None:
            self._email = get_connection(fail_silently=False)
            self._email.open()
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[to],
            connection=self._email,
            headers={"Message-ID": reminder.message_id},
        )
        if email.send() != 1:
            raise TransientDeliveryError("the email backend accepted no message")

    def _send_sms(self, reminder: Reminder, message: Message, to: str) -> None:
        if self._sms is None:
            self._sms = get_sms_backend()
        self._sms.send(to=to, body=message.body.strip(), message_id=reminder.message_id)

    def _close_email(self) -> None:
        if self._email is not None:
            # A broken connection is being dropped anyway.
            with contextlib.suppress(Exception):
                self._email.close()
            self._email = None

    # --- outcomes (each a guarded update) ----------------------------------------------

    def _mark_sent(self, reminder: Reminder, message: Message, channels: set[str]) -> bool:
        """Notification (if in-app) and "sent" together; False if the row was not ours."""
        external = bool(channels - {IN_APP})
        guard = Reminder.objects.filter(pk=reminder.pk, state=ReminderState.SENDING)
        changes = {"state": ReminderState.SENT, "sent_at": Now(), "claimed_until": None}
        if not external:
            # No attempt marker was written: this update is the attempt.
            guard = _mine(reminder.pk).filter(claimed_until__gt=Now())
            changes["attempts"] = F("attempts") + 1
        try:
            with transaction.atomic():
                if guard.update(**changes, updated_at=Now()) != 1:
                    raise _NotYours
                if IN_APP in channels:
                    Notification.objects.create(
                        user_id=reminder.recipient_user_id,
                        reminder_id=reminder.pk,
                        kind=reminder.kind,
                        title=message.subject[:200],
                        body=message.body,
                        link=message.link[:300],
                    )
        except _NotYours:
            return False
        return True

    def _start_attempt(self, reminder: Reminder) -> bool:
        """Committed before an external send: one task wins; the claim must last the send."""
        won = (
            _mine(reminder.pk)
            .filter(claimed_until__gt=db_now_plus(settings.REMINDERS_SEND_MARGIN))
            .update(attempt_started_at=Now(), attempts=F("attempts") + 1, updated_at=Now())
        )
        if won:
            reminder.attempts += 1
        return won == 1

    def _after_failure(self, reminder: Reminder, error: BaseException) -> None:
        text = _error_text(error)
        guard = Reminder.objects.filter(pk=reminder.pk, state=ReminderState.SENDING)
        common = {
            "attempt_started_at": None,
            "claimed_until": None,
            "last_error": text,
            "updated_at": Now(),
        }
        if _is_transient(error) and reminder.attempts < settings.REMINDERS_MAX_ATTEMPTS:
            guard.update(
                state=ReminderState.SCHEDULED,
                send_at=db_now_plus(_backoff(reminder.attempts)),
                **common,
            )
            self.result.retried += 1
        else:
            guard.update(state=ReminderState.FAILED, **common)
            self.result.failed += 1
            logger.warning("reminders: reminder %s failed (%s)", reminder.pk, text)

    # --- one reminder --------------------------------------------------------------------

    def _patient_guardrails(self, reminder: Reminder, now) -> bool:
        """False when the reminder was cancelled (consent gone) or deferred (quiet hours)."""
        check = patient_message_check(
            patient=reminder.recipient_patient, channel=reminder.channel, send_at=now
        )
        if not check.allowed:
            _mine(reminder.pk).update(
                state=ReminderState.CANCELLED,
                claimed_until=None,
                last_error=str(REFUSAL_LABELS[check.refusal])[:300],
                updated_at=Now(),
            )
            self.result.cancelled += 1
            return False
        if check.send_at > now:
            _mine(reminder.pk).update(
                state=ReminderState.SCHEDULED,
                send_at=check.send_at,
                claimed_until=None,
                updated_at=Now(),
            )
            self.result.deferred += 1
            return False
        return True

    def _deliver(self, reminder: Reminder, preferences: dict) -> None:
        now = timezone.now()
        if reminder.recipient_patient_id and not self._patient_guardrails(reminder, now):
            return
        channels = self._channels(reminder, preferences)
        message = render_reminder(reminder, now=now)
        external = sorted(channels - {IN_APP})
        if not external:
            if self._mark_sent(reminder, message, channels):
                self.result.sent += 1
            else:
                self.result.skipped += 1
            return
        if not self._start_attempt(reminder):
            self.result.skipped += 1
            return
        try:
            for channel in external:
                to = self._address(reminder, channel)
                if not to:
                    raise PermanentDeliveryError(f"no address for {channel}")
                if channel == EMAIL:
                    self._send_email(reminder, message, to)
                else:
                    self._send_sms(reminder, message, to)
        except SoftTimeLimitExceeded:
            raise
        except Exception as error:  # every failure is recorded on the row, never lost
            if isinstance(error, smtplib.SMTPException | OSError):
                self._close_email()
            self._after_failure(reminder, error)
            return
        if self._mark_sent(reminder, message, channels):
            self.result.sent += 1
        else:
            # Released or taken while we sent: already counted as uncertain there.
            self.result.skipped += 1

    # --- the batch -----------------------------------------------------------------------

    def run(self) -> BatchResult:
        reminders = list(
            Reminder.objects.filter(pk__in=self.ids, state=ReminderState.SENDING)
            .select_related("recipient_user", "recipient_patient")
            .order_by("pk")
        )
        self.result.skipped = len(self.ids) - len(reminders)
        user_ids = {r.recipient_user_id for r in reminders if r.recipient_user_id}
        preferences = {
            (user_id, kind): delivery
            for user_id, kind, delivery in NotificationPreference.objects.filter(
                user_id__in=user_ids
            ).values_list("user_id", "kind", "delivery")
        }
        done = 0
        try:
            self._fast_commits(True)
            for reminder in reminders:
                self._deliver(reminder, preferences)
                done += 1
        except SoftTimeLimitExceeded:
            # Out of time: hand back the rows not started, so the next run takes them now
            # rather than when their claim expires.
            from reminders.dispatch import reminders_release

            rest = [r.pk for r in reminders[done + 1 :]]
            logger.warning("reminders: send task out of time; handing back %d", len(rest))
            reminders_release(rest)
        finally:
            self._close_email()
            self._fast_commits(False)
        return self.result

    @staticmethod
    def _fast_commits(on: bool) -> None:
        """PostgreSQL: the per-reminder markers commit without waiting for the WAL flush.

        Two commits per reminder at ~4 ms of fsync each would cap a worker near 120
        reminders/s. Asynchronous commit is still visible to every other session at once
        and survives any worker crash; only a crash of the PostgreSQL server itself may
        lose the last ~0.6 s of markers (those reminders are then sent again, uncounted).
        REMINDERS_ASYNC_COMMIT=false trades that throughput for full durability.
        """
        if connection.vendor != "postgresql" or not settings.REMINDERS_ASYNC_COMMIT:
            return
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF" if on else "RESET synchronous_commit")


def reminders_send_batch(*, ids: Iterable[int]) -> BatchResult:
    return BatchSender(ids).run()
