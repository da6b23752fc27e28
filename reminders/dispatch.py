"""The dispatcher: return expired claims, claim due reminders in batches by the database
clock (UTC), and hand each batch of ids to one send task.

Run every minute by django-celery-beat (migration 0002). Two dispatchers at once are safe:
on PostgreSQL each claim skips rows another holds (FOR UPDATE SKIP LOCKED); SQLite has one
writer at a time (IMMEDIATE transactions). Tasks carry ids only, and no ETA or countdown:
due-ness lives in the database (RELIABILITY.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Value
from django.db.models.functions import Now

from reminders.models import Reminder, ReminderState
from reminders.outbox import unstarted, update_if

logger = logging.getLogger(__name__)

# statement_timestamp() is the now() of this statement (now() is the transaction's start),
# the same clock Django's Now() uses for the other updates here and in delivery.py.
_CLAIM_SQL = """
UPDATE reminders_reminder
   SET state = %s, claimed_until = statement_timestamp() + %s,
       updated_at = statement_timestamp()
 WHERE id IN (
       SELECT id FROM reminders_reminder
        WHERE state = %s AND send_at <= statement_timestamp()
        ORDER BY send_at
        LIMIT %s
        FOR UPDATE SKIP LOCKED)
RETURNING id
"""


def db_now_plus(delta) -> ExpressionWrapper:
    """now() + delta, by the database clock."""
    return ExpressionWrapper(
        Now() + Value(delta, output_field=DurationField()), output_field=DateTimeField()
    )


def reminders_claim(*, limit: int) -> list[int]:
    """Claim up to ``limit`` due reminders (state sending, claimed_until set); their ids."""
    timeout = settings.REMINDERS_CLAIM_TIMEOUT
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                _CLAIM_SQL, [ReminderState.SENDING, timeout, ReminderState.SCHEDULED, limit]
            )
            return sorted(row[0] for row in cursor.fetchall())
    # SQLite: one writer at a time (the transaction takes the write lock when it begins),
    # so selecting then updating inside it cannot race another dispatcher.
    with transaction.atomic():
        ids = list(
            Reminder.objects.filter(state=ReminderState.SCHEDULED, send_at__lte=Now())
            .order_by("send_at")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Reminder.objects.filter(pk__in=ids, state=ReminderState.SCHEDULED).update(
                state=ReminderState.SENDING,
                claimed_until=db_now_plus(timeout),
                updated_at=Now(),
            )
        return ids


def reminders_release_expired() -> int:
    """Claims past their time (a dead worker, a lost task message) go back to scheduled.

    A row whose attempt had started is the one window no design closes: the message may
    have left before the worker died. It is counted (uncertain_attempts, and a warning
    with the ids) and sent again, or failed when out of attempts.
    """
    expired = Reminder.objects.filter(state=ReminderState.SENDING, claimed_until__lt=Now())
    interrupted = expired.filter(attempt_started_at__isnull=False)
    uncertain_ids = list(interrupted.values_list("id", flat=True)[:1000])
    if uncertain_ids:
        logger.warning(
            "reminders: %d send(s) interrupted after they may have been delivered; "
            "sending again (uncertain window), ids %s",
            len(uncertain_ids),
            uncertain_ids[:50],
        )
    counted = {
        "uncertain_attempts": F("uncertain_attempts") + 1,
        "attempt_started_at": None,
        "claimed_until": None,
        "updated_at": Now(),
    }
    failed = interrupted.filter(attempts__gte=settings.REMINDERS_MAX_ATTEMPTS).update(
        state=ReminderState.FAILED, last_error="Interrupted on the last attempt", **counted
    )
    retried = interrupted.update(state=ReminderState.SCHEDULED, **counted)
    plain = expired.update(state=ReminderState.SCHEDULED, claimed_until=None, updated_at=Now())
    return failed + retried + plain


def reminders_release(ids: list[int]) -> int:
    """Hand back claimed rows whose send was never started (the broker refused the task,
    or the send task ran out of time before it reached them)."""
    released = 0
    for start in range(0, len(ids), 1000):
        released += len(
            update_if(
                ids[start : start + 1000],
                unstarted,
                state=ReminderState.SCHEDULED,
                claimed_until=None,
            )
        )
    return released


@dataclass
class DispatchResult:
    released: int = 0
    claimed: int = 0
    published: int = 0  # send tasks
    handed_back: int = 0  # claimed rows returned because the broker refused them


def _publish(ids: list[int]) -> None:
    from reminders.tasks import reminders_send

    reminders_send.apply_async(
        args=[ids],
        # A task that waited longer than the claim is useless: its rows were reclaimed.
        expires=settings.REMINDERS_CLAIM_TIMEOUT.total_seconds(),
        retry=True,
        retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
    )


def reminders_dispatch(*, max_rows: int | None = None) -> DispatchResult:
    """One dispatcher run. Stops when nothing is due, after ``max_rows``, or when the
    broker refuses a task (the rest are handed back and wait for the next run)."""
    max_rows = max_rows or settings.REMINDERS_DISPATCH_MAX
    result = DispatchResult(released=reminders_release_expired())
    size = settings.REMINDERS_SEND_BATCH
    while result.claimed < max_rows:
        ids = reminders_claim(limit=min(settings.REMINDERS_CLAIM_BATCH, max_rows - result.claimed))
        if not ids:
            break
        result.claimed += len(ids)
        batches = [ids[start : start + size] for start in range(0, len(ids), size)]
        for number, batch in enumerate(batches):
            try:
                _publish(batch)
            except Exception as error:  # the broker is down or refused: the rows go back
                unsent = [pk for rest in batches[number:] for pk in rest]
                result.handed_back = reminders_release(unsent)
                logger.warning(
                    "reminders: broker refused a send task (%s); %d claimed reminder(s) "
                    "handed back for the next run",
                    type(error).__name__,
                    result.handed_back,
                )
                return result
            result.published += 1
    if result.claimed or result.released:
        logger.info(
            "reminders: dispatched %d in %d task(s), released %d expired claim(s)",
            result.claimed,
            result.published,
            result.released,
        )
    return result
