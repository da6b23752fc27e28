"""The built-in sections of the coordinator's My day (registered on import, from
DashboardsConfig.ready). Each is one query (dashboards.selectors.my_day) and hands the
template finished rows: links and labels computed here, not in templates."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from careplans.pages import prepare_task_rows
from dashboards import sections
from dashboards.sections import Day, DaySection
from dashboards.selectors import my_day as q


def _tasks_url(**filters) -> str:
    return (
        f"{reverse('careplans:my_tasks')}?{urlencode(filters)}"
        if filters
        else reverse("careplans:my_tasks")
    )


def _task_section(request, day: Day, *, key, title, rows, count, empty, more_url) -> DaySection:
    prepare_task_rows(rows, user=request.user, now=day.now)
    return DaySection(
        key=key,
        title=title,
        count=count,
        rows=rows,
        template="dashboards/partials/_day_tasks.html",
        empty=empty,
        more_url=more_url,
        context={"next": reverse("dashboards:my_day")},
    )


@sections.register(order=10)
def tasks_due(request: HttpRequest, day: Day) -> list[DaySection] | None:
    """Overdue (with how late) and due today, with complete, reschedule and snooze."""
    if not request.user.has_perm("careplans.view_task"):
        return None
    found = q.my_tasks_due(day.user, now=day.now, end_of_today=day.end_of_today)
    overdue, overdue_count = found.get(q.OVERDUE, ([], 0))
    today, today_count = found.get(q.TODAY, ([], 0))
    return [
        _task_section(
            request,
            day,
            key="overdue",
            title=_("Overdue"),
            rows=overdue,
            count=overdue_count,
            empty=_("Nothing overdue."),
            more_url=_tasks_url(overdue="on"),
        ),
        _task_section(
            request,
            day,
            key="today",
            title=_("Due today"),
            rows=today,
            count=today_count,
            empty=_("Nothing else due today."),
            more_url=_tasks_url(),
        ),
    ]


def _referral_rows(referrals, *, now: datetime.datetime, when: str) -> list[dict]:
    rows = []
    for referral in referrals:
        moment = getattr(referral, when)
        rows.append(
            {
                "url": reverse("referrals:detail", args=[referral.pk]),
                "patient_id": referral.patient_id,
                "patient_url": reverse("patients:detail", args=[referral.patient_id]),
                "patient": referral.patient.full_name,
                "recipient": referral.recipient_label,
                "status": referral.get_status_display(),
                "status_key": referral.status,
                "when": moment,
                "overdue": getattr(referral, "is_overdue", False),
                "late": timesince(moment, now, depth=1) if moment and moment < now else "",
            }
        )
    return rows


def _referral_section(key, title, found, *, day, when, when_label, empty, more_url=""):
    rows, count = found.get(key, ([], 0))
    return DaySection(
        key=key,
        title=title,
        count=count,
        rows=_referral_rows(rows, now=day.now, when=when),
        template="dashboards/partials/_day_referrals.html",
        empty=empty,
        more_url=more_url,
        context={"when_label": when_label},
    )


@sections.register(order=30)
def referrals_to_watch(request: HttpRequest, day: Day) -> list[DaySection] | None:
    """Waiting for a response (overdue first), appointments in the next 7 days, and past
    appointments with no outcome: one query."""
    if not request.user.has_perm("referrals.view_referral"):
        return None
    found = q.my_referrals_to_watch(day.user, now=day.now)
    waiting_url = f"{reverse('referrals:list')}?{urlencode({'scope': 'mine'})}"
    return [
        _referral_section(
            q.AWAITING,
            _("Referrals waiting for a response"),
            found,
            day=day,
            when="response_due_at",
            when_label=_("Response due"),
            empty=_("No referral is waiting for an answer."),
            more_url=waiting_url,
        ),
        _referral_section(
            q.APPOINTMENTS,
            _("Appointments in the next 7 days"),
            found,
            day=day,
            when="appointment_at",
            when_label=_("Appointment"),
            empty=_("No appointment in the next 7 days."),
        ),
        _referral_section(
            q.NO_OUTCOME,
            _("Past appointments with no outcome"),
            found,
            day=day,
            when="appointment_at",
            when_label=_("Appointment was"),
            empty=_("Every past appointment has its outcome."),
        ),
    ]


@sections.register(order=60)
def goals_due_soon(request: HttpRequest, day: Day) -> DaySection | None:
    if not request.user.has_perm("careplans.view_goal"):
        return None
    goals, count = q.goals_due_soon(day.user, today=day.today)
    rows = [
        {
            "url": reverse("careplans:detail", args=[goal.care_plan_id]),
            "label": goal.description,
            "patient_url": reverse("patients:detail", args=[goal.care_plan.patient_id]),
            "patient": goal.care_plan.patient.full_name,
            "date": goal.target_date,
            "date_label": _("Target"),
            "badge": goal.get_status_display(),
        }
        for goal in goals
    ]
    return DaySection(
        key="goals",
        title=_("Goals with a target in the next 14 days"),
        count=count,
        rows=rows,
        template="dashboards/partials/_day_records.html",
        empty=_("No goal target in the next 14 days."),
    )


@sections.register(order=70)
def care_plans_due_for_review(request: HttpRequest, day: Day) -> DaySection | None:
    if not request.user.has_perm("careplans.view_careplan"):
        return None
    plans, count = q.care_plans_due_for_review(day.user, today=day.today)
    rows = [
        {
            "url": reverse("careplans:detail", args=[plan.pk]),
            "label": plan.title,
            "patient_url": reverse("patients:detail", args=[plan.patient_id]),
            "patient": plan.patient.full_name,
            "date": plan.next_review_date,
            "date_label": _("Review"),
            "overdue": plan.next_review_date < day.today,
            "badge": _("past review") if plan.next_review_date < day.today else "",
        }
        for plan in plans
    ]
    return DaySection(
        key="reviews",
        title=_("Care plans due for review"),
        count=count,
        rows=rows,
        template="dashboards/partials/_day_records.html",
        empty=_("No care plan is due for review this week."),
    )


def _patient_rows(patients, *, now, last_contact=False) -> list[dict]:
    rows = []
    for patient in patients:
        row = {
            "patient_id": patient.pk,
            "url": reverse("patients:detail", args=[patient.pk]),
            "name": f"{patient.family_name}, {patient.given_name}",
            "mrn": patient.mrn,
            "risk": patient.get_risk_level_display(),
            "risk_key": patient.risk_level,
        }
        if last_contact:
            contact = patient.last_contact
            row["contact"] = (
                _("%(ago)s ago") % {"ago": timesince(contact, now, depth=1)}
                if contact
                else _("never")
            )
        rows.append(row)
    return rows


@sections.register(order=80)
def patients_without_active_plan(request: HttpRequest, day: Day) -> DaySection | None:
    if not request.user.has_perm("careplans.view_careplan"):
        return None
    patients, count = q.patients_without_active_plan(day.user)
    filters = {"primary_coordinator": day.user.pk, "status": "active", "care_plan": "none"}
    return DaySection(
        key="no-plan",
        title=_("My patients with no active care plan"),
        count=count,
        rows=_patient_rows(patients, now=day.now),
        template="dashboards/partials/_day_patients.html",
        empty=_("Every patient of yours has an active care plan."),
        more_url=f"{reverse('patients:list')}?{urlencode(filters)}",
    )


@sections.register(order=90)
def high_risk_without_contact(request: HttpRequest, day: Day) -> DaySection | None:
    days = settings.CAREHUB_NO_CONTACT_DAYS
    patients, count = q.high_risk_without_contact(day.user, now=day.now, days=days)
    return DaySection(
        key="no-contact",
        title=_("High-risk patients with no contact in %(days)d days") % {"days": days},
        count=count,
        rows=_patient_rows(patients, now=day.now, last_contact=True),
        template="dashboards/partials/_day_patients.html",
        empty=_("Every high-risk patient of yours was contacted recently."),
        context={"show_contact": True},
    )
