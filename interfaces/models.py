"""The inbox of notices from outside: every HL7 v2 message (MLLP) and FHIR notification
is written here before it is acknowledged, then processed from here (interfaces.services)
by the worker, so that a notice survives a Redis or worker outage: a beat sweep picks up
what was not processed.

``raw`` is the message as received: PHI. Only users with ``interfaces.view_raw_message``
see it (admin), and each look is audited.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Transport(models.TextChoices):
    MLLP = "mllp", _("HL7 v2 over MLLP")
    FHIR = "fhir", _("FHIR message")


class MessageStatus(models.TextChoices):
    RECEIVED = "received", _("Received, waiting")
    PROCESSED = "processed", _("Processed")
    DUPLICATE = "duplicate", _("Duplicate")
    ERROR = "error", _("Error")
    UNMATCHED = "unmatched", _("No patient matched")
    DISMISSED = "dismissed", _("Dismissed")


class InboundMessage(models.Model):
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    transport = models.CharField(_("transport"), max_length=8, choices=Transport.choices)
    # MSH-3 and MSH-4 (application and facility), or the FHIR source endpoint.
    sender = models.CharField(_("sender"), max_length=255, blank=True)
    sending_facility = models.CharField(_("sending facility"), max_length=100, blank=True)
    control_id = models.CharField(_("message id"), max_length=199, blank=True)
    event = models.CharField(_("event"), max_length=32, blank=True)
    charset = models.CharField(_("character set"), max_length=32, blank=True)
    raw = models.TextField(_("message"))
    # Accepted when acknowledged AA: a later message of the same sender and id is a
    # duplicate of this one.
    accepted = models.BooleanField(_("accepted"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=MessageStatus.choices, default=MessageStatus.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("duplicate of"),
    )
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("patient"),
    )
    # The care team whose facility sent it (AssigningAuthority.team): who sees it unmatched.
    team = models.ForeignKey(
        "accounts.CareTeam",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("care team"),
    )
    attempts = models.PositiveSmallIntegerField(_("processing attempts"), default=0)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("matched or dismissed by"),
    )
    dismissed_reason = models.TextField(_("reason dismissed"), blank=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-pk"]
        permissions = [
            ("view_raw_message", _("Can read a message as received (PHI)")),
            ("match_message", _("Can match or dismiss an unmatched notice")),
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=Q(status="received"),
                name="inbox_waiting_idx",
            ),
            models.Index(fields=["status", "-received_at"], name="inbox_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "control_id"],
                condition=Q(accepted=True) & ~Q(control_id=""),
                name="inbox_one_accepted_per_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event or self.transport} {self.control_id} ({self.get_status_display()})"


class AssigningAuthority(models.Model):
    """A sending facility or assigning authority (HL7 v2 MSH-4, CX.4) and what CareHub
    makes of it: the identifier system its patient ids belong to, and the care team its
    notices concern when no patient matches (who may see and match them)."""

    code = models.CharField(
        _("code"),
        max_length=100,
        unique=True,
        help_text=_("As the messages give it: MSH-4 or the first part of CX.4 (e.g. GENHOSP)."),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    identifier_system = models.CharField(
        _("identifier system"),
        max_length=255,
        blank=True,
        help_text=_("The system of the patient identifiers it assigns (a URI or urn:oid:...)."),
    )
    is_carehub_mrn = models.BooleanField(_("its ids are CareHub MRNs"), default=False)
    team = models.ForeignKey(
        "accounts.CareTeam",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("care team"),
        help_text=_("The team that sees its notices when no patient matches."),
    )

    class Meta:
        verbose_name = _("sending facility or assigning authority")
        verbose_name_plural = _("sending facilities and assigning authorities")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name or self.code


class MatchingPolicy(models.Model):
    """One row: whether a notice without a known identifier may be matched by name, birth
    date and sex (exactly one patient alike)."""

    match_by_demographics = models.BooleanField(
        _("match by name, birth date and sex"),
        default=True,
        help_text=_(
            "Family and given name equal ignoring case and accents, birth date and sex "
            "equal, and exactly one such patient. Off: identifiers only."
        ),
    )

    class Meta:
        verbose_name = _("patient matching policy")
        verbose_name_plural = _("patient matching policy")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> MatchingPolicy:
        return cls.objects.order_by("pk").first() or cls()
