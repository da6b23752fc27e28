"""careplans.demo: seed_demo's care plans keep every rule the pages keep."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Count

from careplans import transitions
from careplans.models import CarePlan, Goal, StatusChange, Task

pytestmark = pytest.mark.django_db


def _walks(record: str, field: str, state_machine) -> None:
    """Every record's history starts with its creation and follows allowed moves only,
    and ends in the record's current status."""
    model = {"care_plan": CarePlan, "goal": Goal, "task": Task}[record]
    current = dict(model.objects.values_list("pk", "status"))
    histories: dict[int, list[tuple[str, str]]] = {}
    for owner, from_status, to_status in (
        StatusChange.objects.filter(record=record)
        .order_by("occurred_at", "pk")
        .values_list(field, "from_status", "to_status")
    ):
        histories.setdefault(owner, []).append((from_status, to_status))
    assert set(histories) == set(current)
    for owner, moves in histories.items():
        assert moves[0][0] == ""
        for from_status, to_status in moves[1:]:
            assert to_status in state_machine.allowed_from(from_status), (record, owner, moves)
        assert moves[-1][1] == current[owner]


def test_seed_demo_adds_realistic_care_plans(settings):
    settings.DEBUG = True
    call_command("seed_demo", patients=300, verbosity=0)
    plans = CarePlan.objects.count()
    active = CarePlan.objects.active().count()
    assert plans > 150 and 120 < active < 300
    per_patient = CarePlan.objects.active().values("patient").annotate(n=Count("pk"))
    assert max(row["n"] for row in per_patient) == 1
    goals = (
        Goal.objects.filter(care_plan__status="active").values("care_plan").annotate(n=Count("pk"))
    )
    assert min(row["n"] for row in goals) >= 2 and max(row["n"] for row in goals) <= 4
    assert Task.objects.overdue().exists() and Task.objects.open().exists()
    assert Task.objects.filter(care_plan__isnull=True).exists()
    _walks("care_plan", "care_plan_id", transitions.CARE_PLAN)
    _walks("goal", "goal_id", transitions.GOAL)
    _walks("task", "task_id", transitions.TASK)
    # New records after the seed get fresh ids (the sequences moved on).
    last = CarePlan.objects.order_by("-pk").first()
    plan = CarePlan.objects.create(patient=last.patient, author=last.author, title="After")
    assert plan.pk > last.pk
