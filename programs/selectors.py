"""Reads of enrolments and attendance, from the patient scope rule."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User
from patients.models import Patient
from patients.selectors import patients_visible_to
from programs.models import Enrolment, Session

SESSIONS_SHOWN = 100


def enrolments_visible_to(user: User | AnonymousUser) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(patient__in=patients_visible_to(user))


def sessions_visible_to(user: User | AnonymousUser) -> QuerySet[Session]:
    return Session.objects.filter(enrolment__patient__in=patients_visible_to(user))


def patient_enrolments(patient: Patient) -> list[Enrolment]:
    """The patient page's enrolments with program and case manager: one query."""
    return list(
        Enrolment.objects.filter(patient=patient)
        .select_related("program", "case_manager")
        .order_by("-referred_on", "-pk")[:50]
    )


def enrolment_contents(enrolment: Enrolment) -> dict:
    """The enrolment page: sessions and status history, one query each."""
    return {
        "sessions": list(
            enrolment.sessions.select_related("recorded_by").order_by("-held_on", "-pk")[
                :SESSIONS_SHOWN
            ]
        ),
        "transitions": list(enrolment.transitions.select_related("actor")[:50]),
    }
