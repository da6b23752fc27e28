"""Factories for programs, enrolments and sessions. ``EnrolmentFactory(enrolled=True)``
moves the new enrolment with the real transition, so it has its history."""

from __future__ import annotations

import factory

from accounts.roles import Role
from programs.models import Enrolment, EnrolmentStatus, Program, ProgramKind
from programs.transitions import enrolment_transition, record_created
from tests.factories import CareTeamFactory, PatientFactory, UserFactory


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Program {n}")
    kind = ProgramKind.SUBSTANCE_USE
    required_sessions = 10
    complete_within_days = 90
    attendance_threshold = 75
    team = factory.SubFactory(CareTeamFactory)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    class Params:
        enrolled = factory.Trait(state=EnrolmentStatus.ENROLLED)

    patient = factory.SubFactory(PatientFactory)
    program = factory.SubFactory(ProgramFactory)
    case_manager = factory.SubFactory(UserFactory, role=Role.CASE_MANAGER)
    state = EnrolmentStatus.REFERRED

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        state = kwargs.pop("state", EnrolmentStatus.REFERRED)
        enrolment = super()._create(model_class, *args, **kwargs)
        record_created(enrolment, by=enrolment.case_manager)
        if state == EnrolmentStatus.ENROLLED:
            # The case manager must see the patient to move it: their team's patient.
            enrolment = enrolment_transition(
                enrolment=enrolment, by=enrolment.case_manager, target=EnrolmentStatus.ENROLLED
            )
        return enrolment
