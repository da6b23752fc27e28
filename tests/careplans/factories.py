"""Care plan, goal and task factories. States are reached through careplans.transitions
(``CarePlanFactory(active=True)``, ``TaskFactory(moved_to="on-hold")``): each move along
the shortest allowed path is checked and recorded, exactly as on the pages."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from careplans import transitions
from careplans.models import (
    AchievementStatus,
    CarePlan,
    CarePlanStatus,
    Goal,
    GoalProgress,
    GoalStatus,
    NeedCategory,
    Task,
    TaskStatus,
)
from tests.factories import PatientFactory, UserFactory

REASON = "Set up by the test"


def factory_actor():
    """Moves made by factories are made by a superuser, who may do anything anywhere."""
    return UserFactory(username="factory-admin", is_superuser=True, is_staff=True)


def move_to(instance, target: str | None):
    """Walk ``instance`` to ``target`` through the transition functions."""
    if not target or instance.status == target:
        return instance
    if isinstance(instance, CarePlan):
        state_machine, perform = transitions.CARE_PLAN, transitions.careplan_transition
        keyword = "care_plan"
    elif isinstance(instance, Goal):
        state_machine, perform = transitions.GOAL, transitions.goal_transition
        keyword = "goal"
    else:
        state_machine, perform = transitions.TASK, transitions.task_transition
        keyword = "task"
    steps = transitions.path_to(state_machine, current=instance.status, target=target)
    assert steps, f"{target} cannot be reached from {instance.status}"
    by = factory_actor()
    for step in steps:
        extra = {"open_work": transitions.OpenWork.KEEP} if keyword == "care_plan" else {}
        perform(**{keyword: instance}, by=by, target=step, reason=REASON, **extra)
    instance.refresh_from_db()
    return instance


class _Recorded(factory.django.DjangoModelFactory):
    """Writes the creation row every record has (transitions.record_created), then moves
    the record to ``moved_to`` when asked (the traits below set it)."""

    moved_to = None

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, moved_to=None, **kwargs):
        instance = super()._create(model_class, *args, **kwargs)
        transitions.record_created(instance, by=factory_actor())
        return move_to(instance, moved_to)


class CarePlanFactory(_Recorded):
    class Meta:
        model = CarePlan

    patient = factory.SubFactory(PatientFactory)
    title = factory.Sequence(lambda n: f"Care plan {n}")
    description = "Stay well at home."
    author = factory.SubFactory(UserFactory)
    next_review_date = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=30)
    )

    class Params:
        active = factory.Trait(moved_to=CarePlanStatus.ACTIVE)
        on_hold = factory.Trait(moved_to=CarePlanStatus.ON_HOLD)
        completed = factory.Trait(moved_to=CarePlanStatus.COMPLETED)
        revoked = factory.Trait(moved_to=CarePlanStatus.REVOKED)


class GoalFactory(_Recorded):
    class Meta:
        model = Goal

    care_plan = factory.SubFactory(CarePlanFactory)
    description = factory.Sequence(lambda n: f"Walk {n} minutes a day")
    category = NeedCategory.MEDICAL

    class Params:
        active = factory.Trait(moved_to=GoalStatus.ACTIVE)


class GoalProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GoalProgress

    goal = factory.SubFactory(GoalFactory)
    achievement_status = AchievementStatus.IMPROVING
    recorded_by = factory.SubFactory(UserFactory)


class TaskFactory(_Recorded):
    class Meta:
        model = Task

    patient = factory.SubFactory(PatientFactory)
    description = factory.Sequence(lambda n: f"Call the patient ({n})")
    assignee = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("assignee")
    due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))

    class Params:
        overdue = factory.Trait(
            due_at=factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=2))
        )
        in_progress = factory.Trait(moved_to=TaskStatus.IN_PROGRESS)
        completed = factory.Trait(moved_to=TaskStatus.COMPLETED)


def goal_with_target(plan, *, owner, target_date: datetime.date):
    """An open goal with an owner and a target date, through the service (its reminder
    is scheduled as a coordinator's would be)."""
    from careplans import services

    return services.goal_create(
        care_plan=plan,
        by=owner,
        data={
            "description": "Walk every day",
            "category": "medical",
            "owner": owner,
            "target_date": target_date,
        },
    )
