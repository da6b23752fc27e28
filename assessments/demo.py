"""Demo needs assessments for seed_demo: about a quarter of active patients were screened
with the standard screening (core questions), a third of those twice; positive domains
have their open needs, some addressed by a care plan need, a few resolved.

Rows are plain tuples written by carehub.bulk (COPY on PostgreSQL); scoring uses the
same rule as assessments.services.score_domains on the seeded template's rows.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.utils import timezone

from assessments.models import (
    Assessment,
    AssessmentAnswer,
    DomainResult,
    IdentifiedNeed,
    ScreeningTemplate,
)
from carehub.bulk import BulkTable, bulk_load, rows_in_batches
from patients.models import Patient, PatientStatus

CHUNK = 5_000
TEMPLATE = "Health-related social needs screening"


class _Seeder:
    def __init__(self, *, rng: random.Random, staff, template: ScreeningTemplate):
        self.rng = rng
        self.today = timezone.localdate()
        self.case_managers = {t.team.pk: t.case_manager.pk for t in staff.teams}
        self.template_id = template.pk
        rules = {r.domain: r for r in template.domain_rules.filter(is_optional=False)}
        self.rules = rules
        # (question id, domain, [(option id, score, flags)] from the lowest score up).
        self.questions = [
            (
                q.pk,
                q.domain,
                sorted(
                    ((o.pk, o.score, o.flags_domain) for o in q.options.all()), key=lambda o: o[1]
                ),
            )
            for q in template.questions.filter(domain__in=list(rules)).prefetch_related("options")
        ]
        self.assessments = BulkTable(
            Assessment,
            ["patient_id", "template_id", "assessed_on", "assessed_by_id", "language",
             "included_optional", "notes", "created_at"],
        )  # fmt: skip
        self.answers = BulkTable(AssessmentAnswer, ["assessment_id", "question_id", "option_id"])
        self.results = BulkTable(
            DomainResult, ["assessment_id", "domain", "score", "is_positive", "severity"]
        )
        self.needs = BulkTable(
            IdentifiedNeed,
            ["patient_id", "domain", "severity", "status", "identified_on", "assessment_id",
             "last_assessment_id", "resolution_note", "resolved_on", "resolved_by_id",
             "created_at", "updated_at"],
        )  # fmt: skip
        self.tables = [self.assessments, self.answers, self.results, self.needs]

    def screen(self, *, patient_id, by, on, language, worry):
        """One assessment; ``worry`` is the chance of a non-zero answer."""
        rng = self.rng
        moment = timezone.make_aware(datetime.datetime.combine(on, datetime.time(10)))
        assessment_id = self.assessments.add(
            patient_id=patient_id,
            template_id=self.template_id,
            assessed_on=on,
            assessed_by_id=by,
            language=language,
            included_optional=False,
            notes="",
            created_at=moment,
        )
        scores: dict[str, list[int]] = {}
        flagged: set[str] = set()
        for question_id, domain, options in self.questions:
            option_id, score, flags = (
                rng.choice(options[1:]) if rng.random() < worry else options[0]
            )
            self.answers.add_row((assessment_id, question_id, option_id))
            scores.setdefault(domain, []).append(score)
            if flags:
                flagged.add(domain)
        positives = {}
        for domain, values in scores.items():
            rule, total = self.rules[domain], sum(values)
            positive = domain in flagged or total >= rule.positive_at
            severity = ("high" if total >= rule.high_at else "medium") if positive else ""
            self.results.add_row((assessment_id, domain, total, positive, severity))
            if positive:
                positives[domain] = severity
        return assessment_id, positives, moment

    def patient(self, *, patient_id, team_id, language):
        rng = self.rng
        by = self.case_managers.get(team_id)
        if by is None:
            return
        language = "es" if language == "es" else "en"
        worry = rng.choice([0.05, 0.15, 0.3, 0.5])
        first_on = self.today - datetime.timedelta(days=rng.randint(100, 400))
        first, positives, moment = self.screen(
            patient_id=patient_id, by=by, on=first_on, language=language, worry=worry
        )
        last, last_positives = first, positives
        if rng.random() < 0.35:
            last_on = self.today - datetime.timedelta(days=rng.randint(1, 90))
            last, last_positives, moment = self.screen(
                patient_id=patient_id, by=by, on=last_on, language=language, worry=worry * 0.7
            )
        for domain, severity in positives.items():
            still = domain in last_positives
            resolved = not still and rng.random() < 0.8
            self.needs.add(
                patient_id=patient_id,
                domain=domain,
                severity=last_positives.get(domain, severity),
                status="resolved" if resolved else "open",
                identified_on=first_on,
                assessment_id=first,
                last_assessment_id=last if still else first,
                resolution_note="Connected with a community service." if resolved else "",
                resolved_on=self.today - datetime.timedelta(days=rng.randint(1, 60))
                if resolved
                else None,
                resolved_by_id=by if resolved else None,
                created_at=moment,
                updated_at=moment,
            )
        for domain, severity in last_positives.items():
            if domain not in positives:
                self.needs.add(
                    patient_id=patient_id,
                    domain=domain,
                    severity=severity,
                    status="open",
                    identified_on=self.today,
                    assessment_id=last,
                    last_assessment_id=last,
                    resolution_note="",
                    resolved_on=None,
                    resolved_by_id=None,
                    created_at=moment,
                    updated_at=moment,
                )


def seed_for_patients(
    *, staff, patient_ids: list[int], rng: random.Random, progress: Callable[[int], object]
) -> None:
    """Assessments, results and needs for the demo patients (see module docstring)."""
    template = ScreeningTemplate.objects.filter(name=TEMPLATE).first()
    if template is None:  # removed by an admin: nothing to screen with
        progress(len(patient_ids))
        return
    seeder = _Seeder(rng=rng, staff=staff, template=template)
    active = Patient.objects.filter(status=PatientStatus.ACTIVE)
    batches = rows_in_batches(active, patient_ids, CHUNK, "care_team_id", "preferred_language")
    with bulk_load([table.model for table in seeder.tables]):
        for count, rows in batches:
            for patient_id, team_id, language in rows:
                if rng.random() < 0.25:
                    seeder.patient(patient_id=patient_id, team_id=team_id, language=language)
            for table in seeder.tables:
                table.flush()
            progress(count)
        for table in seeder.tables:
            table.finish()
