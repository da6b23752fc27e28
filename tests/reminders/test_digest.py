"""The daily digest: one per user per local day at their time, content from sources."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core import mail
from django.db.models.functions import Now

from accounts.roles import Role
from reminders import digest, services
from reminders.delivery import reminders_send_batch
from reminders.dispatch import reminders_claim
from reminders.models import Reminder, ReminderKind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# 06:00 in New York on 2 March 2026.
NOW = datetime.datetime(2026, 3, 2, 11, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clean_sources():
    saved = digest.digest_sources()
    digest._SOURCES.clear()
    yield digest._SOURCES
    digest._SOURCES.clear()
    digest._SOURCES.update(saved)


def test_one_digest_per_user_per_local_day(coordinator, case_manager, admin_user, settings):
    settings.TIME_ZONE = "America/New_York"
    settings.REMINDERS_DIGEST_TIME = "07:30"
    assert digest.digests_schedule(now=NOW) == 4  # today and tomorrow, two users
    assert digest.digests_schedule(now=NOW) == 0  # the rule runs again: nothing new
    mine = Reminder.objects.filter(recipient_user=coordinator).order_by("send_at")
    assert [r.key for r in mine] == [
        f"digest:{coordinator.pk}:2026-03-02",
        f"digest:{coordinator.pk}:2026-03-03",
    ]
    assert mine[0].send_at == datetime.datetime(2026, 3, 2, 7, 30, tzinfo=NEW_YORK)
    assert not Reminder.objects.filter(recipient_user=admin_user).exists()


def test_digest_time_is_the_users_and_follows_a_change(coordinator, settings):
    coordinator.time_zone = "Europe/Madrid"
    coordinator.save()
    services.preferences_save(user=coordinator, deliveries={}, digest_time=datetime.time(9, 0))
    digest.digests_schedule(now=NOW)
    madrid = zoneinfo.ZoneInfo("Europe/Madrid")
    # 12:00 in Madrid: today's 09:00 is long past, so only tomorrow's.
    [row] = Reminder.objects.filter(kind=ReminderKind.DIGEST)
    assert row.send_at == datetime.datetime(2026, 3, 3, 9, 0, tzinfo=madrid)

    services.preferences_save(user=coordinator, deliveries={}, digest_time=datetime.time(6, 15))
    row.refresh_from_db()
    assert row.send_at == datetime.datetime(2026, 3, 3, 6, 15, tzinfo=madrid)


def _send_digest(user):
    digest.digests_schedule()
    today = Reminder.objects.filter(kind=ReminderKind.DIGEST, recipient_user=user).earliest(
        "send_at"
    )
    Reminder.objects.filter(pk=today.pk).update(send_at=Now())
    reminders_send_batch(ids=reminders_claim(limit=10))


def test_digest_with_no_sources_says_nothing_is_due(coordinator, clean_sources):
    _send_digest(coordinator)
    assert any("Nothing is due today" in message.body for message in mail.outbox)


def test_digest_lists_due_today_and_overdue_from_sources(coordinator, clean_sources):
    from django.utils import timezone

    now = timezone.now()

    def tasks(*, user, until):
        assert until > now
        if user != coordinator:
            return []
        return [
            digest.DigestItem(label="Task #1", due_at=now - datetime.timedelta(days=3, hours=1)),
            digest.DigestItem(label="Task #2", due_at=until - datetime.timedelta(seconds=1)),
        ]

    def referrals(*, user, until):
        if user != coordinator:
            return []
        return [digest.DigestItem(label="Referral #9", due_at=now - datetime.timedelta(days=1))]

    digest.register_digest_source("careplans.tasks", tasks)
    digest.register_digest_source("referrals.referrals", referrals)
    other = UserFactory(username="other", role=Role.COORDINATOR)
    _send_digest(coordinator)
    _send_digest(other)
    [body] = [m.body for m in mail.outbox if m.to == [coordinator.email]]
    [other_body] = [m.body for m in mail.outbox if m.to == [other.email]]
    assert "Nothing is due today" in other_body
    assert "Task #1: Overdue by 3 days" in body
    assert "Referral #9: Overdue by 1 day" in body
    assert "Task #2: Due today" in body
    assert body.index("Overdue") < body.index("Task #1") < body.index("Due today")
