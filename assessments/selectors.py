"""Reads of assessments and needs. Every one starts from the patient scope rule
(patients.selectors.patients_visible_to)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User
from assessments.models import (
    DOMAIN_SERVICE_CATEGORIES,
    SEVERITY_RANK,
    Assessment,
    Domain,
    DomainResult,
    IdentifiedNeed,
    NeedStatus,
)
from patients.models import Patient
from patients.selectors import patients_visible_to
from referrals.models import Service

ASSESSMENTS_SHOWN = 10
SUGGESTIONS_PER_NEED = 5


def assessments_visible_to(user: User | AnonymousUser) -> QuerySet[Assessment]:
    return Assessment.objects.filter(patient__in=patients_visible_to(user))


def needs_visible_to(user: User | AnonymousUser) -> QuerySet[IdentifiedNeed]:
    return IdentifiedNeed.objects.filter(patient__in=patients_visible_to(user))


@dataclass
class DomainRow:
    """One line of the patient page: the latest result of a domain and how it changed."""

    domain: str
    label: str
    latest: DomainResult | None
    previous: DomainResult | None
    need: IdentifiedNeed | None

    @property
    def change(self) -> str:
        """new, better, worse, same or "" (nothing to compare with)."""
        if self.latest is None or self.previous is None:
            return "new" if self.latest is not None and self.latest.is_positive else ""
        now = SEVERITY_RANK.get(self.latest.severity, 0)
        before = SEVERITY_RANK.get(self.previous.severity, 0)
        if now == before:
            if self.latest.score == self.previous.score:
                return "same"
            return "worse" if self.latest.score > self.previous.score else "better"
        return "worse" if now > before else "better"


def patient_needs_summary(patient: Patient) -> dict:
    """The needs section of the patient page in three queries: the latest assessments,
    the domain results of the two most recent, and the needs (open and resolved)."""
    assessments = list(
        Assessment.objects.filter(patient=patient)
        .select_related("assessed_by", "template")
        .latest_first()[:ASSESSMENTS_SHOWN]
    )
    latest_two = [a.pk for a in assessments[:2]]
    results: dict[int, dict[str, DomainResult]] = {pk: {} for pk in latest_two}
    for result in DomainResult.objects.filter(assessment_id__in=latest_two):
        results[result.assessment_id][result.domain] = result
    needs = list(
        IdentifiedNeed.objects.filter(patient=patient)
        .select_related(
            "care_plan_need", "goal", "resolved_by_referral__service", "resolved_by_goal"
        )
        .order_by("status", "domain", "-identified_on", "-pk")[:50]
    )
    open_needs = {n.domain: n for n in needs if n.status == NeedStatus.OPEN}
    latest = results.get(latest_two[0], {}) if latest_two else {}
    previous = results.get(latest_two[1], {}) if len(latest_two) > 1 else {}
    rows = [
        DomainRow(value, label, latest.get(value), previous.get(value), open_needs.get(value))
        for value, label in Domain.choices
        if value in latest or value in previous or value in open_needs
    ]
    return {
        "assessments": assessments,
        "latest_assessment": assessments[0] if assessments else None,
        "previous_assessment": assessments[1] if len(assessments) > 1 else None,
        "domain_rows": rows,
        "open_needs": [n for n in needs if n.status == NeedStatus.OPEN],
        "resolved_needs": [n for n in needs if n.status == NeedStatus.RESOLVED],
    }


def suggested_services(need: IdentifiedNeed, *, language: str = "") -> list[Service]:
    """Active directory services of the categories the need's domain maps to (one query)."""
    categories = DOMAIN_SERVICE_CATEGORIES.get(need.domain, ())
    if not categories:
        return []
    services = (
        Service.objects.available()
        .filter(category__in=categories, accepts_referrals=True)
        .speaking(language)
        .select_related("organization")
    )
    return list(services.order_by("name", "pk")[:SUGGESTIONS_PER_NEED])


def assessment_contents(assessment: Assessment) -> dict:
    """The assessment page: answers with their questions and options, and domain results."""
    return {
        "answers": list(
            assessment.answers.select_related("question", "option").order_by(
                "question__position", "question__pk"
            )
        ),
        "results": list(assessment.results.order_by("domain")),
        "needs": list(assessment.needs_identified.all()),
    }
