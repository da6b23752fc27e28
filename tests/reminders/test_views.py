"""The bell, the notification list, mark read, and the preferences page: own rows only."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reminders.models import Delivery, NotificationPreference, ReminderKind
from tests.reminders.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_bell_shows_the_unread_count_in_one_query(coordinator_client, coordinator, rf):
    from reminders.context_processors import notifications

    NotificationFactory.create_batch(3, user=coordinator)
    NotificationFactory(user=coordinator, read=True)
    NotificationFactory()  # someone else's
    request = rf.get("/")
    request.user = coordinator
    with CaptureQueriesContext(connection) as queries:
        count = int(str(notifications(request)["unread_notifications"]))
    assert count == 3 and len(queries) == 1
    page = coordinator_client.get(reverse("patients:list"))
    assert b'<span class="visually-hidden">unread: </span>3</span>' in page.content


def test_list_shows_only_own_notifications_paginated(coordinator_client, coordinator, settings):
    settings.CAREHUB_PAGE_SIZE = 2
    NotificationFactory.create_batch(3, user=coordinator, title="Mine")
    NotificationFactory(title="Not mine")
    first = coordinator_client.get(reverse("reminders:notifications"))
    assert first.content.count(b"Mine") == 2 and b"Not mine" not in first.content
    second = coordinator_client.get(reverse("reminders:notifications") + "?page=2")
    assert second.content.count(b"Mine") == 1


def test_mark_read_own_and_404_for_anyone_elses(coordinator_client, coordinator):
    mine = NotificationFactory(user=coordinator)
    theirs = NotificationFactory()
    response = coordinator_client.post(reverse("reminders:read", args=[mine.pk]))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert coordinator_client.post(reverse("reminders:read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert coordinator_client.get(reverse("reminders:read", args=[mine.pk])).status_code == 405


def test_mark_read_with_htmx_returns_the_row(coordinator_client, coordinator):
    mine = NotificationFactory(user=coordinator)
    response = coordinator_client.post(
        reverse("reminders:read", args=[mine.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert f'id="notification-{mine.pk}"'.encode() in response.content
    assert b"Mark as read" not in response.content


def test_mark_all_read_touches_only_own(coordinator_client, coordinator):
    NotificationFactory.create_batch(2, user=coordinator)
    theirs = NotificationFactory()
    coordinator_client.post(reverse("reminders:read_all"))
    assert not coordinator.notifications.unread().exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_preferences_page_saves_per_kind_and_digest_time(coordinator_client, coordinator):
    page = coordinator_client.get(reverse("reminders:preferences"))
    assert page.status_code == 200 and b"Daily digest time" in page.content
    assert b"Appointment reminder (patient)" not in page.content
    data = {f"delivery_{kind.value}": Delivery.BOTH for kind in ReminderKind.staff_kinds()}
    data["delivery_task_due"] = Delivery.IN_APP
    data["digest_time"] = "06:45"
    response = coordinator_client.post(reverse("reminders:preferences"), data)
    assert response.status_code == 302
    assert (
        NotificationPreference.objects.get(user=coordinator, kind=ReminderKind.TASK_DUE).delivery
        == Delivery.IN_APP
    )
    digest = NotificationPreference.objects.get(user=coordinator, kind=ReminderKind.DIGEST)
    assert digest.digest_time == datetime.time(6, 45)


def test_pages_need_sign_in(client):
    response = client.get(reverse("reminders:notifications"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.postgres
def test_bell_count_is_read_with_the_signed_in_user(coordinator_client, coordinator):
    NotificationFactory.create_batch(2, user=coordinator)
    NotificationFactory()  # someone else's
    with CaptureQueriesContext(connection) as queries:
        page = coordinator_client.get(reverse("patients:list"))
    assert b'<span class="visually-hidden">unread: </span>2</span>' in page.content
    counts = [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert not any("reminders_notification" in sql for sql in counts)


def test_bell_after_a_write_counts_again(coordinator, rf):
    """A POST may have read or created notifications: its page counts after them."""
    from reminders.context_processors import UNREAD_FACT, notifications

    NotificationFactory.create_batch(3, user=coordinator)
    setattr(coordinator, UNREAD_FACT, 5)  # as the request began
    read = rf.get("/")
    read.user = coordinator
    assert notifications(read)["unread_notifications"] == 5
    write = rf.post("/")
    write.user = coordinator
    assert int(str(notifications(write)["unread_notifications"])) == 3
