"""The beat entry that enforces the retention of reminders and notifications
(reminders.retention.records_prune)."""

from django.db import migrations
from django.utils import timezone

PRUNE = {
    "name": "reminders: prune old reminders and notifications",
    "task": "reminders.prune",
    "description": "Deletes finished reminders and notifications past their retention (README).",
}


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    interval, _created = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name=PRUNE["name"],
        defaults={
            "task": PRUNE["task"],
            "interval": interval,
            "expire_seconds": 600,
            "description": PRUNE["description"],
            "enabled": True,
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=PRUNE["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0004_worker_heartbeat"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
