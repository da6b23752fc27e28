"""Racing edits of one care plan's needs (threads on PostgreSQL): exactly one wins each
round, the others are refused, and the needs kept are the winner's."""

import threading

import pytest
from django.db import connection

from carehub.transitions import StaleEdit
from careplans import services
from careplans.models import CarePlan, CarePlanNeed, CarePlanStatus
from tests.careplans.factories import CarePlanFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 20
THREADS = 6


def race(care_plan, version: int, round_number: int) -> list[tuple[str, int]]:
    """THREADS edits of the needs alone, all from the same version, at once."""
    barrier = threading.Barrier(THREADS)
    outcomes: list[tuple[str, int]] = []
    lock = threading.Lock()

    def save(thread_number: int) -> None:
        try:
            barrier.wait()
            try:
                services.careplan_update(
                    care_plan=care_plan,
                    by=care_plan.author,
                    data={},
                    needs={"social": [f"r{round_number}-t{thread_number}"]},
                    expected_version=version,
                )
                result = ("won", thread_number)
            except StaleEdit:
                result = ("refused", thread_number)
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_an_edit_of_needs_alone_is_refused_when_someone_saved_first():
    care_plan = CarePlanFactory(moved_to=CarePlanStatus.ACTIVE)
    for round_number in range(ROUNDS):
        version = CarePlan.objects.get(pk=care_plan.pk).version
        outcomes = race(care_plan, version, round_number)
        winners = [n for kind, n in outcomes if kind == "won"]
        assert len(outcomes) == THREADS
        assert len(winners) == 1, outcomes
        assert CarePlan.objects.get(pk=care_plan.pk).version == version + 1
        kept = CarePlanNeed.objects.filter(care_plan=care_plan)
        assert [need.description for need in kept] == [f"r{round_number}-t{winners[0]}"]
