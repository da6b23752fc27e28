"""Refuse a migration plan that would drop a field history table (audit/history.py).

The history is append-only: stepping a migration back past a ``*_field_history``
migration (``migrate careplans 0003``) drops the tables and, forward again, they come back
empty, with nothing said. ``migrate`` now stops before it runs anything and names the
tables; an operator who means it (a development database, a restored backup) sets
``CAREHUB_ALLOW_HISTORY_DROP=1`` (settings.ALLOW_HISTORY_DROP).
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.conf import settings
from django.core.management.base import CommandError
from django.db import migrations


def _history_models() -> set[tuple[str, str]]:
    from audit.models import FieldHistory

    return {
        (model._meta.app_label, model._meta.model_name)
        for model in global_apps.get_models()
        if issubclass(model, FieldHistory)
    }


def history_tables_dropped(plan) -> list[str]:
    """The history models (``app.Model``) a migration plan would drop."""
    history = _history_models()
    dropped = []
    for migration, backwards in plan or ():
        for operation in migration.operations:
            drops = (backwards and isinstance(operation, migrations.CreateModel)) or (
                not backwards and isinstance(operation, migrations.DeleteModel)
            )
            if drops and (migration.app_label, operation.name_lower) in history:
                dropped.append(f"{migration.app_label}.{operation.name}")
    return dropped


def refuse_history_drop(sender, plan=None, **kwargs) -> None:
    """pre_migrate receiver: sent before any migration of the plan runs."""
    if getattr(settings, "ALLOW_HISTORY_DROP", False):
        return
    dropped = history_tables_dropped(plan)
    if dropped:
        raise CommandError(
            "This migration would drop the field history tables "
            f"{', '.join(sorted(set(dropped)))}: their rows cannot be recovered. Nothing was "
            "changed. Back the database up, then set CAREHUB_ALLOW_HISTORY_DROP=1 to proceed."
        )
