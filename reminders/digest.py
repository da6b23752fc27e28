"""The daily digest: one email (or notification) per coordinator and case manager per local
day, at their digest time, listing what is due today and what is overdue.

Its content comes from digest sources, one function per app, registered at start-up:

    # careplans/apps.py, in CareplansConfig.ready():
    from reminders.digest import register_digest_source
    register_digest_source("careplans.tasks", careplans.selectors.task_digest_items)

A source is called as ``source(user=user, until=end_of_the_users_day)`` and returns the
``DigestItem``s assigned to the user that are due by then (overdue ones included). Item
labels go out by email: no clinical detail ("Task #12 for patient #34", not a diagnosis).
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models.functions import Now
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from reminders.models import (
    NotificationPreference,
    Reminder,
    ReminderChannel,
    ReminderKind,
    ReminderState,
)


@dataclass(frozen=True)
class DigestItem:
    label: str
    due_at: datetime.datetime
    link: str = ""


DigestSource = Callable[..., Iterable[DigestItem]]
_SOURCES: dict[str, DigestSource] = {}


def register_digest_source(name: str, source: DigestSource) -> None:
    """Add (or replace, by name) a source of digest items."""
    _SOURCES[name] = source


def unregister_digest_source(name: str) -> None:
    _SOURCES.pop(name, None)


def digest_sources() -> dict[str, DigestSource]:
    return dict(_SOURCES)


@dataclass(frozen=True)
class Digest:
    overdue: list[DigestItem]
    due_today: list[DigestItem]

    @property
    def is_empty(self) -> bool:
        return not self.overdue and not self.due_today


def _day_bounds(user: User, now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    tz = zoneinfo.ZoneInfo(user.effective_time_zone)
    today = now.astimezone(tz).date()
    start = datetime.datetime.combine(today, datetime.time.min, tzinfo=tz)
    return start, start + datetime.timedelta(days=1)


def digest_for(*, user: User, now: datetime.datetime | None = None) -> Digest:
    now = now or timezone.now()
    start_of_day, end_of_day = _day_bounds(user, now)
    items: list[DigestItem] = []
    for source in _SOURCES.values():
        items.extend(source(user=user, until=end_of_day))
    items.sort(key=lambda item: item.due_at)
    return Digest(
        overdue=[item for item in items if item.due_at < start_of_day],
        due_today=[item for item in items if start_of_day <= item.due_at < end_of_day],
    )


# --- The scheduling rule ------------------------------------------------------------------

DIGEST_ROLES = (Role.COORDINATOR, Role.CASE_MANAGER)
# Today's digest is still created this long after its time (a user added at 07:45 gets
# the 07:30 digest); later in the day only tomorrow's is.
LATE_GRACE = datetime.timedelta(hours=1)


def digest_key(user_id: int, day: datetime.date) -> str:
    return f"digest:{user_id}:{day.isoformat()}"


def _digest_send_at(user: User, day: datetime.date, at: datetime.time) -> datetime.datetime:
    tz = zoneinfo.ZoneInfo(user.effective_time_zone)
    return datetime.datetime.combine(day, at, tzinfo=tz).astimezone(datetime.UTC)


def digests_schedule(*, now: datetime.datetime | None = None) -> int:
    """Create today's (if its time is not long past) and tomorrow's digest reminder for
    every active coordinator and case manager. Idempotent: the key holds the local date.
    Runs every 15 minutes (django-celery-beat). Returns how many rows were new."""
    from reminders.services import default_digest_time

    now = now or timezone.now()
    users = list(
        User.objects.filter(
            is_active=True, groups__name__in=[role.group_name for role in DIGEST_ROLES]
        ).distinct()
    )
    times = dict(
        NotificationPreference.objects.filter(
            kind=ReminderKind.DIGEST, digest_time__isnull=False
        ).values_list("user_id", "digest_time")
    )
    user_type = ContentType.objects.get_for_model(User)
    fallback = default_digest_time()
    rows = []
    for user in users:
        today = now.astimezone(zoneinfo.ZoneInfo(user.effective_time_zone)).date()
        for day in (today, today + datetime.timedelta(days=1)):
            send_at = _digest_send_at(user, day, times.get(user.pk, fallback))
            if send_at < now - LATE_GRACE:
                continue
            rows.append(
                Reminder(
                    kind=ReminderKind.DIGEST,
                    channel=ReminderChannel.PREFERENCE,
                    recipient_user=user,
                    content_type=user_type,
                    object_id=user.pk,
                    key=digest_key(user.pk, day),
                    send_at=send_at,
                    context={"date": day.isoformat()},
                )
            )
    keys = [row.key for row in rows]
    known = set(Reminder.objects.filter(key__in=keys).values_list("key", flat=True))
    new = [row for row in rows if row.key not in known]
    # ignore_conflicts: a second scheduler run at the same moment is a no-op, not an error.
    Reminder.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return len(new)


def digest_reschedule_for(*, user: User, digest_time: datetime.time) -> int:
    """The user changed their digest time: move their pending digests to it."""
    moved = 0
    pending = Reminder.objects.pending().filter(kind=ReminderKind.DIGEST, recipient_user=user)
    for reminder in pending:
        day = datetime.date.fromisoformat(reminder.context["date"])
        moved += Reminder.objects.filter(pk=reminder.pk, state=ReminderState.SCHEDULED).update(
            send_at=_digest_send_at(user, day, digest_time), updated_at=Now()
        )
    return moved
