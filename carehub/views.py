from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from carehub import health

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker both answer, 503 otherwise."""
    checks = {"database": health.database_state(), "broker": health.broker_state()}
    healthy = all(state == "ok" for state in checks.values())
    if not healthy:
        logger.warning("health check failed: %s", checks)
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


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
