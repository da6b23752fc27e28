"""What the caseload review shows: the table's headers, cells and drill-down links, the
charts and the CSV, all computed from one CaseloadReview so templates only render."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboards import charts
from dashboards.selectors.caseload import CaseloadReview, CoordinatorRow

# (sort key, header, what the number means)
COLUMNS = [
    ("active_patients", gettext_lazy("Active patients"), ""),
    ("high_risk", gettext_lazy("High risk"), gettext_lazy("active patients at high risk")),
    ("overdue_tasks", gettext_lazy("Overdue tasks"), ""),
    ("overdue_referrals", gettext_lazy("Overdue referrals"), ""),
    ("plans_past_review", gettext_lazy("Plans past review"), ""),
    ("without_active_plan", gettext_lazy("No active plan"), gettext_lazy("active patients")),
    ("open_tasks", gettext_lazy("Open tasks"), ""),
    ("task_age_avg_days", gettext_lazy("Task age, days"), gettext_lazy("average / oldest")),
    ("waiting_referrals", gettext_lazy("Awaiting acceptance"), gettext_lazy("referrals")),
    ("wait_avg_days", gettext_lazy("Waiting, days"), gettext_lazy("average / longest")),
]


def _days(value: float | None) -> str:
    return "—" if value is None else formats.number_format(value, 1)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _url(name: str, **query) -> str:
    return f"{reverse(name)}?{urlencode(query)}"


@dataclass
class Header:
    key: str
    label: str
    hint: str
    sort_url: str
    sorted: str  # "ascending", "descending" or "" (aria-sort)


@dataclass
class Cell:
    text: str
    url: str = ""
    alert: bool = False


def table(review: CaseloadReview, *, sort: str, query: dict) -> tuple[list[Header], list[dict]]:
    """Headers with their sort links (GET, so they work without JavaScript) and rows of
    cells, each number linking to the filtered list behind it."""
    current = sort.lstrip("-")
    descending = sort.startswith("-")
    base = reverse("dashboards:caseload")
    headers = []
    for key, label, hint in [("name", gettext_lazy("Coordinator"), ""), *COLUMNS]:
        # First click sorts numbers high to low (the busiest first), names A to Z.
        if key == current:
            next_sort = key if descending else f"-{key}"
        else:
            next_sort = key if key == "name" else f"-{key}"
        headers.append(
            Header(
                key=key,
                label=str(label),
                hint=str(hint),
                sort_url=f"{base}?{urlencode({**query, 'sort': next_sort})}",
                sorted=("descending" if descending else "ascending") if key == current else "",
            )
        )
    team = {"care_team": query["team"]} if query.get("team") else {}
    rows = []
    patients_url = reverse("patients:list")
    tasks_url = reverse("careplans:my_tasks")
    referrals_url = reverse("referrals:list")
    reassign_url = reverse("dashboards:reassign")
    for r in review.coordinators:
        rows.append(
            {
                "row": r,
                "cells": _cells(r, team, patients_url, tasks_url, referrals_url),
                "reassign_url": f"{reassign_url}?{urlencode({'coordinator': r.user_id})}",
            }
        )
    return headers, rows


def _cells(r: CoordinatorRow, team: dict, patients_url, tasks_url, referrals_url) -> dict:
    def link(base: str, **query) -> str:
        return f"{base}?{urlencode(query)}" if r.user_id else ""

    coordinator = {"primary_coordinator": r.user_id, **team}
    return {
        "name": Cell(
            r.name if r.user_id else _("No primary coordinator"),
            url=link(patients_url, **coordinator),
        ),
        "active_patients": Cell(
            str(r.active_patients), url=link(patients_url, status="active", **coordinator)
        ),
        "high_risk": Cell(
            str(r.high_risk),
            url=link(patients_url, status="active", risk_level="high", **coordinator),
        ),
        "overdue_tasks": Cell(
            str(r.overdue_tasks),
            url=link(tasks_url, assignee=r.user_id, overdue="on"),
            alert=r.overdue_tasks > 0,
        ),
        "overdue_referrals": Cell(
            str(r.overdue_referrals),
            url=link(referrals_url, scope="teams", referred_by=r.user_id, overdue="on"),
            alert=r.overdue_referrals > 0,
        ),
        "plans_past_review": Cell(
            str(r.plans_past_review),
            url=link(patients_url, care_plan="review_overdue", **coordinator),
            alert=r.plans_past_review > 0,
        ),
        "without_active_plan": Cell(
            str(r.without_active_plan),
            url=link(patients_url, status="active", care_plan="none", **coordinator),
        ),
        "open_tasks": Cell(str(r.open_tasks), url=link(tasks_url, assignee=r.user_id)),
        "task_age_avg_days": Cell(f"{_days(r.task_age_avg_days)} / {_days(r.task_age_max_days)}"),
        "waiting_referrals": Cell(
            str(r.waiting_referrals),
            url=link(referrals_url, scope="teams", referred_by=r.user_id),
        ),
        "wait_avg_days": Cell(f"{_days(r.wait_avg_days)} / {_days(r.wait_max_days)}"),
    }


# --- Charts -----------------------------------------------------------------------------

RISK_SERIES = [
    charts.Series("high", gettext_lazy("High")),
    charts.Series("medium", gettext_lazy("Medium")),
    charts.Series("low", gettext_lazy("Low")),
]


def workload_chart(review: CaseloadReview) -> charts.BarChart | None:
    rows = [r for r in review.coordinators if r.user_id and r.active_patients]
    if not rows:
        return None
    rows.sort(key=lambda r: -r.active_patients)
    return charts.stacked_bars(
        title=_("Workload per coordinator"),
        description=_("Active patients of each coordinator, split by risk level."),
        series=RISK_SERIES,
        rows=[(r.name, [r.high_risk, r.medium_risk, r.low_risk]) for r in rows],
    )


def risk_chart(review: CaseloadReview) -> charts.BarChart | None:
    teams = [t for t in review.team_figures if t.active_patients]
    if not teams:
        return None
    return charts.stacked_bars(
        title=_("Risk mix per team"),
        description=_("Active patients of each team by risk level."),
        series=RISK_SERIES,
        rows=[(t.name, [t.high_risk, t.medium_risk, t.low_risk]) for t in teams],
    )


def trend_chart(review: CaseloadReview) -> charts.ColumnChart | None:
    if not any(point.sent for point in review.trend):
        return None
    label_format = "M Y" if review.trend_unit == "month" else "j M"
    return charts.rate_columns(
        title=_("Closed-loop rate over time"),
        description=_("Share of the referrals sent each %(unit)s that are closed with an outcome.")
        % {"unit": _("month") if review.trend_unit == "month" else _("week")},
        points=[
            (
                formats.date_format(point.start, label_format),
                point.rate,
                _percent(point.rate) if point.sent else "",
            )
            for point in review.trend
        ],
    )


def team_rows(review: CaseloadReview) -> list[dict]:
    return [
        {
            "name": t.name,
            "active_patients": t.active_patients,
            "risk": f"{t.high_risk} / {t.medium_risk} / {t.low_risk}",
            "referrals_sent": t.referrals_sent,
            "closed_loop_rate": _percent(t.closed_loop_rate),
            "median_days_to_accept": _days(t.median_days_to_accept),
            "median_days_to_outcome": _days(t.median_days_to_outcome),
            "overdue_referrals": t.overdue_referrals,
            "goals_achieved": t.goals_achieved,
            "reviews": _("%(on_time)s of %(due)s on time (%(rate)s)")
            % {
                "on_time": t.reviews_on_time,
                "due": t.reviews_with_due_date,
                "rate": _percent(t.reviews_on_time_rate),
            }
            if t.reviews_with_due_date
            else str(t.reviews_done),
        }
        for t in review.team_figures
    ]


def trend_rows(review: CaseloadReview) -> list[dict]:
    label_format = "M Y" if review.trend_unit == "month" else "j M Y"
    return [
        {
            "start": formats.date_format(point.start, label_format),
            "sent": point.sent,
            "closed": point.closed,
            "rate": _percent(point.rate),
        }
        for point in review.trend
    ]


# --- CSV ------------------------------------------------------------------------------


def csv_rows(review: CaseloadReview) -> Iterator[list]:
    yield [
        "coordinator",
        "coordinator_id",
        "active_patients",
        "high_risk",
        "medium_risk",
        "low_risk",
        "overdue_tasks",
        "overdue_referrals",
        "plans_past_review",
        "without_active_plan",
        "open_tasks",
        "task_age_avg_days",
        "task_age_max_days",
        "referrals_awaiting_acceptance",
        "wait_avg_days",
        "wait_max_days",
    ]

    def days(value):
        return "" if value is None else f"{value:.1f}"

    for r in review.coordinators:
        yield [
            _cell(r.name if r.user_id else _("No primary coordinator")),
            r.user_id or "",
            r.active_patients,
            r.high_risk,
            r.medium_risk,
            r.low_risk,
            r.overdue_tasks,
            r.overdue_referrals,
            r.plans_past_review,
            r.without_active_plan,
            r.open_tasks,
            days(r.task_age_avg_days),
            days(r.task_age_max_days),
            r.waiting_referrals,
            days(r.wait_avg_days),
            days(r.wait_max_days),
        ]


def _cell(value) -> str:
    """A cell as text (carehub.csv_safe.writer guards it when it is written)."""
    return str(value)
