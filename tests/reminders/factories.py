"""Factories for the reminders app, with traits for states."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from reminders.models import (
    Notification,
    Reminder,
    ReminderChannel,
    ReminderKind,
    ReminderState,
)
from tests.factories import UserFactory


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    kind = ReminderKind.TASK_DUE
    channel = ReminderChannel.EMAIL
    recipient_user = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"test:{n}")
    # Due a minute ago by the database clock (tests that need an exact time freeze it).
    send_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=1))
    context = factory.LazyFunction(lambda: {"title": "Task #1", "link": "/patients/"})

    class Params:
        sending = factory.Trait(
            state=ReminderState.SENDING,
            claimed_until=factory.LazyFunction(
                lambda: timezone.now() + datetime.timedelta(minutes=15)
            ),
        )
        failed = factory.Trait(
            state=ReminderState.FAILED, attempts=5, last_error="SMTPConnectError"
        )
        sent = factory.Trait(state=ReminderState.SENT, sent_at=factory.LazyFunction(timezone.now))
        cancelled = factory.Trait(state=ReminderState.CANCELLED)
        in_app = factory.Trait(channel=ReminderChannel.IN_APP)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    kind = ReminderKind.TASK_DUE
    title = factory.Sequence(lambda n: f"Task #{n} is due")
    body = "Due today"
    link = "/patients/"

    class Params:
        read = factory.Trait(read_at=factory.LazyFunction(timezone.now))
