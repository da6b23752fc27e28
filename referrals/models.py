"""The service directory (Open Referral HSDS in spirit) and referrals to it.

A Referral is a FHIR ServiceRequest fulfilled through a Task: ``status`` holds the state of
the pair (DOMAIN.md) and ``fhir_request_status`` / ``fhir_task_status`` spell it in FHIR.
Status moves only in referrals/transitions.py.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.history import track_history
from patients.models import Language

# --- Service directory -------------------------------------------------------------------


class ServiceCategory(models.TextChoices):
    PRIMARY_CARE = "primary_care", _("Primary care")
    SPECIALTY_CARE = "specialty_care", _("Specialty care")
    BEHAVIORAL_HEALTH = "behavioral_health", _("Behavioral health")
    SUBSTANCE_USE = "substance_use", _("Substance use")
    HOUSING = "housing", _("Housing")
    FOOD = "food", _("Food")
    TRANSPORTATION = "transportation", _("Transportation")
    BENEFITS = "benefits", _("Benefits and insurance")
    LEGAL = "legal", _("Legal")
    EMPLOYMENT = "employment", _("Employment")
    CAREGIVER_SUPPORT = "caregiver_support", _("Caregiver support")
    OTHER = "other", _("Other")


def validate_languages(value: str) -> None:
    unknown = [code for code in split_languages(value) if code not in Language.values]
    if unknown:
        raise ValidationError(
            _("Unknown language code(s): %(codes)s. Use codes such as en, es, vi."),
            params={"codes": ", ".join(unknown)},
        )


def split_languages(value: str) -> list[str]:
    """``"en, es;vi"`` -> ``["en", "es", "vi"]`` (commas, semicolons or spaces)."""
    return [code for code in value.replace(";", ",").replace(" ", ",").lower().split(",") if code]


class Organization(models.Model):
    """An organisation that offers services (HSDS organization)."""

    name = models.CharField(
        _("name"),
        max_length=200,
        unique=True,
        error_messages={"unique": _("An organization with this name exists already.")},
    )
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The same organisation in the HSDS 3 directory (directory.models); migration 0007
    # made one for every organisation that existed before it.
    hsds_organization = models.OneToOneField(
        "directory.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referral_listing",
        verbose_name=_("HSDS organization"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceQuerySet(models.QuerySet):
    def available(self) -> ServiceQuerySet:
        """Active services of active organisations: what coordinators may pick."""
        return self.filter(is_active=True, organization__is_active=True)

    def named(self, term: str) -> ServiceQuerySet:
        term = term.strip()
        if not term:
            return self
        query = Q()
        for word in term.split():
            query &= Q(name__icontains=word) | Q(organization__name__icontains=word)
        return self.filter(query)

    def speaking(self, code: str) -> ServiceQuerySet:
        """Services that list the language ``code`` (stored as ``"en,es,vi"``)."""
        if not code:
            return self
        return self.filter(
            Q(languages=code)
            | Q(languages__startswith=f"{code},")
            | Q(languages__endswith=f",{code}")
            | Q(languages__contains=f",{code},")
        )


class Service(models.Model):
    """A service an organisation offers (HSDS service with its location and contact)."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("organization"),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=24, choices=ServiceCategory.choices)
    address_line = models.CharField(_("street address"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("state or region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(
        _("email"), blank=True, help_text=_("Referrals and their response links are sent here.")
    )
    website = models.URLField(_("website"), blank=True)
    hours = models.CharField(_("hours"), max_length=255, blank=True)
    languages = models.CharField(
        _("languages"),
        max_length=100,
        blank=True,
        validators=[validate_languages],
        help_text=_("Language codes separated by commas, e.g. en,es,vi."),
    )
    eligibility_notes = models.TextField(_("eligibility notes"), blank=True)
    accepts_referrals = models.BooleanField(_("accepts referrals"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The HSDS 3 service at location this listing sends referrals to (directory.models).
    service_at_location = models.OneToOneField(
        "directory.ServiceAtLocation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referral_listing",
        verbose_name=_("HSDS service at location"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"],
                name="service_unique_name_per_organization",
                violation_error_message=_("This organization already has a service of that name."),
            )
        ]
        indexes = [
            models.Index(Lower("name"), name="service_name_idx"),
            models.Index(fields=["category", "is_active"], name="service_category_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization.name})"

    def clean(self) -> None:
        self.languages = ",".join(dict.fromkeys(split_languages(self.languages)))

    @property
    def language_list(self) -> list[str]:
        labels = dict(Language.choices)
        return [str(labels.get(code, code)) for code in split_languages(self.languages)]


# --- Consent to share --------------------------------------------------------------------


class SharingConsentQuerySet(models.QuerySet):
    def in_force(self, now: datetime.datetime) -> SharingConsentQuerySet:
        return self.filter(
            Q(revoked_at__isnull=True),
            Q(expires_on__isnull=True) | Q(expires_on__gte=timezone.localdate(now)),
            granted_on__lte=timezone.localdate(now),
        )


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Signed form")
    VERBAL = "verbal", _("Verbal, witnessed")
    ELECTRONIC = "electronic", _("Electronic")


@track_history(patient="patient")
class SharingConsent(models.Model):
    """The patient agreed that their referral details may go to one outside recipient."""

    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="sharing_consents",
        verbose_name=_("patient"),
    )
    # A directory organisation, or a recipient outside the directory by name.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sharing_consents",
        verbose_name=_("organization"),
    )
    recipient_name = models.CharField(
        _("recipient outside the directory"), max_length=200, blank=True
    )
    granted_by = models.CharField(
        _("given by"),
        max_length=200,
        help_text=_("The patient, or who consented on their behalf."),
    )
    method = models.CharField(_("how"), max_length=12, choices=ConsentMethod.choices)
    granted_on = models.DateField(_("given on"), default=timezone.localdate)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = SharingConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent to share")
        verbose_name_plural = _("consents to share")
        ordering = ["-granted_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(organization__isnull=False) & Q(recipient_name=""))
                | (Q(organization__isnull=True) & ~Q(recipient_name="")),
                name="consent_names_one_recipient",
                violation_error_message=_(
                    "Consent is given for one organization or one named recipient."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"Consent #{self.pk} of patient #{self.patient_id}"

    def clean(self) -> None:
        if self.expires_on and self.granted_on and self.expires_on < self.granted_on:
            raise ValidationError({"expires_on": _("The consent cannot expire before it starts.")})


# --- Referrals ---------------------------------------------------------------------------


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    RECEIVED = "received", _("Received")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    SCHEDULED = "scheduled", _("Scheduled")
    NO_SHOW = "no_show", _("No-show")
    OUTCOME_RECORDED = "outcome_recorded", _("Outcome recorded")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# The referral is finished in these states; anything else is open (the duplicate guard).
FINISHED_STATUSES = (ReferralStatus.CLOSED, ReferralStatus.CANCELLED)
# The receiving service owes an answer in these states (response deadline).
AWAITING_RESPONSE = (ReferralStatus.SENT, ReferralStatus.RECEIVED)

# ServiceRequest.status and Task.status (FHIR R4) for each referral status.
FHIR_STATUS = {
    ReferralStatus.DRAFT: ("draft", ""),
    ReferralStatus.SENT: ("active", "requested"),
    ReferralStatus.RECEIVED: ("active", "received"),
    ReferralStatus.ACCEPTED: ("active", "accepted"),
    ReferralStatus.DECLINED: ("active", "rejected"),
    ReferralStatus.SCHEDULED: ("active", "in-progress"),
    ReferralStatus.NO_SHOW: ("active", "on-hold"),
    ReferralStatus.OUTCOME_RECORDED: ("active", "completed"),
    ReferralStatus.CLOSED: ("completed", "completed"),
    ReferralStatus.CANCELLED: ("revoked", "cancelled"),
}


class Priority(models.TextChoices):
    """FHIR request-priority, most relaxed first."""

    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    ASAP = "asap", _("As soon as possible")
    STAT = "stat", _("Immediately (stat)")


class OutcomeCode(models.TextChoices):
    GOT_HELP = "got_help", _("Got help")
    PARTIALLY_HELPED = "partially_helped", _("Partially helped")
    NO_CAPACITY = "no_capacity", _("No capacity")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")
    COULD_NOT_CONTACT = "could_not_contact", _("Could not contact")
    REFERRED_ELSEWHERE = "referred_elsewhere", _("Referred elsewhere")
    NO_LONGER_INTERESTED = "no_longer_interested", _("No longer interested")


class Need(models.TextChoices):
    """Needs a referral addresses (the needs assessment's domains and care needs)."""

    MEDICAL = "medical", _("Medical care")
    BEHAVIORAL = "behavioral", _("Behavioral health")
    SUBSTANCE_USE = "substance_use", _("Substance use")
    LIVING_SITUATION = "living_situation", _("Living situation")
    FOOD = "food", _("Food")
    TRANSPORTATION = "transportation", _("Transportation")
    UTILITIES = "utilities", _("Utilities")
    SAFETY = "safety", _("Safety")
    FINANCIAL = "financial", _("Financial strain")
    EMPLOYMENT = "employment", _("Employment")
    LEGAL = "legal", _("Legal")
    CAREGIVING = "caregiving", _("Caregiving")
    SOCIAL_ISOLATION = "social_isolation", _("Social isolation")


def response_deadline(priority: str) -> datetime.timedelta:
    return settings.REFERRAL_RESPONSE_DEADLINES[priority]


class ReferralQuerySet(models.QuerySet):
    def open(self) -> ReferralQuerySet:
        return self.exclude(status__in=FINISHED_STATUSES)

    def overdue_condition(self, now: datetime.datetime) -> Q:
        """Awaiting a response past the deadline, or scheduled with no outcome past grace."""
        return Q(status__in=AWAITING_RESPONSE, response_due_at__lt=now) | Q(
            status=ReferralStatus.SCHEDULED,
            appointment_at__lt=now - settings.REFERRAL_OUTCOME_GRACE,
        )

    def overdue(self, now: datetime.datetime) -> ReferralQuerySet:
        return self.filter(self.overdue_condition(now))

    def with_overdue(self, now: datetime.datetime) -> ReferralQuerySet:
        """Annotate ``is_overdue`` (computed by the database) for lists and pages."""
        return self.annotate(
            is_overdue=models.Case(
                models.When(self.overdue_condition(now), then=models.Value(True)),
                default=models.Value(False),
                output_field=models.BooleanField(),
            )
        )

    def for_lists(self) -> ReferralQuerySet:
        return self.select_related(
            "patient", "service__organization", "referred_by", "patient__care_team"
        )


@track_history(patient="patient", copies=("care_team",))
class Referral(models.Model):
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("patient"),
    )
    # The patient's care team, copied and kept by the database (triggers, migration 0006:
    # on every insert, every change of the referral's patient or of the copy, every move
    # of the patient to another team): how referrals_visible_to finds a team's referrals,
    # newest first from referral_team_newest_idx. Never written by CareHub's code.
    care_team = models.ForeignKey(
        "accounts.CareTeam",
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="+",
        db_index=False,
        verbose_name=_("care team"),
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("service"),
    )
    # The HSDS 3 service at location the referral goes to (the service's, when it is set).
    service_at_location = models.ForeignKey(
        "directory.ServiceAtLocation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("HSDS service at location"),
    )
    # When the service is not in the directory: who receives the referral.
    recipient_name = models.CharField(_("recipient"), max_length=200, blank=True)
    recipient_phone = models.CharField(_("recipient phone"), max_length=40, blank=True)
    recipient_email = models.EmailField(_("recipient email"), blank=True)
    recipient_address = models.CharField(_("recipient address"), max_length=255, blank=True)

    reason = models.TextField(_("reason for referral"))
    needs = models.JSONField(_("needs addressed"), default=list, blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.ROUTINE
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT
    )
    status_reason = models.TextField(_("reason for the last status change"), blank=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="referrals_made",
        verbose_name=_("referred by"),
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("response due"), null=True, blank=True)
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    outcome_code = models.CharField(
        _("outcome"), max_length=24, choices=OutcomeCode.choices, blank=True
    )
    outcome_note = models.TextField(_("outcome details"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closing_reason = models.TextField(_("closing reason"), blank=True)
    goal = models.ForeignKey(
        "careplans.Goal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("care plan goal"),
        help_text=_("The goal of the patient's care plan this referral works toward."),
    )
    rerouted_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rerouted_to",
        verbose_name=_("re-routed from"),
    )
    # Consent to share with the recipient, or the audited override (services.referral_send).
    sharing_consent = models.ForeignKey(
        SharingConsent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("consent to share"),
    )
    consent_override_reason = models.TextField(_("reason for sending without consent"), blank=True)
    # Bound into the signed response link; replaced when the link is re-sent and cleared
    # when the referral finishes, so older links stop working (referrals/links.py).
    link_key = models.CharField(max_length=32, blank=True, editable=False)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The duplicate guard, held by the database too (services.referral_create
            # refuses first with a link to the open referral).
            models.UniqueConstraint(
                fields=["patient", "service"],
                condition=Q(service__isnull=False) & ~Q(status__in=["closed", "cancelled"]),
                name="referral_one_open_per_patient_service",
                violation_error_message=_(
                    "This patient already has an open referral to this service."
                ),
            ),
            models.CheckConstraint(
                condition=Q(service__isnull=False) | ~Q(recipient_name=""),
                name="referral_has_recipient",
                violation_error_message=_(
                    "Choose a service from the directory or name the recipient."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "response_due_at"], name="referral_status_due_idx"),
            models.Index(fields=["patient", "status"], name="referral_patient_status_idx"),
            models.Index(fields=["referred_by", "status"], name="referral_referrer_idx"),
            # Lists newest first (pages and API): a team's page is the newest referrals
            # that are theirs, read from here instead of sorting all of the team's.
            models.Index(fields=["-created_at", "-id"], name="referral_newest_idx"),
            # A team's newest referrals: the first page is the index's first rows.
            models.Index(
                fields=["care_team", "-created_at", "-id"], name="referral_team_newest_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Referral #{self.pk}"

    @property
    def picker_label(self) -> str:
        return f"{self.recipient_label} ({self.get_status_display()})"

    def clean(self) -> None:
        if self.service_id is None and not self.recipient_name.strip():
            raise ValidationError(
                {"service": _("Choose a service from the directory or name the recipient.")}
            )
        unknown = set(self.needs or []) - set(Need.values)
        if unknown:
            raise ValidationError({"needs": _("Unknown need: %(v)s") % {"v": ", ".join(unknown)}})
        if self.goal_id and self.goal.care_plan.patient_id != self.patient_id:
            raise ValidationError({"goal": _("Choose a goal of this patient's care plan.")})

    @property
    def is_open(self) -> bool:
        return self.status not in FINISHED_STATUSES

    @property
    def recipient_label(self) -> str:
        return str(self.service) if self.service_id else self.recipient_name

    @property
    def recipient_email_address(self) -> str:
        return self.service.email if self.service_id else self.recipient_email

    @property
    def organization_id_for_consent(self) -> int | None:
        return self.service.organization_id if self.service_id else None

    @property
    def fhir_request_status(self) -> str:
        return FHIR_STATUS[self.status][0]

    @property
    def fhir_task_status(self) -> str:
        return FHIR_STATUS[self.status][1]

    @property
    def need_labels(self) -> list[str]:
        labels = dict(Need.choices)
        return [str(labels.get(code, code)) for code in self.needs or []]


class ReferralTransition(models.Model):
    """One status move: who (a user, or the receiving service through its link), when,
    from, to and why. The figures read these (selectors.referral_figures)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("from"), max_length=16, choices=ReferralStatus.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=ReferralStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    via_link = models.BooleanField(_("by the receiving service's link"), default=False)
    at = models.DateTimeField(_("when"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("referral transition")
        verbose_name_plural = _("referral transitions")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["referral", "to_status", "at"], name="ref_transition_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(by__isnull=False) | Q(via_link=True), name="transition_has_actor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status} on referral #{self.referral_id}"


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    EMAIL = "email", _("Email")
    FAX = "fax", _("Fax")
    PORTAL = "portal", _("Portal message")
    IN_PERSON = "in_person", _("In person")
    OTHER = "other", _("Other")


class ContactDirection(models.TextChoices):
    OUTBOUND = "outbound", _("To the service")
    INBOUND = "inbound", _("From the service")


class ContactLogEntry(models.Model):
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("referral")
    )
    channel = models.CharField(_("channel"), max_length=12, choices=ContactChannel.choices)
    direction = models.CharField(_("direction"), max_length=8, choices=ContactDirection.choices)
    contact_name = models.CharField(_("spoke with"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    # The status move this contact caused, if the service answered (services).
    transition = models.OneToOneField(
        ReferralTransition,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contact",
        verbose_name=_("status change"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact log entry")
        verbose_name_plural = _("contact log entries")
        ordering = ["-occurred_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.channel} {self.direction} on referral #{self.referral_id}"


class ReferralEventKind(models.TextChoices):
    LINK_SENT = "link_sent", _("Response link emailed")
    LINK_RENEWED = "link_renewed", _("Response link renewed")
    LINK_OPENED = "link_opened", _("Response link opened")
    LINK_USED = "link_used", _("Answered through the response link")
    LINK_REFUSED = "link_refused", _("Expired response link refused")
    CONSENT_OVERRIDDEN = "consent_overridden", _("Sent without recorded consent")
    EDITED = "edited", _("Details changed")
    REROUTED = "rerouted", _("Re-routed to a new referral")


class ReferralEvent(models.Model):
    """Audited uses of a referral other than status moves (until the audit app exists)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=20, choices=ReferralEventKind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    remote_addr = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["referral", "-at"], name="ref_event_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on referral #{self.referral_id}"
