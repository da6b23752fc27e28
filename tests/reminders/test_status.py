import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from reminders.status import reminder_status
from tests.reminders.factories import ReminderFactory

pytestmark = pytest.mark.django_db


def lines() -> dict:
    return {str(line.label): line for line in reminder_status()}


def test_failed_and_waiting_reminders_and_the_last_dispatcher_run(coordinator):
    ReminderFactory(recipient_user=coordinator, failed=True)
    ReminderFactory(
        recipient_user=coordinator, send_at=timezone.now() - datetime.timedelta(minutes=3)
    )
    PeriodicTask.objects.filter(task="reminders.dispatch").update(last_run_at=timezone.now())
    status = lines()
    assert (
        status["Reminders failed"].state == "warning"
        and "1 failed" in status["Reminders failed"].detail
    )
    assert "1 due" in status["Reminders waiting"].detail
    assert status["Reminder dispatcher"].state == "ok"


def test_a_dispatcher_that_stopped_running_shows_down():
    PeriodicTask.objects.filter(task="reminders.dispatch").update(
        last_run_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert lines()["Reminder dispatcher"].state == "down"


def test_the_admin_index_shows_the_reminders_lines(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Reminder dispatcher" in page and "Reminders failed" in page
