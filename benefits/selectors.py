"""Reads of coverage, authorisations and applications, from the patient scope rule, and
the case manager's benefits and programs view across their teams."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from assessments.models import IdentifiedNeed, Severity
from benefits.models import (
    ApplicationStatus,
    BenefitApplication,
    Coverage,
    CoverageStatus,
    PriorAuthorisation,
    RequiredDocument,
)
from patients.models import Patient
from patients.selectors import patients_visible_to
from programs.models import Enrolment

HORIZON = datetime.timedelta(days=30)
ROWS_SHOWN = 100


def coverages_visible_to(user: User | AnonymousUser) -> QuerySet[Coverage]:
    return Coverage.objects.filter(patient__in=patients_visible_to(user))


def authorisations_visible_to(user: User | AnonymousUser) -> QuerySet[PriorAuthorisation]:
    return PriorAuthorisation.objects.filter(patient__in=patients_visible_to(user))


def applications_visible_to(user: User | AnonymousUser) -> QuerySet[BenefitApplication]:
    return BenefitApplication.objects.filter(patient__in=patients_visible_to(user))


def documents_visible_to(user: User | AnonymousUser) -> QuerySet[RequiredDocument]:
    return RequiredDocument.objects.filter(application__patient__in=patients_visible_to(user))


def patient_benefits(patient: Patient) -> dict:
    """Coverage, authorisations and applications of the patient page: three queries
    (applications count their missing documents in the same query)."""
    return {
        "coverages": list(
            Coverage.objects.filter(patient=patient)
            .exclude(status=CoverageStatus.ENTERED_IN_ERROR)
            .order_by("order", "-effective_from", "-pk")[:20]
        ),
        "authorisations": list(
            PriorAuthorisation.objects.filter(patient=patient).order_by("-valid_to", "-pk")[:20]
        ),
        "applications": list(
            BenefitApplication.objects.filter(patient=patient)
            .select_related("case_manager")
            .annotate(
                documents_missing=Count("documents", filter=Q(documents__status="missing")),
                documents_total=Count("documents"),
            )
            .order_by("-created_at", "-pk")[:20]
        ),
    }


def application_contents(application: BenefitApplication) -> dict:
    return {
        "documents": list(application.documents.all()),
        "transitions": list(application.transitions.select_related("actor")[:50]),
    }


@dataclass
class Casework:
    """The case manager's view; each list holds at most ROWS_SHOWN rows."""

    applications_by_status: list[tuple[str, str, int]]
    open_applications: list[BenefitApplication]
    renewals_due: list[BenefitApplication]
    authorisations_expiring: list[PriorAuthorisation]
    low_attendance: list[Enrolment]
    high_needs: list[IdentifiedNeed]
    today: datetime.date
    horizon: datetime.date
    rows_shown: int = ROWS_SHOWN


OPEN_APPLICATION_STATUSES = [
    ApplicationStatus.NOT_STARTED,
    ApplicationStatus.GATHERING_DOCUMENTS,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.PENDING_DECISION,
    ApplicationStatus.DENIED,
    ApplicationStatus.APPEAL,
]


def casework_for(user: User, *, today: datetime.date | None = None) -> Casework:
    """Six queries whatever the caseload: counts by status, open applications, renewals
    and authorisations due within 30 days (renewals overdue too), enrolments below their attendance threshold,
    and open high-severity needs no care plan addresses yet. All in the user's scope."""
    today = today or timezone.localdate()
    horizon = today + HORIZON
    visible = patients_visible_to(user).values("pk")
    applications = BenefitApplication.objects.filter(patient__in=visible)
    counts = dict(
        applications.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return Casework(
        applications_by_status=[
            (value, label, counts.get(value, 0)) for value, label in ApplicationStatus.choices
        ],
        open_applications=list(
            applications.filter(status__in=OPEN_APPLICATION_STATUSES)
            .select_related("patient", "case_manager")
            .order_by("status", "decision_due_on", "pk")[:ROWS_SHOWN]
        ),
        renewals_due=list(
            applications.renewals_due_by(horizon)
            .select_related("patient", "case_manager")
            .order_by("renewal_due_on", "pk")[:ROWS_SHOWN]
        ),
        authorisations_expiring=list(
            PriorAuthorisation.objects.filter(patient__in=visible)
            .expiring_between(today, horizon)
            .select_related("patient")
            .order_by("valid_to", "pk")[:ROWS_SHOWN]
        ),
        low_attendance=list(
            Enrolment.objects.filter(patient__in=visible)
            .below_threshold()
            .select_related("patient", "program", "case_manager")
            .order_by("program__name", "pk")[:ROWS_SHOWN]
        ),
        high_needs=list(
            IdentifiedNeed.objects.filter(patient__in=visible, severity=Severity.HIGH)
            .unaddressed()
            .select_related("patient")
            .order_by("identified_on", "pk")[:ROWS_SHOWN]
        ),
        today=today,
        horizon=horizon,
    )
