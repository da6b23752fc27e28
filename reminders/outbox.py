"""Guarded updates of reminder rows by primary key, for the dispatcher and the send task.

An update over a batch of ids must not carry its guard (``state = 'sending'``) in its own
WHERE clause on PostgreSQL: the planner then prefers the partial index of claims
(reminder_claim_idx, ``WHERE state = 'sending'``), which its statistics, taken before the
dispatcher claimed a burst of rows, believe to be nearly empty, and filters the whole
backlog for the batch's ids. EXPLAIN ANALYZE showed one row's update reading all 10,000
claimed entries at 10,000 claimed: the cost of each statement grew with the backlog.

So rows are locked by primary key alone (SELECT ... FOR UPDATE in id order, so two tasks
given the same ids queue behind each other instead of deadlocking), the guard is checked
on the locked values, with the database's clock read in the same statement, and the
winners are updated by primary key. On SQLite the transaction holds the one write lock.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import DateTimeField
from django.db.models.functions import Now

from reminders.models import Reminder


@dataclass(frozen=True)
class LockedRow:
    pk: int
    state: str
    attempt_started_at: datetime.datetime | None
    claimed_until: datetime.datetime | None
    attempts: int
    db_now: datetime.datetime  # the database clock when the row was locked


_FIELDS = ("pk", "state", "attempt_started_at", "claimed_until", "attempts", "db_now")


def lock_rows(ids: Iterable[int]) -> list[LockedRow]:
    """The rows of ``ids`` that exist, locked until the transaction ends (call inside one)."""
    rows = (
        Reminder.objects.filter(pk__in=list(ids))
        .order_by("pk")
        .select_for_update()
        .annotate(db_now=Now(output_field=DateTimeField()))
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
