"""Programs, enrolments (FHIR EpisodeOfCare) and attendance.

Enrolment statuses move only through programs/transitions.py, which writes an
``EnrolmentTransition`` row for every move. Attendance counts on the enrolment are kept
by programs.services.session_record, so lists can filter "below the threshold" in SQL.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.history import track_history


class ProgramKind(models.TextChoices):
    CHRONIC_CARE = "chronic_care", _("Chronic care management")
    TRANSITIONAL_CARE = "transitional_care", _("Transitional care after discharge")
    SUBSTANCE_USE = "substance_use", _("Substance use")
    MATERNAL_HEALTH = "maternal_health", _("Maternal health")
    BEHAVIORAL_HEALTH = "behavioral_health", _("Behavioral health")
    OTHER = "other", _("Other")


def default_attendance_threshold() -> int:
    return settings.PROGRAMS_ATTENDANCE_THRESHOLD


class Program(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=ProgramKind.choices)
    eligibility_notes = models.TextField(_("eligibility notes"), blank=True)
    required_sessions = models.PositiveSmallIntegerField(
        _("required sessions"), default=0, help_text=_("Sessions or courses to complete.")
    )
    complete_within_days = models.PositiveSmallIntegerField(
        _("complete within (days)"),
        null=True,
        blank=True,
        help_text=_("Days from the start of the enrolment by which they are due. Empty: no limit."),
    )
    attendance_threshold = models.PositiveSmallIntegerField(
        _("attendance threshold (%)"),
        default=default_attendance_threshold,
        validators=[MaxValueValidator(100)],
        help_text=_("An enrolment attending a smaller share of its sessions is flagged."),
    )
    team = models.ForeignKey(
        "accounts.CareTeam",
        on_delete=models.PROTECT,
        related_name="programs",
        verbose_name=_("run by team"),
    )
    is_active = models.BooleanField(_("taking enrolments"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(attendance_threshold__lte=100), name="program_threshold_percent"
            )
        ]

    def __str__(self) -> str:
        return self.name


class EnrolmentStatus(models.TextChoices):
    """FHIR EpisodeOfCare.status as DOMAIN.md names it (referred is FHIR "waitlist"/
    "planned", disenrolled "finished" early; see the FHIR export)."""

    REFERRED = "referred", _("Referred")
    ENROLLED = "enrolled", _("Enrolled")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    DISENROLLED = "disenrolled", _("Disenrolled")


OPEN_ENROLMENT = (EnrolmentStatus.REFERRED, EnrolmentStatus.ENROLLED, EnrolmentStatus.PAUSED)


class EnrolmentQuerySet(models.QuerySet):
    def open(self) -> EnrolmentQuerySet:
        return self.filter(status__in=OPEN_ENROLMENT)

    def below_threshold(self) -> EnrolmentQuerySet:
        """Enrolled or paused, with sessions recorded, attending less than the program's
        threshold: attended / (attended + missed) < threshold (excused sessions do not
        count). Same rule as Enrolment.is_below_threshold."""
        return (
            self.filter(
                status__in=(EnrolmentStatus.ENROLLED, EnrolmentStatus.PAUSED), missed_count__gt=0
            )
            .alias(
                attended_percent=F("attended_count") * 100,
                threshold_percent=F("program__attendance_threshold")
                * (F("attended_count") + F("missed_count")),
            )
            .filter(attended_percent__lt=F("threshold_percent"))
        )


@track_history(patient="patient")
class Enrolment(models.Model):
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("patient"),
        db_index=False,  # enrolment_patient_idx starts with patient
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("program")
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=EnrolmentStatus.choices,
        default=EnrolmentStatus.REFERRED,
    )
    status_reason = models.TextField(_("reason for the last status change"), blank=True)
    referred_on = models.DateField(_("referred on"), default=timezone.localdate)
    start_date = models.DateField(_("started"), null=True, blank=True)
    end_date = models.DateField(_("ended"), null=True, blank=True)
    case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="enrolments_managed",
        verbose_name=_("responsible case manager"),
    )
    attended_count = models.PositiveIntegerField(_("sessions attended"), default=0)
    missed_count = models.PositiveIntegerField(_("sessions missed"), default=0)
    excused_count = models.PositiveIntegerField(_("sessions excused"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-referred_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "program"],
                condition=Q(status__in=["referred", "enrolled", "paused"]),
                name="one_open_enrolment_per_patient_program",
                violation_error_message=_("The patient is already in this program."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="enrolment_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "status"], name="enrolment_patient_idx"),
            models.Index(fields=["case_manager", "status"], name="enrolment_manager_idx"),
        ]

    def __str__(self) -> str:
        return f"Enrolment #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ENROLMENT

    @property
    def attendance_share(self) -> int | None:
        """Percent of counted sessions (attended + missed) attended; None before any."""
        counted = self.attended_count + self.missed_count
        if not counted:
            return None
        return round(100 * self.attended_count / counted)

    @property
    def completion_share(self) -> int | None:
        """Percent of the program's required sessions attended (at most 100)."""
        required = self.program.required_sessions
        if not required:
            return None
        return min(100, round(100 * self.attended_count / required))

    @property
    def is_below_threshold(self) -> bool:
        if self.status not in (EnrolmentStatus.ENROLLED, EnrolmentStatus.PAUSED):
            return False
        counted = self.attended_count + self.missed_count
        if not self.missed_count:
            return False
        return self.attended_count * 100 < self.program.attendance_threshold * counted

    @property
    def sessions_due_by(self) -> datetime.date | None:
        if self.start_date is None or self.program.complete_within_days is None:
            return None
        return self.start_date + datetime.timedelta(days=self.program.complete_within_days)

    @property
    def sessions_remaining(self) -> int:
        return max(0, self.program.required_sessions - self.attended_count)


class EnrolmentTransition(models.Model):
    """Who moved an enrolment from what to what, when and why (programs.transitions)."""

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("enrolment")
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="+", verbose_name=_("patient")
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=EnrolmentStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=EnrolmentStatus.choices)
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("enrolment status change")
        verbose_name_plural = _("enrolment status changes")
        ordering = ["-occurred_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class SessionStatus(models.TextChoices):
    ATTENDED = "attended", _("Attended")
    MISSED = "missed", _("Missed")
    EXCUSED = "excused", _("Excused")


@track_history(patient="enrolment__patient")
class Session(models.Model):
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("enrolment")
    )
    held_on = models.DateField(_("date"))
    status = models.CharField(_("attendance"), max_length=10, choices=SessionStatus.choices)
    topic = models.CharField(_("session or course"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"Session #{self.pk}"

    def clean(self) -> None:
        if self.held_on and self.held_on > timezone.localdate():
            raise ValidationError({"held_on": _("Attendance is recorded after the session.")})
