from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from carehub import health

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every part answers (database, broker, the workers' heartbeat, beat's last
    run, the outbox backlog), 503 otherwise; ``down`` names the parts that are not."""
    parts = health.parts_state()
    # ?part=database,broker asks about those parts only: a container's liveness probe
    # (docker-compose's web service) must not fail because the worker is down.
    asked = [name for name in request.GET.get("part", "").split(",") if name]
    unknown = sorted(set(asked) - set(parts))
    if unknown:
        return JsonResponse(
            {"status": "bad request", "unknown_parts": unknown, "parts": sorted(parts)},
            status=400,
        )
    if asked:
        parts = {name: part for name, part in parts.items() if name in asked}
    down = [name for name, part in parts.items() if part["state"] != "ok"]
    if down:
        logger.warning("health check failed: %s down", ", ".join(down))
    body = {
        "status": "unavailable" if down else "ok",
        # The first two as before, for probes that read them.
        **{name: parts[name]["state"] for name in ("database", "broker") if name in parts},
        "down": down,
        "parts": parts,
    }
    return JsonResponse(body, status=503 if down else 200)


# The API's and the FHIR export's prefixes: a failure there answers JSON, never a page.
_API_PREFIXES = ("/api/", "/fhir/")


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 answer for what fails outside a DRF view (a middleware, the URL resolver):
    JSON under /api/ (as api.exceptions answers), an OperationOutcome under /fhir/, the
    page elsewhere."""
    if request.path.startswith("/fhir/"):
        return JsonResponse(
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": "error", "code": "exception", "diagnostics": "Server error."}
                ],
            },
            status=500,
            content_type="application/fhir+json",
        )
    if request.path.startswith(_API_PREFIXES):
        return JsonResponse({"detail": "Server error.", "code": "server_error"}, status=500)
    return defaults.server_error(request)


def home(request: HttpRequest) -> HttpResponse:
    """Each user lands on their own dashboard: admins on the Django admin (its index shows
    the system's health), case managers on the caseload review, coordinators on My day."""
    user = request.user
    if user.is_admin and user.is_staff:
        return redirect("admin:index")
    if user.has_perm("accounts.view_caseload"):
        return redirect("dashboards:caseload")
    if user.has_perm("careplans.view_task"):
        return redirect("dashboards:my_day")
    return redirect("patients:list")
