"""A beat entry made by a migration: one interval task, created on the way forward and
removed on the way back, with beat told to reload its schedule. Migrations call
``interval_task(...)`` for their operation instead of writing the RunPython each time."""

from __future__ import annotations

from django.db import migrations
from django.utils import timezone


def interval_task(
    *, name: str, task: str, description: str, every: int, period: str, expire_seconds: int
) -> migrations.RunPython:
    """The RunPython that schedules ``task`` every ``every`` ``period`` (django-celery-beat's
    IntervalSchedule). A run that waited longer than ``expire_seconds`` is dropped."""

    def create(apps, schema_editor):
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
        interval, _created = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "interval": interval,
                "expire_seconds": expire_seconds,
                "description": description,
                "enabled": True,
            },
        )
        # Beat reloads its schedule when this changes.
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})

    def remove(apps, schema_editor):
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()

    return migrations.RunPython(create, remove)
