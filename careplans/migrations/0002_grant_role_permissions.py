from django.db import migrations

from accounts.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("careplans", "0001_care_plans_goals_progress_tasks_and_status_changes"),
        ("accounts", "0002_create_role_groups"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
