"""Periodic upkeep of the dashboards (django-celery-beat, migration 0001)."""

from __future__ import annotations

from celery import shared_task

from dashboards import freshness


@shared_task(name="dashboards.prune_changes", ignore_result=True)
def prune_changes() -> int:
    """Drop old team-change rows; each team's newest stays (its generation)."""
    if freshness.connection.vendor != "postgresql":
        return 0
    return freshness.prune()
