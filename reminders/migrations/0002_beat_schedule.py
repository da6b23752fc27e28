"""The reminders' beat schedule, in the database so admins see and change it
(django-celery-beat, Periodic tasks). Interval schedules, not crontab: beat runs in UTC
and crontab has known DST bugs (RELIABILITY.md). This is the whole reminders schedule."""

from django.db import migrations
from django.utils import timezone

SCHEDULE = [
    # Every minute: return expired claims, claim due reminders, one send task per batch.
    # expire_seconds: a dispatch message that waited through an outage is dropped, not run
    # late on top of the next one.
    {
        "name": "reminders: dispatch due reminders",
        "task": "reminders.dispatch",
        "every": 1,
        "period": "minutes",
        "expire_seconds": 55,
        "description": "Claims due reminders and hands them to workers in batches.",
    },
    # Every 15 minutes: today's and tomorrow's daily digest per coordinator and case manager.
    {
        "name": "reminders: schedule daily digests",
        "task": "reminders.schedule_digests",
        "every": 15,
        "period": "minutes",
        "expire_seconds": 600,
        "description": "Creates one digest reminder per user per local day (idempotent).",
    },
]


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for entry in SCHEDULE:
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=entry["every"], period=entry["period"]
        )
        PeriodicTask.objects.get_or_create(
            name=entry["name"],
            defaults={
                "task": entry["task"],
                "interval": interval,
                "expire_seconds": entry["expire_seconds"],
                "description": entry["description"],
                "enabled": True,
            },
        )
    # Tell a running beat that the schedule changed (the model's signals do not fire here).
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[entry["name"] for entry in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0001_outbox_notifications_preferences"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
