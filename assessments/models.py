"""Needs assessments: screening templates (questions, answer options, scores, thresholds),
dated assessments with their answers and per-domain results, and the identified needs
that positive domains become.

Templates are data: the standard health-related social needs screening is seeded by
migration 0002, and admins define further templates in Django admin without code.
Scoring lives in assessments.services.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from audit.history import track_history
from referrals.models import ServiceCategory


class Domain(models.TextChoices):
    """Social-need domains. Values match referrals.models.Need where both have one, so a
    referral's needs and an identified need speak of the same thing."""

    LIVING_SITUATION = "living_situation", _("Living situation")
    FOOD = "food", _("Food")
    TRANSPORTATION = "transportation", _("Transportation")
    UTILITIES = "utilities", _("Utilities")
    SAFETY = "safety", _("Interpersonal safety")
    FINANCIAL = "financial", _("Financial strain")
    EMPLOYMENT = "employment", _("Employment")
    SOCIAL_SUPPORT = "social_support", _("Family and community support")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    SUBSTANCE_USE = "substance_use", _("Substance use")
    DISABILITY = "disability", _("Disability")


CORE_DOMAINS = (
    Domain.LIVING_SITUATION,
    Domain.FOOD,
    Domain.TRANSPORTATION,
    Domain.UTILITIES,
    Domain.SAFETY,
)

# Which directory services an identified need suggests (referrals.ServiceCategory).
DOMAIN_SERVICE_CATEGORIES: dict[str, tuple[str, ...]] = {
    Domain.LIVING_SITUATION: (ServiceCategory.HOUSING,),
    Domain.FOOD: (ServiceCategory.FOOD,),
    Domain.TRANSPORTATION: (ServiceCategory.TRANSPORTATION,),
    Domain.UTILITIES: (ServiceCategory.BENEFITS, ServiceCategory.HOUSING),
    Domain.SAFETY: (ServiceCategory.LEGAL, ServiceCategory.BEHAVIORAL_HEALTH),
    Domain.FINANCIAL: (ServiceCategory.BENEFITS,),
    Domain.EMPLOYMENT: (ServiceCategory.EMPLOYMENT,),
    Domain.SOCIAL_SUPPORT: (ServiceCategory.CAREGIVER_SUPPORT,),
    Domain.MENTAL_HEALTH: (ServiceCategory.BEHAVIORAL_HEALTH,),
    Domain.SUBSTANCE_USE: (ServiceCategory.SUBSTANCE_USE,),
    Domain.DISABILITY: (ServiceCategory.BENEFITS, ServiceCategory.CAREGIVER_SUPPORT),
}


class Severity(models.TextChoices):
    """Ordered: the values sort low < medium < high only through SEVERITY_RANK."""

    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3}


class AssessmentLanguage(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")


def _in_language(english: str, spanish: str, language: str | None = None) -> str:
    language = (language or get_language() or "en")[:2]
    return spanish if language == "es" and spanish else english


class ScreeningTemplateQuerySet(models.QuerySet):
    def active(self) -> ScreeningTemplateQuerySet:
        return self.filter(is_active=True)


class ScreeningTemplate(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    introduction_en = models.TextField(
        _("introduction for the patient"),
        blank=True,
        help_text=_("Read or shown to the patient before the questions."),
    )
    introduction_es = models.TextField(_("introduction for the patient (Spanish)"), blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScreeningTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("screening template")
        verbose_name_plural = _("screening templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str | None = None) -> str:
        return _in_language(self.name, self.name_es, language)

    def introduction_in(self, language: str | None = None) -> str:
        return _in_language(self.introduction_en, self.introduction_es, language)


class DomainRule(models.Model):
    """How one domain of a template is scored: positive at ``positive_at`` points or more
    (or when any answer that flags the domain is chosen), high severity at ``high_at``."""

    template = models.ForeignKey(
        ScreeningTemplate,
        on_delete=models.CASCADE,
        related_name="domain_rules",
        verbose_name=_("template"),
    )
    domain = models.CharField(_("domain"), max_length=24, choices=Domain.choices)
    is_optional = models.BooleanField(
        _("optional"), default=False, help_text=_("Asked when the patient agrees to go further.")
    )
    positive_at = models.PositiveSmallIntegerField(
        _("positive at score"), default=1, help_text=_("The domain is positive from this score.")
    )
    high_at = models.PositiveSmallIntegerField(
        _("high severity at score"),
        default=3,
        help_text=_("A positive domain is of high severity from this score; medium below it."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("domain rule")
        verbose_name_plural = _("domain rules")
        ordering = ["template", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["template", "domain"], name="domain_rule_unique"),
            models.CheckConstraint(
                condition=Q(positive_at__gte=1) & Q(high_at__gte=models.F("positive_at")),
                name="domain_rule_thresholds_ordered",
                violation_error_message=_(
                    "The high severity score cannot be below the positive score."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_domain_display()} ({self.template})"


class Question(models.Model):
    template = models.ForeignKey(
        ScreeningTemplate,
        on_delete=models.CASCADE,
        related_name="questions",
        verbose_name=_("template"),
    )
    domain = models.CharField(_("domain"), max_length=24, choices=Domain.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text_en = models.TextField(_("question"))
    text_es = models.TextField(_("question (Spanish)"), blank=True)
    is_required = models.BooleanField(_("answer required"), default=False)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["template", "position", "pk"]

    def __str__(self) -> str:
        return self.text_en[:80]

    def text_in(self, language: str | None = None) -> str:
        return _in_language(self.text_en, self.text_es, language)


class AnswerOption(models.Model):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="options", verbose_name=_("question")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text_en = models.CharField(_("answer"), max_length=255)
    text_es = models.CharField(_("answer (Spanish)"), max_length=255, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    flags_domain = models.BooleanField(
        _("flags the domain"),
        default=False,
        help_text=_(
            "Choosing this answer makes the question's domain positive, whatever the score."
        ),
    )

    class Meta:
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        ordering = ["question", "position", "pk"]

    def __str__(self) -> str:
        return self.text_en

    def text_in(self, language: str | None = None) -> str:
        return _in_language(self.text_en, self.text_es, language)


class AssessmentQuerySet(models.QuerySet):
    def latest_first(self) -> AssessmentQuerySet:
        return self.order_by("-assessed_on", "-created_at", "-pk")


@track_history(patient="patient")
class Assessment(models.Model):
    """One dated screening of one patient, signed by who did it. Repeated over time."""

    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("patient"),
        db_index=False,  # assessment_patient_idx starts with patient
    )
    template = models.ForeignKey(
        ScreeningTemplate,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("template"),
    )
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assessments_done",
        verbose_name=_("assessed by"),
    )
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=AssessmentLanguage.choices,
        default=AssessmentLanguage.ENGLISH,
    )
    included_optional = models.BooleanField(_("optional domains asked"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("needs assessment")
        verbose_name_plural = _("needs assessments")
        ordering = ["-assessed_on", "-created_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-assessed_on"], name="assessment_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"Assessment #{self.pk}"

    def clean(self) -> None:
        if self.assessed_on and self.assessed_on > timezone.localdate():
            raise ValidationError({"assessed_on": _("An assessment cannot be in the future.")})


class AssessmentAnswer(models.Model):
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="answers", verbose_name=_("assessment")
    )
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="+", verbose_name=_("question")
    )
    option = models.ForeignKey(
        AnswerOption, on_delete=models.PROTECT, related_name="+", verbose_name=_("answer")
    )

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "question"], name="answer_unique")
        ]

    def __str__(self) -> str:
        return f"Answer #{self.pk}"


class DomainResult(models.Model):
    """The score of one domain in one assessment: the history the patient page shows."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="results", verbose_name=_("assessment")
    )
    domain = models.CharField(_("domain"), max_length=24, choices=Domain.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    is_positive = models.BooleanField(_("positive"))
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, blank=True)

    class Meta:
        verbose_name = _("domain result")
        verbose_name_plural = _("domain results")
        ordering = ["assessment", "domain"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "domain"], name="domain_result_unique"),
            models.CheckConstraint(
                condition=Q(is_positive=False, severity="")
                | (Q(is_positive=True) & ~Q(severity="")),
                name="domain_result_severity_when_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain}: {self.score}"


class NeedStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class IdentifiedNeedQuerySet(models.QuerySet):
    def open(self) -> IdentifiedNeedQuerySet:
        return self.filter(status=NeedStatus.OPEN)

    def unaddressed(self) -> IdentifiedNeedQuerySet:
        """Open, and neither a care plan need nor a goal addresses it yet."""
        return self.open().filter(care_plan_need__isnull=True, goal__isnull=True)


@track_history(patient="patient")
class IdentifiedNeed(models.Model):
    """A positive domain of a screening: at most one open need per patient and domain; a
    later positive screen updates its severity instead of adding another."""

    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="identified_needs",
        verbose_name=_("patient"),
        db_index=False,  # need_patient_status_idx starts with patient
    )
    domain = models.CharField(_("domain"), max_length=24, choices=Domain.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN
    )
    identified_on = models.DateField(_("identified on"))
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.PROTECT,
        related_name="needs_identified",
        verbose_name=_("identified by"),
    )
    last_assessment = models.ForeignKey(
        Assessment,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("last screened positive by"),
    )
    # What addresses it (FHIR CarePlan.addresses): a need of a care plan, or a goal.
    care_plan_need = models.ForeignKey(
        "careplans.CarePlanNeed",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="identified_needs",
        verbose_name=_("addressed by care plan need"),
    )
    goal = models.ForeignKey(
        "careplans.Goal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="identified_needs",
        verbose_name=_("addressed by goal"),
    )
    # What resolved it.
    resolved_by_referral = models.ForeignKey(
        "referrals.Referral",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resolved_needs",
        verbose_name=_("resolved by referral"),
    )
    resolved_by_goal = models.ForeignKey(
        "careplans.Goal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resolved_needs",
        verbose_name=_("resolved by goal"),
    )
    resolution_note = models.TextField(_("how it was resolved"), blank=True)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = IdentifiedNeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("identified need")
        verbose_name_plural = _("identified needs")
        ordering = ["patient", "domain", "-identified_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "domain"],
                condition=Q(status="open"),
                name="one_open_need_per_patient_domain",
            ),
            models.CheckConstraint(
                condition=Q(status="open", resolved_on__isnull=True)
                | Q(status="resolved", resolved_on__isnull=False),
                name="need_resolved_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "status"], name="need_patient_status_idx"),
            models.Index(
                fields=["severity"], condition=Q(status="open"), name="need_open_severity_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Need #{self.pk} ({self.domain})"

    @property
    def is_open(self) -> bool:
        return self.status == NeedStatus.OPEN

    @property
    def is_addressed(self) -> bool:
        return bool(self.care_plan_need_id or self.goal_id)

    @property
    def service_categories(self) -> tuple[str, ...]:
        return DOMAIN_SERVICE_CATEGORIES.get(self.domain, ())
