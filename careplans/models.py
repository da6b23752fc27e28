"""Care plans, their goals and progress, and tasks (FHIR R4 CarePlan, Goal, Task).

Statuses move only through careplans/transitions.py, which also writes a ``StatusChange``
row for every move; the patient timeline and the dashboards read that table.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.history import track_history


class CarePlanStatus(models.TextChoices):
    """FHIR RequestStatus as CarePlan uses it."""

    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    ON_HOLD = "on-hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    REVOKED = "revoked", _("Revoked")
    ENTERED_IN_ERROR = "entered-in-error", _("Entered in error")


class NeedCategory(models.TextChoices):
    MEDICAL = "medical", _("Medical")
    BEHAVIOURAL = "behavioural", _("Behavioural")
    SOCIAL = "social", _("Social")


class GoalPriority(models.TextChoices):
    """FHIR goal-priority."""

    HIGH = "high-priority", _("High")
    MEDIUM = "medium-priority", _("Medium")
    LOW = "low-priority", _("Low")


class GoalStatus(models.TextChoices):
    """FHIR Goal.lifecycleStatus (the part of it DOMAIN.md uses)."""

    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    ACTIVE = "active", _("Active")
    ON_HOLD = "on-hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")


class AchievementStatus(models.TextChoices):
    """FHIR Goal.achievementStatus; recorded with each progress entry."""

    IN_PROGRESS = "in-progress", _("In progress")
    IMPROVING = "improving", _("Improving")
    WORSENING = "worsening", _("Worsening")
    NO_CHANGE = "no-change", _("No change")
    ACHIEVED = "achieved", _("Achieved")
    SUSTAINING = "sustaining", _("Sustaining")
    NOT_ACHIEVED = "not-achieved", _("Not achieved")
    NO_PROGRESS = "no-progress", _("No progress")
    NOT_ATTAINABLE = "not-attainable", _("Not attainable")


class TaskStatus(models.TextChoices):
    """FHIR Task.status (the part of it DOMAIN.md uses)."""

    REQUESTED = "requested", _("To do")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in-progress", _("In progress")
    ON_HOLD = "on-hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")


class TaskPriority(models.TextChoices):
    """FHIR request-priority."""

    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    ASAP = "asap", _("As soon as possible")
    STAT = "stat", _("Immediately")


class RecurrenceUnit(models.TextChoices):
    DAYS = "days", _("days")
    WEEKS = "weeks", _("weeks")


# States in which there is still work to do. Final states are the rest.
OPEN_CARE_PLAN = (CarePlanStatus.DRAFT, CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD)
OPEN_GOAL = (GoalStatus.PROPOSED, GoalStatus.ACCEPTED, GoalStatus.ACTIVE, GoalStatus.ON_HOLD)
OPEN_TASK = (TaskStatus.REQUESTED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD)


class CarePlanQuerySet(models.QuerySet):
    def active(self) -> CarePlanQuerySet:
        return self.filter(status=CarePlanStatus.ACTIVE)

    def open(self) -> CarePlanQuerySet:
        return self.filter(status__in=OPEN_CARE_PLAN)

    def review_overdue(self, today: datetime.date | None = None) -> CarePlanQuerySet:
        """Plans in force whose next review date has passed."""
        today = today or timezone.localdate()
        return self.filter(
            status__in=(CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD),
            next_review_date__lt=today,
        )


@track_history(patient="patient")
class CarePlan(models.Model):
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="care_plans",
        verbose_name=_("patient"),
        db_index=False,  # careplan_patient_status_idx starts with patient
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("In plain language: the patient reads this on the printed plan."),
    )
    internal_notes = models.TextField(
        _("notes for the care team"),
        blank=True,
        help_text=_("Never printed or shown to the patient."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CarePlanStatus.choices, default=CarePlanStatus.DRAFT
    )
    period_start = models.DateField(_("starts"), default=timezone.localdate)
    period_end = models.DateField(_("ends"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="authored_care_plans",
        verbose_name=_("author"),
    )
    next_review_date = models.DateField(_("next review"), null=True, blank=True)
    last_review = models.ForeignKey(
        "careplans.CarePlanReview",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last review"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Optimistic locking: careplans.services and careplans.transitions update the row only
    # when the version the user loaded is still current (carehub.transitions.guarded_update).
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = CarePlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")
        ordering = ["-period_start", "-pk"]
        permissions = [("review_careplan", _("Can record a review of a care plan"))]
        constraints = [
            # DOMAIN.md: a patient has at most one active care plan. The transition that
            # activates a plan turns a violation into a readable message.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="active"),
                name="one_active_care_plan_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(period_end__isnull=True) | Q(period_end__gte=models.F("period_start")),
                name="care_plan_period_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "status"], name="careplan_patient_status_idx"),
            models.Index(
                fields=["next_review_date"],
                condition=Q(status__in=["active", "on-hold"]),
                name="careplan_review_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Care plan #{self.pk}"

    @property
    def picker_label(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.period_end and self.period_start and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("The plan cannot end before it starts.")})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CARE_PLAN

    def review_overdue_on(self, today: datetime.date) -> bool:
        return bool(
            self.status in (CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD)
            and self.next_review_date
            and self.next_review_date < today
        )


@track_history(patient="care_plan__patient")
class CarePlanNeed(models.Model):
    """A need the plan addresses (FHIR CarePlan.addresses), with its category."""

    care_plan = models.ForeignKey(
        CarePlan, on_delete=models.CASCADE, related_name="needs", verbose_name=_("care plan")
    )
    category = models.CharField(_("category"), max_length=12, choices=NeedCategory.choices)
    description = models.CharField(_("need"), max_length=255)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("need addressed")
        verbose_name_plural = _("needs addressed")
        ordering = ["category", "position", "pk"]

    def __str__(self) -> str:
        return f"Need #{self.pk}"

    @property
    def picker_label(self) -> str:
        return f"{self.care_plan.title}: {self.description}"


@track_history(patient="care_plan__patient")
class CarePlanReview(models.Model):
    """A case manager's review. ``due_on`` is the review date in force when it was done,
    so "reviews done on time" is ``reviewed_at <= due_on`` without rebuilding history."""

    care_plan = models.ForeignKey(
        CarePlan,
        on_delete=models.CASCADE,
        related_name="reviews",
        verbose_name=_("care plan"),
        db_index=False,  # careplan_review_idx starts with care_plan
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    reviewed_at = models.DateTimeField(_("reviewed"), default=timezone.now)
    due_on = models.DateField(_("was due"), null=True, blank=True)
    note = models.TextField(_("review note"))
    next_review_date = models.DateField(_("next review"))

    class Meta:
        verbose_name = _("care plan review")
        verbose_name_plural = _("care plan reviews")
        ordering = ["-reviewed_at", "-pk"]
        indexes = [models.Index(fields=["care_plan", "-reviewed_at"], name="careplan_review_idx")]

    def __str__(self) -> str:
        return f"Review #{self.pk} of care plan #{self.care_plan_id}"

    @property
    def was_on_time(self) -> bool | None:
        if self.due_on is None:
            return None
        return timezone.localdate(self.reviewed_at) <= self.due_on


class GoalQuerySet(models.QuerySet):
    def open(self) -> GoalQuerySet:
        return self.filter(status__in=OPEN_GOAL)

    def with_achievement(self) -> GoalQuerySet:
        """Annotate ``achievement_status``: the latest progress entry's, or None."""
        latest = GoalProgress.objects.filter(goal=OuterRef("pk")).order_by(
            "-recorded_on", "-created_at", "-pk"
        )
        return self.annotate(achievement_status=Subquery(latest.values("achievement_status")[:1]))


@track_history(patient="care_plan__patient")
class Goal(models.Model):
    care_plan = models.ForeignKey(
        CarePlan,
        on_delete=models.PROTECT,
        related_name="goals",
        verbose_name=_("care plan"),
        db_index=False,  # goal_plan_status_idx starts with care_plan
    )
    description = models.CharField(
        _("goal"), max_length=255, help_text=_("What the patient wants to reach, in their words.")
    )
    category = models.CharField(_("category"), max_length=12, choices=NeedCategory.choices)
    priority = models.CharField(
        _("priority"), max_length=16, choices=GoalPriority.choices, default=GoalPriority.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=12, choices=GoalStatus.choices, default=GoalStatus.PROPOSED
    )
    target_measure = models.CharField(
        _("target measure"), max_length=120, blank=True, help_text=_("For example: HbA1c")
    )
    target_value = models.DecimalField(
        _("target value"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    target_unit = models.CharField(_("unit"), max_length=30, blank=True)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_goals",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = GoalQuerySet.as_manager()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["care_plan", "pk"]
        indexes = [
            models.Index(fields=["care_plan", "status"], name="goal_plan_status_idx"),
            # Open goals by target date: My day's "target date in the next 14 days".
            models.Index(
                fields=["target_date"],
                name="goal_open_target_idx",
                condition=models.Q(status__in=OPEN_GOAL),
            ),
        ]

    def __str__(self) -> str:
        return f"Goal #{self.pk}"

    @property
    def picker_label(self) -> str:
        return self.description

    def clean(self) -> None:
        if self.target_value is not None and not self.target_measure:
            raise ValidationError({"target_measure": _("Say what the target value measures.")})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_GOAL

    @property
    def achievement_label(self) -> str:
        """Label of the ``achievement_status`` annotation (GoalQuerySet.with_achievement)."""
        value = getattr(self, "achievement_status", None)
        return AchievementStatus(value).label if value else ""


@track_history(patient="goal__care_plan__patient")
class GoalProgress(models.Model):
    """A dated entry on a goal. The goal's achievement status is its latest entry's."""

    goal = models.ForeignKey(
        Goal,
        on_delete=models.CASCADE,
        related_name="progress",
        verbose_name=_("goal"),
        db_index=False,  # goal_progress_idx starts with goal
    )
    recorded_on = models.DateField(_("date"), default=timezone.localdate)
    achievement_status = models.CharField(
        _("achievement"), max_length=16, choices=AchievementStatus.choices
    )
    measured_value = models.DecimalField(
        _("measured value"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("goal progress")
        verbose_name_plural = _("goal progress entries")
        ordering = ["-recorded_on", "-created_at", "-pk"]
        indexes = [models.Index(fields=["goal", "-recorded_on"], name="goal_progress_idx")]

    def __str__(self) -> str:
        return f"Progress #{self.pk} on goal #{self.goal_id}"

    def clean(self) -> None:
        if self.recorded_on and self.recorded_on > timezone.localdate():
            raise ValidationError({"recorded_on": _("Progress cannot be recorded in the future.")})


class TaskQuerySet(models.QuerySet):
    def open(self) -> TaskQuerySet:
        return self.filter(status__in=OPEN_TASK)

    def overdue(self, now: datetime.datetime | None = None) -> TaskQuerySet:
        return self.open().filter(due_at__lt=now or timezone.now())

    def assigned_to(self, user) -> TaskQuerySet:
        return self.filter(assignee=user)


@track_history(patient="patient")
class Task(models.Model):
    """Work with an assignee and a due time: a plan activity or a follow-up.

    A recurring task (every N days or weeks, until a date or a number of occurrences)
    creates its next occurrence when it is completed; ``series`` points at the first.
    """

    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=_("patient"),
        db_index=False,  # task_patient_status_idx starts with patient
    )
    care_plan = models.ForeignKey(
        CarePlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("care plan"),
    )
    goal = models.ForeignKey(
        Goal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("goal"),
    )
    description = models.CharField(_("task"), max_length=255)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assigned_tasks",
        verbose_name=_("assignee"),
    )
    due_at = models.DateTimeField(_("due"))
    priority = models.CharField(
        _("priority"), max_length=8, choices=TaskPriority.choices, default=TaskPriority.ROUTINE
    )
    status = models.CharField(
        _("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.REQUESTED
    )
    completion_note = models.TextField(_("completion note"), blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    repeat_every = models.PositiveSmallIntegerField(
        _("repeat every"), null=True, blank=True, help_text=_("Empty: the task does not repeat.")
    )
    repeat_unit = models.CharField(
        _("repeat unit"), max_length=8, choices=RecurrenceUnit.choices, blank=True
    )
    repeat_until = models.DateField(_("repeat until"), null=True, blank=True)
    repeat_count = models.PositiveSmallIntegerField(
        _("number of times"), null=True, blank=True, help_text=_("How many times in all.")
    )
    occurrence = models.PositiveSmallIntegerField(_("occurrence"), default=1)
    series = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first of the series"),
        db_index=False,  # task_one_row_per_occurrence starts with series
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(repeat_every__isnull=True) | ~Q(repeat_unit=""),
                name="task_repeat_has_unit",
            ),
            # Completing an occurrence twice (a double click, two tabs) must not fork the
            # series: each occurrence number exists once.
            models.UniqueConstraint(
                fields=["series", "occurrence"], name="task_one_row_per_occurrence"
            ),
        ]
        indexes = [
            models.Index(
                fields=["assignee", "due_at"],
                condition=Q(status__in=["requested", "accepted", "in-progress", "on-hold"]),
                name="task_open_by_assignee_idx",
            ),
            models.Index(fields=["patient", "status"], name="task_patient_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Task #{self.pk}"

    @property
    def picker_label(self) -> str:
        return self.description

    def clean(self) -> None:
        from accounts.models import TeamMembership

        errors = {}
        if self.goal_id and self.care_plan_id and self.goal.care_plan_id != self.care_plan_id:
            errors["goal"] = _("Choose a goal of the chosen care plan.")
        if self.care_plan_id and self.patient_id and self.care_plan.patient_id != self.patient_id:
            errors["care_plan"] = _("Choose a care plan of this patient.")
        if (
            self.assignee_id
            and self.patient_id
            and not TeamMembership.objects.filter(
                user_id=self.assignee_id,
                team_id=self.patient.care_team_id,
                user__is_active=True,
            ).exists()
        ):
            errors["assignee"] = _("Choose an active member of the patient's care team.")
        if self.repeat_every:
            if not self.repeat_unit:
                errors["repeat_unit"] = _("Choose days or weeks.")
            if not self.repeat_until and not self.repeat_count:
                errors["repeat_until"] = _(
                    "Say when the task stops repeating: a date or a number of times."
                )
        elif self.repeat_until or self.repeat_count:
            errors["repeat_every"] = _("Say how often the task repeats.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK

    @property
    def repeats(self) -> bool:
        return bool(self.repeat_every)

    def is_overdue_at(self, now: datetime.datetime) -> bool:
        return self.is_open and self.due_at < now


class RecordKind(models.TextChoices):
    CARE_PLAN = "care_plan", _("Care plan")
    GOAL = "goal", _("Goal")
    TASK = "task", _("Task")


class StatusChangeQuerySet(models.QuerySet):
    def for_patient(self, patient) -> StatusChangeQuerySet:
        return self.filter(patient=patient)

    def with_subjects(self) -> StatusChangeQuerySet:
        return self.select_related("actor", "care_plan", "goal", "task")


class StatusChange(models.Model):
    """One move of a care plan, goal or task: who, when, from, to and why.

    Written only by careplans.transitions, in the transaction of the move. Creation is
    recorded too (``from_status`` empty), so the age of a record in its current state is
    always ``now - occurred_at`` of its latest row. ``care_plan`` is set for goals and
    tasks of a plan too, so a plan's history is one filter.

    The table grows fastest of all: it has only the indexes the timeline, the pages and the
    dashboards read (Meta), and the per-record ones skip the rows of other kinds.
    """

    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.CASCADE,
        related_name="care_status_changes",
        verbose_name=_("patient"),
        db_index=False,
    )
    record = models.CharField(_("record"), max_length=10, choices=RecordKind.choices)
    care_plan = models.ForeignKey(
        CarePlan,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="status_changes",
        db_index=False,
    )
    goal = models.ForeignKey(
        Goal,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="status_changes",
        db_index=False,
    )
    task = models.ForeignKey(
        Task,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="status_changes",
        db_index=False,
    )
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
        db_index=False,
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)

    objects = StatusChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        record="care_plan",
                        care_plan__isnull=False,
                        goal__isnull=True,
                        task__isnull=True,
                    )
                    | Q(record="goal", goal__isnull=False, task__isnull=True)
                    | Q(record="task", task__isnull=False, goal__isnull=True)
                ),
                name="status_change_names_its_record",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-occurred_at"], name="status_change_patient_idx"),
            models.Index(
                fields=["care_plan", "-occurred_at"],
                condition=Q(care_plan__isnull=False),
                name="status_change_plan_idx",
            ),
            models.Index(
                fields=["goal", "-occurred_at"],
                condition=Q(goal__isnull=False),
                name="status_change_goal_idx",
            ),
            models.Index(
                fields=["task", "-occurred_at"],
                condition=Q(task__isnull=False),
                name="status_change_task_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record} {self.from_status or '∅'} → {self.to_status}"

    @property
    def subject(self):
        return {"care_plan": self.care_plan, "goal": self.goal, "task": self.task}[self.record]

    @property
    def subject_description(self) -> str:
        subject = self.subject
        return subject.title if self.record == RecordKind.CARE_PLAN else subject.description

    def _label(self, value: str) -> str:
        if not value:
            return ""
        choices = {
            RecordKind.CARE_PLAN: CarePlanStatus,
            RecordKind.GOAL: GoalStatus,
            RecordKind.TASK: TaskStatus,
        }[self.record]
        try:
            return choices(value).label
        except ValueError:
            return value

    @property
    def from_label(self) -> str:
        return self._label(self.from_status)

    @property
    def to_label(self) -> str:
        return self._label(self.to_status)
