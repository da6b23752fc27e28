"""The enrolment state machine (DOMAIN.md, Enrolment) and the only code that moves it.

referred -> enrolled | disenrolled; enrolled -> paused | completed | disenrolled;
paused -> enrolled | disenrolled. Pause and disenrolment need a reason. Each move checks
the machine, writes the status with a guarded UPDATE and an EnrolmentTransition row, in
one transaction; leaving a program cancels its pending reminders.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from carehub.transitions import InvalidTransition, StaleEdit, guarded_update, machine
from patients.selectors import patients_visible_to
from programs.models import Enrolment, EnrolmentStatus, EnrolmentTransition
from reminders.services import reminders_cancel_for

__all__ = ["ENROLMENT", "InvalidTransition", "StaleEdit", "enrolment_transition"]

E = EnrolmentStatus

ENROLMENT = machine(
    "enrolment status",
    {
        E.REFERRED: {E.ENROLLED, E.DISENROLLED},
        E.ENROLLED: {E.PAUSED, E.COMPLETED, E.DISENROLLED},
        E.PAUSED: {E.ENROLLED, E.DISENROLLED},
        E.COMPLETED: set(),
        E.DISENROLLED: set(),
    },
    reason_required={E.PAUSED, E.DISENROLLED},
    choices=EnrolmentStatus,
)

FINAL = frozenset({E.COMPLETED, E.DISENROLLED})


def record_created(enrolment: Enrolment, *, by: User) -> EnrolmentTransition:
    return EnrolmentTransition.objects.create(
        enrolment=enrolment,
        patient_id=enrolment.patient_id,
        from_status="",
        to_status=enrolment.status,
        actor=by,
    )


@transaction.atomic
def enrolment_transition(
    *,
    enrolment: Enrolment,
    by: User,
    target: str,
    reason: str = "",
    expected_version: int | None = None,
    on: datetime.date | None = None,
) -> Enrolment:
    """Move an enrolment. Enrolling sets the start date (first time), completing or
    disenrolling sets the end date; ``on`` is that date (default today)."""
    if not by.has_perm("programs.change_enrolment") or (
        not patients_visible_to(by).filter(pk=enrolment.patient_id).exists()
    ):
        raise PermissionDenied
    current = Enrolment.objects.get(pk=enrolment.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleEdit(_("enrolment"))
    reason = ENROLMENT.check(current=current.status, target=target, reason=reason)
    day = on or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError({"on": _("This cannot be in the future.")})
    if target in FINAL and current.start_date and day < current.start_date:
        raise ValidationError(
            {
                "on": _("The enrolment started on %(start)s: it cannot end before that.")
                % {"start": current.start_date.isoformat()}
            }
        )
    changes: dict = {"status": target, "status_reason": reason}
    if target == E.ENROLLED and current.start_date is None:
        changes["start_date"] = day
    if target in FINAL:
        changes["end_date"] = day
    if not guarded_update(
        Enrolment.objects,
        pk=current.pk,
        expected={"status": current.status, "version": current.version},
        changes=changes,
    ):
        raise StaleEdit(_("enrolment"))
    EnrolmentTransition.objects.create(
        enrolment=current,
        patient_id=current.patient_id,
        from_status=current.status,
        to_status=target,
        reason=reason,
        actor=by,
    )
    if target in FINAL:
        reminders_cancel_for(current)
    current.refresh_from_db()
    return current
