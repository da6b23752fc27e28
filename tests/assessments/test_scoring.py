"""Scoring per domain on fixed answers, the seeded screening, and the needs a positive
screen creates, links and resolves."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assessments import services
from assessments.models import (
    CORE_DOMAINS,
    Domain,
    DomainResult,
    IdentifiedNeed,
    NeedStatus,
    Question,
    ScreeningTemplate,
    Severity,
)
from assessments.selectors import patient_needs_summary, suggested_services
from careplans.models import CarePlanNeed
from referrals.models import ServiceCategory
from tests.assessments.conftest import answer
from tests.assessments.factories import (
    ScreeningTemplateFactory,
    question_with_options,
)
from tests.careplans.factories import CarePlanFactory, GoalFactory
from tests.factories import PatientFactory
from tests.referrals.factories import ReferralFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def scores_of(template, choices):
    chosen = []
    for question_id, option_id in answer(template, choices).items():
        question = Question.objects.get(pk=question_id)
        chosen.append((question, question.options.get(pk=option_id)))
    return services.score_domains(list(template.domain_rules.all()), chosen)


@pytest.mark.parametrize(
    ("food", "score", "positive", "severity"),
    [
        ([0, 0], 0, False, ""),
        ([1, 0], 1, True, Severity.MEDIUM),
        ([1, 1], 2, True, Severity.MEDIUM),
        ([2, 1], 3, True, Severity.HIGH),
        ([2, 2], 4, True, Severity.HIGH),
    ],
)
def test_food_is_scored_by_the_sum_of_its_answers(template, food, score, positive, severity):
    result = scores_of(template, {Domain.FOOD: food})[Domain.FOOD]
    assert (result.score, result.is_positive, result.severity) == (score, positive, severity)


@pytest.mark.parametrize(
    ("position", "positive", "severity"),
    [(0, False, ""), (1, True, Severity.MEDIUM), (3, True, Severity.MEDIUM), (4, True, "high")],
)
def test_a_flagging_answer_makes_its_domain_positive_below_the_threshold(
    template, position, positive, severity
):
    result = scores_of(template, {Domain.SAFETY: [position]})[Domain.SAFETY]
    assert (result.is_positive, result.severity) == (positive, severity)


def test_unanswered_domains_are_not_scored(template):
    assert set(scores_of(template, {Domain.FOOD: [0, 0]})) == {Domain.FOOD}


def test_the_standard_screening_is_seeded_in_english_and_spanish():
    template = ScreeningTemplate.objects.get(name="Health-related social needs screening")
    rules = {rule.domain: rule for rule in template.domain_rules.all()}
    assert set(rules) == set(Domain.values)
    assert {d for d, r in rules.items() if not r.is_optional} == set(CORE_DOMAINS)
    questions = list(template.questions.prefetch_related("options"))
    assert {q.domain for q in questions} == set(Domain.values)
    for question in questions:
        assert question.text_en and question.text_es
        assert question.options.all()
        for option in question.options.all():
            assert option.text_en and option.text_es
    assert questions[0].text_in("es") == questions[0].text_es


def test_seeded_screening_scores_a_worried_tenant_with_no_food(case_manager, patient):
    template = ScreeningTemplate.objects.get(name="Health-related social needs screening")
    by_domain = {}
    for question in template.questions.prefetch_related("options"):
        by_domain.setdefault(question.domain, []).append(question)
    answers = {}
    housing = by_domain[Domain.LIVING_SITUATION][0]
    answers[housing.pk] = housing.options.get(position=1).pk  # worried about losing it
    for question in by_domain[Domain.FOOD]:
        answers[question.pk] = question.options.get(position=0).pk  # often true
    transport = by_domain[Domain.TRANSPORTATION][0]
    answers[transport.pk] = transport.options.get(position=2).pk  # no
    assessment = services.assessment_record(
        patient=patient, template=template, by=case_manager, answers=answers
    )
    results = {r.domain: r for r in assessment.results.all()}
    assert results[Domain.LIVING_SITUATION].severity == Severity.MEDIUM
    assert results[Domain.FOOD].severity == Severity.HIGH
    assert not results[Domain.TRANSPORTATION].is_positive
    assert set(patient.identified_needs.values_list("domain", flat=True)) == {
        Domain.LIVING_SITUATION,
        Domain.FOOD,
    }


def test_a_positive_screen_creates_needs_and_a_repeat_updates_them(template, case_manager, patient):
    first = services.assessment_record(
        patient=patient,
        template=template,
        by=case_manager,
        answers=answer(template, {Domain.FOOD: [1, 0], Domain.SAFETY: [0]}),
        assessed_on=timezone.localdate() - datetime.timedelta(days=30),
    )
    assert DomainResult.objects.filter(assessment=first).count() == 2
    need = IdentifiedNeed.objects.get(patient=patient)
    assert (need.domain, need.severity, need.status) == (Domain.FOOD, "medium", NeedStatus.OPEN)
    assert need.assessment == first and need.identified_on == first.assessed_on

    second = services.assessment_record(
        patient=patient,
        template=template,
        by=case_manager,
        answers=answer(template, {Domain.FOOD: [2, 2], Domain.SAFETY: [0]}),
    )
    need.refresh_from_db()
    assert IdentifiedNeed.objects.filter(patient=patient).count() == 1
    assert (need.severity, need.last_assessment, need.assessment) == ("high", second, first)

    summary = patient_needs_summary(patient)
    food = next(row for row in summary["domain_rows"] if row.domain == Domain.FOOD)
    assert (food.latest.score, food.previous.score, food.change) == (4, 1, "worse")
    safety = next(row for row in summary["domain_rows"] if row.domain == Domain.SAFETY)
    assert safety.change == "same"


def test_optional_answers_count_only_when_the_optional_part_was_asked(
    template, case_manager, patient
):
    answers = answer(template, {Domain.FOOD: [0, 0], Domain.FINANCIAL: [2]})
    skipped = services.assessment_record(
        patient=patient, template=template, by=case_manager, answers=answers
    )
    assert set(skipped.results.values_list("domain", flat=True)) == {Domain.FOOD}
    asked = services.assessment_record(
        patient=patient,
        template=template,
        by=case_manager,
        answers=answers,
        included_optional=True,
    )
    assert asked.results.get(domain=Domain.FINANCIAL).severity == Severity.HIGH


def test_an_answer_from_another_template_is_refused(template, case_manager, patient):
    other = ScreeningTemplateFactory()
    stray = question_with_options(other, Domain.FOOD, [0, 1])
    with pytest.raises(ValidationError):
        services.assessment_record(
            patient=patient,
            template=template,
            by=case_manager,
            answers={stray.pk: stray.options.first().pk},
        )


def test_a_need_is_resolved_by_the_referral_that_met_it(template, case_manager, patient):
    services.assessment_record(
        patient=patient,
        template=template,
        by=case_manager,
        answers=answer(template, {Domain.FOOD: [2, 2]}),
    )
    need = IdentifiedNeed.objects.get(patient=patient, domain=Domain.FOOD)
    referral = ReferralFactory(patient=patient, referred_by=case_manager, closed=True)
    resolved = services.need_resolve(need=need, by=case_manager, referral=referral)
    assert resolved.status == NeedStatus.RESOLVED
    assert resolved.resolved_by_referral == referral
    assert resolved.resolved_on == timezone.localdate() and resolved.resolved_by == case_manager
    with pytest.raises(ValidationError):
        services.need_resolve(need=resolved, by=case_manager, note="again")
    # Screening positive again later opens a new need for the domain.
    services.assessment_record(
        patient=patient,
        template=template,
        by=case_manager,
        answers=answer(template, {Domain.FOOD: [1, 0]}),
    )
    assert patient.identified_needs.filter(domain=Domain.FOOD).count() == 2
    assert patient.identified_needs.open().count() == 1


def test_a_need_is_not_resolved_before_it_was_identified(case_manager, patient):
    from tests.assessments.factories import IdentifiedNeedFactory

    identified = timezone.localdate() - datetime.timedelta(days=3)
    need = IdentifiedNeedFactory(patient=patient, identified_on=identified)
    with pytest.raises(ValidationError, match="cannot be resolved before"):
        services.need_resolve(
            need=need,
            by=case_manager,
            note="Food bank visit",
            resolved_on=identified - datetime.timedelta(days=1),
        )
    assert IdentifiedNeed.objects.get(pk=need.pk).status == NeedStatus.OPEN
    resolved = services.need_resolve(
        need=need, by=case_manager, note="Food bank visit", resolved_on=identified
    )
    assert resolved.resolved_on == identified


def test_resolving_needs_a_referral_goal_or_note_of_the_same_patient(case_manager, patient):
    from tests.assessments.factories import IdentifiedNeedFactory

    need = IdentifiedNeedFactory(patient=patient)
    with pytest.raises(ValidationError):
        services.need_resolve(need=need, by=case_manager)
    elsewhere = ReferralFactory(patient=PatientFactory(care_team=patient.care_team))
    with pytest.raises(PermissionDenied):
        services.need_resolve(need=need, by=case_manager, referral=elsewhere)
    plan = CarePlanFactory(patient=patient, author=case_manager, active=True)
    goal = GoalFactory(care_plan=plan, active=True)
    assert services.need_resolve(need=need, by=case_manager, goal=goal).resolved_by_goal == goal


def test_a_care_plan_addresses_a_need(case_manager, patient):
    from tests.assessments.factories import IdentifiedNeedFactory

    need = IdentifiedNeedFactory(patient=patient)
    plan = CarePlanFactory(patient=patient, author=case_manager)
    plan_need = CarePlanNeed.objects.create(
        care_plan=plan, category="social", description="Not enough food"
    )
    linked = services.need_address(need=need, by=case_manager, care_plan_need=plan_need)
    assert linked.is_addressed
    assert not IdentifiedNeed.objects.unaddressed().filter(pk=need.pk).exists()
    other_plan = CarePlanFactory(patient=PatientFactory(care_team=patient.care_team))
    stray = CarePlanNeed.objects.create(care_plan=other_plan, category="social", description="x")
    with pytest.raises(PermissionDenied):
        services.need_address(need=need, by=case_manager, care_plan_need=stray)


def test_a_need_suggests_directory_services_of_its_categories(patient):
    from tests.assessments.factories import IdentifiedNeedFactory

    pantry = ServiceFactory(category=ServiceCategory.FOOD, name="Pantry")
    ServiceFactory(category=ServiceCategory.HOUSING, name="Shelter")
    ServiceFactory(category=ServiceCategory.FOOD, name="Closed pantry", is_active=False)
    need = IdentifiedNeedFactory(patient=patient, domain=Domain.FOOD)
    assert suggested_services(need) == [pantry]
