from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit import selectors
from audit.history import history_recorded
from audit.models import AuditEvent
from patients.permissions import access_patient


def patient_trail(request: HttpRequest, pk: int) -> HttpResponse:
    """Who looked at or changed this patient's records. Case managers and admins only."""
    patient = access_patient(request.user, pk, perm="audit.view_auditevent")
    events = AuditEvent.objects.for_patient(patient.pk).select_related("actor")
    page = Paginator(events, settings.CAREHUB_PAGE_SIZE * 2).get_page(request.GET.get("page"))
    return render(request, "audit/patient_trail.html", {"patient": patient, "page": page})


def patient_history(request: HttpRequest, pk: int) -> HttpResponse:
    """What changed in this patient's records, field by field, old and new values (PHI
    masked), as the database triggers recorded it. Case managers and admins only."""
    patient = access_patient(request.user, pk, perm="audit.view_auditevent")
    rows = selectors.patient_history(patient_id=patient.pk)
    page = Paginator(rows, settings.CAREHUB_PAGE_SIZE * 2).get_page(request.GET.get("page"))
    context = {
        "patient": patient,
        "page": page,
        "entries": selectors.history_entries(list(page.object_list)),
        "recorded": history_recorded(),
    }
    return render(request, "audit/patient_history.html", context)
