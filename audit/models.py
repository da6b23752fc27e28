"""The audit trail: append-only. Nothing in CareHub updates or deletes an AuditEvent;
on PostgreSQL a trigger (migration 0002) refuses UPDATE and DELETE on the table.

``FieldHistory`` is the base of the per-model change history tables that PostgreSQL
triggers write (audit/history.py); they are append-only too."""

from __future__ import annotations

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pghistory.models import Event


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    LIST = "list", _("Listed or searched")
    CREATE = "create", _("Created")
    CHANGE = "change", _("Changed")
    TRANSITION = "transition", _("Status changed")
    DELETE = "delete", _("Deleted")
    EXPORT = "export", _("Exported")
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_OUT = "sign_out", _("Signed out")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("Success")
    DENIED = "denied", _("Denied")
    FAILED = "failed", _("Failed")


class AuditEventQuerySet(models.QuerySet):
    def for_patient(self, patient_id: int) -> AuditEventQuerySet:
        """Every row about the patient: a look at their record (``patient``) or a list,
        export or search that showed them (``patient_ids``). On PostgreSQL one query
        through two indexes (audit_patient_idx, and the GIN index of 0006 for ``@>``)."""
        patient_id = int(patient_id)
        if connection.vendor == "postgresql":
            listed = Q(patient_ids__contains=[patient_id])
        else:  # SQLite has no JSON containment: the ids' table-valued function
            listed = Q(
                pk__in=RawSQL(
                    "SELECT e.id FROM audit_auditevent e, json_each(e.patient_ids) j"
                    " WHERE j.value = %s",
                    [patient_id],
                )
            )
        return self.filter(Q(patient_id=patient_id) | listed)


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # No database constraints on the references: the trail outlives what it speaks of,
    # and a cascade must never try to delete (the trigger would refuse it).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        # audit_actor_idx (actor, -occurred_at) serves lookups by actor: no index of its own.
        db_index=False,
        verbose_name=_("who"),
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    outcome = models.CharField(
        _("outcome"), max_length=8, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS
    )
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        # audit_patient_idx (patient, -occurred_at) serves lookups by patient.
        db_index=False,
        verbose_name=_("patient"),
    )
    # The patients a list, export or search showed (``patient`` is the one a page is
    # about): one row per request, however many it lists.
    patient_ids = models.JSONField(_("patients listed"), default=list, blank=True)
    object_type = models.CharField(_("record type"), max_length=64, blank=True)
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    route = models.CharField(_("page or endpoint"), max_length=100, blank=True)
    method = models.CharField(_("method"), max_length=8, blank=True)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-occurred_at"], name="audit_patient_idx"),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_username or '-'} at {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def who(self) -> str:
        """The user, or what opened the page without one (a signed link)."""
        if self.actor_id is not None and self.actor is not None:
            return str(self.actor)
        return self.actor_username or self.detail.get("by", "") or "—"


class HistoryAction(models.TextChoices):
    """``pgh_label`` of a history row: the operation the trigger saw."""

    INSERT = "insert", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")


class FieldHistory(Event):
    """One insert, update or delete of a tracked record, written by a trigger.

    The concrete tables (``<Model>History`` in each app) are made by
    ``audit.history.track_history``; besides these fields they hold ``pgh_obj`` (the
    record), ``pgh_context`` (who and from where, pghistory's context as JSON) and
    ``pgh_context_id`` (one id per request, task or command).
    """

    pgh_id = models.BigAutoField(primary_key=True)
    pgh_label = models.TextField(_("action"), choices=HistoryAction.choices)
    # No database constraint: the history outlives the patient and the record it
    # speaks of (and must never be cascaded into: the append-only trigger refuses).
    pgh_patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("patient"),
    )
    # {field name: [old, new]}, PHI values replaced by audit.phi.MASK; an insert has no
    # old values (null), a delete no new ones.
    pgh_diff = models.JSONField(_("changes"), default=dict)

    class Meta:
        abstract = True

    @property
    def actor_id(self) -> int | None:
        return (self.pgh_context or {}).get("user")
