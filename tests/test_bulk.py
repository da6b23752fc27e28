"""carehub.bulk writes generated rows as they were given: binary COPY on PostgreSQL (each
value sent as its column's type), executemany elsewhere."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from carehub.bulk import BulkTable, analyzed_tables, bulk_load
from careplans.models import Goal
from reminders.demo import FIELDS
from reminders.models import Reminder, ReminderState
from tests.careplans.factories import CarePlanFactory

pytestmark = pytest.mark.django_db


def test_typed_values_and_nulls_arrive_as_given(patient, coordinator):
    sent = datetime.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=datetime.UTC)
    reminders = BulkTable(Reminder, FIELDS)
    first = reminders.add_row(
        ("task_due", "in_app", coordinator.pk, None, patient.pk, None, None, "k:1", sent,
         None, {"title": "Task #1", "nested": [1, "two", None]}, ReminderState.SENT, sent),
    )  # fmt: skip
    second = reminders.add_row(
        ("task_due", "email", None, patient.pk, patient.pk, None, 77, "k:2", sent,
         sent + datetime.timedelta(days=1), {}, ReminderState.SCHEDULED, None),
    )  # fmt: skip
    plan = CarePlanFactory(patient=patient, author=coordinator)
    goals = BulkTable(Goal)
    goal_id = goals.add_dict(
        {
            "care_plan_id": plan.pk,
            "description": "Walk 30 minutes, five days a week",
            "target_measure": "Minutes walked",
            "target_value": Decimal("150.25"),
            "target_unit": "min",
            "target_date": datetime.date(2027, 1, 31),
            "owner_id": coordinator.pk,
        }
    )
    reminders.finish()
    goals.finish()

    one, two = Reminder.objects.filter(pk__in=[first, second]).order_by("pk")
    assert (one.recipient_user_id, one.recipient_patient_id, one.object_id) == (
        coordinator.pk, None, None,
    )  # fmt: skip
    assert one.send_at == sent and one.sent_at == sent and one.due_at is None
    assert one.context == {"title": "Task #1", "nested": [1, "two", None]}
    assert (two.recipient_patient_id, two.object_id, two.context) == (patient.pk, 77, {})
    assert two.due_at == sent + datetime.timedelta(days=1) and two.sent_at is None
    goal = Goal.objects.get(pk=goal_id)
    assert goal.target_value == Decimal("150.25")
    assert goal.target_date == datetime.date(2027, 1, 31)
    # Fields left out take the model's defaults.
    assert goal.status == Goal._meta.get_field("status").default
    # The id sequence moved past the ids taken here: the next ORM insert does not collide.
    assert CarePlanFactory(patient=patient, author=coordinator).pk > plan.pk
    assert (
        Reminder.objects.create(
            kind="task_due",
            channel="in_app",
            recipient_user=coordinator,
            patient=patient,
            key="k:3",
            send_at=sent,
        ).pk
        > second
    )


@pytest.mark.postgres
def test_bulk_load_restores_indexes_and_foreign_keys(patient, coordinator):
    def definitions():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid = 'reminders_reminder'::regclass ORDER BY 1"
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'reminders_reminder'::regclass ORDER BY 1"
            )
            return indexes, cursor.fetchall()

    before = definitions()
    with bulk_load([Reminder]):
        reminders = BulkTable(Reminder, FIELDS)
        reminders.add_row(
            ("task_due", "in_app", coordinator.pk, None, patient.pk, None, None, "k:1",
             datetime.datetime.now(datetime.UTC), None, {}, ReminderState.SCHEDULED, None),
        )  # fmt: skip
        reminders.finish()
    assert definitions() == before
    # Inside a test's transaction nothing is analysed (it may roll back).
    assert "reminders_reminder" not in analyzed_tables
