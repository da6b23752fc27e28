"""Who and from where, for the field history the triggers write (audit/history.py).

pghistory's context puts the metadata into every write statement of the thread as a
transaction-local setting, which the triggers copy into each history row with the
context's id (one per request, task or command):

- a request: ``user`` (id), ``ip``, ``method``, ``route`` (URL name) and ``path`` (never
  the query string) -- audit.middleware.HistoryContextMiddleware;
- a Celery task: ``task`` (its name) -- the signal handlers below (audit/apps.py);
- a management command: ``command`` (its name) -- ``command_context`` in manage.py.

PostgreSQL only: pghistory's statement rewriting does not work on SQLite, which records
no history anyway. Nothing here imports models, so manage.py may use it before setup.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

_task_contexts: dict[str, contextlib.ExitStack] = {}


def history_enabled() -> bool:
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def history_context(**metadata) -> Iterator[None]:
    """Attach ``metadata`` to the history rows written inside (nested: merged)."""
    if not history_enabled():
        yield
        return
    import pghistory

    with pghistory.context(**metadata):
        yield


def add_to_history_context(**metadata) -> None:
    """Add to the context already entered, if any (the route, once URLs are resolved)."""
    if history_enabled():
        import pghistory

        pghistory.context(**metadata)


@contextlib.contextmanager
def command_context(argv: Sequence[str]) -> Iterator[None]:
    """manage.py: the command's name (``shell``, ``migrate`` ...), never its arguments."""
    try:
        enabled = history_enabled()
    except ImproperlyConfigured:
        enabled = False  # Django reports the settings' problem, as it would without this
    if not enabled:
        yield
        return
    with history_context(command=argv[1] if len(argv) > 1 else ""):
        yield


def task_started(*, task_id: str, task, **kwargs) -> None:
    """celery.signals.task_prerun"""
    stack = contextlib.ExitStack()
    stack.enter_context(history_context(task=task.name))
    _task_contexts[task_id] = stack


def task_finished(*, task_id: str, **kwargs) -> None:
    """celery.signals.task_postrun (sent after failures too)"""
    stack = _task_contexts.pop(task_id, None)
    if stack is not None:
        stack.close()
