"""What reminders say: exactly how late or how soon, and in the app what the record is
(issue 25, items 1 and 2); emails keep to numbers (no clinical detail leaves CareHub)."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from audit.models import AuditEvent
from careplans import services
from reminders.delivery import reminders_send_batch
from reminders.dispatch import reminders_claim
from reminders.messages import due_phrase
from reminders.models import Delivery, Notification, NotificationPreference, ReminderKind

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# Monday 2 March 2026, 10:00 in New York.
NOW = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("due_at", "phrase"),
    [
        (NOW, "Due now"),
        (NOW - 30 * datetime.timedelta(seconds=1), "Due now"),
        (NOW - 2 * MINUTE, "Overdue by 2 minutes"),
        (NOW - 59 * MINUTE, "Overdue by 59 minutes"),
        (NOW - HOUR, "Overdue by 1 hour"),
        (NOW - 5 * HOUR - 59 * MINUTE, "Overdue by 5 hours"),
        (NOW - DAY, "Overdue by 1 day"),
        (NOW - 3 * DAY - 23 * HOUR, "Overdue by 3 days"),
        (NOW + 30 * MINUTE, "Due in 30 minutes (at 10:30 a.m.)"),
        (NOW + 4 * HOUR, "Due today at 2 p.m."),
        (NOW + DAY, "Due tomorrow at 10 a.m."),
        (NOW + 3 * DAY, "Due on March 5, 2026"),
    ],
)
def test_the_phrase_says_exactly_how_late_or_how_soon(due_at, phrase):
    assert due_phrase(due_at, NOW, NEW_YORK) == phrase


def test_seconds_after_the_due_time_it_is_not_an_hour_late():
    assert "hour" not in due_phrase(NOW - 5 * datetime.timedelta(seconds=1), NOW, NEW_YORK)
    assert due_phrase(NOW - 90 * datetime.timedelta(seconds=1), NOW, NEW_YORK) == (
        "Overdue by 1 minute"
    )


def task_sent_when_due(patient, coordinator, *, late=datetime.timedelta(0)):
    """A task due in an hour, its reminders sent ``late`` after the due time."""
    with time_machine.travel(NOW, tick=False):
        task = services.task_create(
            patient=patient,
            by=coordinator,
            data={
                "description": "Call the pharmacy about refills",
                "due_at": NOW + HOUR,
                "assignee": coordinator,
            },
        )
    with time_machine.travel(NOW + HOUR + late, tick=False):
        reminders_send_batch(ids=reminders_claim(limit=50))
    return task


@pytest.mark.django_db
def test_the_notification_names_the_task_and_links_to_it_the_email_does_not(
    patient, coordinator, coordinator_client, case_manager
):
    NotificationPreference.objects.create(
        user=coordinator, kind=ReminderKind.TASK_DUE, delivery=Delivery.BOTH
    )
    task = task_sent_when_due(patient, coordinator, late=5 * MINUTE)
    email = next(m for m in mail.outbox if m.to == [coordinator.email])
    assert f"Task #{task.pk}" in email.body and "Overdue by 5 minutes" in email.body
    assert "pharmacy" not in email.body + email.subject
    assert patient.family_name not in email.body + email.subject
    note = Notification.objects.get(user=coordinator, kind=ReminderKind.TASK_DUE)
    # Nothing clinical stored in the notification row either: it is described when shown.
    assert "pharmacy" not in note.title + note.body and "http" not in note.body
    assert note.link == reverse("patients:detail", args=[patient.pk]) + f"#task-{task.pk}"
    page = coordinator_client.get(reverse("reminders:notifications"))
    text = page.content.decode()
    assert "Call the pharmacy about refills" in text and patient.full_name in text
    assert f'href="{note.link}"' in text
    assert AuditEvent.objects.filter(patient_id=patient.pk, route__contains="notification").exists()
    patient_page = coordinator_client.get(reverse("patients:detail", args=[patient.pk]))
    assert f'id="task-{task.pk}"' in patient_page.content.decode()


@pytest.mark.django_db
def test_a_record_the_user_no_longer_sees_is_not_described(
    patient, coordinator, coordinator_client, team_b
):
    task_sent_when_due(patient, coordinator)
    assert Notification.objects.filter(user=coordinator).exists()
    type(patient).objects.filter(pk=patient.pk).update(care_team=team_b)
    page = coordinator_client.get(reverse("reminders:notifications"))
    assert "pharmacy" not in page.content.decode()
    assert patient.full_name not in page.content.decode()
