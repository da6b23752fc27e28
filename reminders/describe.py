"""What a notification is about, in the record's own words, when the notification is shown.

Reminders and emails name records by number only ("Task #12"): they leave CareHub. The
notification page is inside CareHub, behind the care-team scope, so it may say what the
task is and whose it is. It asks the record itself at display time (nothing clinical is
stored in the outbox or the notification), one query per kind of record on the page.

An app registers a describer per model: ``register_describer(Task, describe_tasks)``;
a describer is ``(user, ids) -> {id: text}`` and answers only for records the user may
still see (a patient who moved to another team is no longer described).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models

from accounts.models import User
from reminders.models import Notification

Describer = Callable[[User, list[int]], dict[int, str]]
_DESCRIBERS: dict[type[models.Model], Describer] = {}


def register_describer(model: type[models.Model], describer: Describer) -> None:
    _DESCRIBERS[model] = describer


def describe_notifications(user: User, notifications: Iterable[Notification]) -> None:
    """Set ``notification.about_text`` ("" when there is nothing to add) on each."""
    notifications = list(notifications)
    wanted: dict[int, list[int]] = defaultdict(list)
    for notification in notifications:
        notification.about_text = ""
        reminder = notification.reminder
        if reminder is not None and reminder.content_type_id and reminder.object_id:
            wanted[reminder.content_type_id].append(reminder.object_id)
    texts: dict[tuple[int, int], str] = {}
    for content_type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        describer = _DESCRIBERS.get(model)
        if describer is None:
            continue
        for pk, text in describer(user, sorted(set(ids))).items():
            texts[(content_type_id, pk)] = text
    for notification in notifications:
        reminder = notification.reminder
        if reminder is not None:
            notification.about_text = texts.get((reminder.content_type_id, reminder.object_id), "")
