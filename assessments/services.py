"""Every write to assessments and identified needs, and the scoring they rest on.

Interfaces authorise first (assessments.permissions); these validate and save.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from assessments.models import (
    AnswerOption,
    Assessment,
    AssessmentAnswer,
    DomainResult,
    DomainRule,
    IdentifiedNeed,
    NeedStatus,
    Question,
    ScreeningTemplate,
    Severity,
)
from careplans.models import CarePlanNeed, Goal
from patients.models import Patient
from referrals.models import Referral


@dataclass(frozen=True)
class DomainScore:
    domain: str
    score: int
    is_positive: bool
    severity: str  # "" when negative


def score_domains(
    rules: list[DomainRule], answers: list[tuple[Question, AnswerOption]]
) -> dict[str, DomainScore]:
    """Score each domain that has a rule and at least one answer.

    A domain's score is the sum of its answers' scores. It is positive when the score
    reaches the rule's ``positive_at`` or an answer that flags the domain was chosen; a
    positive domain is of high severity from ``high_at`` points, medium below (a flagging
    answer alone, e.g. any "yes" on safety, gives at least medium).
    """
    by_domain: dict[str, list[AnswerOption]] = {}
    for question, option in answers:
        by_domain.setdefault(question.domain, []).append(option)
    scores = {}
    for rule in rules:
        options = by_domain.get(rule.domain)
        if not options:
            continue
        score = sum(option.score for option in options)
        flagged = any(option.flags_domain for option in options)
        positive = flagged or score >= rule.positive_at
        if not positive:
            severity = ""
        elif score >= rule.high_at:
            severity = Severity.HIGH
        else:
            severity = Severity.MEDIUM
        scores[rule.domain] = DomainScore(rule.domain, score, positive, severity)
    return scores


def _load_template(template_id: int) -> tuple[ScreeningTemplate, list[DomainRule], dict]:
    template = ScreeningTemplate.objects.get(pk=template_id)
    rules = list(template.domain_rules.all())
    questions = {
        q.pk: q for q in Question.objects.filter(template=template).prefetch_related("options")
    }
    return template, rules, questions


@transaction.atomic
def assessment_record(
    *,
    patient: Patient,
    template: ScreeningTemplate,
    by: User,
    answers: Mapping[int, int],
    assessed_on: datetime.date | None = None,
    language: str = "en",
    included_optional: bool = False,
    notes: str = "",
) -> Assessment:
    """Record a screening: ``answers`` maps question id to the chosen option id.

    Writes the answers, one DomainResult per domain answered, and for every positive
    domain an open IdentifiedNeed (a new one, or the open one of that domain with its
    severity brought up to date).
    """
    if not patient.is_open:
        raise ValidationError(
            _("This patient is %(status)s: no new assessments.")
            % {"status": patient.get_status_display().lower()}
        )
    template, rules, questions = _load_template(template.pk)
    if not template.is_active:
        raise ValidationError(_("This screening template is no longer in use."))
    optional_domains = {rule.domain for rule in rules if rule.is_optional}
    chosen: list[tuple[Question, AnswerOption]] = []
    errors = {}
    for question_id, option_id in answers.items():
        question = questions.get(int(question_id))
        if question is None:
            raise ValidationError(_("An answer is for a question of another template."))
        option = next((o for o in question.options.all() if o.pk == int(option_id)), None)
        if option is None:
            raise ValidationError(_("An answer is not one of its question's options."))
        if question.domain in optional_domains and not included_optional:
            continue
        chosen.append((question, option))
    for question in questions.values():
        asked = included_optional or question.domain not in optional_domains
        if asked and question.is_required and question.pk not in {q.pk for q, _o in chosen}:
            errors[f"question_{question.pk}"] = _("Answer this question.")
    if errors:
        raise ValidationError(errors)
    if not chosen:
        raise ValidationError(_("Answer at least one question."))

    assessment = Assessment(
        patient=patient,
        template=template,
        assessed_by=by,
        assessed_on=assessed_on or timezone.localdate(),
        language=language,
        included_optional=included_optional,
        notes=notes.strip(),
    )
    assessment.full_clean()
    assessment.save()
    AssessmentAnswer.objects.bulk_create(
        AssessmentAnswer(assessment=assessment, question=q, option=o) for q, o in chosen
    )
    scores = score_domains(rules, chosen)
    DomainResult.objects.bulk_create(
        DomainResult(
            assessment=assessment,
            domain=s.domain,
            score=s.score,
            is_positive=s.is_positive,
            severity=s.severity,
        )
        for s in scores.values()
    )
    _identify_needs(assessment, [s for s in scores.values() if s.is_positive])
    return assessment


def _identify_needs(assessment: Assessment, positives: list[DomainScore]) -> None:
    if not positives:
        return
    # One screening's needs at a time per patient: locking the open needs alone locks
    # nothing when there are none yet, and two screenings recorded at once would both
    # insert the domain's need (one open need per domain: the second would fail).
    list(Patient.objects.select_for_update().filter(pk=assessment.patient_id).values_list("pk"))
    open_needs = {
        need.domain: need
        for need in IdentifiedNeed.objects.select_for_update()
        .open()
        .filter(patient_id=assessment.patient_id, domain__in=[s.domain for s in positives])
    }
    for result in positives:
        need = open_needs.get(result.domain)
        if need is None:
            IdentifiedNeed.objects.create(
                patient_id=assessment.patient_id,
                domain=result.domain,
                severity=result.severity,
                identified_on=assessment.assessed_on,
                assessment=assessment,
                last_assessment=assessment,
            )
            continue
        # An older screening recorded later does not overwrite a newer one's severity.
        if assessment.assessed_on >= need.last_assessment.assessed_on:
            need.severity = result.severity
            need.last_assessment = assessment
            need.save(update_fields=["severity", "last_assessment", "updated_at"])


def _patient_of_goal(goal: Goal) -> int:
    return Goal.objects.values_list("care_plan__patient_id", flat=True).get(pk=goal.pk)


@transaction.atomic
def need_address(
    *,
    need: IdentifiedNeed,
    by: User,
    care_plan_need: CarePlanNeed | None = None,
    goal: Goal | None = None,
) -> IdentifiedNeed:
    """Link an open need to the care plan need or goal that addresses it (or unlink)."""
    current = IdentifiedNeed.objects.select_for_update().get(pk=need.pk)
    if not current.is_open:
        raise ValidationError(_("This need is resolved."))
    if care_plan_need is not None:
        owner = CarePlanNeed.objects.values_list("care_plan__patient_id", flat=True).get(
            pk=care_plan_need.pk
        )
        if owner != current.patient_id:
            raise PermissionDenied
    if goal is not None and _patient_of_goal(goal) != current.patient_id:
        raise PermissionDenied
    current.care_plan_need = care_plan_need
    current.goal = goal
    current.save(update_fields=["care_plan_need", "goal", "updated_at"])
    return current


@transaction.atomic
def need_resolve(
    *,
    need: IdentifiedNeed,
    by: User,
    referral: Referral | None = None,
    goal: Goal | None = None,
    note: str = "",
    resolved_on: datetime.date | None = None,
) -> IdentifiedNeed:
    """Mark a need resolved, with the referral or goal that resolved it, or a note."""
    current = IdentifiedNeed.objects.select_for_update().get(pk=need.pk)
    if not current.is_open:
        raise ValidationError(_("This need is already resolved."))
    if referral is None and goal is None and not note.strip():
        raise ValidationError(
            {"note": _("Choose the referral or goal that resolved it, or say how it was resolved.")}
        )
    if referral is not None and referral.patient_id != current.patient_id:
        raise PermissionDenied
    if goal is not None and _patient_of_goal(goal) != current.patient_id:
        raise PermissionDenied
    resolved_on = resolved_on or timezone.localdate()
    if resolved_on > timezone.localdate():
        raise ValidationError({"resolved_on": _("A need cannot be resolved in the future.")})
    if resolved_on < current.identified_on:
        raise ValidationError(
            {
                "resolved_on": _(
                    "The need was identified on %(day)s: it cannot be resolved before."
                )
                % {"day": current.identified_on.isoformat()}
            }
        )
    current.status = NeedStatus.RESOLVED
    current.resolved_by_referral = referral
    current.resolved_by_goal = goal
    current.resolution_note = note.strip()
    current.resolved_on = resolved_on
    current.resolved_by = by
    current.save(
        update_fields=[
            "status",
            "resolved_by_referral",
            "resolved_by_goal",
            "resolution_note",
            "resolved_on",
            "resolved_by",
            "updated_at",
        ]
    )
    return current
