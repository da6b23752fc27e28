"""Who may screen is a role permission an admin sets (accounts.roles.ADMIN_SET_PERMISSIONS):
coordinators now screen by default, as case managers do. Runs once; afterwards the groups
keep whatever an admin chooses."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant_defaults(apps, schema_editor):
    from accounts.roles import grant_admin_set_defaults

    config = apps.get_app_config("assessments")
    # A historical app config has no models module, and create_permissions skips those:
    # lend it one for the call, as accounts.roles.sync_role_permissions does.
    borrowed = getattr(config, "models_module", None) is None
    if borrowed:
        config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    if borrowed:
        config.models_module = None
    grant_admin_set_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_create_role_groups"),
        ("assessments", "0004_field_history"),
    ]

    operations = [migrations.RunPython(grant_defaults, migrations.RunPython.noop)]
