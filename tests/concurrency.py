"""Racing saves on PostgreSQL: threads released together, each with its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection

from carehub.transitions import StaleEdit


def race(threads: int, save: Callable[[int], object]) -> list[tuple[str, int]]:
    """Run ``save(thread_number)`` in ``threads`` threads at once; what each got: ("won",
    n), or ("conflict", n) when it raised StaleEdit. Anything else fails the test."""
    barrier = threading.Barrier(threads)
    outcomes: list[tuple[str, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(thread_number: int) -> None:
        try:
            barrier.wait()
            try:
                save(thread_number)
                result = ("won", thread_number)
            except StaleEdit:
                result = ("conflict", thread_number)
            with lock:
                outcomes.append(result)
        except BaseException as error:  # noqa: BLE001 - reported to the test below
            with lock:
                errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=attempt, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
    return outcomes
