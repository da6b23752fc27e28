"""The inbox sweep every minute (what was received but not processed), and the roles'
permissions on notices (accounts.roles)."""

from django.db import migrations

from accounts.roles import sync_role_permissions
from carehub.beat_schedule import interval_task


class Migration(migrations.Migration):
    dependencies = [
        ("interfaces", "0001_initial"),
        ("accounts", "0002_create_role_groups"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        interval_task(
            name="interfaces: process waiting inbound messages",
            task="interfaces.sweep",
            description="HL7 v2 and FHIR notices received but not processed (broker or worker down).",
            every=1,
            period="minutes",
            expire_seconds=55,
        ),
        migrations.RunPython(sync_role_permissions, migrations.RunPython.noop),
    ]
