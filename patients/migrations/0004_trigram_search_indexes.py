"""Name and MRN search without sequential scans on PostgreSQL.

PatientQuerySet.search filters with icontains/iexact, which Django writes as
UPPER(col::text) LIKE UPPER(...) and UPPER(col::text) = UPPER(...); these indexes are on
exactly those expressions. pg_trgm is a trusted extension: the database owner may create
it. SQLite, the embedded default, gets none of this."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS patient_given_name_trgm ON patients_patient USING gin ((UPPER(given_name::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS patient_family_name_trgm ON patients_patient USING gin ((UPPER(family_name::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS patient_mrn_upper ON patients_patient ((UPPER(mrn::text)))",
]
DROP = [
    "DROP INDEX IF EXISTS patient_given_name_trgm",
    "DROP INDEX IF EXISTS patient_family_name_trgm",
    "DROP INDEX IF EXISTS patient_mrn_upper",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_list_order_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
