"""Sessions are pruned: a sign-out removes its signed-in row, and the schedule clears
expired sessions and the rows of ended ones. The Security page lists live sessions only."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import UserSession
from accounts.services import sessions_prune

pytestmark = pytest.mark.django_db


def test_signing_out_removes_the_sessions_row(client, coordinator):
    client.force_login(coordinator)
    assert UserSession.objects.filter(user=coordinator).count() == 1
    client.post(reverse("accounts:logout"))
    assert not UserSession.objects.filter(user=coordinator).exists()


def test_the_prune_clears_expired_sessions_and_rows_of_ended_ones(client, coordinator):
    client.force_login(coordinator)
    live = UserSession.objects.get(user=coordinator).session_key
    other = type(client)()
    other.force_login(coordinator)
    expired = UserSession.objects.exclude(session_key=live).get().session_key
    Session.objects.filter(session_key=expired).update(
        expire_date=timezone.now() - datetime.timedelta(minutes=1)
    )
    UserSession.objects.create(user=coordinator, session_key="gone" * 8)
    assert sessions_prune() == {"expired_sessions": 1, "ended_rows": 2}
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [live]
    assert Session.objects.filter(session_key=live).exists()


def test_the_security_page_lists_live_sessions_only(client, coordinator):
    client.force_login(coordinator)
    UserSession.objects.create(user=coordinator, session_key="gone" * 8, user_agent="OldBrowser")
    page = client.get(reverse("accounts:security"))
    assert page.status_code == 200
    assert b"OldBrowser" not in page.content


def test_the_prune_is_on_beats_schedule():
    entry = PeriodicTask.objects.get(task="accounts.prune_sessions")
    assert entry.enabled and entry.interval.every == 15
