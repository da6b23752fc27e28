"""Reads of the directory and of referrals. Referral scope is patients_visible_to's teams."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone

from accounts.models import CareTeam, User
from audit import context as audit_context
from patients.models import Patient
from patients.selectors import scope_team_ids
from referrals.models import (
    AWAITING_RESPONSE,
    Referral,
    ReferralStatus,
    ReferralTransition,
    Service,
    SharingConsent,
)
from reminders.digest import DigestItem

# --- Scope ------------------------------------------------------------------------------


def referrals_visible_to(user) -> QuerySet[Referral]:
    """Referrals of the patients the user may see: the one scope rule, applied to referrals.

    A referral's ``care_team`` is its patient's team, copied and kept by the database
    (triggers, migration 0006: on every insert, every change of the referral's patient or
    of the copy, every move of the patient), so "referrals of my teams' patients" is read
    from the referral itself: a team's page newest first is the first rows of
    referral_team_newest_idx, where going through the patients read about 50 referrals
    for each one shown (tests/referrals/test_team_copy.py holds the copy to its patient)."""
    if not user.is_authenticated or not user.is_active:
        return Referral.objects.none()
    team_ids = scope_team_ids(user)
    if team_ids is None:
        return Referral.objects.all()
    return Referral.objects.filter(care_team_id__in=team_ids)


# --- Directory --------------------------------------------------------------------------


def services_search(
    *, q: str = "", category: str = "", language: str = "", accepting_only: bool = False
) -> QuerySet[Service]:
    """The coordinator's directory search: name (service or organisation), category,
    language spoken and whether the service takes referrals now."""
    services = Service.objects.available().select_related("organization").named(q)
    if category:
        services = services.filter(category=category)
    if language:
        services = services.speaking(language)
    if accepting_only:
        services = services.filter(accepts_referrals=True)
    return services.order_by("name", "organization__name", "pk")


# --- One patient's referrals ------------------------------------------------------------


def referrals_of_patient(*, patient: Patient, now: datetime.datetime, limit: int = 50):
    """For the patient page: open ones first, then the latest; one query."""
    return list(
        patient.referrals.with_overdue(now)
        .select_related("service__organization")
        .annotate(
            finished=Case(
                When(status__in=[ReferralStatus.CLOSED, ReferralStatus.CANCELLED], then=1),
                default=0,
                output_field=IntegerField(),
            )
        )
        .order_by("finished", "-created_at", "-pk")[:limit]
    )


def consent_in_force(
    *, patient: Patient, referral: Referral, now: datetime.datetime
) -> SharingConsent | None:
    """The patient's current consent to share with this referral's recipient, if any."""
    consents = SharingConsent.objects.filter(patient=patient).in_force(now)
    if referral.service_id:
        consents = consents.filter(organization_id=referral.service.organization_id)
    else:
        consents = consents.filter(
            organization__isnull=True, recipient_name__iexact=referral.recipient_name.strip()
        )
    return consents.order_by("-granted_on", "-pk").first()


def open_duplicate(*, patient_id: int, service_id: int | None, exclude_pk: int | None = None):
    if service_id is None:
        return None
    duplicates = Referral.objects.open().filter(patient_id=patient_id, service_id=service_id)
    if exclude_pk:
        duplicates = duplicates.exclude(pk=exclude_pk)
    return duplicates.first()


# --- Figures for the case manager's review ----------------------------------------------


class EpochSeconds(Func):
    """Seconds since 1970 of a datetime, the same on SQLite and PostgreSQL."""

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM %(expressions)s)::double precision",
            **extra_context,
        )


@dataclass(frozen=True)
class ReferralFigures:
    level: str  # "team" or "coordinator"
    group_id: int
    name: str
    sent: int
    closed_with_outcome: int
    median_days_to_accept: float | None
    median_days_to_outcome: float | None
    overdue_now: int

    @property
    def closed_loop_rate(self) -> float | None:
        return self.closed_with_outcome / self.sent if self.sent else None


def _first_move_to(status: str) -> Subquery:
    return Subquery(
        ReferralTransition.objects.filter(referral=OuterRef("pk"), to_status=status)
        .order_by("at", "pk")
        .values("at")[:1]
    )


# Medians in portable SQL: rank each group's durations with window functions, then take
# the middle one (odd count) or the mean of the middle two (even count).
FIGURES_SQL = """
WITH facts AS ({facts}),
grouped AS (
  SELECT 'team' AS level, team_id AS group_id, in_period, closed_with_outcome, overdue_now,
         days_to_accept, days_to_outcome
  FROM facts
  UNION ALL
  SELECT 'coordinator', coordinator_id, in_period, closed_with_outcome, overdue_now,
         days_to_accept, days_to_outcome
  FROM facts
),
counts AS (
  SELECT level, group_id, SUM(in_period) AS sent,
         SUM(in_period * closed_with_outcome) AS closed, SUM(overdue_now) AS overdue
  FROM grouped GROUP BY level, group_id
),
ranked AS (
  SELECT level, group_id, metric, days,
         ROW_NUMBER() OVER (PARTITION BY level, group_id, metric ORDER BY days) AS rn,
         COUNT(*) OVER (PARTITION BY level, group_id, metric) AS n
  FROM (
    SELECT level, group_id, 'accept' AS metric, days_to_accept AS days
    FROM grouped WHERE in_period = 1 AND days_to_accept IS NOT NULL
    UNION ALL
    SELECT level, group_id, 'outcome', days_to_outcome
    FROM grouped WHERE in_period = 1 AND days_to_outcome IS NOT NULL
  ) durations
),
medians AS (
  SELECT level, group_id,
         AVG(CASE WHEN metric = 'accept' THEN days END) AS median_accept,
         AVG(CASE WHEN metric = 'outcome' THEN days END) AS median_outcome
  FROM ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2)
  GROUP BY level, group_id
)
SELECT c.level, c.group_id, c.sent, c.closed, c.overdue, m.median_accept, m.median_outcome
FROM counts c LEFT JOIN medians m ON m.level = c.level AND m.group_id = c.group_id
ORDER BY c.level, c.group_id
"""


def referral_figures(
    *,
    user: User,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None = None,
) -> dict[str, list[ReferralFigures]]:
    """Closed-loop figures per team (the patient's) and per coordinator (who referred).

    Over referrals sent in [start, end): how many, how many are closed with an outcome,
    median days from sent to accepted and from sent to outcome (from the transition
    records); and how many are overdue now, whenever sent. Only the user's patients count.
    Returns {"teams": [...], "coordinators": [...]}, one row per team or coordinator
    with any referral counted.
    """
    now = now or timezone.now()
    day = 86400.0
    sent_at, accepted_at, outcome_at = (
        _first_move_to(ReferralStatus.SENT),
        _first_move_to(ReferralStatus.ACCEPTED),
        _first_move_to(ReferralStatus.OUTCOME_RECORDED),
    )
    overdue = Referral.objects.overdue_condition(now)
    in_period = Q(t_sent__gte=start, t_sent__lt=end)
    facts = (
        referrals_visible_to(user)
        .annotate(t_sent=sent_at, t_accepted=accepted_at, t_outcome=outcome_at)
        .filter(in_period | overdue)
        .annotate(
            team_id=F("patient__care_team_id"),
            coordinator_id=F("referred_by_id"),
            in_period=Case(When(in_period, then=1), default=0, output_field=IntegerField()),
            closed_with_outcome=Case(
                When(Q(status=ReferralStatus.CLOSED) & ~Q(outcome_code=""), then=1),
                default=0,
                output_field=IntegerField(),
            ),
            overdue_now=Case(When(overdue, then=1), default=0, output_field=IntegerField()),
            days_to_accept=(EpochSeconds("t_accepted") - EpochSeconds("t_sent")) / Value(day),
            days_to_outcome=(EpochSeconds("t_outcome") - EpochSeconds("t_sent")) / Value(day),
        )
        .order_by()
        .values(
            "team_id",
            "coordinator_id",
            "in_period",
            "closed_with_outcome",
            "overdue_now",
            "days_to_accept",
            "days_to_outcome",
        )
    )
    facts_sql, params = facts.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(FIGURES_SQL.format(facts=facts_sql), params)
        rows = cursor.fetchall()

    team_ids = {row[1] for row in rows if row[0] == "team"}
    user_ids = {row[1] for row in rows if row[0] == "coordinator"}
    names = {
        "team": dict(CareTeam.objects.filter(pk__in=team_ids).values_list("pk", "name")),
        "coordinator": {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)},
    }
    result: dict[str, list[ReferralFigures]] = {"teams": [], "coordinators": []}
    for level, group_id, sent, closed, overdue_count, median_accept, median_outcome in rows:
        figures = ReferralFigures(
            level=level,
            group_id=group_id,
            name=names[level].get(group_id, ""),
            sent=int(sent or 0),
            closed_with_outcome=int(closed or 0),
            median_days_to_accept=None if median_accept is None else float(median_accept),
            median_days_to_outcome=None if median_outcome is None else float(median_outcome),
            overdue_now=int(overdue_count or 0),
        )
        result["teams" if level == "team" else "coordinators"].append(figures)
    return result


# --- Digest -------------------------------------------------------------------------------

# How many items one source gives a digest at most: it is a day's list, not an export.
DIGEST_LIMIT = 200


def referral_digest_items(*, user, until: datetime.datetime) -> list[DigestItem]:
    """Digest source (reminders.digest): the user's referrals in scope waiting for an
    answer past (or today by) their response deadline, and appointments whose outcome is
    due by ``until`` (the appointment plus REFERRAL_OUTCOME_GRACE, the overdue rule).
    Labels carry the number only: no service, category, reason or notes."""
    grace = settings.REFERRAL_OUTCOME_GRACE
    mine = referrals_visible_to(user).filter(referred_by=user)
    awaiting = mine.filter(status__in=AWAITING_RESPONSE, response_due_at__lt=until)
    no_outcome = mine.filter(status=ReferralStatus.SCHEDULED, appointment_at__lt=until - grace)
    items = [
        DigestItem(
            label=f"Referral #{pk} awaiting response",
            due_at=due_at,
            link=reverse("referrals:detail", args=[pk]),
        )
        for pk, due_at in awaiting.order_by("response_due_at", "pk").values_list(
            "pk", "response_due_at"
        )[:DIGEST_LIMIT]
    ]
    items += [
        DigestItem(
            label=f"Referral #{pk} appointment without outcome",
            due_at=appointment_at + grace,
            link=reverse("referrals:detail", args=[pk]),
        )
        for pk, appointment_at in no_outcome.order_by("appointment_at", "pk").values_list(
            "pk", "appointment_at"
        )[:DIGEST_LIMIT]
    ]
    return items


def describe_referrals(user, ids: list[int]) -> dict[int, str]:
    """A notification's words for referrals (reminders/describe.py): to whom, for whom."""
    referrals = (
        referrals_visible_to(user)
        .filter(pk__in=ids)
        .select_related("patient", "service__organization")
    )
    texts = {}
    for referral in referrals:
        audit_context.note_patient(referral.patient_id)  # the page discloses who it is about
        texts[referral.pk] = f"{referral.recipient_label} · {referral.patient.full_name}"
    return texts
