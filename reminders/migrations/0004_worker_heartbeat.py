"""Workers' heartbeats, and the beat entry that sends the heartbeat task every 30 s."""

from django.db import migrations, models
from django.utils import timezone

HEARTBEAT = {
    "name": "reminders: worker heartbeat",
    "task": "reminders.heartbeat",
    "description": "Each worker that runs it records the time; /healthz reads the newest.",
}


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    interval, _created = IntervalSchedule.objects.get_or_create(every=30, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=HEARTBEAT["name"],
        defaults={
            "task": HEARTBEAT["task"],
            "interval": interval,
            # A heartbeat that waited through an outage proves nothing: dropped.
            "expire_seconds": 25,
            "description": HEARTBEAT["description"],
            "enabled": True,
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=HEARTBEAT["name"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0003_casework_reminder_kinds"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="WorkerHeartbeat",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("hostname", models.CharField(max_length=255, unique=True, verbose_name="worker")),
                ("seen_at", models.DateTimeField(verbose_name="seen at")),
            ],
            options={
                "verbose_name": "worker heartbeat",
                "verbose_name_plural": "worker heartbeats",
            },
        ),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
