"""Writing audit events. (Which recorded values are PHI: audit/phi.py.)"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest

from audit.models import AuditEvent, AuditOutcome
from carehub.client_address import client_address


def audit_record(
    *,
    action: str,
    actor=None,
    request: HttpRequest | None = None,
    patient_id: int | None = None,
    obj=None,
    outcome: str = AuditOutcome.SUCCESS,
    detail: dict | None = None,
    username: str = "",
    save: bool = True,
) -> AuditEvent:
    """One audit row (``save=False``: built, for the caller to save after the change)."""
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        action=action,
        actor=actor,
        actor_username=(actor.get_username() if actor else username)[:150],
        patient_id=patient_id,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        outcome=outcome,
        ip_address=client_address(request),
        route=_route(request),
        method=(request.method or "") if request is not None else "",
        detail=detail or {},
    )
    if save:
        event.save()
    return event


def audit_bulk(events: Iterable[AuditEvent]) -> None:
    AuditEvent.objects.bulk_create(list(events))


def _route(request: HttpRequest | None) -> str:
    match = getattr(request, "resolver_match", None) if request is not None else None
    return (match.view_name if match else "")[:100]
