"""Factories for coverage, authorisations and benefit applications."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from accounts.roles import Role
from benefits import services
from benefits.models import (
    ApplicationStatus,
    BenefitApplication,
    BenefitProgram,
    Coverage,
    PriorAuthorisation,
)
from benefits.transitions import application_transition
from tests.factories import PatientFactory, UserFactory


class CoverageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coverage

    patient = factory.SubFactory(PatientFactory)
    payer = "MassHealth"
    plan_name = "Standard"
    member_id = factory.Sequence(lambda n: f"M{n:08d}")
    effective_from = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=200)
    )


class PriorAuthorisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriorAuthorisation

    patient = factory.SubFactory(PatientFactory)
    service = "Home health aide"
    payer = "MassHealth"
    reference_number = factory.Sequence(lambda n: f"PA-{n:06d}")
    units_approved = 20
    units_used = 5
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=60))
    valid_to = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=20))


A = ApplicationStatus
# The moves that lead from "not started" to each state.
PATHS = {
    A.NOT_STARTED: [],
    A.GATHERING_DOCUMENTS: [A.GATHERING_DOCUMENTS],
    A.SUBMITTED: [A.GATHERING_DOCUMENTS, A.SUBMITTED],
    A.PENDING_DECISION: [A.GATHERING_DOCUMENTS, A.SUBMITTED, A.PENDING_DECISION],
    A.APPROVED: [A.GATHERING_DOCUMENTS, A.SUBMITTED, A.APPROVED],
    A.DENIED: [A.GATHERING_DOCUMENTS, A.SUBMITTED, A.DENIED],
    A.APPEAL: [A.GATHERING_DOCUMENTS, A.SUBMITTED, A.DENIED, A.APPEAL],
}


class BenefitApplicationFactory(factory.django.DjangoModelFactory):
    """Started through benefits.services (checklist, history, reminders);
    ``BenefitApplicationFactory(state=...)`` walks the real moves there as its case
    manager, who must be a case manager of the patient's team."""

    class Meta:
        model = BenefitApplication

    patient = factory.SubFactory(PatientFactory)
    program = BenefitProgram.SNAP
    case_manager = factory.SubFactory(UserFactory, role=Role.CASE_MANAGER)
    state = A.NOT_STARTED

    @classmethod
    def _create(cls, model_class, *args, state=A.NOT_STARTED, **kwargs):
        application = services.application_create(
            patient=kwargs["patient"],
            by=kwargs["case_manager"],
            program=kwargs["program"],
            case_manager=kwargs["case_manager"],
            data={k: v for k, v in kwargs.items() if k in services.APPLICATION_FIELDS},
        )
        for target in PATHS[state]:
            application = application_transition(
                application=application,
                by=application.case_manager,
                target=target,
                reason="Over the income limit" if target == A.DENIED else "",
            )
        return application
