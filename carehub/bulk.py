"""Fast bulk loading for demo and benchmark data (seed_demo).

Rows are plain tuples or dicts with ids assigned in Python, so rows can point at each
other before anything is inserted, and are written with binary COPY on PostgreSQL and
executemany elsewhere. Model instances and bulk_create cost about ten times more at
100,000 patients. Binary COPY needs each value as its column's Python type (an aware
datetime for timestamptz, a Decimal for numeric ...) and then formats and parses no
text: about three times faster than text COPY for a table of ids and timestamps. Only
for data CareHub generates itself: nothing here validates, and nothing here is recorded
in the field history (audit/history.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from audit.history import history_paused

_MODIFIERS = re.compile(r"\([^)]*\)")


def _default(field: models.Field):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    return field.get_default()


class BulkTable:
    """Buffered rows of one model's table.

    ``fields`` are the attnames ``add`` and ``add_row`` take (in that order); every other
    concrete field takes its model default, computed once per table. Without ``fields``,
    rows come through ``add_dict``, which may give any fields and defaults the rest."""

    def __init__(self, model: type[models.Model], fields: list[str] | None = None):
        self.model = model
        self.rows: list[tuple] = []
        self.next_id = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        if fields is None:
            fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
        self._configure(list(fields))

    def _configure(self, fields: list[str]) -> None:
        model = self.model
        self.fields = fields
        by_attname = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
        unknown = set(self.fields) - set(by_attname)
        if unknown:
            raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
        rest = [f for name, f in by_attname.items() if name not in set(self.fields)]
        self.prep = [model._meta.pk, *(by_attname[name] for name in self.fields), *rest]
        self.columns = [f.column for f in self.prep]
        self.defaults = tuple(_default(f) for f in rest)
        self.field_defaults = {name: _default(by_attname[name]) for name in fields}
        # The column types binary COPY sends ("varchar(32)" -> "varchar").
        self.copy_types = (
            [_MODIFIERS.sub("", f.db_type(connection)) for f in self.prep]
            if connection.vendor == "postgresql"
            else []
        )

    def take_id(self) -> int:
        pk = self.next_id
        self.next_id += 1
        return pk

    def add(self, **values) -> int:
        """Buffer one row; keyword arguments in the order of ``fields`` (checked on the
        first row: a tuple of ``values.values()`` is much cheaper than a lookup)."""
        if not self.rows and list(values) != self.fields:
            raise ValueError(f"{self.model.__name__}: give the fields in this order: {self.fields}")
        pk = self.take_id()
        self.rows.append((pk, *values.values(), *self.defaults))
        return pk

    def add_row(self, values: tuple) -> int:
        """Buffer one row given as a tuple in the order of ``fields``: the fastest way,
        for the busiest tables."""
        pk = self.take_id()
        self.rows.append((pk, *values, *self.defaults))
        return pk

    def add_dict(self, row: dict) -> int:
        """Buffer one row given as a dict (``id`` from ``take_id`` or assigned here);
        fields it leaves out take their defaults."""
        unknown = row.keys() - self.field_defaults.keys() - {"id"}
        if unknown:
            raise ValueError(f"{self.model.__name__} has no fields {sorted(unknown)}")
        pk = row.get("id") or self.take_id()
        defaults = self.field_defaults
        self.rows.append(
            (pk, *(row.get(name, defaults[name]) for name in self.fields), *self.defaults)
        )
        return pk

    def flush(self) -> None:
        if not self.rows:
            return
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        # Generated rows get no field history: it would double the load's rows and time
        # and say nothing (audit/history.py; PostgreSQL only).
        with history_paused(self.model), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The table and column names come from the model, quoted; no user input.
                statement = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"  # noqa: S608
                with cursor.cursor.copy(statement) as copy:
                    copy.set_types(self.copy_types)
                    for row in self.rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                # Table and column names come from the model, quoted: no user input.
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608  # nosec B608
                    [
                        [
                            field.get_db_prep_save(value, connection)
                            for field, value in zip(self.prep, row, strict=True)
                        ]
                        for row in self.rows
                    ],
                )
        self.rows.clear()

    def finish(self) -> None:
        """Write what is left and move the id sequence past the ids used here."""
        self.flush()
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(self.model._meta.db_table)
            with connection.cursor() as cursor:
                # The table name comes from the model, quoted: no user input.
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608  # nosec B608
                    f"GREATEST((SELECT MAX(id) FROM {table}), 1))",
                    [self.model._meta.db_table],
                )


def rows_in_batches(
    queryset: models.QuerySet, ids: Iterable[int], size: int, *fields: str
) -> Iterator[tuple[int, list[tuple]]]:
    """``queryset``'s rows among ``ids``, ``size`` ids at a time: yields each batch's
    number of ids and its rows as tuples of (pk, *fields), in id order. A batch is read as
    one range of ids (rows loaded together are numbered in a run: a range reads faster
    than thousands of parameters), keeping only the ids asked for."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        batch = ordered[start : start + size]
        wanted = set(batch)
        rows = queryset.filter(pk__gte=batch[0], pk__lte=batch[-1]).order_by("pk")
        yield len(batch), [row for row in rows.values_list("pk", *fields) if row[0] in wanted]


# Tables bulk_load has analysed in this process (seed_demo's closing ANALYZE skips them).
analyzed_tables: set[str] = set()


def analyze_allowed() -> bool:
    """Whether an ANALYZE now would describe data that is sure to stay. ANALYZE writes a
    table's row count in place, outside the transaction: inside someone else's
    transaction that may roll back (a test's), it would leave the planner counting rows
    that never existed, and a later query planned for a handful of rows can run for
    minutes on a thousand."""
    return not connection.in_atomic_block


@contextmanager
def bulk_load(model_list: list[type[models.Model]]) -> Iterator[None]:
    """On PostgreSQL: drop the foreign keys and non-unique indexes of the models' tables
    for the duration of the load and restore them, exactly as they were, in the same
    transaction; once committed, ANALYZE them, unless the load runs inside a transaction
    it does not own (see ``analyze_allowed``). Elsewhere: just a transaction."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            yield
        return
    quote = connection.ops.quote_name
    analyze = analyze_allowed()
    restore: list[str] = []
    with transaction.atomic(), connection.cursor() as cursor:
        # Check what is pending now (ALTER TABLE refuses to run with deferred checks queued
        # on a referenced table), and give the index builds more memory than the default.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for model in model_list:
            name = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [name],
            )
            for constraint, definition in cursor.fetchall():
                cursor.execute(f"ALTER TABLE {quote(name)} DROP CONSTRAINT {quote(constraint)}")
                restore.append(
                    f"ALTER TABLE {quote(name)} ADD CONSTRAINT {quote(constraint)} {definition}"
                )
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid = %s::regclass AND NOT indisunique AND NOT indisprimary",
                [name],
            )
            for index, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {index}")  # regclass::text is quoted already
                restore.append(definition)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield
        for statement in restore:
            cursor.execute(statement)
    # After the commit: ANALYZE writes the row counts in place, so inside a load that
    # then failed to commit it would leave the planner counting rows that are not there.
    with connection.cursor() as cursor:
        for model in model_list if analyze else ():
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")
            analyzed_tables.add(model._meta.db_table)
