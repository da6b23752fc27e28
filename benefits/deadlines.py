"""The reminders ahead of benefit and authorisation deadlines, kept in step with the dates.

``deadline_reminders_sync`` is called in the same transaction as every change that can
move a deadline (a transition, an edit): it leaves the pending reminder of a deadline
that has not moved, cancels the ones that no longer apply and schedules the new one.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from benefits.models import (
    AWAITING_DECISION,
    ApplicationStatus,
    BenefitApplication,
    PriorAuthorisation,
)
from patients.models import Patient
from reminders.models import Reminder, ReminderKind
from reminders.services import reminder_schedule, reminders_cancel_for

REMIND_AT = datetime.time(9, 0)  # local time of the clinic: the start of a working day

APPLICATION_KINDS = (
    ReminderKind.BENEFIT_DECISION_DUE,
    ReminderKind.BENEFIT_RENEWAL_DUE,
    ReminderKind.APPEAL_DEADLINE,
)


def at_nine(day: datetime.date) -> datetime.datetime:
    """Nine on ``day`` in the clinic's zone, whatever zone the request that moved the
    deadline had active (a user's own, the API's): the same deadline, the same time."""
    return datetime.datetime.combine(day, REMIND_AT, tzinfo=timezone.get_default_timezone())


def remind_time(due: datetime.date, lead_days: int) -> datetime.datetime:
    """``lead_days`` before the deadline at nine, or now when that has passed already."""
    return max(at_nine(due - datetime.timedelta(days=lead_days)), timezone.now())


def application_deadlines(application: BenefitApplication) -> dict[str, tuple[datetime.date, int]]:
    """The deadlines an application's status calls for: kind -> (date, lead days)."""
    wanted = {}
    if application.status in AWAITING_DECISION and application.decision_due_on:
        wanted[ReminderKind.BENEFIT_DECISION_DUE] = (
            application.decision_due_on,
            settings.BENEFITS_DECISION_LEAD_DAYS,
        )
    if application.status == ApplicationStatus.APPROVED and application.renewal_due_on:
        wanted[ReminderKind.BENEFIT_RENEWAL_DUE] = (
            application.renewal_due_on,
            settings.BENEFITS_RENEWAL_LEAD_DAYS,
        )
    if application.status == ApplicationStatus.DENIED and application.appeal_deadline:
        wanted[ReminderKind.APPEAL_DEADLINE] = (
            application.appeal_deadline,
            settings.BENEFITS_APPEAL_LEAD_DAYS,
        )
    return wanted


def _sync(
    obj: models.Model,
    *,
    kinds: Iterable[str],
    wanted: dict[str, tuple[datetime.date, int]],
    recipient: User,
    patient: Patient,
    title: str,
    link: str,
    version: int,
) -> None:
    pending = set(
        Reminder.objects.pending()
        .about(obj)
        .filter(kind__in=list(kinds))
        .values_list("kind", "due_at")
    )
    for kind in kinds:
        if kind not in wanted:
            reminders_cancel_for(obj, kind=kind)
            continue
        due, lead = wanted[kind]
        due_at = at_nine(due)
        if (kind, due_at) in pending:
            continue
        reminders_cancel_for(obj, kind=kind)
        reminder_schedule(
            kind=kind,
            recipient=recipient,
            about=obj,
            send_at=remind_time(due, lead),
            due_at=due_at,
            # Its time and the version: a deadline moved back to an earlier date gets a new
            # row, and so does one at a new time (the clinic's zone changed): the key of a
            # row just cancelled would return that row, and no reminder would be left.
            key=f"{kind}:{obj._meta.label_lower}:{obj.pk}:{due_at.isoformat()}:{version}",
            patient=patient,
            context={"title": title, "link": link},
        )


def application_reminders_sync(application: BenefitApplication) -> None:
    _sync(
        application,
        kinds=APPLICATION_KINDS,
        wanted=application_deadlines(application),
        recipient=application.case_manager,
        patient=application.patient,
        title=_("Benefit application #%(number)s") % {"number": application.pk},
        link=reverse("benefits:application_detail", kwargs={"pk": application.pk}),
        version=application.version,
    )


def authorisation_reminders_sync(authorisation: PriorAuthorisation, *, recipient: User) -> None:
    today = timezone.localdate()
    wanted = {}
    if authorisation.valid_to >= today:
        wanted[ReminderKind.AUTHORISATION_EXPIRING] = (
            authorisation.valid_to,
            settings.BENEFITS_AUTHORISATION_LEAD_DAYS,
        )
    _sync(
        authorisation,
        kinds=(ReminderKind.AUTHORISATION_EXPIRING,),
        wanted=wanted,
        recipient=recipient,
        patient=authorisation.patient,
        title=_("Prior authorisation #%(number)s") % {"number": authorisation.pk},
        link=reverse("patients:detail", kwargs={"pk": authorisation.patient_id}),
        version=authorisation.version,
    )
