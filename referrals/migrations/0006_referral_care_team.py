"""A referral carries its patient's care team, copied and kept by the database.

A team's newest referrals (the referral lists and the API, newest first) were found by
walking every team's referrals newest first and checking each one's patient: about 50
referrals read for each one shown with 50 teams (12 ms at 100,000 patients). With the
team on the referral, the page is the first rows of referral_team_newest_idx.

The copy is written by triggers, so no code path can forget it: a new referral takes its
patient's team; a change of a referral's patient, or of the copy itself, takes it again;
a patient moved to another team moves their referrals with them (``save()``,
``QuerySet.update()``, COPY and raw SQL alike), and a copy written by hand is taken
again from the patient. So referrals_visible_to reads "referrals of my teams' patients"
from the referral itself.

PostgreSQL: a row trigger before insert or update sets the copy; a row trigger after a
patient's team changes updates their referrals. SQLite cannot change the row being
written, so its triggers update it after the write.
"""

import django.db.models.deletion
from django.db import migrations, models

POSTGRESQL = [
    """
CREATE OR REPLACE FUNCTION referrals_referral_take_team() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  SELECT p.care_team_id INTO NEW.care_team_id FROM patients_patient p WHERE p.id = NEW.patient_id;
  RETURN NEW;
END $$;
""",
    """
CREATE TRIGGER referral_take_team BEFORE INSERT OR UPDATE OF patient_id, care_team_id
ON referrals_referral FOR EACH ROW EXECUTE FUNCTION referrals_referral_take_team();
""",
    """
CREATE OR REPLACE FUNCTION referrals_patient_moves_referrals() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE referrals_referral SET care_team_id = NEW.care_team_id
  WHERE patient_id = NEW.id AND care_team_id IS DISTINCT FROM NEW.care_team_id;
  RETURN NULL;
END $$;
""",
    """
CREATE TRIGGER referral_patient_moves AFTER UPDATE OF care_team_id ON patients_patient
FOR EACH ROW WHEN (OLD.care_team_id IS DISTINCT FROM NEW.care_team_id)
EXECUTE FUNCTION referrals_patient_moves_referrals();
""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS referral_patient_moves ON patients_patient",
    "DROP FUNCTION IF EXISTS referrals_patient_moves_referrals()",
    "DROP TRIGGER IF EXISTS referral_take_team ON referrals_referral",
    "DROP FUNCTION IF EXISTS referrals_referral_take_team()",
]

SQLITE = [
    """
CREATE TRIGGER referral_take_team_insert AFTER INSERT ON referrals_referral
BEGIN
  UPDATE referrals_referral
  SET care_team_id = (SELECT p.care_team_id FROM patients_patient p WHERE p.id = NEW.patient_id)
  WHERE id = NEW.id;
END
""",
    """
CREATE TRIGGER referral_take_team_update AFTER UPDATE OF patient_id, care_team_id
ON referrals_referral
BEGIN
  UPDATE referrals_referral
  SET care_team_id = (SELECT p.care_team_id FROM patients_patient p WHERE p.id = NEW.patient_id)
  WHERE id = NEW.id AND care_team_id IS NOT (
    SELECT p.care_team_id FROM patients_patient p WHERE p.id = NEW.patient_id
  );
END
""",
    """
CREATE TRIGGER referral_patient_moves AFTER UPDATE OF care_team_id ON patients_patient
WHEN OLD.care_team_id IS NOT NEW.care_team_id
BEGIN
  UPDATE referrals_referral SET care_team_id = NEW.care_team_id WHERE patient_id = NEW.id;
END
""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS referral_patient_moves",
    "DROP TRIGGER IF EXISTS referral_take_team_update",
    "DROP TRIGGER IF EXISTS referral_take_team_insert",
]

BACKFILL = """
UPDATE referrals_referral SET care_team_id = (
  SELECT p.care_team_id FROM patients_patient p WHERE p.id = referrals_referral.patient_id
)
"""


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"CareHub runs on PostgreSQL or SQLite, not {vendor}")
    schema_editor.execute(BACKFILL, params=None)
    for statement in statements:
        schema_editor.execute(statement, params=None)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}.get(vendor, []):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_field_history"),
        ("patients", "0006_field_history"),
        ("referrals", "0005_newest_first_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="care_team",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.careteam",
                verbose_name="care team",
            ),
        ),
        migrations.RunPython(install, remove),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["care_team", "-created_at", "-id"], name="referral_team_newest_idx"
            ),
        ),
    ]
