"""Factories for screening templates, assessments and needs."""

from __future__ import annotations

import factory
from django.utils import timezone

from accounts.roles import Role
from assessments.models import (
    AnswerOption,
    Assessment,
    DomainRule,
    IdentifiedNeed,
    Question,
    ScreeningTemplate,
    Severity,
)
from tests.factories import PatientFactory, UserFactory


class ScreeningTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScreeningTemplate

    name = factory.Sequence(lambda n: f"Screening {n}")
    name_es = factory.Sequence(lambda n: f"Evaluación {n}")


class DomainRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DomainRule

    template = factory.SubFactory(ScreeningTemplateFactory)
    domain = "food"
    positive_at = 1
    high_at = 3


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    template = factory.SubFactory(ScreeningTemplateFactory)
    domain = "food"
    text_en = factory.Sequence(lambda n: f"Question {n}?")
    text_es = factory.Sequence(lambda n: f"¿Pregunta {n}?")


class AnswerOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnswerOption

    question = factory.SubFactory(QuestionFactory)
    text_en = factory.Sequence(lambda n: f"Answer {n}")
    text_es = factory.Sequence(lambda n: f"Respuesta {n}")
    score = 0


def question_with_options(template, domain: str, scores: list[int], flags=()) -> Question:
    """A question whose options score ``scores`` (option ``i`` flags when i in flags)."""
    question = QuestionFactory(template=template, domain=domain)
    for position, score in enumerate(scores):
        AnswerOptionFactory(
            question=question, position=position, score=score, flags_domain=position in flags
        )
    return question


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    patient = factory.SubFactory(PatientFactory)
    template = factory.SubFactory(ScreeningTemplateFactory)
    assessed_on = factory.LazyFunction(timezone.localdate)
    assessed_by = factory.SubFactory(UserFactory, role=Role.CASE_MANAGER)


class IdentifiedNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdentifiedNeed

    patient = factory.SubFactory(PatientFactory)
    domain = "food"
    severity = Severity.HIGH
    identified_on = factory.LazyFunction(timezone.localdate)
    assessment = factory.SubFactory(AssessmentFactory, patient=factory.SelfAttribute("..patient"))
    last_assessment = factory.SelfAttribute("assessment")
