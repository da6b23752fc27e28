from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from accounts.models import validate_time_zone
from audit.history import track_history


def validate_not_future(value: datetime.date) -> None:
    from django.utils import timezone

    if value > timezone.localdate():
        raise ValidationError(_("The date of birth cannot be in the future."))


class Sex(models.TextChoices):
    """FHIR AdministrativeGender."""

    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class PatientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    DISCHARGED = "discharged", _("Discharged")
    DECEASED = "deceased", _("Deceased")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("Text message")
    EMAIL = "email", _("Email")
    MAIL = "mail", _("Post")


class Language(models.TextChoices):
    """Preferred language (BCP 47 codes, as FHIR Patient.communication uses)."""

    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")
    CHINESE = "zh", _("Chinese")
    VIETNAMESE = "vi", _("Vietnamese")
    TAGALOG = "tl", _("Tagalog")
    ARABIC = "ar", _("Arabic")
    FRENCH = "fr", _("French")
    HAITIAN_CREOLE = "ht", _("Haitian Creole")
    PORTUGUESE = "pt", _("Portuguese")
    RUSSIAN = "ru", _("Russian")
    KOREAN = "ko", _("Korean")
    OTHER = "other", _("Other")


class PatientQuerySet(models.QuerySet):
    def active(self) -> PatientQuerySet:
        return self.filter(status=PatientStatus.ACTIVE)

    def search(self, term: str) -> PatientQuerySet:
        """Name or MRN. Every word must match a name; a lone word may also be an MRN."""
        term = term.strip()
        if not term:
            return self
        words = term.split()
        query = models.Q()
        for word in words:
            query &= models.Q(given_name__icontains=word) | models.Q(family_name__icontains=word)
        if len(words) == 1:
            query |= models.Q(mrn__iexact=term)
        return self.filter(query)

    def with_team_and_staff(self) -> PatientQuerySet:
        return self.select_related("care_team", "primary_coordinator", "case_manager")

    def for_list(self) -> PatientQuerySet:
        """The columns the patient list shows and nothing more: a row of 12 columns
        instead of 80 (patient, team and two staff rows), read and built 50 at a time."""
        return self.select_related("care_team", "primary_coordinator").only(*LIST_FIELDS)


# What patients/partials/_list_results.html shows of a patient (and their team and
# coordinator, as their names).
LIST_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "risk_level",
    "status",
    "care_team__name",
    "primary_coordinator__username",
    "primary_coordinator__first_name",
    "primary_coordinator__last_name",
)


# The record is the patient.
@track_history(patient="id")
class Patient(models.Model):
    mrn = models.CharField(
        _("MRN"),
        max_length=32,
        unique=True,
        help_text=_("Medical record number, unique across CareHub."),
        error_messages={"unique": _("Another patient already has this MRN.")},
    )
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"), validators=[validate_not_future])
    sex = models.CharField(_("sex"), max_length=16, choices=Sex.choices, default=Sex.UNKNOWN)

    phone = PhoneNumberField(_("phone"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    address_line = models.CharField(_("street address"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("state or region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("For reminders to the patient. Empty: the clinic's zone."),
    )

    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    preferred_contact_method = models.CharField(
        _("preferred contact method"),
        max_length=8,
        choices=ContactMethod.choices,
        default=ContactMethod.PHONE,
    )
    consent_phone = models.BooleanField(_("consents to phone calls"), default=False)
    consent_sms = models.BooleanField(_("consents to text messages"), default=False)
    consent_email = models.BooleanField(_("consents to email"), default=False)
    consent_mail = models.BooleanField(_("consents to post"), default=False)

    insurance_payer = models.CharField(_("insurance payer"), max_length=120, blank=True)
    insurance_member_id = models.CharField(_("insurance member id"), max_length=60, blank=True)

    risk_level = models.CharField(
        _("risk level"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    status = models.CharField(
        _("status"), max_length=12, choices=PatientStatus.choices, default=PatientStatus.ACTIVE
    )
    status_reason = models.CharField(_("status reason"), max_length=255, blank=True)

    care_team = models.ForeignKey(
        "accounts.CareTeam",
        on_delete=models.PROTECT,
        related_name="patients",
        verbose_name=_("care team"),
    )
    primary_coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coordinated_patients",
        verbose_name=_("primary coordinator"),
    )
    case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_patients",
        verbose_name=_("case manager"),
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Optimistic locking: every write goes through services.patient_update, which only
    # updates the row when the version the user edited is still current.
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = PatientQuerySet.as_manager()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["family_name", "given_name", "pk"]
        permissions = [
            ("discharge_patient", _("Can discharge a patient")),
            ("reassign_patient", _("Can reassign patients between coordinators")),
        ]
        indexes = [
            # The list's order, alone (admins) and within a team (everyone else).
            models.Index(fields=["family_name", "given_name", "id"], name="patient_list_order_idx"),
            models.Index(
                fields=["care_team", "family_name", "given_name", "id"],
                name="patient_team_order_idx",
            ),
            models.Index(fields=["care_team", "status"], name="patient_team_status_idx"),
            # A coordinator's patients in list order (My day's sections, their lists).
            models.Index(
                fields=["primary_coordinator", "status", "family_name", "given_name", "id"],
                name="patient_coord_order_idx",
            ),
            models.Index(fields=["date_of_birth"], name="patient_dob_idx"),
        ]

    def __str__(self) -> str:
        # Used in admin and logs of admin actions only; pages render names explicitly.
        return f"Patient #{self.pk}"

    def clean(self) -> None:
        """Whoever coordinates or manages the patient must be in the patient's team."""
        from accounts.models import TeamMembership

        if not self.care_team_id:
            return
        errors = {}
        for field in ("primary_coordinator", "case_manager"):
            user_id = getattr(self, f"{field}_id")
            if (
                user_id
                and not TeamMembership.objects.filter(
                    user_id=user_id, team_id=self.care_team_id, user__is_active=True
                ).exists()
            ):
                errors[field] = _("Choose an active member of the patient's care team.")
        if errors:
            raise ValidationError(errors)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def address_display(self) -> str:
        locality = " ".join(part for part in (self.region, self.postal_code) if part)
        return ", ".join(part for part in (self.address_line, self.city, locality) if part)

    @property
    def is_open(self) -> bool:
        return self.status in (PatientStatus.ACTIVE, PatientStatus.INACTIVE)


class Relationship(models.TextChoices):
    """A subset of FHIR v3 RoleCode personal relationships."""

    CAREGIVER = "caregiver", _("Caregiver")
    SPOUSE = "spouse", _("Spouse or partner")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Sibling")
    GUARDIAN = "guardian", _("Legal guardian")
    FRIEND = "friend", _("Friend")
    OTHER = "other", _("Other")


@track_history(patient="patient")
class RelatedPerson(models.Model):
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="related_persons", verbose_name=_("patient")
    )
    name = models.CharField(_("name"), max_length=200)
    relationship = models.CharField(_("relationship"), max_length=16, choices=Relationship.choices)
    is_emergency_contact = models.BooleanField(_("emergency contact"), default=False)
    is_caregiver = models.BooleanField(_("caregiver"), default=False)
    phone = PhoneNumberField(_("phone"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("related person")
        verbose_name_plural = _("related persons")
        ordering = ["-is_emergency_contact", "name"]

    def __str__(self) -> str:
        return f"Related person #{self.pk}"


class IdentifierType(models.TextChoices):
    """The kind of identifier: HL7 v2 table 0203 (FHIR identifier-type), the codes in use."""

    MR = "MR", _("Medical record number")
    MB = "MB", _("Member number")
    MA = "MA", _("Medicaid number")
    MC = "MC", _("Medicare number")
    PI = "PI", _("Patient internal identifier")


# A URI (FHIR Identifier.system): a scheme, a colon, no whitespace; OIDs as urn:oid:...
validate_identifier_system = RegexValidator(
    r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$",
    _(
        "Enter the system as a URI: http://hospital.example.org/mrn, or an OID as "
        "urn:oid:2.16.840.1.113883.3.1234."
    ),
)

DUPLICATE_IDENTIFIER = _("This identifier already belongs to another patient.")


@track_history(patient="patient")
class PatientIdentifier(models.Model):
    """An identifier another organisation gives the patient (a hospital's MRN, a payer's
    member id): unique within its system. CareHub's own MRN stays Patient.mrn."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="identifiers", verbose_name=_("patient")
    )
    system = models.CharField(
        _("system"),
        max_length=255,
        validators=[validate_identifier_system],
        help_text=_(
            "Who issues the identifier, as a URI or OID: http://hospital.example.org/mrn, "
            "urn:oid:2.16.840.1.113883.3.1234."
        ),
    )
    value = models.CharField(_("value"), max_length=100)
    type_code = models.CharField(
        _("type"), max_length=8, choices=IdentifierType.choices, blank=True
    )
    assigner = models.CharField(
        _("assigner"), max_length=200, blank=True, help_text=_("The organisation's name.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("patient identifier")
        verbose_name_plural = _("patient identifiers")
        ordering = ["system", "value", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "value"],
                name="patient_identifier_unique",
                violation_error_message=DUPLICATE_IDENTIFIER,
            )
        ]

    def __str__(self) -> str:
        return f"Patient identifier #{self.pk}"

    def clean_fields(self, exclude=None) -> None:
        # Whitespace around a pasted identifier is not part of it (admin and services alike).
        self.system = (self.system or "").strip()
        self.value = (self.value or "").strip()
        self.assigner = (self.assigner or "").strip()
        super().clean_fields(exclude)


class PatientEventKind(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    UPDATED = "updated", _("Details changed")
    STATUS_CHANGED = "status_changed", _("Status changed")
    REASSIGNED = "reassigned", _("Coordinator changed")


class PatientEvent(models.Model):
    """The patient's own history: registration, status moves and reassignment."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=PatientEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    occurred_at = models.DateTimeField(_("when"), auto_now_add=True)
    from_value = models.CharField(_("from"), max_length=200, blank=True)
    to_value = models.CharField(_("to"), max_length=200, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("patient event")
        verbose_name_plural = _("patient events")
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-occurred_at"], name="patient_event_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on patient #{self.patient_id}"
