"""The beat entry that prunes sessions: expired ones (Django's clearsessions) and the
signed-in rows of sessions that ended (accounts.services.sessions_prune)."""

from django.db import migrations

from carehub.beat_schedule import interval_task


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_field_history"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        interval_task(
            name="accounts: prune sessions",
            task="accounts.prune_sessions",
            description="Deletes expired sessions and the signed-in rows of ended ones.",
            every=15,
            period="minutes",
            expire_seconds=600,
        )
    ]
