"""Field history: every insert, update and delete of the tracked models, written by
PostgreSQL triggers (django-pghistory on django-pgtrigger).

Because the database writes it, nothing in CareHub can forget it: ``save()``,
``QuerySet.update()`` (the guarded updates of every transition), ``bulk_create``,
``bulk_update``, ``COPY`` and raw SQL are all recorded; only carehub.bulk's loads of
generated demo data opt out (``history_paused``).

A tracked model opts in with ``@track_history(patient=...)``, which makes its history
table (``<Model>History`` in the same app, base ``audit.models.FieldHistory``). Each row
holds when, the operation, the record's id, its patient, the context (who and from where:
audit/history_context.py) and ``{field: [old, new]}`` for the fields that changed, with
the values the rule in audit/phi.py calls PHI replaced by ``MASK`` inside the trigger, so
they never reach the history tables. The tables are append-only (a trigger refuses UPDATE
and DELETE) and read-only in admin.

SQLite, the embedded default, has no such triggers: nothing is recorded there (README).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator

import pghistory
import pgtrigger
from django.apps import apps
from django.db import connection, models, transaction
from django.utils.text import format_lazy

from audit import phi

# Bookkeeping every write bumps: a change of these alone is no change to record.
UNRECORDED_FIELDS = frozenset({"version"})

# Who and from where, as audit/history_context.py put it in pghistory's context; a change
# made outside CareHub (psql, a migration script) names the database role instead.
_CONTEXT_SQL = (
    "COALESCE(NULLIF(current_setting('pghistory.context_metadata', true), '')::jsonb, "
    "jsonb_build_object('db_user', session_user::text))"
)
_CONTEXT_ID_SQL = "NULLIF(current_setting('pghistory.context_id', true), '')::uuid"
# jsonb_build_object takes at most 100 arguments: 40 fields per call, joined with ||.
_FIELDS_PER_OBJECT = 40


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def recorded_fields(model: type[models.Model], copies: tuple[str, ...] = ()) -> list[models.Field]:
    """The fields whose changes the history records (not the id, timestamps, version, nor
    ``copies``: columns the database copies from another record, recorded there)."""
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
        and field.name not in UNRECORDED_FIELDS
        and field.name not in copies
    ]


def _diff_sql(fields: list[models.Field], operation: pgtrigger.Operation) -> str:
    """A jsonb {field: [old, new]} of what changed (rows _old and _new), masked fields as
    MASK."""
    masked_insert = _literal(json.dumps([None, phi.MASK])) + "::jsonb"
    masked_update = _literal(json.dumps([phi.MASK, phi.MASK])) + "::jsonb"
    masked_delete = _literal(json.dumps([phi.MASK, None])) + "::jsonb"
    pairs = []
    for field in fields:
        old, new = f"_old.{_quote(field.column)}", f"_new.{_quote(field.column)}"
        masked = phi.is_masked(field)
        if operation == pgtrigger.Update:
            changed = f"{old} IS DISTINCT FROM {new}"
            value = masked_update if masked else f"jsonb_build_array({old}, {new})"
        elif operation == pgtrigger.Insert:
            # An empty text is no value either: masking must not hide that it was given.
            changed = f"{new} IS NOT NULL" + (f" AND {new}::text <> ''" if masked else "")
            value = masked_insert if masked else f"jsonb_build_array(NULL, {new})"
        else:
            changed = f"{old} IS NOT NULL" + (f" AND {old}::text <> ''" if masked else "")
            value = masked_delete if masked else f"jsonb_build_array({old}, NULL)"
        pairs.append(f"{_literal(field.name)}, CASE WHEN {changed} THEN {value} END")
    if not pairs:
        return "'{}'::jsonb"
    objects = [
        "jsonb_build_object(" + ", ".join(pairs[start : start + _FIELDS_PER_OBJECT]) + ")"
        for start in range(0, len(pairs), _FIELDS_PER_OBJECT)
    ]
    # A field that did not change has a null value: strip_nulls drops it (nulls inside
    # the [old, new] arrays stay).
    return "jsonb_strip_nulls(" + " || ".join(objects) + ")"


def _patient_sql(model: type[models.Model], path: str | None, column: str) -> str:
    """The patient's id from the changed row (``column``: a column's SQL, ``{0}`` for its
    quoted name): ``path`` is a field name, or a chain of foreign keys
    (``care_plan__patient``) followed with one subquery per hop."""
    if path is None:
        return "NULL"
    first, *rest = path.split("__")
    field = model._meta.get_field(first)
    value = column.format(_quote(field.column))
    for name in rest:
        related = field.related_model
        field = related._meta.get_field(name)
        value = (
            f"(SELECT {_quote(field.column)} FROM {_quote(related._meta.db_table)} "  # noqa: S608  # nosec B608
            f"WHERE {_quote(related._meta.pk.column)} = {value})"
        )
    return value


class _HistoryTrigger(pgtrigger.Trigger):
    """AFTER ... FOR EACH STATEMENT: one set-based INSERT ... SELECT of a history row per
    changed row, from the statement's transition tables (see the module docstring).

    Per statement rather than per row: a bulk UPDATE of 100,000 rows calls the function
    once, not 100,000 times (pgtrigger's per-call check of its skip list included)."""

    when = pgtrigger.After
    level = pgtrigger.Statement

    def __init__(self, *, event_model: type[models.Model], label: str, **kwargs) -> None:
        self.event_model = event_model
        self.label = label
        operation = kwargs["operation"]
        kwargs["referencing"] = pgtrigger.Referencing(
            old="_old_rows" if operation != pgtrigger.Insert else None,
            new="_new_rows" if operation != pgtrigger.Delete else None,
        )
        super().__init__(**kwargs)

    def get_func(self, model: type[models.Model]) -> str:
        event_model = self.event_model
        pk = _quote(model._meta.pk.column)
        fields = [model._meta.get_field(name) for name in event_model.pgh_recorded_fields]
        where = ""
        if self.operation == pgtrigger.Update:
            # Joined on the id; a full join, so that even an UPDATE of the id itself (raw
            # SQL) is recorded: as the old id's values leaving and the new id's arriving.
            rows = f"_new_rows AS _new FULL JOIN _old_rows AS _old ON _old.{pk} = _new.{pk}"
            column = "COALESCE(_new.{0}, _old.{0})"
            # Only a change of a recorded field is a change (not updated_at or version).
            where = " WHERE " + (
                " OR ".join(
                    f"_old.{_quote(field.column)} IS DISTINCT FROM _new.{_quote(field.column)}"
                    for field in fields
                )
                or "false"
            )
        elif self.operation == pgtrigger.Insert:
            rows, column = "_new_rows AS _new", "_new.{0}"
        else:
            rows, column = "_old_rows AS _old", "_old.{0}"
        values = {
            # The moment of the write, not of the transaction's start (NOW()): changes
            # made in one transaction across several tables keep their order.
            "pgh_created_at": "clock_timestamp()",
            "pgh_label": _literal(self.label),
            "pgh_obj": column.format(pk),
            "pgh_patient": _patient_sql(model, event_model.pgh_patient_path, column),
            "pgh_context": _CONTEXT_SQL,
            "pgh_context_id": _CONTEXT_ID_SQL,
            "pgh_diff": _diff_sql(fields, self.operation),
        }
        columns = ", ".join(_quote(event_model._meta.get_field(name).column) for name in values)
        # Table and column names come from the models; values are the rows' own columns.
        return (
            f"INSERT INTO {_quote(event_model._meta.db_table)} ({columns}) "  # noqa: S608  # nosec B608
            f"SELECT {', '.join(values.values())} FROM {rows}{where}; RETURN NULL;"
        )


class _AppendOnly(pgtrigger.Trigger):
    """Refuses UPDATE and DELETE on a history table, like audit_auditevent (0002)."""

    name = "append_only"
    when = pgtrigger.Before
    level = pgtrigger.Row
    operation = pgtrigger.Update | pgtrigger.Delete
    func = (
        "RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP "
        "USING ERRCODE = 'insufficient_privilege';"
    )


class _HistoryEvent(pghistory.RowEvent):
    """pghistory's tracker of an operation, writing through _HistoryTrigger (per
    statement, masked diff, patient) instead of its own per-row snapshot trigger."""

    def add_event_trigger(self, event_model: type[models.Model]) -> None:
        pgtrigger.register(
            _HistoryTrigger(
                event_model=event_model,
                label=self.label,
                name=self.trigger_name,
                operation=self.operation,
                condition=self.condition,
            )
        )(event_model.pgh_tracked_model)


def _trackers() -> tuple[_HistoryEvent, ...]:
    return (
        _HistoryEvent(
            "insert", operation=pgtrigger.Insert, row=pghistory.New, trigger_name="history_insert"
        ),
        _HistoryEvent(
            "update",
            operation=pgtrigger.Update,
            row=pghistory.New,
            trigger_name="history_update",
            condition=None,  # statement-level: _HistoryTrigger selects the changed rows
        ),
        _HistoryEvent(
            "delete", operation=pgtrigger.Delete, row=pghistory.Old, trigger_name="history_delete"
        ),
    )


def track_history(
    *, patient: str | None, copies: tuple[str, ...] = ()
) -> Callable[[type[models.Model]], type[models.Model]]:
    """Class decorator: record every insert, update and delete of the model.

    ``patient`` leads from the record to its patient's id: ``"patient"`` for a foreign key,
    ``"care_plan__patient"`` through other records, ``"id"`` for the patient itself, None
    for records of no patient (team membership). ``copies`` names fields the database
    copies from another tracked record (a referral's care team is its patient's): their
    change is recorded on that record, not again on each copy.
    """

    def decorate(model: type[models.Model]) -> type[models.Model]:
        from audit.models import FieldHistory

        fields = [field.name for field in recorded_fields(model, copies)]
        name = model._meta.model_name
        pghistory.create_event_model(
            model,
            *_trackers(),
            fields=[],
            obj_field=pghistory.ObjForeignKey(related_name="+"),
            context_field=pghistory.ContextJSONField(),
            context_id_field=pghistory.ContextUUIDField(),
            append_only=False,  # _AppendOnly below: same error as the audit trail's
            model_name=f"{model.__name__}History",
            base_model=FieldHistory,
            abstract=False,
            attrs={"pgh_patient_path": patient, "pgh_recorded_fields": tuple(fields)},
            meta={
                "verbose_name": format_lazy("{} history", model._meta.verbose_name),
                "verbose_name_plural": format_lazy("{} history", model._meta.verbose_name),
                "ordering": ["-pgh_id"],
                "indexes": [
                    models.Index(
                        fields=["pgh_patient", "pgh_created_at"], name=f"{name[:18]}_hist_pat"
                    )
                ],
                "triggers": [_AppendOnly()],
            },
        )
        return model

    return decorate


def history_models(*, of_patients: bool = False) -> list[type[models.Model]]:
    """Every history table (those that lead to a patient only, if asked), in app order."""
    from audit.models import FieldHistory

    return [
        model
        for model in apps.get_models()
        if issubclass(model, FieldHistory)
        and (not of_patients or model.pgh_patient_path is not None)
    ]


def patient_id_of(obj: models.Model) -> int | None:
    """The patient a tracked record belongs to, by its ``track_history(patient=...)`` path
    (None for untracked models and records of no patient)."""
    event_models = getattr(type(obj), "pgh_event_models", {})
    path = next(iter(event_models.values())).pgh_patient_path if event_models else None
    return None if path is None else patient_id_at(obj, path)


def patient_id_at(obj: models.Model, path: str) -> int | None:
    """The patient's id at the end of ``path`` from ``obj`` (``"patient"``,
    ``"care_plan__patient"``, ``"id"`` for the patient itself); None where a hop is empty."""
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop)
        if obj is None:
            return None
    return getattr(obj, obj._meta.get_field(last).attname)


def history_recorded() -> bool:
    """The triggers exist on PostgreSQL only."""
    return connection.vendor == "postgresql"


def history_triggers(model: type[models.Model]) -> list[str]:
    """The database names of ``model``'s history triggers (carehub.bulk pauses them)."""
    return sorted(
        trigger.get_pgid(model)
        for registered, trigger in pgtrigger.registered()
        if registered is model and isinstance(trigger, _HistoryTrigger)
    )


@contextlib.contextmanager
def history_paused(*tracked: type[models.Model]) -> Iterator[None]:
    """Writes to the ``tracked`` models inside (one transaction) are not recorded: for
    generated demo data only (carehub.bulk's loads, the demo's notices; README, Security
    and privacy). One block for all of them: the setting is one list, not nested.

    It sets pgtrigger's list of triggers to skip for the transaction, which COPY honours
    too; the setting ends with the block (and with a rollback), never reaching other
    sessions or later transactions. Anyone allowed to run SQL as CareHub's database role
    could do the same, as they could disable the triggers: the guarantee is against the
    application's mistakes, not against its database owner."""
    triggers = [trigger for model in tracked for trigger in history_triggers(model)]
    if not triggers or not history_recorded():
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + ",".join(triggers) + "}"]
        )
        yield
        cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
