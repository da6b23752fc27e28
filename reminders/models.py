"""The reminder outbox, in-app notifications and each user's delivery preferences.

A Reminder row is written in the same transaction as its cause (reminders.services) and
delivered by the dispatcher and the send task (reminders.delivery). Its idempotency key is
unique: one event, one reminder.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    """Every cause of a reminder (DOMAIN.md, Reminders). Staff kinds first."""

    TASK_DUE = "task_due", _("Task or follow-up due")
    TASK_OVERDUE = "task_overdue", _("Task or follow-up overdue")
    REFERRAL_RESPONSE_OVERDUE = "referral_response_overdue", _("Referral response overdue")
    REFERRAL_OUTCOME_OVERDUE = "referral_outcome_overdue", _("Referral appointment without outcome")
    REFERRAL_ANSWERED = "referral_answered", _("Referral answered by the service")
    CARE_PLAN_REVIEW_DUE = "care_plan_review_due", _("Care plan review due")
    CARE_PLAN_REVIEW_OVERDUE = "care_plan_review_overdue", _("Care plan review overdue")
    GOAL_TARGET_APPROACHING = "goal_target_approaching", _("Goal target date approaching")
    ESCALATION = "escalation", _("Overdue work escalated")
    ATTENDANCE_BELOW_THRESHOLD = "attendance_below_threshold", _("Attendance below threshold")
    AUTHORISATION_EXPIRING = "authorisation_expiring", _("Prior authorisation expiring")
    BENEFIT_DECISION_DUE = "benefit_decision_due", _("Benefit decision due")
    BENEFIT_RENEWAL_DUE = "benefit_renewal_due", _("Benefit renewal due")
    APPEAL_DEADLINE = "appeal_deadline", _("Appeal deadline approaching")
    DIGEST = "digest", _("Daily digest")
    APPOINTMENT = "appointment", _("Appointment reminder (patient)")

    @classmethod
    def staff_kinds(cls) -> list[ReminderKind]:
        """Kinds a user receives, and so may set a delivery preference for."""
        return [kind for kind in cls if kind not in PATIENT_KINDS]


PATIENT_KINDS = frozenset({ReminderKind.APPOINTMENT})


class ReminderChannel(models.TextChoices):
    # Staff reminders follow the user's NotificationPreference for the kind at send time,
    # so a changed preference applies to reminders already scheduled.
    PREFERENCE = "preference", _("As the user prefers")
    EMAIL = "email", _("Email")
    IN_APP = "in_app", _("In-app")
    SMS = "sms", _("Text message")


class ReminderState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


PENDING_STATES = (ReminderState.SCHEDULED,)


class ReminderQuerySet(models.QuerySet):
    def pending(self) -> ReminderQuerySet:
        """Not yet handed to a worker: the ones that may still be moved or cancelled."""
        return self.filter(state__in=PENDING_STATES)

    def about(self, obj: models.Model) -> ReminderQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=obj.pk,
        )


class Reminder(models.Model):
    kind = models.CharField(_("kind"), max_length=32, choices=ReminderKind.choices)
    channel = models.CharField(
        _("channel"),
        max_length=12,
        choices=ReminderChannel.choices,
        default=ReminderChannel.PREFERENCE,
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
        verbose_name=_("recipient (user)"),
    )
    recipient_patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders_to_patient",
        verbose_name=_("recipient (patient)"),
    )
    # The patient the reminder concerns, for scope (patients_visible_to); may be empty
    # for a digest or other work not tied to one patient.
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
        verbose_name=_("patient"),
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("content_type", "object_id")

    key = models.CharField(
        _("idempotency key"),
        max_length=200,
        help_text=_("One event, one reminder: a second schedule with the same key is a no-op."),
    )
    send_at = models.DateTimeField(_("send at"))
    # When the work itself is due, for "overdue by 3 days" at send time.
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    # Plain values for the message (titles without clinical detail, a place name, times).
    context = models.JSONField(_("message values"), default=dict, blank=True)

    state = models.CharField(
        _("state"), max_length=12, choices=ReminderState.choices, default=ReminderState.SCHEDULED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    # Set (and committed) just before an external send; cleared when the outcome is saved.
    # Still set on a row whose claim expired or whose task came back: the send may or may
    # not have happened, and uncertain_attempts counts it (RELIABILITY.md).
    attempt_started_at = models.DateTimeField(_("attempt started"), null=True, blank=True)
    uncertain_attempts = models.PositiveSmallIntegerField(
        _("uncertain attempts"),
        default=0,
        help_text=_(
            "Attempts interrupted after the message may have left CareHub and before it was "
            "marked sent; the reminder was sent again, so it may have arrived twice."
        ),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["send_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="reminder_unique_key"),
            models.CheckConstraint(
                condition=(Q(recipient_user__isnull=False) & Q(recipient_patient__isnull=True))
                | (Q(recipient_user__isnull=True) & Q(recipient_patient__isnull=False)),
                name="reminder_exactly_one_recipient",
            ),
            # Patients never sign in and have no preferences: email or text only.
            models.CheckConstraint(
                condition=Q(recipient_patient__isnull=True)
                | Q(channel__in=[ReminderChannel.EMAIL, ReminderChannel.SMS]),
                name="reminder_patient_channel",
            ),
            models.CheckConstraint(
                condition=~Q(state=ReminderState.SENDING) | Q(claimed_until__isnull=False),
                name="reminder_sending_is_claimed",
            ),
        ]
        indexes = [
            # The dispatcher's claim: due scheduled rows in send_at order.
            models.Index(
                fields=["send_at"],
                condition=Q(state=ReminderState.SCHEDULED),
                name="reminder_due_idx",
            ),
            # Expired claims.
            models.Index(
                fields=["claimed_until"],
                condition=Q(state=ReminderState.SENDING),
                name="reminder_claim_idx",
            ),
            models.Index(fields=["content_type", "object_id", "state"], name="reminder_about_idx"),
        ]

    def __str__(self) -> str:
        return f"Reminder #{self.pk} ({self.kind}, {self.state})"

    @property
    def recipient(self):
        return self.recipient_user or self.recipient_patient

    @property
    def message_id(self) -> str:
        """Stable across attempts, so a receiving server can tell a resend (RFC 5322)."""
        return f"<reminder-{self.pk}@carehub>"


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app notification, shown under the bell to its user only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    reminder = models.OneToOneField(
        Reminder,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notification",
        verbose_name=_("reminder"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=ReminderKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The bell's count and the list.
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread_idx"
            ),
            models.Index(fields=["user", "-created_at"], name="notification_user_idx"),
        ]

    def __str__(self) -> str:
        return f"Notification #{self.pk} for user #{self.user_id}"


class Delivery(models.TextChoices):
    EMAIL = "email", _("Email")
    IN_APP = "in_app", _("In-app")
    BOTH = "both", _("Email and in-app")


class NotificationPreference(models.Model):
    """How a user wants one kind of reminder. No row: settings.REMINDERS_DEFAULT_DELIVERY."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=ReminderKind.choices)
    delivery = models.CharField(
        _("delivery"), max_length=8, choices=Delivery.choices, default=Delivery.BOTH
    )
    # Only for the digest: the user's local time to receive it.
    digest_time = models.TimeField(_("digest time"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        ordering = ["user", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_unique_user_kind"),
            models.CheckConstraint(
                condition=Q(kind=ReminderKind.DIGEST) | Q(digest_time__isnull=True),
                name="preference_digest_time_only_for_digest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.delivery} for user #{self.user_id}"


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the heartbeat task (beat sends it every 30 s):
    proof that beat, the broker, a worker and the database all worked together then.
    /healthz reads the newest one (carehub.health.worker_state)."""

    hostname = models.CharField(_("worker"), max_length=255, unique=True)
    seen_at = models.DateTimeField(_("seen at"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
