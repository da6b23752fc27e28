"""Every allowed and every refused move of the three machines (DOMAIN.md), one row each.

Each row starts from a record put in the ``current`` state through the transitions
themselves, asks for ``target`` and checks the outcome: allowed moves change the status and
write one StatusChange (who, from, to, why); refused ones raise InvalidTransition naming the
current state and the allowed moves, and change nothing.
"""

from __future__ import annotations

import pytest

from careplans import transitions
from careplans.models import CarePlanStatus, GoalStatus, StatusChange, TaskStatus
from tests.careplans.factories import CarePlanFactory, GoalFactory, TaskFactory

# The expected moves, written out again from DOMAIN.md rather than read from the machines,
# so a wrong entry in careplans/transitions.py fails here.
CARE_PLAN_ALLOWED = {
    ("draft", "active"), ("draft", "revoked"), ("draft", "entered-in-error"),
    ("active", "on-hold"), ("active", "completed"), ("active", "revoked"),
    ("on-hold", "active"), ("on-hold", "revoked"),
}  # fmt: skip
GOAL_ALLOWED = {
    ("proposed", "accepted"), ("proposed", "rejected"), ("proposed", "cancelled"),
    ("accepted", "active"), ("accepted", "cancelled"),
    ("active", "on-hold"), ("active", "completed"), ("active", "cancelled"),
    ("on-hold", "active"), ("on-hold", "cancelled"),
}  # fmt: skip
TASK_ALLOWED = {
    ("requested", "accepted"), ("requested", "rejected"), ("requested", "cancelled"),
    ("accepted", "in-progress"), ("accepted", "cancelled"),
    ("in-progress", "on-hold"), ("in-progress", "completed"), ("in-progress", "failed"),
    ("in-progress", "cancelled"),
    ("on-hold", "in-progress"), ("on-hold", "cancelled"),
}  # fmt: skip


def _table(states, allowed):
    return [
        pytest.param(current, target, (current, target) in allowed, id=f"{current}->{target}")
        for current in states
        for target in states
    ]


def _check(record, *, kind, current, target, is_allowed, perform, labels, allowed_from):
    before = StatusChange.objects.filter(**{kind: record}).count()
    version = record.version
    if is_allowed:
        moved = perform(target=target, reason="Agreed with the patient")
        assert moved.status == target
        assert moved.version > version
        change = StatusChange.objects.filter(**{kind: record}).first()
        assert (change.from_status, change.to_status) == (current, target)
        assert change.reason == "Agreed with the patient"
        assert change.actor.username == "mover"
        assert StatusChange.objects.filter(**{kind: record}).count() == before + 1
        return
    with pytest.raises(transitions.InvalidTransition) as refused:
        perform(target=target, reason="Agreed with the patient")
    message = str(refused.value)
    assert f"“{labels[current]}”" in message
    for state in allowed_from:
        assert f"“{labels[state]}”" in message
    if not allowed_from:
        assert "none (final state)" in message
    record.refresh_from_db()
    assert record.status == current
    assert record.version == version
    assert StatusChange.objects.filter(**{kind: record}).count() == before


@pytest.fixture
def mover(db):
    from tests.factories import UserFactory

    return UserFactory(username="mover", is_superuser=True)


@pytest.mark.parametrize(
    ("current", "target", "is_allowed"), _table(CarePlanStatus.values, CARE_PLAN_ALLOWED)
)
def test_care_plan_moves(mover, current, target, is_allowed):
    if current == CarePlanStatus.ENTERED_IN_ERROR:
        plan = CarePlanFactory()
        transitions.careplan_transition(
            care_plan=plan, by=mover, target=current, reason="Wrong patient"
        )
        plan.refresh_from_db()
    else:
        plan = CarePlanFactory(moved_to=current)
    _check(
        plan,
        kind="care_plan",
        current=current,
        target=target,
        is_allowed=is_allowed,
        perform=lambda **kw: transitions.careplan_transition(care_plan=plan, by=mover, **kw),
        labels=dict(CarePlanStatus.choices),
        allowed_from=sorted(t for c, t in CARE_PLAN_ALLOWED if c == current),
    )


@pytest.mark.parametrize(
    ("current", "target", "is_allowed"), _table(GoalStatus.values, GOAL_ALLOWED)
)
def test_goal_moves(mover, current, target, is_allowed):
    goal = GoalFactory(moved_to=current)
    _check(
        goal,
        kind="goal",
        current=current,
        target=target,
        is_allowed=is_allowed,
        perform=lambda **kw: transitions.goal_transition(goal=goal, by=mover, **kw),
        labels=dict(GoalStatus.choices),
        allowed_from=sorted(t for c, t in GOAL_ALLOWED if c == current),
    )


@pytest.mark.parametrize(
    ("current", "target", "is_allowed"), _table(TaskStatus.values, TASK_ALLOWED)
)
def test_task_moves(mover, current, target, is_allowed):
    task = TaskFactory(moved_to=current)
    _check(
        task,
        kind="task",
        current=current,
        target=target,
        is_allowed=is_allowed,
        perform=lambda **kw: transitions.task_transition(task=task, by=mover, **kw),
        labels=dict(TaskStatus.choices),
        allowed_from=sorted(t for c, t in TASK_ALLOWED if c == current),
    )


def test_the_machines_match_the_tables():
    """Belt and braces: the machines hold exactly the moves above, no more."""
    for state_machine, allowed in [
        (transitions.CARE_PLAN, CARE_PLAN_ALLOWED),
        (transitions.GOAL, GOAL_ALLOWED),
        (transitions.TASK, TASK_ALLOWED),
    ]:
        moves = {(c, t) for c, targets in state_machine.moves.items() for t in targets}
        assert moves == allowed, state_machine.name


REASON_REQUIRED = [
    ("care_plan", CarePlanStatus.DRAFT, CarePlanStatus.REVOKED),
    ("care_plan", CarePlanStatus.ACTIVE, CarePlanStatus.REVOKED),
    ("care_plan", CarePlanStatus.DRAFT, CarePlanStatus.ENTERED_IN_ERROR),
    ("goal", GoalStatus.PROPOSED, GoalStatus.REJECTED),
    ("goal", GoalStatus.ACTIVE, GoalStatus.CANCELLED),
    ("task", TaskStatus.REQUESTED, TaskStatus.REJECTED),
    ("task", TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED),
]


@pytest.mark.parametrize(("kind", "current", "target"), REASON_REQUIRED)
@pytest.mark.parametrize("reason", ["", "   "])
def test_revoke_cancel_reject_and_entered_in_error_need_a_reason(
    mover, kind, current, target, reason
):
    from django.core.exceptions import ValidationError

    factory, perform = {
        "care_plan": (CarePlanFactory, transitions.careplan_transition),
        "goal": (GoalFactory, transitions.goal_transition),
        "task": (TaskFactory, transitions.task_transition),
    }[kind]
    record = factory(moved_to=current)
    before = StatusChange.objects.count()
    with pytest.raises(ValidationError) as refused:
        perform(**{kind: record}, by=mover, target=target, reason=reason)
    assert "reason" in refused.value.message_dict
    record.refresh_from_db()
    assert record.status == current
    assert StatusChange.objects.count() == before
