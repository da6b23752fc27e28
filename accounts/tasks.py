"""Thin Celery tasks of the accounts app."""

from __future__ import annotations

from celery import shared_task

from accounts import services


@shared_task(name="accounts.prune_sessions", ignore_result=True)
def accounts_prune_sessions() -> dict[str, int]:
    """Every 15 minutes (django-celery-beat, migration 0005)."""
    return services.sessions_prune()
