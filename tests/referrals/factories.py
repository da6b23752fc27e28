"""Factories for the directory and referrals. States are reached through the real moves:
``ReferralFactory(scheduled=True)`` sends, accepts and schedules it with transitions.py,
so every referral in a state has the transition records that led there."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from accounts.roles import Role
from referrals import services
from referrals.models import (
    ConsentMethod,
    Need,
    Organization,
    OutcomeCode,
    Priority,
    Referral,
    ReferralStatus,
    Service,
    ServiceCategory,
    SharingConsent,
)
from referrals.transitions import referral_move
from tests.factories import PatientFactory, UserFactory

S = ReferralStatus

# The moves that lead from draft to each state.
PATHS = {
    S.DRAFT: [],
    S.SENT: [S.SENT],
    S.RECEIVED: [S.SENT, S.RECEIVED],
    S.ACCEPTED: [S.SENT, S.ACCEPTED],
    S.DECLINED: [S.SENT, S.DECLINED],
    S.SCHEDULED: [S.SENT, S.ACCEPTED, S.SCHEDULED],
    S.NO_SHOW: [S.SENT, S.ACCEPTED, S.SCHEDULED, S.NO_SHOW],
    S.OUTCOME_RECORDED: [S.SENT, S.ACCEPTED, S.SCHEDULED, S.OUTCOME_RECORDED],
    S.CLOSED: [S.SENT, S.ACCEPTED, S.SCHEDULED, S.OUTCOME_RECORDED, S.CLOSED],
    S.CANCELLED: [S.SENT, S.CANCELLED],
}


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Organization {n}")
    email = "info@org.example"


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    category = ServiceCategory.FOOD
    languages = "en,es"
    email = factory.Sequence(lambda n: f"intake{n}@service.example")
    accepts_referrals = True


class SharingConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SharingConsent

    patient = factory.SubFactory(PatientFactory)
    organization = factory.SubFactory(OrganizationFactory)
    granted_by = "The patient"
    method = ConsentMethod.WRITTEN
    granted_on = factory.LazyFunction(timezone.localdate)
    recorded_by = factory.SubFactory(UserFactory, role=Role.COORDINATOR)


def walk(referral: Referral, path: list[str], *, by=None) -> Referral:
    """Move ``referral`` along ``path`` with the real moves (consent recorded for sending)."""
    by = by or referral.referred_by
    for target in path:
        if target == S.SENT:
            if (
                referral.service_id
                and not referral.patient.sharing_consents.filter(
                    organization_id=referral.service.organization_id
                ).exists()
            ):
                SharingConsentFactory(
                    patient=referral.patient,
                    organization=referral.service.organization,
                    recorded_by=by,
                )
            referral = services.referral_send(
                referral=referral,
                by=by,
                expected_version=referral.version,
                consent_override_reason="" if referral.service_id else "Outside the directory",
            )
            continue
        referral = referral_move(
            referral=referral,
            to=target,
            by=by,
            expected_version=referral.version,
            reason="Because" if target in (S.DECLINED, S.CANCELLED, S.NO_SHOW) else "",
            appointment_at=timezone.now() + datetime.timedelta(days=3)
            if target == S.SCHEDULED
            else None,
            outcome_code=OutcomeCode.GOT_HELP if target == S.OUTCOME_RECORDED else "",
        ).referral
    return referral


class ReferralFactory(factory.django.DjangoModelFactory):
    """A draft; ``ReferralFactory(<state>=True)`` walks it there (see PATHS)."""

    class Meta:
        model = Referral

    class Params:
        sent = factory.Trait(state=S.SENT)
        received = factory.Trait(state=S.RECEIVED)
        accepted = factory.Trait(state=S.ACCEPTED)
        declined = factory.Trait(state=S.DECLINED)
        scheduled = factory.Trait(state=S.SCHEDULED)
        no_show = factory.Trait(state=S.NO_SHOW)
        outcome_recorded = factory.Trait(state=S.OUTCOME_RECORDED)
        closed = factory.Trait(state=S.CLOSED)
        cancelled = factory.Trait(state=S.CANCELLED)

    patient = factory.SubFactory(PatientFactory)
    service = factory.SubFactory(ServiceFactory)
    reason = "Needs help with groceries after discharge."
    needs = factory.LazyFunction(lambda: [Need.FOOD])
    priority = Priority.ROUTINE
    referred_by = factory.SubFactory(UserFactory, role=Role.COORDINATOR)

    # Not a model field: _create takes it off and walks the new draft there.
    state = S.DRAFT

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        state = S(kwargs.pop("state", S.DRAFT))
        referral = super()._create(model_class, *args, **kwargs)
        if state != S.DRAFT:
            walk(referral, PATHS[state])
            referral.refresh_from_db()
        return referral
