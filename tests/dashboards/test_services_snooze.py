"""careplans.services.task_snooze: a day or a week later, from now when already late."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from careplans import services
from tests.careplans.factories import TaskFactory

pytestmark = pytest.mark.django_db


def test_snooze_pushes_a_future_task_from_its_due_time(patient, coordinator):
    task = TaskFactory(patient=patient, assignee=coordinator)
    snoozed = services.task_snooze(task=task, by=coordinator, days=7, expected_version=1)
    assert snoozed.due_at == task.due_at + datetime.timedelta(days=7)
    assert snoozed.version == 2


def test_snooze_of_an_overdue_task_counts_from_now(patient, coordinator):
    task = TaskFactory(patient=patient, assignee=coordinator, overdue=True)
    now = timezone.now()
    snoozed = services.task_snooze(task=task, by=coordinator, days=1, expected_version=1, now=now)
    assert snoozed.due_at == now + datetime.timedelta(days=1)


def test_snooze_refuses_other_lengths_stale_versions_and_closed_tasks(patient, coordinator):
    task = TaskFactory(patient=patient, assignee=coordinator)
    with pytest.raises(ValidationError):
        services.task_snooze(task=task, by=coordinator, days=3, expected_version=1)
    with pytest.raises(services.StaleEdit):
        services.task_snooze(task=task, by=coordinator, days=1, expected_version=7)
    done = TaskFactory(patient=patient, assignee=coordinator, completed=True)
    with pytest.raises(ValidationError):
        services.task_snooze(task=done, by=coordinator, days=1, expected_version=done.version)
