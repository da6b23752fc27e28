"""Referral status moves: the allowed moves as data and the one function that makes them.

``referral_move`` checks who may move (a user with ``referrals.change_referral``, or the
receiving service through its signed link for the moves in ``LINK_MOVES``) and the move
itself, writes the new state with a guarded UPDATE (status and version as loaded) and a
ReferralTransition row, in one transaction. Nothing else assigns ``Referral.status``.
"""

from __future__ import annotations

import datetime
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from carehub.transitions import InvalidTransition, StaleEdit, guarded_update, machine
from referrals.models import (
    OutcomeCode,
    Referral,
    ReferralStatus,
    ReferralTransition,
    response_deadline,
)
from referrals.reminder_rules import referral_answered_notify, referral_reminders_sync

__all__ = ["LINK_MOVES", "REFERRAL_STATUS", "InvalidTransition", "StaleEdit", "referral_move"]

S = ReferralStatus

# DOMAIN.md, Referral. "Open" states may all be cancelled (with a reason).
REFERRAL_STATUS = machine(
    "referral status",
    {
        S.DRAFT: {S.SENT, S.CANCELLED},
        S.SENT: {S.RECEIVED, S.ACCEPTED, S.DECLINED, S.CANCELLED},
        S.RECEIVED: {S.ACCEPTED, S.DECLINED, S.CANCELLED},
        S.ACCEPTED: {S.SCHEDULED, S.CANCELLED},
        S.DECLINED: {S.CLOSED, S.CANCELLED},
        S.SCHEDULED: {S.OUTCOME_RECORDED, S.NO_SHOW, S.CANCELLED},
        S.NO_SHOW: {S.SCHEDULED, S.CANCELLED},
        S.OUTCOME_RECORDED: {S.CLOSED, S.CANCELLED},
        S.CLOSED: set(),
        S.CANCELLED: set(),
    },
    reason_required={S.DECLINED, S.CANCELLED, S.NO_SHOW},
    choices=ReferralStatus,
)

# What the receiving service may do through the signed link in the referral email.
LINK_MOVES = frozenset({S.RECEIVED, S.ACCEPTED, S.DECLINED, S.SCHEDULED, S.OUTCOME_RECORDED})
# The service's answers the referring coordinator is told of (a receipt is not one).
ANSWERS = LINK_MOVES - {S.RECEIVED}

# Giving up on a declined referral is a decision that needs its reason (DOMAIN.md).
REASON_REQUIRED_FROM = {(S.DECLINED, S.CLOSED)}

# Outcome codes a service may give when it declines (why it could not take the patient).
DECLINE_CODES = frozenset(
    {OutcomeCode.NO_CAPACITY, OutcomeCode.NOT_ELIGIBLE, OutcomeCode.COULD_NOT_CONTACT, ""}
)


def new_link_key() -> str:
    return secrets.token_urlsafe(16)[:22]


def _changes_for(
    *,
    referral: Referral,
    to: str,
    reason: str,
    now: datetime.datetime,
    appointment_at: datetime.datetime | None,
    outcome_code: str,
    outcome_note: str,
) -> dict:
    """The fields a move sets besides the status; ValidationError for missing details."""
    changes: dict = {"status": to, "status_reason": reason}
    if to == S.SENT:
        changes.update(
            sent_at=now,
            response_due_at=now + response_deadline(referral.priority),
            link_key=new_link_key(),
        )
    elif to == S.SCHEDULED:
        if appointment_at is None:
            raise ValidationError({"appointment_at": _("Give the appointment date and time.")})
        changes["appointment_at"] = appointment_at
    elif to == S.OUTCOME_RECORDED:
        if outcome_code not in OutcomeCode.values:
            raise ValidationError({"outcome_code": _("Choose the outcome.")})
        changes.update(outcome_code=outcome_code, outcome_note=outcome_note.strip())
    elif to == S.DECLINED:
        if outcome_code not in DECLINE_CODES:
            raise ValidationError({"outcome_code": _("This is not a reason to decline.")})
        changes["outcome_code"] = outcome_code
    elif to in (S.CLOSED, S.CANCELLED):
        # Finished: the response link stops working.
        changes.update(closed_at=now, closing_reason=reason, link_key="")
    return changes


@transaction.atomic
def referral_move(
    *,
    referral: Referral,
    to: str,
    by: User | None,
    expected_version: int,
    reason: str = "",
    appointment_at: datetime.datetime | None = None,
    outcome_code: str = "",
    outcome_note: str = "",
    via_link: bool = False,
    extra_changes: dict | None = None,
) -> ReferralTransition:
    """Move ``referral`` to ``to``; return the transition record (its ``referral`` fresh).

    Raises PermissionDenied, InvalidTransition (nothing changed, the message says why),
    ValidationError (a reason or detail missing) or StaleEdit (someone moved first).
    """
    if via_link:
        if by is not None or to not in LINK_MOVES:
            raise PermissionDenied
    elif by is None or not by.has_perm("referrals.change_referral"):
        raise PermissionDenied
    if to == S.SENT and "sharing_consent" not in (extra_changes or {}):
        # Sending checks consent to share first: services.referral_send.
        raise ValueError("send a referral with services.referral_send")
    current = Referral.objects.select_related("service").get(pk=referral.pk)
    reason = REFERRAL_STATUS.check(current=current.status, target=to, reason=reason)
    if (current.status, to) in REASON_REQUIRED_FROM and not reason:
        raise ValidationError({"reason": _("Say why this referral is given up.")})
    now = timezone.now()
    changes = _changes_for(
        referral=current,
        to=to,
        reason=reason,
        now=now,
        appointment_at=appointment_at,
        outcome_code=outcome_code,
        outcome_note=outcome_note,
    )
    changes.update(extra_changes or {})
    won = guarded_update(
        Referral.objects,
        pk=current.pk,
        expected={"status": current.status, "version": expected_version},
        changes=changes,
    )
    if not won:
        raise StaleEdit(_("referral"))
    record = ReferralTransition.objects.create(
        referral=current,
        from_status=current.status,
        to_status=to,
        by=by,
        via_link=via_link,
        at=now,
        reason=reason,
    )
    current.refresh_from_db()
    # Started, moved or cancelled with the move (reminders written in this transaction).
    referral_reminders_sync(current)
    if to in ANSWERS and (via_link or (by is not None and by.pk != current.referred_by_id)):
        # The receiving side answered (by its link, or someone else for it): the
        # referring coordinator is told at once, in the same transaction.
        referral_answered_notify(current, record)
    record.referral = current
    return record
