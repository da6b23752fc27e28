"""The benefit application state machine and the only code that moves it.

not started -> gathering documents | submitted; gathering documents -> submitted;
submitted -> pending decision | approved | denied; pending decision -> approved | denied;
denied -> appeal; appeal -> approved | denied; approved -> gathering documents (renewal).
A denial needs a reason and sets the appeal deadline (settings.BENEFITS_APPEAL_DAYS).
Each move writes an ApplicationTransition row and brings the deadline reminders in step,
in one transaction.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from benefits.deadlines import application_reminders_sync
from benefits.models import ApplicationStatus, ApplicationTransition, BenefitApplication
from carehub.transitions import InvalidTransition, StaleEdit, guarded_update, machine
from patients.selectors import patients_visible_to

__all__ = ["APPLICATION", "InvalidTransition", "StaleEdit", "application_transition"]

A = ApplicationStatus

APPLICATION = machine(
    "benefit application status",
    {
        A.NOT_STARTED: {A.GATHERING_DOCUMENTS, A.SUBMITTED},
        A.GATHERING_DOCUMENTS: {A.SUBMITTED},
        A.SUBMITTED: {A.PENDING_DECISION, A.APPROVED, A.DENIED},
        A.PENDING_DECISION: {A.APPROVED, A.DENIED},
        A.DENIED: {A.APPEAL},
        A.APPEAL: {A.APPROVED, A.DENIED},
        A.APPROVED: {A.GATHERING_DOCUMENTS},
    },
    reason_required={A.DENIED},
    choices=ApplicationStatus,
)


def record_created(application: BenefitApplication, *, by: User) -> ApplicationTransition:
    return ApplicationTransition.objects.create(
        application=application,
        patient_id=application.patient_id,
        from_status="",
        to_status=application.status,
        actor=by,
    )


def _dates_for(
    current: BenefitApplication,
    target: str,
    *,
    on: datetime.date,
    decision_due_on: datetime.date | None,
    renewal_due_on: datetime.date | None,
) -> dict:
    days = datetime.timedelta
    if target == A.SUBMITTED:
        return {
            "submitted_on": on,
            "decision_due_on": decision_due_on or on + days(settings.BENEFITS_DECISION_DAYS),
            "decision_on": None,
            "appeal_deadline": None,
        }
    if target == A.APPEAL:
        return {
            "decision_due_on": decision_due_on or on + days(settings.BENEFITS_DECISION_DAYS),
            "decision_on": None,
        }
    if target == A.PENDING_DECISION:
        return {"decision_due_on": decision_due_on} if decision_due_on else {}
    if target == A.APPROVED:
        renewal = renewal_due_on or on + days(settings.BENEFITS_RENEWAL_DAYS)
        if renewal <= on:
            raise ValidationError(
                {"renewal_due_on": _("The renewal must come after the decision.")}
            )
        return {"decision_on": on, "renewal_due_on": renewal, "appeal_deadline": None}
    if target == A.DENIED:
        return {
            "decision_on": on,
            "appeal_deadline": on + days(settings.BENEFITS_APPEAL_DAYS),
        }
    if target == A.GATHERING_DOCUMENTS and current.status == A.APPROVED:
        # A renewal: the old submission and decision stay in the transition history.
        return {"submitted_on": None, "decision_due_on": None, "decision_on": None}
    return {}


@transaction.atomic
def application_transition(
    *,
    application: BenefitApplication,
    by: User,
    target: str,
    reason: str = "",
    expected_version: int | None = None,
    on: datetime.date | None = None,
    decision_due_on: datetime.date | None = None,
    renewal_due_on: datetime.date | None = None,
) -> BenefitApplication:
    """Move an application; ``on`` is the date of the event (submitted, decided)."""
    if not by.has_perm("benefits.change_benefitapplication") or (
        not patients_visible_to(by).filter(pk=application.patient_id).exists()
    ):
        raise PermissionDenied
    current = BenefitApplication.objects.get(pk=application.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleEdit(_("application"))
    reason = APPLICATION.check(current=current.status, target=target, reason=reason)
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"on": _("This cannot be in the future.")})
    late = current.appeal_deadline is not None and on > current.appeal_deadline
    if target == A.APPEAL and late and not reason:
        # Agencies hear a late appeal for good cause only: the record says which.
        raise ValidationError(
            {
                "reason": _(
                    "The appeal deadline (%(deadline)s) has passed: say why the appeal is "
                    "late (the good cause)."
                )
                % {"deadline": current.appeal_deadline.isoformat()}
            }
        )
    changes = {
        "status": target,
        "status_reason": reason,
        **_dates_for(
            current,
            target,
            on=on,
            decision_due_on=decision_due_on,
            renewal_due_on=renewal_due_on,
        ),
    }
    if not guarded_update(
        BenefitApplication.objects,
        pk=current.pk,
        expected={"status": current.status, "version": current.version},
        changes=changes,
    ):
        raise StaleEdit(_("application"))
    ApplicationTransition.objects.create(
        application=current,
        patient_id=current.patient_id,
        from_status=current.status,
        to_status=target,
        reason=reason,
        actor=by,
    )
    moved = BenefitApplication.objects.select_related("patient", "case_manager").get(pk=current.pk)
    application_reminders_sync(moved)
    return moved
