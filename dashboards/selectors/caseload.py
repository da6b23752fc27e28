"""The case manager's caseload review: per coordinator and per team, all in SQL.

Nine queries whatever the caseload (caseload_review lists them). Python only merges the
grouped rows (a handful per coordinator and team) and sorts them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from accounts.models import CareTeam, User
from accounts.roles import Role
from careplans.models import (
    AchievementStatus,
    CarePlan,
    CarePlanReview,
    Goal,
    GoalProgress,
    StatusChange,
)
from careplans.selectors import tasks_visible_to
from patients.models import PatientStatus, RiskLevel
from patients.selectors import patients_visible_to, teams_of
from referrals.models import (
    AWAITING_RESPONSE,
    Referral,
    ReferralStatus,
    ReferralTransition,
)
from referrals.selectors import EpochSeconds, referral_figures, referrals_visible_to

PERIODS = (30, 90, 365)
DAY = 86400.0

SORT_KEYS = (
    "name",
    "active_patients",
    "high_risk",
    "overdue_tasks",
    "overdue_referrals",
    "plans_past_review",
    "without_active_plan",
    "open_tasks",
    "task_age_avg_days",
    "waiting_referrals",
    "wait_avg_days",
)


def caseload_teams(user: User) -> QuerySet[CareTeam]:
    """The teams whose caseload the user reviews: their own (all for admins)."""
    if not user.has_perm("accounts.view_caseload"):
        return CareTeam.objects.none()
    return teams_of(user).filter(is_active=True).order_by("name")


def _teams_with_period_figures(
    user: User, *, start: datetime.datetime, end: datetime.datetime, figures: bool = True
) -> list[CareTeam]:
    """The user's caseload teams, each with what its members did in the period (unless
    ``figures`` is false): ``goals_achieved`` (goals with an "achieved" progress entry),
    ``reviews_done``, ``reviews_with_due_date`` and ``reviews_on_time`` (done on or before
    the date then due).

    Three queries: the teams, then goals and reviews counted per team, each read from the
    teams' patients through the foreign-key indexes. (Correlated counts per team read
    every goal and care plan of the registry: 200 ms at 100,000 patients, and minutes
    when the statistics are stale.) The teams are the user's own, so counting by team
    keeps to what they may see."""
    teams = list(caseload_teams(user))
    for team in teams:
        team.goals_achieved = team.reviews_done = 0
        team.reviews_with_due_date = team.reviews_on_time = 0
    if not teams or not figures:
        return teams
    by_id = {team.pk: team for team in teams}
    team_of = F("care_plan__patient__care_team_id")
    achieved = GoalProgress.objects.filter(
        goal=OuterRef("pk"),
        achievement_status=AchievementStatus.ACHIEVED,
        recorded_on__gte=timezone.localdate(start),
        recorded_on__lte=timezone.localdate(end),
    )
    goals = (
        Goal.objects.filter(care_plan__patient__care_team_id__in=by_id)
        .filter(Exists(achieved))
        .values(team=team_of)
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in goals:
        by_id[row["team"]].goals_achieved = row["n"]
    due = Q(due_on__isnull=False)
    reviews = (
        CarePlanReview.objects.filter(
            care_plan__patient__care_team_id__in=by_id,
            reviewed_at__gte=start,
            reviewed_at__lt=end,
        )
        .values(team=team_of)
        .annotate(
            done=Count("pk"),
            with_due=Count("pk", filter=due),
            on_time=Count("pk", filter=due & Q(reviewed_at__date__lte=F("due_on"))),
        )
        .order_by()
    )
    for row in reviews:
        team = by_id[row["team"]]
        team.reviews_done = row["done"]
        team.reviews_with_due_date = row["with_due"]
        team.reviews_on_time = row["on_time"]
    return teams


@dataclass
class CoordinatorRow:
    user_id: int | None  # None: the patients who have no primary coordinator
    name: str = ""
    is_active: bool = True
    active_patients: int = 0
    high_risk: int = 0
    medium_risk: int = 0
    low_risk: int = 0
    overdue_tasks: int = 0
    overdue_referrals: int = 0
    plans_past_review: int = 0
    without_active_plan: int = 0
    open_tasks: int = 0
    task_age_avg_days: float | None = None
    task_age_max_days: float | None = None
    waiting_referrals: int = 0
    wait_avg_days: float | None = None
    wait_max_days: float | None = None


@dataclass
class TeamFigures:
    team_id: int
    name: str
    active_patients: int = 0
    high_risk: int = 0
    medium_risk: int = 0
    low_risk: int = 0
    referrals_sent: int = 0
    closed_loop_rate: float | None = None
    median_days_to_accept: float | None = None
    median_days_to_outcome: float | None = None
    overdue_referrals: int = 0
    goals_achieved: int = 0
    reviews_done: int = 0
    reviews_with_due_date: int = 0
    reviews_on_time: int = 0

    @property
    def reviews_on_time_rate(self) -> float | None:
        if not self.reviews_with_due_date:
            return None
        return self.reviews_on_time / self.reviews_with_due_date


@dataclass
class TrendPoint:
    start: datetime.date
    sent: int = 0
    closed: int = 0

    @property
    def rate(self) -> float | None:
        return self.closed / self.sent if self.sent else None


@dataclass
class CaseloadReview:
    all_teams: list[CareTeam]  # every team the user may review (the team choice)
    teams: list[CareTeam]  # those shown: all, or the one chosen
    period_days: int
    start: datetime.datetime
    end: datetime.datetime
    coordinators: list[CoordinatorRow] = field(default_factory=list)
    team_figures: list[TeamFigures] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)
    trend_unit: str = "week"


def first_move_to(status: str) -> Subquery:
    """When the referral first moved to ``status``, from its transition records."""
    return Subquery(
        ReferralTransition.objects.filter(referral=OuterRef("pk"), to_status=status)
        .order_by("at", "pk")
        .values("at")[:1]
    )


def _age_days(expression, now: datetime.datetime):
    """Days from ``expression`` (a datetime) to ``now``, in SQL."""
    return (Value(now.timestamp()) - EpochSeconds(expression)) / Value(DAY)


# --- Per coordinator ------------------------------------------------------------------


def _patient_counts(user: User, team_ids: list[int], today: datetime.date) -> QuerySet:
    active = Q(status=PatientStatus.ACTIVE)
    has_active_plan = Exists(CarePlan.objects.active().filter(patient=OuterRef("pk")))
    past_review = Exists(CarePlan.objects.review_overdue(today).filter(patient=OuterRef("pk")))
    return (
        patients_visible_to(user)
        .filter(care_team_id__in=team_ids)
        .values("care_team_id", "primary_coordinator_id")
        .annotate(
            active=Count("pk", filter=active),
            high=Count("pk", filter=active & Q(risk_level=RiskLevel.HIGH)),
            medium=Count("pk", filter=active & Q(risk_level=RiskLevel.MEDIUM)),
            low=Count("pk", filter=active & Q(risk_level=RiskLevel.LOW)),
            without_plan=Count("pk", filter=active & ~Q(has_active_plan)),
            past_review=Count("pk", filter=Q(past_review)),
        )
        .order_by()
    )


def _task_counts(user: User, team_ids: list[int], now: datetime.datetime) -> QuerySet:
    """Open tasks per assignee; a task's age counts from its creation row in the status
    change records (careplans.transitions.record_created, the first row of each task)."""
    created = Subquery(
        StatusChange.objects.filter(task=OuterRef("pk"))
        .order_by("occurred_at", "pk")
        .values("occurred_at")[:1]
    )
    age = _age_days(created, now)
    return (
        tasks_visible_to(user)
        .open()
        .filter(patient__care_team_id__in=team_ids)
        .values("assignee_id")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(due_at__lt=now)),
            age_avg=Avg(age),
            age_max=Max(age),
        )
        .order_by()
    )


def _referral_counts(user: User, team_ids: list[int], now: datetime.datetime) -> QuerySet:
    """Open referrals per referrer: overdue now, and those waiting for acceptance with how
    long they have waited since their "sent" transition."""
    waiting = Q(status__in=AWAITING_RESPONSE)
    wait = _age_days(first_move_to(ReferralStatus.SENT), now)
    return (
        referrals_visible_to(user)
        .open()
        .filter(patient__care_team_id__in=team_ids)
        .values("referred_by_id")
        .annotate(
            overdue=Count("pk", filter=Referral.objects.overdue_condition(now)),
            waiting=Count("pk", filter=waiting),
            wait_avg=Avg(wait, filter=waiting),
            wait_max=Max(wait, filter=waiting),
        )
        .order_by()
    )


def _people(user_ids: set[int], team_ids: list[int]) -> dict[int, User]:
    """Everyone in the rows, and the teams' coordinators who have nothing yet."""
    coordinators = Q(
        memberships__team_id__in=team_ids,
        groups__name=Role.COORDINATOR.group_name,
        is_active=True,
    )
    people = User.objects.filter(Q(pk__in=user_ids) | coordinators).distinct()
    return {person.pk: person for person in people}


def _coordinator_rows(
    patient_counts, task_counts, referral_counts, team_ids
) -> tuple[list[CoordinatorRow], dict[int, dict]]:
    rows: dict[int | None, CoordinatorRow] = {}
    per_team: dict[int, dict] = {}

    def row(user_id):
        return rows.setdefault(user_id, CoordinatorRow(user_id=user_id))

    for counts in patient_counts:
        r = row(counts["primary_coordinator_id"])
        r.active_patients += counts["active"]
        r.high_risk += counts["high"]
        r.medium_risk += counts["medium"]
        r.low_risk += counts["low"]
        r.without_active_plan += counts["without_plan"]
        r.plans_past_review += counts["past_review"]
        team = per_team.setdefault(
            counts["care_team_id"], {"active": 0, "high": 0, "medium": 0, "low": 0}
        )
        for key in ("active", "high", "medium", "low"):
            team[key] += counts[key]
    for counts in task_counts:
        r = row(counts["assignee_id"])
        r.open_tasks = counts["open"]
        r.overdue_tasks = counts["overdue"]
        r.task_age_avg_days = counts["age_avg"]
        r.task_age_max_days = counts["age_max"]
    for counts in referral_counts:
        r = row(counts["referred_by_id"])
        r.overdue_referrals = counts["overdue"]
        r.waiting_referrals = counts["waiting"]
        r.wait_avg_days = counts["wait_avg"]
        r.wait_max_days = counts["wait_max"]
    people = _people({pk for pk in rows if pk is not None}, team_ids)
    for pk, person in people.items():
        r = row(pk)
        r.name = str(person)
        r.is_active = person.is_active
    unassigned = rows.get(None)
    if unassigned is not None:
        unassigned.name = ""
    return list(rows.values()), per_team


def sort_rows(rows: list[CoordinatorRow], sort: str) -> list[CoordinatorRow]:
    """Sort by a column of SORT_KEYS; "-column" for descending. Empty values go last."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        key, descending = "name", False
    if key == "name":
        return sorted(
            rows, key=lambda r: (r.user_id is None, r.name.casefold()), reverse=descending
        )
    present = [r for r in rows if getattr(r, key) is not None]
    missing = [r for r in rows if getattr(r, key) is None]
    present.sort(key=lambda r: (getattr(r, key), r.name.casefold()), reverse=descending)
    return present + missing


# --- Per team, over the period ---------------------------------------------------------


def _trend(user, team_ids, start, end, unit: str) -> list[TrendPoint]:
    """Closed-loop rate of the referrals sent in each week (or month) of the period, with
    the definitions of referrals.selectors.referral_figures."""
    trunc = TruncMonth if unit == "month" else TruncWeek
    rows = (
        referrals_visible_to(user)
        .filter(patient__care_team_id__in=team_ids)
        .annotate(t_sent=first_move_to(ReferralStatus.SENT))
        .filter(t_sent__gte=start, t_sent__lt=end)
        .annotate(bucket=trunc("t_sent"))
        .values("bucket")
        .annotate(
            sent=Count("pk"),
            closed=Count("pk", filter=Q(status=ReferralStatus.CLOSED) & ~Q(outcome_code="")),
        )
        .order_by("bucket")
    )
    found = {timezone.localtime(r["bucket"]).date(): r for r in rows}
    # Every bucket of the period, empty ones too, so the chart's axis is regular.
    points = []
    cursor = timezone.localtime(start).date()
    if unit == "month":
        cursor = cursor.replace(day=1)
    else:
        cursor -= datetime.timedelta(days=cursor.weekday())
    last = timezone.localtime(end).date()
    while cursor <= last:
        r = found.get(cursor, {})
        points.append(TrendPoint(start=cursor, sent=r.get("sent", 0), closed=r.get("closed", 0)))
        if unit == "month":
            cursor = (cursor.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        else:
            cursor += datetime.timedelta(days=7)
    return points


def caseload_review(
    *,
    user: User,
    period_days: int = 90,
    team_id: int | None = None,
    sort: str = "name",
    now: datetime.datetime | None = None,
    with_team_figures: bool = True,
) -> CaseloadReview:
    """Everything the caseload review shows (the CSV export skips the team figures).

    Queries: the teams with their period figures (1); patients, open tasks and open
    referrals grouped per coordinator (3); the names of the people in the rows (1); the
    referral figures (referrals.selectors.referral_figures, 3); the trend (1).
    """
    now = now or timezone.now()
    if period_days not in PERIODS:
        period_days = 90
    today = timezone.localdate(now)
    start = now - datetime.timedelta(days=period_days)
    all_teams = _teams_with_period_figures(user, start=start, end=now, figures=with_team_figures)
    teams = [team for team in all_teams if team.pk == team_id] or all_teams
    review = CaseloadReview(
        all_teams=all_teams, teams=teams, period_days=period_days, start=start, end=now
    )
    if not teams:
        return review
    team_ids = [team.pk for team in teams]
    rows, per_team = _coordinator_rows(
        _patient_counts(user, team_ids, today),
        _task_counts(user, team_ids, now),
        _referral_counts(user, team_ids, now),
        team_ids,
    )
    review.coordinators = sort_rows(rows, sort)
    if not with_team_figures:
        return review

    figures = {
        f.group_id: f
        for f in referral_figures(user=user, start=start, end=now, now=now)["teams"]
        if f.group_id in team_ids
    }
    for team in teams:
        counts = per_team.get(team.pk, {})
        referrals = figures.get(team.pk)
        review.team_figures.append(
            TeamFigures(
                team_id=team.pk,
                name=team.name,
                active_patients=counts.get("active", 0),
                high_risk=counts.get("high", 0),
                medium_risk=counts.get("medium", 0),
                low_risk=counts.get("low", 0),
                referrals_sent=referrals.sent if referrals else 0,
                closed_loop_rate=referrals.closed_loop_rate if referrals else None,
                median_days_to_accept=referrals.median_days_to_accept if referrals else None,
                median_days_to_outcome=referrals.median_days_to_outcome if referrals else None,
                overdue_referrals=referrals.overdue_now if referrals else 0,
                goals_achieved=team.goals_achieved,
                reviews_done=team.reviews_done,
                reviews_with_due_date=team.reviews_with_due_date,
                reviews_on_time=team.reviews_on_time,
            )
        )
    review.trend_unit = "month" if period_days > 120 else "week"
    review.trend = _trend(user, team_ids, start, now, review.trend_unit)
    return review
