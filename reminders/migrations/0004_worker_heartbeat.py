"""Workers' heartbeats, and the beat entry that sends the heartbeat task every 30 s."""

from django.db import migrations, models

from carehub.beat_schedule import interval_task


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
        # A heartbeat that waited through an outage proves nothing: dropped.
        interval_task(
            name="reminders: worker heartbeat",
            task="reminders.heartbeat",
            description="Each worker that runs it records the time; /healthz reads the newest.",
            every=30,
            period="seconds",
            expire_seconds=25,
        ),
    ]
