"""Every write to referrals, consents and the contact log. Status moves: transitions.py."""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from patients.models import Patient
from referrals import links
from referrals.models import (
    ContactLogEntry,
    Organization,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralStatus,
    Service,
    SharingConsent,
)
from referrals.selectors import consent_in_force, open_duplicate
from referrals.transitions import (
    InvalidTransition,
    StaleEdit,
    guarded_update,
    new_link_key,
    referral_move,
)

__all__ = ["DuplicateReferral", "InvalidTransition", "StaleEdit"]

logger = logging.getLogger(__name__)

S = ReferralStatus

# What a coordinator writes; the rest is set by the moves.
EDITABLE_FIELDS = [
    "service",
    "recipient_name",
    "recipient_phone",
    "recipient_email",
    "recipient_address",
    "reason",
    "needs",
    "priority",
    "goal",
]

# A contact that carries the service's answer moves the referral (contact_log_record).
CONTACT_RESPONSES = (S.RECEIVED, S.ACCEPTED, S.DECLINED, S.SCHEDULED)


class DuplicateReferral(Exception):
    """The patient has an open referral to this service already."""

    def __init__(self, existing: Referral):
        super().__init__(_("This patient already has an open referral to this service."))
        self.existing = existing


def _require(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


def _check_service(service: Service | None) -> None:
    if service is not None and not (service.is_active and service.organization.is_active):
        raise ValidationError({"service": _("This service is no longer in the directory.")})
    if service is not None and not service.accepts_referrals:
        raise ValidationError({"service": _("This service does not accept referrals now.")})


def _save_new(referral: Referral) -> Referral:
    """Insert, turning the database's duplicate guard into DuplicateReferral."""
    # The listing's HSDS service at location goes along (directory.models).
    referral.service_at_location_id = (
        referral.service.service_at_location_id if referral.service_id else None
    )
    existing = open_duplicate(patient_id=referral.patient_id, service_id=referral.service_id)
    if existing:
        raise DuplicateReferral(existing)
    try:
        with transaction.atomic():
            referral.save()
    except IntegrityError:
        # Someone opened the same referral between our check and the insert.
        existing = open_duplicate(patient_id=referral.patient_id, service_id=referral.service_id)
        if existing:
            raise DuplicateReferral(existing) from None
        raise
    return referral


@transaction.atomic
def referral_create(
    *, patient: Patient, by: User, data: dict, rerouted_from: Referral | None = None
) -> Referral:
    """A draft referral for ``patient``; refused if one to the same service is open."""
    _require(by, "referrals.add_referral")
    referral = Referral(
        patient=patient,
        referred_by=by,
        rerouted_from=rerouted_from,
        **{name: data[name] for name in EDITABLE_FIELDS if name in data},
    )
    if referral.service_id:
        referral.recipient_name = referral.recipient_phone = ""
        referral.recipient_email = referral.recipient_address = ""
    _check_service(referral.service)
    # The duplicate guard speaks first, with a link; full_clean would only say "exists".
    referral.full_clean(validate_constraints=False)
    return _save_new(referral)


@transaction.atomic
def referral_update(*, referral: Referral, by: User, data: dict, expected_version: int) -> Referral:
    """Change a draft's details (after sending, the recipient holds what was sent)."""
    _require(by, "referrals.change_referral")
    candidate = Referral.objects.select_related("service__organization").get(pk=referral.pk)
    if candidate.status != S.DRAFT:
        raise ValidationError(_("Only a draft referral can be changed. Cancel it and refer again."))
    changed = []
    for name in EDITABLE_FIELDS:
        if name in data and getattr(candidate, name) != data[name]:
            setattr(candidate, name, data[name])
            changed.append(name)
    if not changed:
        if candidate.version != expected_version:
            raise StaleEdit(_("referral"))
        return candidate
    if "service" in changed:
        _check_service(candidate.service)
        existing = open_duplicate(
            patient_id=candidate.patient_id,
            service_id=candidate.service_id,
            exclude_pk=candidate.pk,
        )
        if existing:
            raise DuplicateReferral(existing)
        candidate.service_at_location_id = (
            candidate.service.service_at_location_id if candidate.service_id else None
        )
        changed.append("service_at_location")
    candidate.full_clean(validate_constraints=False)
    won = guarded_update(
        Referral.objects,
        pk=candidate.pk,
        expected={"version": expected_version, "status": S.DRAFT},
        changes={name: getattr(candidate, name) for name in changed},
    )
    if not won:
        raise StaleEdit(_("referral"))
    ReferralEvent.objects.create(
        referral=candidate,
        kind=ReferralEventKind.EDITED,
        by=by,
        detail=", ".join(
            str(Referral._meta.get_field(n).verbose_name)
            for n in changed
            if n != "service_at_location"
        ),
    )
    candidate.refresh_from_db()
    return candidate


def _email_response_link(referral_id: int) -> None:
    """Runs after commit: the recipient gets the response link (no PHI in the email)."""
    referral = (
        Referral.objects.select_related(
            "service__organization", "referred_by", "patient__care_team"
        )
        .filter(pk=referral_id)
        .first()
    )
    if referral is None or not referral.link_key or not referral.recipient_email_address:
        return
    context = {
        "referral": referral,
        "team": referral.patient.care_team.name,
        "url": links.response_url(referral),
        "referrer": referral.referred_by,
    }
    send_mail(
        subject=_("New referral from %(team)s") % {"team": context["team"]},
        message=render_to_string("referrals/email/response_link.txt", context),
        from_email=None,
        recipient_list=[referral.recipient_email_address],
    )
    logger.info("referral %s: response link emailed", referral.pk)


@transaction.atomic
def referral_send(
    *, referral: Referral, by: User, expected_version: int, consent_override_reason: str = ""
) -> Referral:
    """Send a draft: needs the patient's consent to share with the recipient, or an
    override with a reason (audited). Emails the response link once committed."""
    current = Referral.objects.select_related("service__organization", "patient").get(
        pk=referral.pk
    )
    consent = consent_in_force(patient=current.patient, referral=current, now=timezone.now())
    override = consent_override_reason.strip()
    if consent is None and not override:
        raise ValidationError(
            {
                "consent_override_reason": _(
                    "The patient has no recorded consent to share with this recipient. "
                    "Record their consent, or give the reason to send without it."
                )
            },
            code="consent_required",
        )
    record = referral_move(
        referral=current,
        to=S.SENT,
        by=by,
        expected_version=expected_version,
        extra_changes={
            "sharing_consent": consent,
            "consent_override_reason": "" if consent else override,
        },
    )
    if consent is None:
        ReferralEvent.objects.create(
            referral=current, kind=ReferralEventKind.CONSENT_OVERRIDDEN, by=by, detail=override
        )
        logger.warning("referral %s sent without recorded consent (override)", current.pk)
    _after_link_issued(record.referral, by=by, kind=ReferralEventKind.LINK_SENT)
    return record.referral


def _after_link_issued(referral: Referral, *, by: User, kind: str) -> None:
    if referral.recipient_email_address:
        ReferralEvent.objects.create(referral=referral, kind=kind, by=by)
        transaction.on_commit(lambda: _email_response_link(referral.pk))


@transaction.atomic
def referral_renew_link(*, referral: Referral, by: User, expected_version: int) -> Referral:
    """A new response link (the old one stops working), emailed to the recipient again."""
    _require(by, "referrals.change_referral")
    current = Referral.objects.select_related("service").get(pk=referral.pk)
    if not current.link_key:
        raise ValidationError(_("Only a sent, open referral has a response link."))
    won = guarded_update(
        Referral.objects,
        pk=current.pk,
        expected={"version": expected_version, "link_key": current.link_key},
        changes={"link_key": new_link_key()},
    )
    if not won:
        raise StaleEdit(_("referral"))
    current.refresh_from_db()
    _after_link_issued(current, by=by, kind=ReferralEventKind.LINK_RENEWED)
    return current


@transaction.atomic
def referral_reroute(
    *, referral: Referral, by: User, expected_version: int, reason: str, data: dict
) -> Referral:
    """Close a declined referral, or one the service referred elsewhere, and open a new
    draft linked to it; the first keeps its history."""
    _require(by, "referrals.add_referral")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the referral goes elsewhere.")})
    closing = referral_move(
        referral=referral,
        to=S.CLOSED,
        by=by,
        expected_version=expected_version,
        reason=_("Re-routed: %(reason)s") % {"reason": reason.strip()},
    )
    new = referral_create(
        patient=closing.referral.patient, by=by, data=data, rerouted_from=closing.referral
    )
    ReferralEvent.objects.create(
        referral=closing.referral,
        kind=ReferralEventKind.REROUTED,
        by=by,
        detail=_("New referral #%(pk)s") % {"pk": new.pk},
    )
    return new


@transaction.atomic
def contact_log_record(
    *,
    referral: Referral,
    by: User,
    channel: str,
    direction: str,
    note: str = "",
    contact_name: str = "",
    occurred_at: datetime.datetime | None = None,
    response: str = "",
    reason: str = "",
    appointment_at: datetime.datetime | None = None,
    expected_version: int | None = None,
) -> ContactLogEntry:
    """Log a call, email, fax or message. When it carries the service's answer
    (received, accepted, declined, scheduled) the referral moves in the same transaction;
    a move that is not allowed saves nothing."""
    _require(by, "referrals.add_contactlogentry")
    entry = ContactLogEntry(
        referral=referral,
        channel=channel,
        direction=direction,
        note=note.strip(),
        contact_name=contact_name.strip(),
        occurred_at=occurred_at or timezone.now(),
        by=by,
    )
    if response:
        if response not in CONTACT_RESPONSES:
            raise ValidationError({"response": _("This is not an answer a service gives.")})
        entry.transition = referral_move(
            referral=referral,
            to=response,
            by=by,
            expected_version=referral.version if expected_version is None else expected_version,
            reason=reason,
            appointment_at=appointment_at,
        )
    entry.full_clean()
    entry.save()
    return entry


# --- Consent to share ------------------------------------------------------------------


@transaction.atomic
def sharing_consent_record(
    *,
    patient: Patient,
    by: User,
    organization: Organization | None,
    recipient_name: str = "",
    granted_by: str,
    method: str,
    granted_on: datetime.date,
    expires_on: datetime.date | None = None,
    note: str = "",
) -> SharingConsent:
    _require(by, "referrals.add_sharingconsent")
    consent = SharingConsent(
        patient=patient,
        organization=organization,
        recipient_name="" if organization else recipient_name.strip(),
        granted_by=granted_by.strip(),
        method=method,
        granted_on=granted_on,
        expires_on=expires_on,
        note=note.strip(),
        recorded_by=by,
    )
    consent.full_clean()
    consent.save()
    return consent


@transaction.atomic
def sharing_consent_revoke(*, consent: SharingConsent, by: User) -> SharingConsent:
    """The patient withdrew consent; referrals already sent keep the record they had."""
    _require(by, "referrals.change_sharingconsent")
    updated = SharingConsent.objects.filter(pk=consent.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )
    if not updated:
        raise ValidationError(_("This consent was revoked already."))
    consent.refresh_from_db()
    return consent


# --- The receiving service's link --------------------------------------------------------


@transaction.atomic
def link_record_use(*, referral: Referral, kind: str, remote_addr: str | None, detail: str = ""):
    """Every use of a response link leaves a row (who: the link; from where; what)."""
    return ReferralEvent.objects.create(
        referral=referral, kind=kind, remote_addr=remote_addr, detail=detail
    )


def link_refuse_expired(*, referral_id: int, remote_addr: str | None) -> None:
    """An authentic but expired link was used: record it on its referral, if it exists."""
    referral = Referral.objects.filter(pk=referral_id).first()
    if referral is not None:
        link_record_use(
            referral=referral, kind=ReferralEventKind.LINK_REFUSED, remote_addr=remote_addr
        )


@transaction.atomic
def link_answer(
    *,
    referral: Referral,
    to: str,
    remote_addr: str | None,
    expected_version: int,
    reason: str = "",
    appointment_at: datetime.datetime | None = None,
    outcome_code: str = "",
    outcome_note: str = "",
) -> Referral:
    """The receiving service accepts, declines, schedules or records the outcome."""
    record = referral_move(
        referral=referral,
        to=to,
        by=None,
        via_link=True,
        expected_version=expected_version,
        reason=reason,
        appointment_at=appointment_at,
        outcome_code=outcome_code,
        outcome_note=outcome_note,
    )
    ReferralEvent.objects.create(
        referral=referral,
        kind=ReferralEventKind.LINK_USED,
        remote_addr=remote_addr,
        detail=str(S(to).label),
    )
    return record.referral
