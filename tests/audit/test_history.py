"""The field history: written by PostgreSQL triggers, so every path that writes is
recorded (save, QuerySet.update, bulk writes, raw SQL), with old and new values, PHI
masked (audit/phi.py), and who did it; the tables are append-only."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse
from django.utils import timezone

from audit import phi
from audit.history import history_models
from audit.history_context import command_context, task_finished, task_started
from careplans import transitions
from careplans.models import GoalHistory, Task, TaskHistory, TaskStatus
from patients.models import Patient, PatientHistory, RelatedPerson, RelatedPersonHistory
from tests.careplans.factories import CarePlanFactory, GoalFactory, TaskFactory
from tests.factories import PatientFactory, RelatedPersonFactory
from tests.referrals.factories import ReferralFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
MARKER = "ZQXPHIMARKER"


def changes(model, obj) -> list[tuple[str, dict]]:
    return [(row.pgh_label, row.pgh_diff) for row in model.objects.filter(pgh_obj_id=obj.pk)]


def test_creating_a_patient_records_its_values_with_phi_masked(patient):
    (created,) = PatientHistory.objects.filter(pgh_obj_id=patient.pk)
    assert created.pgh_label == "insert"
    assert created.pgh_patient_id == patient.pk
    assert created.pgh_diff["status"] == [None, "active"]
    assert created.pgh_diff["care_team"] == [None, patient.care_team_id]
    for masked in ("mrn", "given_name", "family_name", "date_of_birth", "phone", "email"):
        assert created.pgh_diff[masked] == [None, phi.MASK]
    # An empty field is no value: not listed, masked or not.
    assert "address_line" not in created.pgh_diff and "case_manager" in created.pgh_diff


def test_a_queryset_update_is_recorded_with_old_and_new_values(patient):
    Patient.objects.filter(pk=patient.pk).update(risk_level="high", given_name="Other")
    label, diff = changes(PatientHistory, patient)[0]  # newest first
    assert label == "update"
    assert diff == {"risk_level": ["low", "high"], "given_name": [phi.MASK, phi.MASK]}


def test_a_raw_sql_update_is_recorded_and_names_the_database_user(patient):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE patients_patient SET status = 'inactive', city = 'Elsewhere' WHERE id = %s",
            [patient.pk],
        )
    row = PatientHistory.objects.filter(pgh_obj_id=patient.pk, pgh_label="update").get()
    assert row.pgh_diff == {"status": ["active", "inactive"], "city": [phi.MASK, phi.MASK]}
    assert row.pgh_context == {"db_user": connection.settings_dict["USER"]}


def test_changing_a_records_id_with_raw_sql_is_recorded_too(patient):
    new_id = patient.pk + 1000
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE patients_patient SET id = %s, risk_level = 'high' WHERE id = %s",
            [new_id, patient.pk],
        )
    moved = PatientHistory.objects.filter(pgh_label="update")
    assert {row.pgh_obj_id: row.pgh_diff["risk_level"] for row in moved} == {
        patient.pk: ["low", None],
        new_id: [None, "high"],
    }


def test_bulk_writes_are_recorded(patient, coordinator):
    tasks = TaskFactory.create_batch(3, patient=patient, assignee=coordinator)
    due = timezone.now() + datetime.timedelta(days=3)
    for task in tasks:
        task.due_at = due
    Task.objects.bulk_update(tasks, ["due_at"])
    Task.objects.bulk_create(
        [
            Task(
                patient=patient,
                description="More",
                assignee=coordinator,
                created_by=coordinator,
                due_at=due,
            )
        ]
    )
    updates = TaskHistory.objects.filter(pgh_patient_id=patient.pk, pgh_label="update")
    assert updates.count() == 3
    assert all(list(row.pgh_diff) == ["due_at"] for row in updates)
    assert TaskHistory.objects.filter(pgh_patient_id=patient.pk, pgh_label="insert").count() == 4


def test_a_save_that_changes_nothing_but_bookkeeping_is_not_recorded(patient):
    before = PatientHistory.objects.count()
    Patient.objects.filter(pk=patient.pk).update(version=patient.version + 1)
    patient.save()  # updated_at only
    assert PatientHistory.objects.count() == before


def test_a_transition_through_the_page_is_recorded_with_who_and_where(
    coordinator_client, coordinator, patient
):
    task = TaskFactory(patient=patient, assignee=coordinator)
    response = coordinator_client.post(
        reverse("careplans:task_transition", args=[task.pk, TaskStatus.ACCEPTED]),
        {"version": task.version, "reason": ""},
        REMOTE_ADDR="10.9.8.7",
    )
    assert response.status_code == 302
    row = TaskHistory.objects.filter(pgh_obj_id=task.pk, pgh_label="update").get()
    assert row.pgh_diff["status"] == ["requested", "accepted"]
    assert row.pgh_patient_id == patient.pk
    path = reverse("careplans:task_transition", args=[task.pk, TaskStatus.ACCEPTED])
    assert row.pgh_context == {
        "user": coordinator.pk,
        "ip": "10.9.8.7",
        "method": "POST",
        "route": "careplans:task_transition",
        "path": path,
    }
    assert row.pgh_context_id is not None


def test_a_transition_service_call_is_recorded(coordinator, patient):
    plan = CarePlanFactory(patient=patient, author=coordinator)
    goal = GoalFactory(care_plan=plan, owner=coordinator)
    transitions.goal_transition(goal=goal, by=coordinator, target="accepted", reason="")
    (row,) = GoalHistory.objects.filter(pgh_obj_id=goal.pk, pgh_label="update")
    # A goal's patient is found through its care plan.
    assert (row.pgh_patient_id, row.pgh_diff) == (patient.pk, {"status": ["proposed", "accepted"]})


def test_task_and_command_names_are_recorded(patient):
    class FakeTask:
        name = "reminders.send"

    task_started(task_id="t-1", task=FakeTask())
    try:
        Patient.objects.filter(pk=patient.pk).update(risk_level="medium")
    finally:
        task_finished(task_id="t-1")
    with command_context(["manage.py", "shell"]):
        Patient.objects.filter(pk=patient.pk).update(risk_level="high")
    contexts = [row.pgh_context for row in PatientHistory.objects.filter(pgh_label="update")]
    assert contexts == [{"command": "shell"}, {"task": "reminders.send"}]


def test_phi_never_reaches_the_history_tables(coordinator, patient):
    """A marker planted in every free-text field, created, changed and deleted, through
    the ORM and raw SQL, is found in no history table; neither is the birth date."""
    marked = PatientFactory(
        care_team=patient.care_team,
        mrn=f"{MARKER}-1",
        given_name=MARKER,
        family_name=MARKER,
        email=f"{MARKER.lower()}@example.org",
        address_line=f"1 {MARKER} St",
        city=MARKER,
        postal_code=MARKER[:10],
        insurance_member_id=MARKER,
        date_of_birth=datetime.date(1961, 7, 23),
    )
    person = RelatedPersonFactory(patient=marked, name=MARKER, notes=MARKER)
    plan = CarePlanFactory(patient=marked, author=coordinator, title=MARKER, description=MARKER)
    TaskFactory(patient=marked, care_plan=plan, assignee=coordinator, description=MARKER)
    ReferralFactory(patient=marked, referred_by=coordinator, reason=MARKER)
    Patient.objects.filter(pk=marked.pk).update(
        given_name=f"{MARKER}2", status_reason=MARKER, date_of_birth=datetime.date(1962, 8, 24)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE patients_patient SET family_name = %s WHERE id = %s", [f"{MARKER}3", marked.pk]
        )
    RelatedPerson.objects.filter(pk=person.pk).delete()
    assert RelatedPersonHistory.objects.filter(pgh_label="delete").get().pgh_diff["name"] == [
        phi.MASK,
        None,
    ]
    for model in history_models():
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {table} AS row WHERE row::text ILIKE %s "  # noqa: S608
                "OR row::text LIKE '%%1961-07-23%%' OR row::text LIKE '%%1962-08-24%%'",
                [f"%{MARKER}%"],
            )
            assert cursor.fetchone()[0] == 0, model._meta.db_table
    assert PatientHistory.objects.filter(pgh_obj_id=marked.pk).count() == 3


@pytest.mark.parametrize("model", history_models(), ids=lambda model: model._meta.label)
def test_history_tables_refuse_update_and_delete(model):
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (pgh_created_at, pgh_label, pgh_obj_id, pgh_diff) "  # noqa: S608
            "VALUES (now(), 'update', 1, '{}') RETURNING pgh_id"
        )
        pk = cursor.fetchone()[0]
    for statement in (
        f"UPDATE {table} SET pgh_label = 'delete' WHERE pgh_id = %s",  # noqa: S608
        f"DELETE FROM {table} WHERE pgh_id = %s",  # noqa: S608
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model.objects.filter(pk=pk).delete()
    assert model.objects.filter(pk=pk, pgh_label="update").exists()


def test_removing_a_contact_on_the_page_records_the_deleted_row_masked(
    coordinator_client, coordinator, patient
):
    person = RelatedPersonFactory(patient=patient, name=MARKER)
    coordinator_client.post(reverse("patients:related_person_remove", args=[patient.pk, person.pk]))
    row = RelatedPersonHistory.objects.get(pgh_obj_id=person.pk, pgh_label="delete")
    assert row.pgh_diff["name"] == [phi.MASK, None]
    assert row.pgh_diff["relationship"] == [person.relationship, None]
    assert (row.pgh_patient_id, row.pgh_context["user"]) == (patient.pk, coordinator.pk)


def test_api_token_requests_record_the_tokens_user(client, coordinator, patient):
    from api.tokens import api_token_create

    task = TaskFactory(patient=patient, assignee=coordinator)
    _token, key = api_token_create(user=coordinator, by=coordinator, name="script", scope="write")
    response = client.post(
        reverse("api:task-transition", args=[task.pk]),
        {"to": "accepted", "version": task.version},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200, response.content
    row = TaskHistory.objects.get(pgh_obj_id=task.pk, pgh_label="update")
    assert row.pgh_context["user"] == coordinator.pk


def test_team_membership_changes_are_recorded(coordinator, team_b):
    from accounts.models import TeamMembership, TeamMembershipHistory

    membership = TeamMembership.objects.create(user=coordinator, team=team_b)
    membership.delete()
    assert [row.pgh_label for row in TeamMembershipHistory.objects.all()][:2] == [
        "delete",
        "insert",
    ]


def test_the_history_keeps_tasks_statuses_in_order(coordinator, patient):
    task = TaskFactory(patient=patient, assignee=coordinator, moved_to=TaskStatus.IN_PROGRESS)
    statuses = [
        diff["status"] for label, diff in reversed(changes(TaskHistory, task)) if "status" in diff
    ]
    assert statuses == [[None, "requested"], ["requested", "accepted"], ["accepted", "in-progress"]]


def test_demo_data_loads_are_not_recorded_and_later_changes_are(settings):
    """carehub.bulk loads generated rows without history (history_paused); the pause
    ends with the load, even inside the same transaction (a test is one)."""
    settings.DEBUG = True
    call_command("seed_demo", patients=30, verbosity=0)
    loaded = {model._meta.label: model.objects.count() for model in history_models()}
    # Staff and teams are made through the ORM: only their memberships are recorded.
    assert {label for label, count in loaded.items() if count} <= {"accounts.TeamMembershipHistory"}
    changing = Patient.objects.exclude(risk_level="high").count()
    Patient.objects.update(risk_level="high")
    assert changing and PatientHistory.objects.filter(pgh_label="update").count() == changing
