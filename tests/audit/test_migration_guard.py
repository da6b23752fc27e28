"""A step back that would drop the field history is refused unless the operator forces it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.migration_guard import history_tables_dropped, refuse_history_drop
from careplans.models import CarePlanHistory

pytestmark = pytest.mark.django_db

BEFORE_HISTORY = ("careplans", "0003_dashboard_indexes")


def plan_to(target):
    return MigrationExecutor(connection).migration_plan([target])


def test_stepping_back_past_the_history_migration_is_refused_and_changes_nothing():
    with pytest.raises(CommandError, match="careplans.CarePlanHistory"):
        call_command("migrate", *BEFORE_HISTORY, verbosity=0)
    assert CarePlanHistory._meta.db_table in connection.introspection.table_names()
    assert MigrationExecutor(connection).migration_plan([BEFORE_HISTORY])  # still applied


def test_the_plan_names_every_history_table_it_would_drop():
    dropped = history_tables_dropped(plan_to(BEFORE_HISTORY))
    assert {"careplans.CarePlanHistory", "careplans.GoalHistory"} <= set(dropped)
    assert all(name.startswith("careplans.") for name in dropped)


def test_a_forward_plan_and_a_step_back_that_keeps_history_pass(settings):
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes("careplans")[0]
    assert history_tables_dropped(plan_to(leaf)) == []
    refuse_history_drop(sender=None, plan=plan_to(leaf))


def test_the_operator_can_force_it(settings):
    settings.ALLOW_HISTORY_DROP = True
    refuse_history_drop(sender=None, plan=plan_to(BEFORE_HISTORY))  # does not raise


@pytest.mark.postgres
def test_the_audit_trail_has_no_index_that_another_begins_with():
    from audit.models import AuditEvent

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, AuditEvent._meta.db_table)
    indexes = [tuple(c["columns"]) for c in constraints.values() if c["index"]]
    redundant = [
        one for one in indexes for other in indexes if one != other and other[: len(one)] == one
    ]
    assert redundant == []
