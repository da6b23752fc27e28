"""Reads of the field history (audit/history.py) for a patient's change history page."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import models
from django.db.models import CharField, Value
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from accounts.models import CareTeam, User
from audit import phi
from audit.history import history_models
from audit.models import HistoryAction

_COLUMNS = ("pgh_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "pgh_context", "pgh_diff")


def patient_history(*, patient_id: int) -> models.QuerySet:
    """Every change to the patient's records, newest first, as dicts with ``pgh_model``
    naming the history table: one UNION ALL over the history tables, each read through
    its (pgh_patient, pgh_created_at) index, so a page costs the same at any length."""
    parts = [
        model.objects.filter(pgh_patient_id=patient_id)
        .annotate(pgh_model=Value(model._meta.label_lower, output_field=CharField()))
        .values(*_COLUMNS, "pgh_model")
        .order_by()
        for model in history_models(of_patients=True)
    ]
    return parts[0].union(*parts[1:], all=True).order_by("-pgh_created_at", "-pgh_id")


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str
    # PHI (audit/phi.py): the history knows only that it was given, changed or removed.
    masked_note: str = ""


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime.datetime
    action: str
    record: str
    who: str
    where: str
    changes: list[FieldChange]


def history_entries(rows: Sequence[dict]) -> list[HistoryEntry]:
    """Rows of ``patient_history`` in words: field labels, choice names, people and teams
    by name (at most two queries for any number of rows), PHI values as masked."""
    tracked = {model._meta.label_lower: model.pgh_tracked_model for model in history_models()}
    user_ids: set[int] = set()
    team_ids: set[int] = set()
    for row in rows:
        if (row["pgh_context"] or {}).get("user"):
            user_ids.add(row["pgh_context"]["user"])
        model = tracked.get(row["pgh_model"])
        for _name, field, values in _fields(model, row["pgh_diff"]):
            if field is not None and field.is_relation:
                ids = {value for value in values if isinstance(value, int)}
                if field.related_model is User:
                    user_ids |= ids
                elif field.related_model is CareTeam:
                    team_ids |= ids
    names: dict[tuple[type[models.Model], int], str] = {}
    if user_ids:
        names |= {(User, user.pk): str(user) for user in User.objects.filter(pk__in=user_ids)}
    if team_ids:
        names |= {
            (CareTeam, team.pk): team.name for team in CareTeam.objects.filter(pk__in=team_ids)
        }
    return [_entry(row, tracked.get(row["pgh_model"]), names) for row in rows]


def _fields(model, diff: dict) -> Iterable[tuple[str, models.Field | None, list]]:
    """The diff's fields in the model's order (fields since removed last, by name)."""
    known = {field.name: field for field in model._meta.concrete_fields} if model else {}
    order = {name: position for position, name in enumerate(known)}
    for name in sorted(diff, key=lambda name: (order.get(name, len(order)), name)):
        yield name, known.get(name), diff[name]


def _entry(row: dict, model, names: dict) -> HistoryEntry:
    context = row["pgh_context"] or {}
    changes = [
        FieldChange(
            label=capfirst(field.verbose_name) if field is not None else name,
            old=_display(field, old, names),
            new=_display(field, new, names),
            masked_note=_masked_note(old, new),
        )
        for name, field, (old, new) in _fields(model, row["pgh_diff"])
    ]
    record = capfirst(model._meta.verbose_name) if model else row["pgh_model"]
    return HistoryEntry(
        at=row["pgh_created_at"],
        action=HistoryAction(row["pgh_label"]).label,
        record=f"{record} #{row['pgh_obj_id']}",
        who=_who(context, names),
        where=" · ".join(str(part) for part in (context.get("ip"), context.get("path")) if part),
        changes=changes,
    )


def _masked_note(old, new) -> str:
    if phi.MASK not in (old, new):
        return ""
    if old is None:
        return _("given (not shown)")
    if new is None:
        return _("removed (not shown)")
    return _("changed (not shown)")


def _who(context: dict, names: dict) -> str:
    if context.get("user"):
        return names.get((User, context["user"]), _("user #%(id)s") % {"id": context["user"]})
    if context.get("task"):
        return _("task %(name)s") % {"name": context["task"]}
    if context.get("command"):
        return _("command %(name)s") % {"name": context["command"]}
    if context.get("db_user"):
        return _("outside CareHub (database user %(name)s)") % {"name": context["db_user"]}
    return _("not signed in")


def _display(field: models.Field | None, value, names: dict) -> str:
    if value is None:
        return "—"
    if value == phi.MASK or field is None:
        return str(value)
    if field.is_relation:
        return names.get(
            (field.related_model, value), f"{field.related_model._meta.verbose_name} #{value}"
        )
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(field, models.DateTimeField) and (moment := parse_datetime(str(value))):
        return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
    if isinstance(field, models.DateField) and (day := parse_date(str(value))):
        return date_format(day, "SHORT_DATE_FORMAT")
    return str(value)
