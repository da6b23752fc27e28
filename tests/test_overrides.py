"""One test per override of framework internals (carehub/overrides/__init__.py lists them
with their upgrade checklist). Each fails when the framework changes under the override or
when the override stops doing its job."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import CareTeam


@pytest.mark.django_db
def test_sqlite_writes_a_bulk_insert_in_one_statement():
    teams = [CareTeam(name=f"Team {n}") for n in range(1200)]
    with CaptureQueriesContext(connection) as captured:
        CareTeam.objects.bulk_create(teams, batch_size=2000)
    inserts = [q for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    # 999 parameters (Django 5.2's assumption for SQLite) would be several statements.
    assert len(inserts) == 1
    if connection.vendor == "sqlite":
        assert connection.features.max_query_params > 999
