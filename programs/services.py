"""Every write to enrolments and attendance except status moves (programs.transitions).
Interfaces authorise first; these validate and save."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from patients.models import Patient
from programs.models import Enrolment, EnrolmentStatus, Program, Session, SessionStatus
from programs.transitions import record_created
from reminders.models import ReminderKind
from reminders.services import reminder_schedule


@transaction.atomic
def enrolment_create(
    *,
    patient: Patient,
    program: Program,
    by: User,
    case_manager: User,
    referred_on: datetime.date | None = None,
) -> Enrolment:
    """Refer the patient to a program (status referred); enrol with the transition."""
    if not patient.is_open:
        raise ValidationError(
            _("This patient is %(status)s: no new enrolments.")
            % {"status": patient.get_status_display().lower()}
        )
    if not program.is_active:
        raise ValidationError({"program": _("This program is not taking enrolments.")})
    enrolment = Enrolment(
        patient=patient,
        program=program,
        case_manager=case_manager,
        referred_on=referred_on or timezone.localdate(),
    )
    enrolment.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            enrolment.save()
    except IntegrityError as conflict:
        raise ValidationError(
            {"program": _("The patient is already in this program.")}
        ) from conflict
    record_created(enrolment, by=by)
    return enrolment


def _recount(enrolment_id: int) -> dict[str, int]:
    counts = Session.objects.filter(enrolment_id=enrolment_id).aggregate(
        attended_count=Count("pk", filter=Q(status=SessionStatus.ATTENDED)),
        missed_count=Count("pk", filter=Q(status=SessionStatus.MISSED)),
        excused_count=Count("pk", filter=Q(status=SessionStatus.EXCUSED)),
    )
    Enrolment.objects.filter(pk=enrolment_id).update(**counts, updated_at=timezone.now())
    return counts


@transaction.atomic
def session_record(
    *,
    enrolment: Enrolment,
    by: User,
    held_on: datetime.date,
    status: str,
    topic: str = "",
    note: str = "",
) -> Session:
    """Record one session's attendance and bring the enrolment's counts up to date.

    When this session takes the enrolment below its program's attendance threshold, the
    responsible case manager gets a reminder, in this transaction (one per drop: the key
    carries the number of sessions counted, so recovering and falling again raises
    another).
    """
    # Lock the enrolment: two sessions recorded at once must not both miss the drop.
    current = Enrolment.objects.select_for_update().select_related("program").get(pk=enrolment.pk)
    if current.status not in (EnrolmentStatus.ENROLLED, EnrolmentStatus.PAUSED):
        raise ValidationError(
            _("Attendance is recorded for enrolled patients; this enrolment is %(status)s.")
            % {"status": current.get_status_display().lower()}
        )
    was_below = current.is_below_threshold
    session = Session(
        enrolment=current,
        held_on=held_on,
        status=status,
        topic=topic.strip(),
        note=note.strip(),
        recorded_by=by,
    )
    session.full_clean()
    if current.start_date and held_on < current.start_date:
        raise ValidationError({"held_on": _("This is before the enrolment started.")})
    session.save()
    for name, value in _recount(current.pk).items():
        setattr(current, name, value)
    if current.is_below_threshold and not was_below:
        attendance_reminder_schedule(current)
    return session


def attendance_reminder_schedule(enrolment: Enrolment):
    counted = enrolment.attended_count + enrolment.missed_count
    return reminder_schedule(
        kind=ReminderKind.ATTENDANCE_BELOW_THRESHOLD,
        recipient=enrolment.case_manager,
        about=enrolment,
        send_at=timezone.now(),
        key=f"{ReminderKind.ATTENDANCE_BELOW_THRESHOLD}:programs.enrolment:{enrolment.pk}:{counted}",
        patient=enrolment.patient,
        context={
            "title": _("Enrolment #%(number)s: attendance %(share)s%%")
            % {"number": enrolment.pk, "share": enrolment.attendance_share},
            "link": reverse("programs:enrolment_detail", kwargs={"pk": enrolment.pk}),
        },
    )
