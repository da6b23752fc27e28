"""The coordinator's My day: one query per section, rows and their total together.

"Mine" is the coordinator's own work: tasks assigned to them, referrals they sent or
that concern patients they coordinate, goals they own or of their patients, and the
patients they coordinate. Everything is within the scope rule first.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from accounts.models import User
from careplans.models import CarePlan, CarePlanStatus, Task, TaskStatus
from careplans.selectors import care_plans_visible_to, goals_visible_to, tasks_visible_to
from patients.models import Patient, RiskLevel
from patients.selectors import patients_visible_to
from referrals.models import AWAITING_RESPONSE, Referral, ReferralStatus
from referrals.selectors import referrals_visible_to

ROWS = 10  # rows shown per section; the badge counts them all


def first_rows(queryset: QuerySet, limit: int = ROWS) -> tuple[list, int]:
    """The first ``limit`` rows and the number of all rows, in one query: the total is a
    window aggregate (COUNT(*) OVER ()) computed before LIMIT."""
    rows = list(queryset.annotate(section_total=Window(Count("pk")))[:limit])
    return rows, (rows[0].section_total if rows else 0)


def first_rows_per_bucket(
    queryset: QuerySet, *, bucket: Case, order_by: list, limit: int = ROWS
) -> dict[str, tuple[list, int]]:
    """Several sections from one query: each row falls in a ``bucket`` (a CASE giving the
    section's key, NULL for none); per bucket, the first ``limit`` rows in ``order_by``
    (ROW_NUMBER() OVER (PARTITION BY bucket ...)) and the bucket's total (COUNT(*) OVER
    (PARTITION BY bucket)). Django filters on the window through a subquery."""
    rows = (
        queryset.annotate(bucket=bucket)
        .filter(bucket__isnull=False)
        .annotate(
            bucket_rank=Window(RowNumber(), partition_by=[F("bucket")], order_by=order_by),
            bucket_total=Window(Count("pk"), partition_by=[F("bucket")]),
        )
        .filter(bucket_rank__lte=limit)
        .order_by("bucket", "bucket_rank")
    )
    found: dict[str, tuple[list, int]] = {}
    for row in rows:
        listed, _total = found.get(row.bucket, ([], 0))
        listed.append(row)
        found[row.bucket] = (listed, row.bucket_total)
    return found


# --- Tasks ----------------------------------------------------------------------------

OVERDUE, TODAY = "overdue", "today"


def my_tasks_due(
    user: User, *, now: datetime.datetime, end_of_today: datetime.datetime
) -> dict[str, tuple[list[Task], int]]:
    """The user's open tasks overdue and due (later) today: {"overdue"|"today": (rows,
    total)}, earliest first, one query."""
    return first_rows_per_bucket(
        tasks_visible_to(user)
        .open()
        .assigned_to(user)
        .filter(due_at__lt=end_of_today)
        .select_related("patient", "care_plan", "goal"),
        bucket=Case(
            When(due_at__lt=now, then=Value(OVERDUE)),
            default=Value(TODAY),
            output_field=CharField(),
        ),
        order_by=[F("due_at").asc(), F("pk").asc()],
    )


# --- Referrals ------------------------------------------------------------------------

AWAITING, APPOINTMENTS, NO_OUTCOME = "awaiting", "appointments", "no-outcome"


def my_referrals_to_watch(
    user: User, *, now: datetime.datetime
) -> dict[str, tuple[list[Referral], int]]:
    """Referrals the user sent or that concern patients they coordinate, one query:

    - "awaiting": sent or received, no answer yet; overdue ones first, then by deadline;
    - "appointments": scheduled in the next 7 days, soonest first;
    - "no-outcome": scheduled, the appointment has passed and no outcome is recorded.
    """
    overdue = Referral.objects.overdue_condition(now)
    scheduled = Q(status=ReferralStatus.SCHEDULED)
    return first_rows_per_bucket(
        referrals_visible_to(user)
        .filter(Q(referred_by=user) | Q(patient__primary_coordinator=user))
        .filter(Q(status__in=AWAITING_RESPONSE) | scheduled)
        .with_overdue(now)
        .select_related("patient", "service__organization"),
        bucket=Case(
            When(status__in=AWAITING_RESPONSE, then=Value(AWAITING)),
            When(
                scheduled
                & Q(appointment_at__gte=now, appointment_at__lt=now + datetime.timedelta(days=7)),
                then=Value(APPOINTMENTS),
            ),
            When(scheduled & Q(appointment_at__lt=now), then=Value(NO_OUTCOME)),
            default=None,
            output_field=CharField(),
        ),
        order_by=[
            # Awaiting: overdue first (0 before 1); the others have no such rank.
            Case(When(overdue, then=Value(0)), default=Value(1)).asc(),
            Case(
                When(status__in=AWAITING_RESPONSE, then=F("response_due_at")),
                default=F("appointment_at"),
            ).asc(nulls_last=True),
            F("pk").asc(),
        ],
    )


# --- Goals and care plans -----------------------------------------------------------


def goals_due_soon(user: User, *, today: datetime.date, days: int = 14):
    """Open goals with a target date from today to ``days`` ahead."""
    return first_rows(
        goals_visible_to(user)
        .open()
        .filter(Q(owner=user) | Q(care_plan__patient__primary_coordinator=user))
        .filter(target_date__gte=today, target_date__lte=today + datetime.timedelta(days=days))
        .select_related("care_plan__patient")
        .order_by("target_date", "pk")
    )


def care_plans_due_for_review(user: User, *, today: datetime.date, days: int = 7):
    """Plans in force of the user's patients whose review is past or due within ``days``."""
    return first_rows(
        care_plans_visible_to(user)
        .filter(
            status__in=(CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD),
            patient__primary_coordinator=user,
            next_review_date__lte=today + datetime.timedelta(days=days),
        )
        .select_related("patient")
        .order_by("next_review_date", "pk")
    )


# --- Patients -------------------------------------------------------------------------


def _my_active_patients(user: User) -> QuerySet[Patient]:
    return patients_visible_to(user).active().filter(primary_coordinator=user)


def patients_without_active_plan(user: User):
    active_plan = CarePlan.objects.active().filter(patient=OuterRef("pk"))
    return first_rows(
        _my_active_patients(user)
        .filter(~Exists(active_plan))
        .order_by("family_name", "given_name", "pk")
    )


def last_contact() -> Max:
    """When someone last completed a task for the patient (a call, a visit, a check-in):
    CareHub's record of contact until contacts are their own records."""
    return Max("tasks__completed_at", filter=Q(tasks__status=TaskStatus.COMPLETED))


def high_risk_without_contact(user: User, *, now: datetime.datetime, days: int | None = None):
    """High-risk patients with no contact for ``days`` (CAREHUB_NO_CONTACT_DAYS), never
    contacted ones first."""
    days = settings.CAREHUB_NO_CONTACT_DAYS if days is None else days
    since = now - datetime.timedelta(days=days)
    return first_rows(
        _my_active_patients(user)
        .filter(risk_level=RiskLevel.HIGH)
        .annotate(last_contact=last_contact())
        .filter(Q(last_contact__isnull=True) | Q(last_contact__lt=since))
        .order_by(F("last_contact").asc(nulls_first=True), "family_name", "pk")
    )
