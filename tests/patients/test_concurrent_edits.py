"""1,000 racing saves of one patient (threads on PostgreSQL): exactly one wins each
round, every other gets a conflict, and no update is lost."""

import threading

import pytest
from django.db import connection

from carehub.transitions import StaleEdit
from patients import services
from patients.models import Patient, PatientEvent, PatientEventKind

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 100
THREADS = 10


def race(patient, coordinator, round_number: int, version: int) -> list[tuple[str, int]]:
    """THREADS saves of the same version at once; returns what each got."""
    barrier = threading.Barrier(THREADS)
    outcomes: list[tuple[str, int]] = []
    lock = threading.Lock()

    def save(thread_number: int) -> None:
        try:
            barrier.wait()
            try:
                services.patient_update(
                    patient=patient,
                    by=coordinator,
                    data={"city": f"r{round_number}-t{thread_number}"},
                    expected_version=version,
                )
                result = ("won", thread_number)
            except StaleEdit:
                result = ("conflict", thread_number)
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


def test_one_winner_per_round_and_no_lost_update(patient, coordinator):
    winners_per_round = []
    for round_number in range(ROUNDS):
        version = Patient.objects.get(pk=patient.pk).version
        outcomes = race(patient, coordinator, round_number, version)
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
