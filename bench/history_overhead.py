"""What the field history's triggers (audit/history.py) cost a write, on PostgreSQL.

    DATABASE_URL=postgres://... .venv/bin/python bench/history_overhead.py [--updates 10000]

Needs a migrated database with demo data (seed_demo). Times, with the history triggers
enabled and disabled (ALTER TABLE ... DISABLE TRIGGER, the baseline of no history):

- single-row task updates, one statement and commit each, as pages make them;
- the same inside a history context (pghistory adds set_config() to each statement);
- the same in one transaction, rolled back: the trigger's own cost, without the commits'
  disk flushes that dominate the figures above;
- one UPDATE of every patient (a bulk update; rolled back).

A quick measurement, not a test: the machine is shared, so each figure is the best of a
few rounds, on and off alternating. Leaves the triggers enabled.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from audit.history import history_triggers  # noqa: E402
from audit.history_context import history_context  # noqa: E402
from careplans.models import Task  # noqa: E402
from patients.models import Patient  # noqa: E402


@contextmanager
def history_disabled(model):
    table = connection.ops.quote_name(model._meta.db_table)
    pgids = history_triggers(model)
    with connection.cursor() as cursor:
        for pgid in pgids:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {pgid}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for pgid in pgids:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {pgid}")


def single_updates(ids: list[int], round_number: int) -> float:
    start = time.perf_counter()
    for pk in ids:
        Task.objects.filter(pk=pk).update(priority="urgent" if round_number % 2 else "routine")
    return time.perf_counter() - start


def single_updates_one_transaction(ids: list[int], round_number: int) -> float:
    with transaction.atomic():
        elapsed = single_updates(ids, round_number + 1)
        transaction.set_rollback(True)
    return elapsed


def bulk_update() -> float:
    with transaction.atomic():
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE patients_patient SET risk_level = "
                "CASE WHEN risk_level = 'high' THEN 'low' ELSE 'high' END"
            )
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only: set DATABASE_URL")
    ids = list(Task.objects.order_by("pk").values_list("pk", flat=True)[: args.updates])
    patients = Patient.objects.count()
    figures: dict[str, list[float]] = {}
    for round_number in range(args.rounds):
        with history_disabled(Task):
            figures.setdefault("task updates, no history", []).append(
                single_updates(ids, round_number)
            )
        figures.setdefault("task updates, history", []).append(single_updates(ids, round_number))
        with history_context(command="bench"):
            figures.setdefault("task updates, history + context", []).append(
                single_updates(ids, round_number)
            )
        with history_disabled(Task):
            figures.setdefault("same, one transaction, no history", []).append(
                single_updates_one_transaction(ids, round_number)
            )
        figures.setdefault("same, one transaction, history", []).append(
            single_updates_one_transaction(ids, round_number)
        )
        with history_disabled(Patient):
            figures.setdefault("bulk patient update, no history", []).append(bulk_update())
        figures.setdefault("bulk patient update, history", []).append(bulk_update())
    # The rolled-back updates leave every patient row and task row dead several times
    # over: vacuum, or later benchmarks on this database read through the bloat.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) patients_patient, careplans_task")
    print(f"{len(ids)} single-row task updates; one UPDATE of {patients} patients")
    for name, times in figures.items():
        best = min(times)
        per_row = best / (patients if name.startswith("bulk") else len(ids)) * 1e6
        print(f"{name:36} {best:8.2f} s   {per_row:8.1f} us/row")


if __name__ == "__main__":
    main()
