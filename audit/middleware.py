"""One audit row per signed-in request, written when the view has answered (for a write,
in the same transaction as the change).

Every patient the request showed is in its row: the one patient a page is about
(``patient``), or every patient a list, export or search showed (``patient_ids``), noted
by the access functions and by the lists (audit.context.note_listed), so a patient's
trail lists every look. Requests to a few non-PHI routes are not recorded.

HistoryContextMiddleware names the request in the field history the triggers write.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from pghistory.middleware import HistoryMiddleware

from audit import context
from audit.history_context import add_to_history_context, history_enabled
from audit.models import AuditAction, AuditEvent, AuditOutcome
from audit.services import _route, client_address

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# Routes that show no patient data (by URL name).
UNAUDITED_ROUTES = frozenset({"healthz", "accounts:login", "accounts:logout", "home", "jsi18n"})


def _outcome(status: int) -> str:
    if status in (401, 403, 404):
        return AuditOutcome.DENIED
    return AuditOutcome.FAILED if status >= 400 else AuditOutcome.SUCCESS


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(self.static_prefix):
            return self.get_response(request)
        audit = context.begin()
        try:
            if request.method in READ_METHODS:
                response = self.get_response(request)
                self._record(request, response, audit)
                return response
            # A write and its audit row commit together or not at all: the request runs
            # in one transaction (the views' own atomic blocks become savepoints in it),
            # the row is written inside it, and an answer of 500 rolls the change back
            # before its row (a failed attempt, changing nothing) is written. A commit
            # that fails raises here: nothing of the request is kept.
            with transaction.atomic():
                response = self.get_response(request)
                failed = response.status_code >= 500
                if failed:
                    transaction.set_rollback(True)
                else:
                    self._record(request, response, audit)
            if failed:
                self._record(request, response, audit)
            return response
        finally:
            context.end()

    def _record(self, request, response, audit: context.RequestAudit) -> None:
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        # Without a user, a request is recorded when it showed a patient (the receiving
        # service's signed link).
        if (signed_in or audit.patient_ids) and not audit.skip:
            self._write(request, response, audit, user if signed_in else None)

    def _write(
        self, request: HttpRequest, response: HttpResponse, audit: context.RequestAudit, user
    ) -> None:
        route = _route(request)
        if route in UNAUDITED_ROUTES:
            return
        if audit.action:
            action = audit.action
        elif request.method in READ_METHODS:
            action = (
                AuditAction.VIEW if (audit.patient_ids or audit.object_id) else AuditAction.LIST
            )
        else:
            action = AuditAction.CHANGE
        common = {
            "actor": user,
            "actor_username": user.get_username()[:150] if user is not None else "",
            "action": action,
            "outcome": _outcome(response.status_code),
            "object_type": audit.object_type,
            "object_id": audit.object_id,
            "route": route,
            "method": request.method[:8],
            "status_code": response.status_code,
            "ip_address": client_address(request),
            "detail": audit.detail,
        }
        # One row, whatever the request showed: the patient a page is about, or the
        # patients a list, export or search showed (AuditEventQuerySet.for_patient).
        patient_id = audit.patient_ids[0] if len(audit.patient_ids) == 1 else None
        listed = audit.patient_ids if len(audit.patient_ids) > 1 else []
        AuditEvent.objects.create(patient_id=patient_id, patient_ids=listed, **common)


class HistoryContextMiddleware(HistoryMiddleware):
    """Who and from where, for every history row the request's writes cause: the user's
    id (updated when DRF authenticates a token), the client address, the method, and,
    once the URL is resolved, its name and path. Query strings never: they carry search
    terms. PostgreSQL only (audit/history_context.py)."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not history_enabled():
            return self.get_response(request)
        return super().__call__(request)

    def get_context(self, request: HttpRequest) -> dict:
        return {
            "user": super().get_context(request)["user"],
            "ip": client_address(request),
            "method": request.method,
        }

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        match = request.resolver_match
        if match is None:
            return
        # A signed link's token is a credential: such a path is kept as its pattern.
        path = f"/{match.route}" if "token" in view_kwargs else request.path
        add_to_history_context(route=match.view_name[:100], path=path[:200])
