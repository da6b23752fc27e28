"""Sending a batch of claimed reminders: the body of the send task.

The batch's rows are loaded once; each is checked against the patient guardrails again
and rendered; then, with few statements per batch (reminders.outbox: rows locked by
primary key, guards checked on the locked values):
- In-app only: one transaction marks them all sent and creates their notifications
  (bulk_create), for the rows still this claim's; nothing can happen twice.
- Email or text, in groups of REMINDERS_SEND_GROUP: one committed update records that the
  group's attempts start (only one task can win a row), the messages go out one by one on
  one email connection per batch, then one update marks the group's sent rows sent (with
  their notifications when the user also wants them in-app). A doubled task message or a
  second dispatcher finds the rows taken and does nothing.
- The window no design closes: a worker killed after a message left and before its
  group was marked sent. Those rows keep the attempt marker; when their claim expires the
  dispatcher counts them as uncertain and sends them again
  (dispatch.reminders_release_expired). At most one group per worker process is in that
  window, and what was never sent is not resent: the group is started only just before it
  is sent, and rows started but not sent (out of time, the claim running short) are handed
  back without the marker.
- Each row's failure is its own: transient failures go back to "scheduled" with send_at
  pushed forward by the database clock (exponential backoff); after
  REMINDERS_MAX_ATTEMPTS, or on a permanent failure, the reminder is failed and shows in
  admin with a retry action. The rest of the batch goes on.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from time import monotonic

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from reminders import outbox
from reminders.dispatch import db_now_plus, reminders_release
from reminders.messages import Message, render_reminder
from reminders.models import (
    Delivery,
    Notification,
    NotificationPreference,
    Reminder,
    ReminderChannel,
    ReminderState,
)
from reminders.outbox import LockedRow
from reminders.patient_messages import (
    REFUSAL_LABELS,
    TOO_LATE,
    patient_address,
    patient_message_check,
)
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


@dataclass
class BatchResult:
    sent: int = 0
    skipped: int = 0  # not ours any more: sent, moved or taken by another task
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    deferred: int = 0  # patient quiet hours
    handed_back: int = 0  # never sent: out of time or claim running short; due again now
    errors: list[str] = field(default_factory=list)


def _error_text(error: BaseException) -> str:
    """Class and SMTP code only: messages can echo addresses."""
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__}{f' {code}' if code else ''}"[:300]


# The mail server refused CareHub itself (its login, its sender address, the session):
# a setting to fix, not a reason to fail every reminder of the batch for good. Retried
# with backoff, so they go out once the setting is fixed (or fail after the last attempt).
SMTP_SETUP_ERRORS = (
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPHeloError,
    smtplib.SMTPNotSupportedError,
)


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, PermanentDeliveryError | smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(error, SMTP_SETUP_ERRORS):
        return True
    code = getattr(error, "smtp_code", None)
    if code is not None:
        return 400 <= code < 500
    return isinstance(error, TRANSIENT_ERRORS)


def _backoff(attempts: int):
    delay = settings.REMINDERS_RETRY_BASE * (2 ** max(0, attempts - 1))
    return min(delay, settings.REMINDERS_RETRY_CAP)


@dataclass
class Outgoing:
    """One reminder of the batch, rendered, with the channels it goes out on."""

    reminder: Reminder
    message: Message
    channels: set[str]

    @property
    def external(self) -> list[str]:
        return sorted(self.channels - {IN_APP})


def _in_attempt(marker) -> Callable[[LockedRow], bool]:
    """The row is still in the attempt this task started (``marker``, as it wrote it)."""
    return lambda row: row.state == ReminderState.SENDING and row.attempt_started_at == marker


class BatchSender:
    def __init__(self, ids: Iterable[int]):
        self.ids = list(dict.fromkeys(ids))
        self.result = BatchResult()
        self._email = None
        self._sms = None
        self._not_started: set[int] = set()  # ids this task has not reached yet

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
            # One connection for the batch (one SMTP session; one file per batch with the
            # file backend), opened again only after an error dropped it.
            self._email = get_connection(fail_silently=False)
            self._email.open()
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[to],
            headers={"Message-ID": reminder.message_id},
        )
        # One message per call, so each row learns its own outcome.
        if self._email.send_messages([email]) != 1:
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

    def _send(self, item: Outgoing) -> Exception | None:
        """Send on every external channel; the error, or None when all went out."""
        try:
            for channel in item.external:
                to = self._address(item.reminder, channel)
                if not to:
                    raise PermanentDeliveryError(f"no address for {channel}")
                if channel == EMAIL:
                    self._send_email(item.reminder, item.message, to)
                else:
                    self._send_sms(item.reminder, item.message, to)
        except SoftTimeLimitExceeded:
            raise
        except Exception as error:  # every failure is recorded on the row, never lost
            if isinstance(error, smtplib.SMTPException | OSError):
                self._close_email()
            return error
        return None

    # --- outcomes (each a guarded update, reminders.outbox) ----------------------------

    @staticmethod
    def _notifications(items: list[Outgoing], pks: set[int]) -> list[Notification]:
        return [
            Notification(
                user_id=item.reminder.recipient_user_id,
                reminder_id=item.reminder.pk,
                kind=item.reminder.kind,
                title=item.message.notification_title[:200],
                body=item.message.notification_body,
                link=item.message.link[:300],
            )
            for item in items
            if item.reminder.pk in pks and IN_APP in item.channels
        ]

    def _deliver_in_app(self, items: list[Outgoing]) -> None:
        """In-app only: "sent", its attempt and the notification in one transaction."""
        if not items:
            return
        with transaction.atomic():
            won = outbox.mark_sent_unstarted([item.reminder.pk for item in items])
            Notification.objects.bulk_create(self._notifications(items, won))
        self.result.sent += len(won)
        self.result.skipped += len(items) - len(won)

    def _start_attempts(self, items: list[Outgoing]) -> tuple[dict[int, outbox.Started], float]:
        """Committed before the group is sent: the rows this task won, and the time
        (monotonic()) after which no send may start: the claim must outlast it by
        REMINDERS_SEND_MARGIN, one send's worst case."""
        margin = settings.REMINDERS_SEND_MARGIN
        started_at = monotonic()
        won = {
            row.pk: row
            for row in outbox.start_attempts([item.reminder.pk for item in items], margin=margin)
        }
        if not won:
            return won, started_at
        # The marker is the database's now when the attempts started.
        shortest = min(row.claimed_until - row.marker for row in won.values()) - margin
        return won, started_at + shortest.total_seconds()

    def _mark_sent(self, items: list[Outgoing], marker) -> None:
        """The group's sent rows, with their notifications when the user also wants them
        in-app (then in one transaction)."""
        if not items:
            return
        ids = [item.reminder.pk for item in items]
        if any(IN_APP in item.channels for item in items):
            with transaction.atomic():
                won = outbox.mark_sent(ids, marker=marker)
                Notification.objects.bulk_create(self._notifications(items, won))
        else:
            won = outbox.mark_sent(ids, marker=marker)
        self.result.sent += len(won)
        # Released or taken while we sent: counted as uncertain there.
        self.result.skipped += len(items) - len(won)

    def _hand_back_started(self, items: list[Outgoing], marker) -> None:
        """Rows whose attempt this task started but never sent: due again now, the attempt
        not counted, no marker left behind (they were not in the uncertain window)."""
        if not items:
            return
        won = outbox.update_if(
            [item.reminder.pk for item in items],
            _in_attempt(marker),
            state=ReminderState.SCHEDULED,
            attempt_started_at=None,
            claimed_until=None,
            attempts=F("attempts") - 1,
        )
        self.result.handed_back += len(won)

    def _after_failure(self, item: Outgoing, attempts: int, marker, error: Exception) -> None:
        reminder = item.reminder
        text = _error_text(error)
        common = {"attempt_started_at": None, "claimed_until": None, "last_error": text}
        ours = _in_attempt(marker)
        if _is_transient(error) and attempts < settings.REMINDERS_MAX_ATTEMPTS:
            if outbox.update_if(
                [reminder.pk],
                ours,
                state=ReminderState.SCHEDULED,
                send_at=db_now_plus(_backoff(attempts)),
                **common,
            ):
                self.result.retried += 1
        elif outbox.update_if([reminder.pk], ours, state=ReminderState.FAILED, **common):
            self.result.failed += 1
            logger.warning("reminders: reminder %s failed (%s)", reminder.pk, text)

    # --- before sending: guardrails, channels, the message -------------------------------

    def _cancel(self, reminder: Reminder, reason: str) -> None:
        if outbox.update_if(
            [reminder.pk],
            outbox.unstarted,
            state=ReminderState.CANCELLED,
            claimed_until=None,
            last_error=str(reason)[:300],
        ):
            self.result.cancelled += 1

    def _patient_guardrails(self, reminder: Reminder, now) -> bool:
        """False when the reminder was cancelled (consent gone, or it could no longer
        arrive before the appointment) or deferred (quiet hours)."""
        check = patient_message_check(
            patient=reminder.recipient_patient, channel=reminder.channel, send_at=now
        )
        refusal = check.refusal
        if check.allowed and reminder.due_at and check.send_at >= reminder.due_at:
            # Retried, deferred past quiet hours or resent: after the appointment it is noise.
            refusal = TOO_LATE
        if refusal:
            self._cancel(reminder, REFUSAL_LABELS[refusal])
            return False
        if check.send_at > now:
            if outbox.update_if(
                [reminder.pk],
                outbox.unstarted,
                state=ReminderState.SCHEDULED,
                send_at=check.send_at,
                claimed_until=None,
            ):
                self.result.deferred += 1
            return False
        return True

    def _prepare(self, reminder: Reminder, preferences: dict) -> Outgoing | None:
        """The reminder ready to go, or None when it is not to go now. A reminder that
        cannot be prepared (its message, its channels, its patient's checks) fails alone:
        claimed again and again, it would hold up its batch on every run."""
        now = timezone.now()
        try:
            if reminder.recipient_patient_id and not self._patient_guardrails(reminder, now):
                return None
            if reminder.recipient_user_id and not reminder.recipient_user.is_active:
                # Left or suspended: their work is reassigned, not mailed to them.
                self._cancel(reminder, _("The recipient's account is deactivated."))
                return None
            channels = self._channels(reminder, preferences)
            message = render_reminder(reminder, now=now)
        except SoftTimeLimitExceeded:
            raise
        except Exception as error:  # this row's failure only; the batch goes on
            text = _error_text(error)
            if outbox.update_if(
                [reminder.pk],
                outbox.unstarted,
                state=ReminderState.FAILED,
                claimed_until=None,
                last_error=f"Preparing: {text}"[:300],
            ):
                self.result.failed += 1
                logger.warning("reminders: reminder %s not prepared (%s)", reminder.pk, text)
            return None
        return Outgoing(reminder=reminder, message=message, channels=channels)

    # --- one group of external sends ------------------------------------------------------

    def _deliver_group(self, items: list[Outgoing]) -> None:
        started, deadline = self._start_attempts(items)
        self._not_started -= {item.reminder.pk for item in items}
        self.result.skipped += len(items) - len(started)
        if not started:
            return
        marker = next(iter(started.values())).marker
        todo = [item for item in items if item.reminder.pk in started]
        sent: list[Outgoing] = []
        failures: list[tuple[Outgoing, Exception]] = []
        in_flight = None
        try:
            for item in todo:
                if monotonic() >= deadline:
                    break  # the claim could end during the send: hand the rest back
                in_flight = item
                error = self._send(item)
                in_flight = None
                if error is None:
                    sent.append(item)
                else:
                    failures.append((item, error))
        finally:
            # Also when out of time: what left is marked sent, what never left goes back.
            # Only the message in flight, if any, stays in the uncertain window. Each step
            # is tried even when one before it fails; the error is raised once all have run.
            done = {item.reminder.pk for item in sent} | {item.reminder.pk for item, _e in failures}
            if in_flight is not None:
                done.add(in_flight.reminder.pk)
            unsent = [item for item in todo if item.reminder.pk not in done]
            with contextlib.ExitStack() as steps:  # run last-in first: mark sent first
                steps.callback(self._hand_back_started, unsent, marker)
                for item, error in reversed(failures):
                    attempts = started[item.reminder.pk].attempts
                    steps.callback(self._after_failure, item, attempts, marker, error)
                steps.callback(self._mark_sent, sent, marker)

    # --- the batch -----------------------------------------------------------------------

    def run(self) -> BatchResult:
        # By primary key only (reminders.outbox says why); the state is checked here.
        loaded = list(
            Reminder.objects.filter(pk__in=self.ids)
            .select_related("recipient_user", "recipient_patient")
            .order_by("pk")
        )
        reminders = [
            r for r in loaded if r.state == ReminderState.SENDING and r.attempt_started_at is None
        ]
        self.result.skipped = len(self.ids) - len(reminders)
        self._not_started = {r.pk for r in reminders}
        user_ids = {r.recipient_user_id for r in reminders if r.recipient_user_id}
        preferences = {
            (user_id, kind): delivery
            for user_id, kind, delivery in NotificationPreference.objects.filter(
                user_id__in=user_ids
            ).values_list("user_id", "kind", "delivery")
        }
        size = max(1, settings.REMINDERS_SEND_GROUP)
        try:
            self._fast_commits(True)
            in_app, external = [], []
            for reminder in reminders:
                item = self._prepare(reminder, preferences)
                if item is None:
                    self._not_started.discard(reminder.pk)
                else:
                    (external if item.external else in_app).append(item)
            self._deliver_in_app(in_app)
            self._not_started -= {item.reminder.pk for item in in_app}
            for start in range(0, len(external), size):
                self._deliver_group(external[start : start + size])
        except SoftTimeLimitExceeded:
            # Out of time: hand back the rows not started, so the next run takes them now
            # rather than when their claim expires.
            logger.warning(
                "reminders: send task out of time; handing back %d", len(self._not_started)
            )
            self.result.handed_back += reminders_release(sorted(self._not_started))
        except Exception as error:
            # Unexpected (the database went away, say): the rows not started go back now
            # rather than after their claim, and the task fails visibly.
            logger.error(
                "reminders: send task failed (%s); handing back %d",
                type(error).__name__,
                len(self._not_started),
            )
            with contextlib.suppress(Exception):
                self.result.handed_back += reminders_release(sorted(self._not_started))
            raise
        finally:
            self._close_email()
            self._fast_commits(False)
        return self.result

    @staticmethod
    def _fast_commits(on: bool) -> None:
        """PostgreSQL: the markers commit without waiting for the WAL flush.

        A few commits per group at ~4 ms of fsync each would cost more than the sends.
        Asynchronous commit is still visible to every other session at once and survives
        any worker crash; only a crash of the PostgreSQL server itself may lose the last
        ~0.6 s of markers (those reminders are then sent again, uncounted).
        REMINDERS_ASYNC_COMMIT=false trades that throughput for full durability.
        """
        if connection.vendor != "postgresql" or not settings.REMINDERS_ASYNC_COMMIT:
            return
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF" if on else "RESET synchronous_commit")


def reminders_send_batch(*, ids: Iterable[int]) -> BatchResult:
    return BatchSender(ids).run()
