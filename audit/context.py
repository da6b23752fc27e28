"""What the current request touched, noted by the access functions, written by the
audit middleware when the response is ready (one row per patient, or one per request)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class RequestAudit:
    patient_ids: list[int] = field(default_factory=list)
    object_type: str = ""
    object_id: str = ""
    action: str | None = None
    skip: bool = False


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
    audit = _current.get()
    if audit is not None and patient_id not in audit.patient_ids:
        audit.patient_ids.append(patient_id)


def note_object(obj, *, action: str | None = None) -> None:
    """The record a request is about (a care plan, a referral ...), and optionally its action."""
    audit = _current.get()
    if audit is None:
        return
    audit.object_type = obj._meta.label_lower
    audit.object_id = str(obj.pk)
    if action:
        audit.action = action


def note_action(action: str) -> None:
    """Name the request's action when the method does not say it (an export is a GET)."""
    audit = _current.get()
    if audit is not None:
        audit.action = action
