"""Guarded updates of reminder rows by primary key, for the dispatcher and the send task.

An update over a batch of ids must not carry its guard (``state = 'sending'``) in its own
WHERE clause on PostgreSQL: the planner then prefers the partial index of claims
(reminder_claim_idx, ``WHERE state = 'sending'``), which its statistics, taken before the
dispatcher claimed a burst of rows, believe to be nearly empty, and filters the whole
backlog for the batch's ids. EXPLAIN ANALYZE showed one row's update reading up to all
10,000 claimed entries at 10,000 claimed: the cost of each statement grew with the backlog.

So rows are locked by primary key alone (SELECT ... FOR UPDATE in id order, so two tasks
given the same ids queue behind each other instead of deadlocking), the guard is checked
on the locked values, with the database's clock read in the same statement, and the
winners are updated by primary key. On SQLite the transaction holds the one write lock.

The send task's three statements per group (attempts started, sent, in-app sent) do the
same in one statement on PostgreSQL, a round trip each rather than four: a MATERIALIZED
CTE locks by primary key, and the guard reads the CTE's (locked, current) values.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Now

from reminders.models import Reminder, ReminderState


@dataclass(frozen=True)
class LockedRow:
    pk: int
    state: str
    attempt_started_at: datetime.datetime | None
    claimed_until: datetime.datetime | None
    attempts: int
    db_now: datetime.datetime  # the database clock when the row was locked


_FIELDS = ("pk", "state", "attempt_started_at", "claimed_until", "attempts", "db_now")


def unstarted(row: LockedRow) -> bool:
    """The row as the dispatcher's claim left it: sending, no attempt under way."""
    return row.state == ReminderState.SENDING and row.attempt_started_at is None


def lock_rows(ids: Iterable[int]) -> list[LockedRow]:
    """The rows of ``ids`` that exist, locked until the transaction ends (call inside one)."""
    rows = (
        Reminder.objects.filter(pk__in=list(ids))
        .order_by("pk")
        .select_for_update()
        .annotate(db_now=Now())
        .values_list(*_FIELDS)
    )
    return [LockedRow(*values) for values in rows]


def update_rows(pks: list[int], **changes) -> int:
    """Apply ``changes`` to rows already locked and checked (primary key only)."""
    if not pks:
        return 0
    return Reminder.objects.filter(pk__in=pks).update(**changes, updated_at=Now())


def update_if(
    ids: Iterable[int], accept: Callable[[LockedRow], bool], **changes
) -> list[LockedRow]:
    """One guarded update: lock ``ids``, keep the rows ``accept`` takes, apply ``changes``
    to them; the rows changed (none if another task got there first)."""
    with transaction.atomic():
        won = [row for row in lock_rows(ids) if accept(row)]
        update_rows([row.pk for row in won], **changes)
    return won


# --- the send task's statements --------------------------------------------------------

SENDING, SENT = ReminderState.SENDING.value, ReminderState.SENT.value

# Each statement starts with the same CTE: the ids locked by primary key, in id order.
_START_SQL = """
WITH locked AS MATERIALIZED (
    SELECT id, state, attempt_started_at, claimed_until
      FROM reminders_reminder
     WHERE id = ANY(%(ids)s)
     ORDER BY id
       FOR UPDATE
)
UPDATE reminders_reminder AS r
   SET attempt_started_at = statement_timestamp(), attempts = r.attempts + 1,
       updated_at = statement_timestamp()
  FROM locked
 WHERE r.id = locked.id AND locked.state = %(sending)s AND locked.attempt_started_at IS NULL
   AND locked.claimed_until > statement_timestamp() + %(margin)s
RETURNING r.id, r.attempts, r.claimed_until, r.attempt_started_at
"""
_SENT_SQL = """
WITH locked AS MATERIALIZED (
    SELECT id, state, attempt_started_at, claimed_until
      FROM reminders_reminder
     WHERE id = ANY(%(ids)s)
     ORDER BY id
       FOR UPDATE
)
UPDATE reminders_reminder AS r
   SET state = %(sent)s, sent_at = statement_timestamp(), claimed_until = NULL,
       updated_at = statement_timestamp()
  FROM locked
 WHERE r.id = locked.id AND locked.state = %(sending)s AND locked.attempt_started_at = %(marker)s
RETURNING r.id
"""
_SENT_UNSTARTED_SQL = """
WITH locked AS MATERIALIZED (
    SELECT id, state, attempt_started_at, claimed_until
      FROM reminders_reminder
     WHERE id = ANY(%(ids)s)
     ORDER BY id
       FOR UPDATE
)
UPDATE reminders_reminder AS r
   SET state = %(sent)s, sent_at = statement_timestamp(), claimed_until = NULL,
       attempts = r.attempts + 1, updated_at = statement_timestamp()
  FROM locked
 WHERE r.id = locked.id AND locked.state = %(sending)s AND locked.attempt_started_at IS NULL
   AND locked.claimed_until > statement_timestamp()
RETURNING r.id
"""


def _fetch(sql: str, **params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, {"sending": SENDING, "sent": SENT, **params})
        return cursor.fetchall()


@dataclass(frozen=True)
class Started:
    pk: int
    attempts: int  # counting the one just started
    claimed_until: datetime.datetime
    marker: datetime.datetime  # attempt_started_at as written: the database's now


def start_attempts(ids: list[int], *, margin: datetime.timedelta) -> list[Started]:
    """Record (committed, unless inside a transaction) that the attempts of ``ids`` start,
    for the rows the dispatcher's claim left untouched and that stay claimed for longer
    than ``margin``; those rows. The marker is the same for all: this attempt's."""
    if not ids:
        return []
    if connection.vendor == "postgresql":
        return [Started(*row) for row in _fetch(_START_SQL, ids=ids, margin=margin)]

    def startable(row: LockedRow) -> bool:
        return (
            row.state == SENDING
            and row.attempt_started_at is None
            and row.claimed_until > row.db_now + margin
        )

    with transaction.atomic():
        won = [row for row in lock_rows(ids) if startable(row)]
        if won:
            marker = won[0].db_now
            update_rows(
                [row.pk for row in won], attempt_started_at=marker, attempts=F("attempts") + 1
            )
    return [Started(row.pk, row.attempts + 1, row.claimed_until, row.db_now) for row in won]


def mark_sent(ids: list[int], *, marker: datetime.datetime) -> set[int]:
    """Mark sent the rows of ``ids`` whose attempt is still the one ``marker`` started."""
    if not ids:
        return set()
    if connection.vendor == "postgresql":
        return {pk for (pk,) in _fetch(_SENT_SQL, ids=ids, marker=marker)}
    won = update_if(
        ids,
        lambda row: row.state == SENDING and row.attempt_started_at == marker,
        state=SENT,
        sent_at=Now(),
        claimed_until=None,
    )
    return {row.pk for row in won}


def mark_sent_unstarted(ids: list[int]) -> set[int]:
    """In-app only: this update is the attempt. For rows still claimed and untouched."""
    if not ids:
        return set()
    if connection.vendor == "postgresql":
        return {pk for (pk,) in _fetch(_SENT_UNSTARTED_SQL, ids=ids)}
    won = update_if(
        ids,
        lambda row: (
            row.state == SENDING
            and row.attempt_started_at is None
            and row.claimed_until > row.db_now
        ),
        state=SENT,
        sent_at=Now(),
        claimed_until=None,
        attempts=F("attempts") + 1,
    )
    return {row.pk for row in won}
