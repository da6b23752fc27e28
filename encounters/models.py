"""A patient's stays and visits elsewhere (FHIR R4 Encounter), and the notices they came
from.

An encounter is what its notices say, read in the order they happened: every notice
(an admission, a transfer, a discharge, a cancellation, an update; from HL7 v2 ADT, a FHIR
message or a coordinator) is kept as an ``EncounterNotice`` and the encounter's fields are
folded from all of them by encounters.services. A discharge that arrives before its
admission, or a cancellation before what it cancels, therefore ends in the same encounter
as the same notices in order.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.history import track_history


class EncounterClass(models.TextChoices):
    """FHIR Encounter.class (v3 ActCode)."""

    INPATIENT = "IMP", _("Inpatient")
    EMERGENCY = "EMER", _("Emergency")
    OBSERVATION = "OBSENC", _("Observation")
    AMBULATORY = "AMB", _("Ambulatory")
    HOME_HEALTH = "HH", _("Home health")
    VIRTUAL = "VR", _("Virtual")


# A discharge from these starts a transition of care; an admission to these (and an
# emergency visit) is told to the patient's coordinator and case manager at once.
STAYS = (EncounterClass.INPATIENT, EncounterClass.OBSERVATION)


class EncounterStatus(models.TextChoices):
    """FHIR Encounter.status (R4), as far as notices can say it."""

    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in-progress", _("In progress")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")
    ENTERED_IN_ERROR = "entered-in-error", _("Entered in error")


class NoticeEvent(models.TextChoices):
    """What a notice says happened (the HL7 v2 ADT trigger events CareHub acts on; a FHIR
    notification maps onto the same)."""

    ADMIT = "A01", _("Admitted")
    TRANSFER = "A02", _("Transferred")
    DISCHARGE = "A03", _("Discharged")
    REGISTER = "A04", _("Registered (outpatient or emergency)")
    PRE_ADMIT = "A05", _("Pre-admitted")
    TO_INPATIENT = "A06", _("Changed to inpatient")
    TO_OUTPATIENT = "A07", _("Changed to outpatient")
    UPDATE = "A08", _("Information updated")
    CANCEL_ADMIT = "A11", _("Admission cancelled")
    CANCEL_TRANSFER = "A12", _("Transfer cancelled")
    CANCEL_DISCHARGE = "A13", _("Discharge cancelled")


class EncounterQuerySet(models.QuerySet):
    def in_hospital(self) -> EncounterQuerySet:
        return self.filter(status=EncounterStatus.IN_PROGRESS, encounter_class__in=STAYS)


@track_history(patient="patient")
class Encounter(models.Model):
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="encounters",
        verbose_name=_("patient"),
        db_index=False,  # encounter_patient_idx starts with patient
    )
    # Which visit of which facility: the key notices about one stay share (PV1-19 and
    # the sending facility). Empty for one entered by hand.
    facility_key = models.CharField(_("facility code"), max_length=100, blank=True)
    visit_number = models.CharField(_("visit number"), max_length=100, blank=True)
    facility = models.CharField(_("facility"), max_length=200, blank=True)
    encounter_class = models.CharField(
        _("class"),
        max_length=8,
        choices=EncounterClass.choices,
        default=EncounterClass.INPATIENT,
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=EncounterStatus.choices,
        default=EncounterStatus.PLANNED,
    )
    admitted_at = models.DateTimeField(_("admitted"), null=True, blank=True)
    discharged_at = models.DateTimeField(_("discharged"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    attending = models.CharField(_("attending practitioner"), max_length=200, blank=True)
    reason = models.CharField(_("reason for the visit"), max_length=500, blank=True)
    # Each: code, system (ICD-10-CM, SNOMED CT ...) and text.
    diagnoses = models.JSONField(_("diagnoses"), default=list, blank=True)
    discharge_disposition = models.CharField(_("discharge disposition"), max_length=100, blank=True)
    # Discharged within 30 days before this admission (encounters.services).
    is_readmission = models.BooleanField(_("readmission within 30 days"), default=False)
    admission_told_at = models.DateTimeField(
        _("coordinator told of the admission"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = EncounterQuerySet.as_manager()

    class Meta:
        verbose_name = _("encounter")
        verbose_name_plural = _("encounters")
        ordering = ["-admitted_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-admitted_at"], name="encounter_patient_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "facility_key", "visit_number"],
                condition=~Q(visit_number=""),
                name="encounter_one_per_visit",
            ),
            models.CheckConstraint(
                condition=Q(discharged_at__isnull=True)
                | Q(admitted_at__isnull=True)
                | Q(discharged_at__gte=models.F("admitted_at")),
                name="encounter_discharge_after_admission",
            ),
        ]

    def __str__(self) -> str:
        when = f" {timezone.localtime(self.admitted_at):%Y-%m-%d}" if self.admitted_at else ""
        return f"{self.get_encounter_class_display()}{when} {self.facility}".strip()

    @property
    def is_stay(self) -> bool:
        return self.encounter_class in STAYS


class EncounterNotice(models.Model):
    """One notice about an encounter: what happened, when, and what it said. Written once,
    never changed; the encounter is folded from its notices (module docstring)."""

    encounter = models.ForeignKey(
        Encounter, on_delete=models.CASCADE, related_name="notices", verbose_name=_("encounter")
    )
    event = models.CharField(_("event"), max_length=4, choices=NoticeEvent.choices)
    occurred_at = models.DateTimeField(_("happened"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    # Where it came from: "hl7v2", "fhir" or "manual", and the inbox message's id.
    source = models.CharField(_("source"), max_length=16)
    message_id = models.BigIntegerField(_("message"), null=True, blank=True)
    # What the notice said, as encounters.services.Notice fields (JSON values).
    data = models.JSONField(_("content"), default=dict)

    class Meta:
        verbose_name = _("encounter notice")
        verbose_name_plural = _("encounter notices")
        ordering = ["occurred_at", "pk"]
        indexes = [models.Index(fields=["encounter", "occurred_at"], name="notice_encounter_idx")]

    def __str__(self) -> str:
        return f"{self.get_event_display()} {self.occurred_at:%Y-%m-%d %H:%M}"
