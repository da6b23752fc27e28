"""1,000 racing saves of one patient (threads on PostgreSQL): exactly one wins each
round, every other gets a conflict, and no update is lost."""

import pytest

from patients import services
from patients.models import Patient, PatientEvent, PatientEventKind
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 100
THREADS = 10


def race_round(patient, coordinator, round_number: int, version: int) -> list[tuple[str, int]]:
    """THREADS saves of the same version at once; returns what each got."""
    return race(
        THREADS,
        lambda n: services.patient_update(
            patient=patient,
            by=coordinator,
            data={"city": f"r{round_number}-t{n}"},
            expected_version=version,
        ),
    )


def test_one_winner_per_round_and_no_lost_update(patient, coordinator):
    winners_per_round = []
    for round_number in range(ROUNDS):
        version = Patient.objects.get(pk=patient.pk).version
        outcomes = race_round(patient, coordinator, round_number, version)
        winners = [n for kind, n in outcomes if kind == "won"]
        assert len(outcomes) == THREADS
        winners_per_round.append(len(winners))
        current = Patient.objects.get(pk=patient.pk)
        # The saved value is the winner's, and the version moved exactly once.
        assert current.version == version + 1
        assert current.city == f"r{round_number}-t{winners[0]}"

    assert winners_per_round == [1] * ROUNDS
    assert (
        PatientEvent.objects.filter(patient=patient, kind=PatientEventKind.UPDATED).count()
        == ROUNDS
    )
