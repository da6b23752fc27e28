"""What the rules of the causes (careplans/reminder_rules.py, referrals/reminder_rules.py)
share: make the pending staff reminders about one object match what its state calls for.

A rule describes the reminders it wants now (``Wanted``: kind, recipient, time, key) and
``reminders_sync_for`` makes it so, inside the caller's transaction:

- a wanted reminder already pending (same key, or same kind and recipient) is moved to
  the wanted time (and takes the wanted key): rescheduled work moves its reminders;
- a wanted reminder not pending is scheduled (``reminder_schedule``, idempotent on the
  key: one already sent for the same event is not sent again);
- a pending reminder no longer wanted is cancelled: work done, closed, or reassigned (the
  new assignee's reminders have new keys).

Keys name the event: the object, the recipient and the due time ("task_due:careplans.task:
12:u5:20260302T1500Z"); an escalation's names only the object, so it happens once per item.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Now
from django.urls import reverse

from accounts.models import User
from patients.models import Patient
from reminders.models import Reminder, ReminderState
from reminders.services import _object_label, reminder_schedule


# slots, not frozen: the demo seeder builds hundreds of thousands (reminders/demo.py).
@dataclass(slots=True)
class Wanted:
    kind: str
    recipient: User
    send_at: datetime.datetime
    due_at: datetime.datetime | None
    key: str
    title: str
    link: str = ""


def object_label(obj: models.Model) -> str:
    """The object part of every key, e.g. "careplans.task:12"."""
    return _object_label(obj)


def label_for(model: type[models.Model], pk: int) -> str:
    """``object_label`` from a model and a primary key (bulk demo data has no instances)."""
    return f"{model._meta.label_lower}:{pk}"


def key_time(when: datetime.datetime) -> str:
    return when.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def event_key(kind: str, label: str, recipient_id: int, due_at: datetime.datetime) -> str:
    """One event: this kind, about this object, for this recipient, due at this time."""
    return f"{kind}:{label}:u{recipient_id}:{key_time(due_at)}"


def link_maker(url_name: str) -> Callable[[int], str]:
    """A fast ``reverse(url_name, args=[pk])`` for bulk demo data (reverse costs ~40 us)."""
    sentinel = 987654321
    template = reverse(url_name, args=[sentinel])
    return lambda pk: template.replace(str(sentinel), str(pk))


def local_day_start(day: datetime.date, user: User) -> datetime.datetime:
    """Midnight starting ``day`` in the user's time zone: the due time of a date."""
    tz = zoneinfo.ZoneInfo(user.effective_time_zone)
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def local_day_time(day: datetime.date, user: User) -> datetime.datetime:
    """``REMINDERS_DAY_TIME`` on ``day`` in the user's time zone: when reminders about a
    date (a review, a goal's target) go out, so none arrives at midnight."""
    tz = zoneinfo.ZoneInfo(user.effective_time_zone)
    at = datetime.time.fromisoformat(settings.REMINDERS_DAY_TIME)
    return datetime.datetime.combine(day, at, tzinfo=tz)


def _pending_reminders(about: models.Model, kinds: Iterable[str]) -> list[Reminder]:
    return list(
        Reminder.objects.pending()
        .about(about)
        .filter(kind__in=list(kinds), recipient_user__isnull=False)
        .order_by("pk")
    )


def _move(row: Reminder, want: Wanted) -> None:
    changes = {
        "send_at": want.send_at,
        "due_at": want.due_at,
        "recipient_user_id": want.recipient.pk,
        "context": {**row.context, "title": want.title, "link": want.link},
    }
    if all(getattr(row, name) == value for name, value in changes.items()) and row.key == want.key:
        return
    guard = Reminder.objects.filter(pk=row.pk, state=ReminderState.SCHEDULED)
    changes.update(attempts=0, last_error="", updated_at=Now())
    if row.key != want.key:
        try:
            # A savepoint: the wanted key may belong to an older reminder (sent for the
            # same event before); then this one moves under its old key.
            with transaction.atomic():
                guard.update(key=want.key, **changes)
            return
        except IntegrityError:
            pass
    guard.update(**changes)


def _revive_if_cancelled(reminder: Reminder | None, want: Wanted) -> None:
    """The event came back after its reminder was cancelled (work reassigned back,
    a review date set back): the same reminder is scheduled again."""
    if reminder is not None and reminder.state == ReminderState.CANCELLED:
        Reminder.objects.filter(pk=reminder.pk, state=ReminderState.CANCELLED).update(
            state=ReminderState.SCHEDULED,
            send_at=want.send_at,
            due_at=want.due_at,
            recipient_user_id=want.recipient.pk,
            attempts=0,
            last_error="",
            updated_at=Now(),
        )


def reminders_sync_for(
    about: models.Model,
    *,
    kinds: Iterable[str],
    wanted: list[Wanted],
    patient: Patient | None,
) -> None:
    """Make the pending staff reminders of ``kinds`` about ``about`` exactly ``wanted``.

    Called inside the transaction that changed ``about``; idempotent (a second call with
    the same wanted list changes nothing and creates nothing).
    """
    pending = _pending_reminders(about, kinds)
    for want in wanted:
        match = next((row for row in pending if row.key == want.key), None) or next(
            (
                row
                for row in pending
                if row.kind == want.kind and row.recipient_user_id == want.recipient.pk
            ),
            None,
        )
        if match is not None:
            pending.remove(match)
            _move(match, want)
            continue
        reminder = reminder_schedule(
            kind=want.kind,
            recipient=want.recipient,
            about=about,
            send_at=want.send_at,
            due_at=want.due_at,
            key=want.key,
            patient=patient,
            context={"title": want.title, "link": want.link},
        )
        _revive_if_cancelled(reminder, want)
    if pending:
        Reminder.objects.pending().filter(pk__in=[row.pk for row in pending]).update(
            state=ReminderState.CANCELLED, updated_at=Now()
        )
