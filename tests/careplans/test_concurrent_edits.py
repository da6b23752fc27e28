"""Racing edits of one care plan's needs (threads on PostgreSQL): exactly one wins each
round, the others are refused, and the needs kept are the winner's."""

import pytest

from careplans import services
from careplans.models import CarePlan, CarePlanNeed, CarePlanStatus
from tests.careplans.factories import CarePlanFactory
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 20
THREADS = 6


def race_round(care_plan, version: int, round_number: int) -> list[tuple[str, int]]:
    """THREADS edits of the needs alone, all from the same version, at once."""
    return race(
        THREADS,
        lambda n: services.careplan_update(
            care_plan=care_plan,
            by=care_plan.author,
            data={},
            needs={"social": [f"r{round_number}-t{n}"]},
            expected_version=version,
        ),
    )


def test_an_edit_of_needs_alone_is_refused_when_someone_saved_first():
    care_plan = CarePlanFactory(moved_to=CarePlanStatus.ACTIVE)
    for round_number in range(ROUNDS):
        version = CarePlan.objects.get(pk=care_plan.pk).version
        outcomes = race_round(care_plan, version, round_number)
        winners = [n for kind, n in outcomes if kind == "won"]
        assert len(outcomes) == THREADS
        assert len(winners) == 1, outcomes
        assert CarePlan.objects.get(pk=care_plan.pk).version == version + 1
        kept = CarePlanNeed.objects.filter(care_plan=care_plan)
        assert [need.description for need in kept] == [f"r{round_number}-t{winners[0]}"]
