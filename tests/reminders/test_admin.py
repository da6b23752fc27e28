"""Admin of the outbox: a changelist whose queries do not grow with its rows, reminders and
notifications never deleted, notifications and preferences read-only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reminders.models import Notification, NotificationPreference, Reminder, ReminderChannel
from tests.factories import PatientFactory
from tests.reminders.factories import NotificationFactory, ReminderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


def to_patients(count: int) -> None:
    for _ in range(count):
        patient = PatientFactory()
        ReminderFactory(
            recipient_user=None,
            recipient_patient=patient,
            patient=patient,
            channel=ReminderChannel.SMS,
        )


def test_the_reminders_changelist_reads_the_same_queries_for_more_rows(admin_client_, coordinator):
    url = reverse("admin:reminders_reminder_changelist")
    admin_client_.get(url)  # content types, sessions ... read once
    ReminderFactory(recipient_user=coordinator)
    to_patients(2)
    with CaptureQueriesContext(connection) as few:
        assert admin_client_.get(url).status_code == 200
    ReminderFactory.create_batch(3)
    to_patients(6)
    with CaptureQueriesContext(connection) as more:
        page = admin_client_.get(url)
    assert len(page.context["cl"].result_list) == 12
    assert len(more) == len(few), [query["sql"] for query in more]


def actions_of(client, url: str) -> set[str]:
    form = client.get(url).context["action_form"]
    return {name for name, _label in form.fields["action"].choices if name}


def test_reminders_and_notifications_are_never_deleted_in_admin(admin_client_, coordinator):
    reminder = ReminderFactory(recipient_user=coordinator)
    notification = NotificationFactory(user=coordinator, reminder=reminder)
    assert actions_of(admin_client_, reverse("admin:reminders_reminder_changelist")) == {
        "retry_failed",
        "cancel_pending",
    }
    for route, record in [
        ("admin:reminders_reminder_delete", reminder),
        ("admin:reminders_notification_delete", notification),
    ]:
        response = admin_client_.post(reverse(route, args=[record.pk]), {"post": "yes"})
        assert response.status_code == 403, route
    bulk = admin_client_.post(
        reverse("admin:reminders_reminder_changelist"),
        {"action": "delete_selected", "_selected_action": [reminder.pk], "post": "yes"},
    )
    assert bulk.status_code == 302  # back to the list, "No action selected": there is none
    assert Reminder.objects.filter(pk=reminder.pk).exists()
    assert Notification.objects.filter(pk=notification.pk).exists()


def test_notifications_and_preferences_are_read_only_in_admin(admin_client_, coordinator):
    notification = NotificationFactory(user=coordinator, title="Task #1 is due")
    preference = NotificationPreference.objects.create(user=coordinator, kind="task_due")
    assert admin_client_.get(reverse("admin:reminders_notification_add")).status_code == 403
    assert admin_client_.get(reverse("admin:reminders_notificationpreference_add")).status_code == (
        403
    )
    url = reverse("admin:reminders_notification_change", args=[notification.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert admin_client_.post(url, {"title": "Changed", "body": "x"}).status_code == 403
    url = reverse("admin:reminders_notificationpreference_change", args=[preference.pk])
    assert admin_client_.post(url, {"delivery": "email"}).status_code == 403
    assert Notification.objects.get(pk=notification.pk).title == "Task #1 is due"
    assert NotificationPreference.objects.get(pk=preference.pk).delivery == preference.delivery
