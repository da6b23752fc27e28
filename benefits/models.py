"""Coverage (FHIR Coverage), prior authorisations and benefit applications.

Application statuses move only through benefits/transitions.py, which writes an
``ApplicationTransition`` row for every move and keeps the deadline reminders in step.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.history import track_history


class SubscriberRelationship(models.TextChoices):
    """FHIR subscriber-relationship."""

    SELF = "self", _("Self")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    COMMON = "common", _("Common law spouse")
    OTHER = "other", _("Other")


class CoverageOrder(models.IntegerChoices):
    """FHIR Coverage.order: which pays first."""

    PRIMARY = 1, _("Primary")
    SECONDARY = 2, _("Secondary")
    TERTIARY = 3, _("Tertiary")


class CoverageStatus(models.TextChoices):
    """FHIR Coverage.status (financial resource status)."""

    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")
    ENTERED_IN_ERROR = "entered-in-error", _("Entered in error")


@track_history(patient="patient")
class Coverage(models.Model):
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="coverages",
        verbose_name=_("patient"),
    )
    payer = models.CharField(_("payer"), max_length=200)
    plan_name = models.CharField(_("plan"), max_length=200, blank=True)
    member_id = models.CharField(_("member id"), max_length=64)
    group_id = models.CharField(_("group id"), max_length=64, blank=True)
    subscriber_relationship = models.CharField(
        _("patient is the subscriber's"),
        max_length=8,
        choices=SubscriberRelationship.choices,
        default=SubscriberRelationship.SELF,
    )
    subscriber_name = models.CharField(
        _("subscriber"), max_length=200, blank=True, help_text=_("When it is not the patient.")
    )
    order = models.PositiveSmallIntegerField(
        _("order"), choices=CoverageOrder.choices, default=CoverageOrder.PRIMARY
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CoverageStatus.choices, default=CoverageStatus.ACTIVE
    )
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("coverage")
        verbose_name_plural = _("coverages")
        ordering = ["order", "-effective_from", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="coverage_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"Coverage #{self.pk}"

    @property
    def picker_label(self) -> str:
        return f"{self.payer} · {self.member_id}"

    def clean(self) -> None:
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": _("Coverage cannot end before it starts.")})

    def is_expired_on(self, today: datetime.date) -> bool:
        return bool(self.effective_to and self.effective_to < today)

    @property
    def is_expired(self) -> bool:
        return self.is_expired_on(timezone.localdate())


class PriorAuthorisationQuerySet(models.QuerySet):
    def expiring_between(self, start: datetime.date, end: datetime.date):
        return self.filter(valid_to__gte=start, valid_to__lte=end)


@track_history(patient="patient")
class PriorAuthorisation(models.Model):
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="authorisations",
        verbose_name=_("patient"),
    )
    coverage = models.ForeignKey(
        Coverage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authorisations",
        verbose_name=_("coverage"),
    )
    service = models.CharField(_("service authorised"), max_length=200)
    payer = models.CharField(_("payer"), max_length=200)
    reference_number = models.CharField(_("reference number"), max_length=64)
    units_approved = models.PositiveIntegerField(_("units approved"))
    units_used = models.PositiveIntegerField(_("units used"), default=0)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = PriorAuthorisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("prior authorisation")
        verbose_name_plural = _("prior authorisations")
        ordering = ["valid_to", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=F("valid_from")), name="authorisation_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(units_used__lte=F("units_approved")),
                name="authorisation_units_within_approved",
            ),
        ]
        indexes = [models.Index(fields=["valid_to"], name="authorisation_valid_to_idx")]

    def __str__(self) -> str:
        return f"Authorisation #{self.pk}"

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("It cannot end before it starts.")})
        if (
            self.units_used is not None
            and self.units_approved is not None
            and self.units_used > self.units_approved
        ):
            raise ValidationError({"units_used": _("More units used than approved.")})

    @property
    def units_left(self) -> int:
        return max(0, self.units_approved - self.units_used)

    def is_expired_on(self, today: datetime.date) -> bool:
        return self.valid_to < today


class BenefitProgram(models.TextChoices):
    MEDICAID = "medicaid", _("Medicaid")
    SNAP = "snap", _("SNAP (food assistance)")
    SSI_SSDI = "ssi_ssdi", _("SSI / SSDI (disability)")
    HOUSING = "housing", _("Housing assistance")
    UTILITY = "utility", _("Utility assistance")
    OTHER = "other", _("Other")


class ApplicationStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    GATHERING_DOCUMENTS = "gathering_documents", _("Gathering documents")
    SUBMITTED = "submitted", _("Submitted")
    PENDING_DECISION = "pending_decision", _("Pending decision")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")
    APPEAL = "appeal", _("Appeal")


# Waiting on the agency: the decision date is the deadline that matters.
AWAITING_DECISION = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.PENDING_DECISION,
    ApplicationStatus.APPEAL,
)


class BenefitApplicationQuerySet(models.QuerySet):
    def renewals_due_by(self, end: datetime.date):
        """Approved, with the renewal due by ``end``: overdue ones included, as they are
        the most urgent (the benefit lapses unless renewed)."""
        return self.filter(status=ApplicationStatus.APPROVED, renewal_due_on__lte=end)


@track_history(patient="patient")
class BenefitApplication(models.Model):
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="benefit_applications",
        verbose_name=_("patient"),
    )
    program = models.CharField(_("benefit program"), max_length=12, choices=BenefitProgram.choices)
    program_detail = models.CharField(
        _("agency or program name"), max_length=200, blank=True, help_text=_("Optional.")
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.NOT_STARTED,
    )
    status_reason = models.TextField(_("reason for the last status change"), blank=True)
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    decision_due_on = models.DateField(
        _("decision expected by"), null=True, blank=True, help_text=_("A reminder comes before.")
    )
    decision_on = models.DateField(_("decision on"), null=True, blank=True)
    renewal_due_on = models.DateField(
        _("renewal due"), null=True, blank=True, help_text=_("A reminder comes before.")
    )
    appeal_deadline = models.DateField(_("appeal deadline"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="benefit_applications_managed",
        verbose_name=_("case manager"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = BenefitApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("benefit application")
        verbose_name_plural = _("benefit applications")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("view_casework", _("Can open the benefits and programs view of their teams"))
        ]
        indexes = [
            models.Index(fields=["patient", "status"], name="application_patient_idx"),
            models.Index(fields=["status", "renewal_due_on"], name="application_renewal_idx"),
        ]

    def __str__(self) -> str:
        return f"Application #{self.pk}"

    def next_deadline(self) -> tuple[str, datetime.date] | None:
        """The deadline that matters now: appeal, decision or renewal, by status."""
        if self.status == ApplicationStatus.DENIED and self.appeal_deadline:
            return str(_("Appeal by")), self.appeal_deadline
        if self.status in AWAITING_DECISION and self.decision_due_on:
            return str(_("Decision expected")), self.decision_due_on
        if self.status == ApplicationStatus.APPROVED and self.renewal_due_on:
            return str(_("Renewal due")), self.renewal_due_on
        return None

    @property
    def deadline_passed(self) -> bool:
        """The deadline that matters now has gone by (a decision expected five weeks ago)."""
        deadline = self.next_deadline()
        return deadline is not None and deadline[1] < timezone.localdate()

    @property
    def decision_overdue(self) -> bool:
        return (
            self.status in AWAITING_DECISION
            and self.decision_due_on is not None
            and self.decision_due_on < timezone.localdate()
        )


class DocumentStatus(models.TextChoices):
    MISSING = "missing", _("Missing")
    RECEIVED = "received", _("Received")


@track_history(patient="application__patient")
class RequiredDocument(models.Model):
    """One line of an application's document checklist."""

    application = models.ForeignKey(
        BenefitApplication,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("application"),
    )
    name = models.CharField(_("document"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.MISSING
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        ordering = ["application", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "name"], name="document_unique_name"),
            models.CheckConstraint(
                condition=Q(status="missing", received_on__isnull=True)
                | Q(status="received", received_on__isnull=False),
                name="document_received_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ApplicationTransition(models.Model):
    application = models.ForeignKey(
        BenefitApplication,
        on_delete=models.CASCADE,
        related_name="transitions",
        verbose_name=_("application"),
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="+", verbose_name=_("patient")
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=ApplicationStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=ApplicationStatus.choices)
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("application status change")
        verbose_name_plural = _("application status changes")
        ordering = ["-occurred_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"
