"""What the current request touched, noted by the access functions, written by the
audit middleware when the response is ready (one row per patient, or one per request)."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class RequestAudit:
    patient_ids: list[int] = field(default_factory=list)
    object_type: str = ""
    object_id: str = ""
    action: str | None = None
    skip: bool = False
    detail: dict = field(default_factory=dict)
    collectors: list[list[int]] = field(default_factory=list)


_current: ContextVar[RequestAudit | None] = ContextVar("carehub_request_audit", default=None)


def begin() -> RequestAudit:
    audit = RequestAudit()
    _current.set(audit)
    return audit


def end() -> None:
    _current.set(None)


def current() -> RequestAudit | None:
    return _current.get()


def note_patient(patient_id: int) -> None:
    """Called by access_patient (and every access_* built on it)."""
    note_patients([patient_id])


@contextmanager
def collecting():
    """The patients noted within the block (a cached page part keeps them with it, to
    note them again when it is shown from the cache)."""
    collected: list[int] = []
    audit = _current.get()
    if audit is not None:
        audit.collectors.append(collected)
    try:
        yield collected
    finally:
        if audit is not None:
            audit.collectors[:] = [c for c in audit.collectors if c is not collected]


def note_patients(patient_ids) -> None:
    """Every patient a list, export or search shows (ids, in the order shown)."""
    audit = _current.get()
    if audit is None:
        return
    seen = set(audit.patient_ids)
    for patient_id in patient_ids:
        if patient_id is None:
            continue
        for collected in audit.collectors:
            collected.append(patient_id)
        if patient_id not in seen:
            seen.add(patient_id)
            audit.patient_ids.append(patient_id)


def note_listed(records, *, paths: tuple[str, ...] | None = None) -> None:
    """The patients of the records a list shows: patients, records with a ``patient``,
    or records further from their patient (a goal's care plan's), read in one query per
    path (patients.admin_scope.patient_paths_of)."""
    if _current.get() is None:
        return
    records = list(records)
    if records:
        note_patients(patient_ids_of(records, paths))


def note_page(page):
    """A page of a Django Paginator: its rows read once (the template reads the same
    list) and their patients noted. Returns the page."""
    page.object_list = list(page.object_list)
    note_listed(page.object_list)
    return page


def patient_ids_of(records: list, paths: tuple[str, ...] | None = None) -> list[int]:
    from audit.history import patient_id_at
    from patients.admin_scope import patient_paths_of

    first = records[0]
    if isinstance(first, dict):
        return [record.get("patient_id") for record in records]
    model = type(first)
    ids: list[int] = []
    for path in paths or patient_paths_of(model):
        if path == "id":
            ids += [record.pk for record in records]
        elif "__" not in path:
            attname = model._meta.get_field(path).attname
            ids += [getattr(record, attname) for record in records]
        elif all(_loaded(record, path) for record in records):
            ids += [patient_id_at(record, path) for record in records]
        else:
            ids += model._default_manager.filter(pk__in=[r.pk for r in records]).values_list(
                f"{path}_id", flat=True
            )
    return ids


def _loaded(record, path: str) -> bool:
    """Every hop of ``path`` but the last is already read (select_related)."""
    *hops, _last = path.split("__")
    for hop in hops:
        field = record._meta.get_field(hop)
        if not field.is_cached(record):
            return False
        record = field.get_cached_value(record)
        if record is None:
            return True
    return True


def note_object(obj, *, action: str | None = None) -> None:
    """The record a request is about (a care plan, a referral ...), and optionally its action."""
    audit = _current.get()
    if audit is None:
        return
    audit.object_type = obj._meta.label_lower
    audit.object_id = str(obj.pk)
    if action:
        audit.action = action


def note_detail(**detail) -> None:
    """What the row should say besides (who opened a signed link: no user)."""
    audit = _current.get()
    if audit is not None:
        audit.detail.update(detail)


def note_action(action: str) -> None:
    """Name the request's action when the method does not say it (an export is a GET)."""
    audit = _current.get()
    if audit is not None:
        audit.action = action
