"""Team changes: the table, the PostgreSQL triggers that fill it, and the beat entry that
prunes it.

One statement-level trigger per table and operation, with transition tables
(REFERENCING NEW/OLD TABLE), writes one row per team the statement touched: a bulk
update of 10,000 tasks adds a handful of rows, not 10,000. On SQLite nothing is
installed (dashboards are then drawn on every request).
"""

import django.db.models.functions.datetime
from django.db import migrations, models
from django.utils import timezone

# table -> SQL giving the team ids of the rows in ``{rows}`` (a transition table).
_VIA_PATIENT = "SELECT p.care_team_id FROM {rows} r JOIN patients_patient p ON p.id = r.patient_id"
_VIA_CARE_PLAN = (
    "SELECT p.care_team_id FROM {rows} r"
    " JOIN careplans_careplan c ON c.id = r.care_plan_id"
    " JOIN patients_patient p ON p.id = c.patient_id"
)
TEAMS_OF = {
    "patients_patient": "SELECT r.care_team_id FROM {rows} r",
    "careplans_careplan": _VIA_PATIENT,
    "careplans_task": _VIA_PATIENT,
    "careplans_statuschange": _VIA_PATIENT,
    "referrals_referral": _VIA_PATIENT,
    "careplans_goal": _VIA_CARE_PLAN,
    "careplans_careplanreview": _VIA_CARE_PLAN,
    "careplans_goalprogress": (
        "SELECT p.care_team_id FROM {rows} r"
        " JOIN careplans_goal g ON g.id = r.goal_id"
        " JOIN careplans_careplan c ON c.id = g.care_plan_id"
        " JOIN patients_patient p ON p.id = c.patient_id"
    ),
    "referrals_referraltransition": (
        "SELECT p.care_team_id FROM {rows} r"
        " JOIN referrals_referral f ON f.id = r.referral_id"
        " JOIN patients_patient p ON p.id = f.patient_id"
    ),
    "accounts_teammembership": "SELECT r.team_id FROM {rows} r",
    # Every team sees the directory: one row with no team.
    "referrals_service": "SELECT NULL::integer FROM {rows} r LIMIT 1",
    "referrals_organization": "SELECT NULL::integer FROM {rows} r LIMIT 1",
}

# Staff shown on the dashboards: only a change of name or of being active counts (not the
# last_login written at every sign-in).
USER_FUNCTION = """
CREATE OR REPLACE FUNCTION dashboards_note_accounts_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO dashboards_teamchange (team_id)
  SELECT DISTINCT m.team_id
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  JOIN accounts_teammembership m ON m.user_id = n.id
  WHERE (n.first_name, n.last_name, n.username, n.is_active)
        IS DISTINCT FROM (o.first_name, o.last_name, o.username, o.is_active);
  RETURN NULL;
END $$;
CREATE TRIGGER dashboards_accounts_user_upd AFTER UPDATE ON accounts_user
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION dashboards_note_accounts_user();
"""


GLOBAL = {"referrals_service", "referrals_organization"}


# Filled in by _function with the constant table names and SQL above only.
FUNCTION = """
CREATE OR REPLACE FUNCTION dashboards_note_{table}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO dashboards_teamchange (team_id) SELECT DISTINCT t FROM ({new}) x(t){where};
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO dashboards_teamchange (team_id)
    SELECT DISTINCT t FROM (({new}) UNION ({old})) x(t){where};
  ELSE
    INSERT INTO dashboards_teamchange (team_id) SELECT DISTINCT t FROM ({old}) x(t){where};
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER dashboards_{table}_ins AFTER INSERT ON {table}
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION dashboards_note_{table}();
CREATE TRIGGER dashboards_{table}_upd AFTER UPDATE ON {table}
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION dashboards_note_{table}();
CREATE TRIGGER dashboards_{table}_del AFTER DELETE ON {table}
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
EXECUTE FUNCTION dashboards_note_{table}();
"""


def _function(table: str, teams: str) -> str:
    # A row without a team (none set yet) changes no team; only the directory is global.
    values = {
        "table": table,
        "new": teams.format(rows="new_rows"),
        "old": teams.format(rows="old_rows"),
        "where": "" if table in GLOBAL else " WHERE t IS NOT NULL",
    }
    sql = FUNCTION
    for name, value in values.items():
        sql = sql.replace("{" + name + "}", value)
    return sql


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, teams in TEAMS_OF.items():
        schema_editor.execute(_function(table, teams))
    schema_editor.execute(USER_FUNCTION)


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in [*TEAMS_OF, "accounts_user"]:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS dashboards_note_{table}() CASCADE")


PRUNE = {
    "name": "dashboards: prune team changes",
    "task": "dashboards.prune_changes",
    "description": "Deletes old team-change rows, keeping each team's newest.",
}


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    interval, _created = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=PRUNE["name"],
        defaults={
            "task": PRUNE["task"],
            "interval": interval,
            "expire_seconds": 300,
            "description": PRUNE["description"],
            "enabled": True,
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=PRUNE["name"]).delete()


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0003_usersession"),
        ("patients", "0005_dashboard_indexes"),
        ("careplans", "0003_dashboard_indexes"),
        ("referrals", "0003_referral_goal_link"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="TeamChange",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("team_id", models.IntegerField(blank=True, null=True, verbose_name="team")),
                (
                    "changed_at",
                    models.DateTimeField(
                        db_default=django.db.models.functions.datetime.Now(),
                        verbose_name="changed",
                    ),
                ),
            ],
            options={
                "verbose_name": "team change",
                "verbose_name_plural": "team changes",
                "indexes": [models.Index(fields=["team_id", "id"], name="teamchange_team_idx")],
            },
        ),
        migrations.RunPython(install_triggers, remove_triggers),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
