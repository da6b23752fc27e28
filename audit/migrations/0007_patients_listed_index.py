"""On PostgreSQL, "who saw this patient" finds the lists that showed them through a GIN
index of ``patient_ids`` (jsonb_path_ops serves ``@>``). Built CONCURRENTLY: the audit
table takes every request's row, and a plain CREATE INDEX would hold them all back."""

from django.db import migrations

CREATE = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_patient_ids_idx"
    " ON audit_auditevent USING gin (patient_ids jsonb_path_ops);"
)
DROP = "DROP INDEX CONCURRENTLY IF EXISTS audit_patient_ids_idx;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("audit", "0006_patients_listed")]

    operations = [migrations.RunPython(forwards, backwards)]
