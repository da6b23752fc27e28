"""Access to one referral or consent. "Not yours" and "does not exist" are the same 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from accounts.models import User
from audit import context as audit_context
from patients.selectors import patients_visible_to
from referrals.models import Referral, SharingConsent
from referrals.selectors import referrals_visible_to


def access_referral(user: User, pk: int, *, perm: str = "referrals.view_referral") -> Referral:
    """Referral ``pk`` if its patient is in the user's scope (else 404) and the user holds
    ``perm`` (else 403), with what its pages show already joined."""
    referral = get_object_or_404(
        referrals_visible_to(user).select_related(
            "patient__care_team",
            "service__organization",
            "referred_by",
            "rerouted_from",
            "sharing_consent",
        ),
        pk=pk,
    )
    audit_context.note_patient(referral.patient_id)
    audit_context.note_object(referral)
    if not user.has_perm(perm):
        raise PermissionDenied
    return referral


def access_sharing_consent(
    user: User, pk: int, *, perm: str = "referrals.change_sharingconsent"
) -> SharingConsent:
    consent = get_object_or_404(
        SharingConsent.objects.filter(patient__in=patients_visible_to(user).values("pk")), pk=pk
    )
    audit_context.note_patient(consent.patient_id)
    audit_context.note_object(consent)
    if not user.has_perm(perm):
        raise PermissionDenied
    return consent
