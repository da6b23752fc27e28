"""The beat entry that enforces the retention of reminders and notifications
(reminders.retention.records_prune)."""

from django.db import migrations

from carehub.beat_schedule import interval_task


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0004_worker_heartbeat"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        interval_task(
            name="reminders: prune old reminders and notifications",
            task="reminders.prune",
            description="Deletes finished reminders and notifications past their retention (README).",
            every=1,
            period="hours",
            expire_seconds=600,
        )
    ]
