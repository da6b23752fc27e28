"""Fixtures of the assessments tests: a small screening template and its answers."""

from __future__ import annotations

import pytest

from assessments.models import Domain, Question
from tests.assessments.factories import (
    DomainRuleFactory,
    ScreeningTemplateFactory,
    question_with_options,
)


@pytest.fixture
def template():
    """Food: two questions scoring 0-2, positive at 1, high at 3. Safety: one question
    scoring 0-4 whose answers from 1 up flag the domain, positive at 3, high at 4.
    Finances: optional, 0-2, positive at 1."""
    template = ScreeningTemplateFactory()
    DomainRuleFactory(template=template, domain=Domain.FOOD, positive_at=1, high_at=3)
    DomainRuleFactory(template=template, domain=Domain.SAFETY, positive_at=3, high_at=4)
    DomainRuleFactory(
        template=template, domain=Domain.FINANCIAL, positive_at=1, high_at=2, is_optional=True
    )
    question_with_options(template, Domain.FOOD, [0, 1, 2])
    question_with_options(template, Domain.FOOD, [0, 1, 2])
    question_with_options(template, Domain.SAFETY, [0, 1, 2, 3, 4], flags={1, 2, 3, 4})
    question_with_options(template, Domain.FINANCIAL, [0, 1, 2])
    return template


def answer(template, choices: dict[str, list[int]]) -> dict[int, int]:
    """{domain: [option position for each of its questions, in order]} -> {question: option}."""
    answers = {}
    for domain, positions in choices.items():
        questions = Question.objects.filter(template=template, domain=domain).order_by("pk")
        for question, position in zip(questions, positions, strict=True):
            answers[question.pk] = question.options.order_by("position")[position].pk
    return answers
