"""Reads of encounters, from the patient scope rule."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User
from encounters.models import Encounter
from patients.models import Patient
from patients.selectors import patients_visible_to

TIMELINE_SHOWN = 20


def encounters_visible_to(user: User | AnonymousUser) -> QuerySet[Encounter]:
    return Encounter.objects.filter(patient__in=patients_visible_to(user))


def patient_timeline(patient: Patient) -> list[Encounter]:
    """The patient page's encounters, newest first: one query."""
    return list(
        Encounter.objects.filter(patient=patient).order_by("-admitted_at", "-pk")[:TIMELINE_SHOWN]
    )
