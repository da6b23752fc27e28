"""Access to one referral or consent. "Not yours" and "does not exist" are the same 404."""

from __future__ import annotations

from accounts.models import User
from patients.permissions import access_record
from patients.selectors import patients_visible_to
from referrals.models import Referral, SharingConsent
from referrals.selectors import referrals_visible_to


def access_referral(user: User, pk: int, *, perm: str = "referrals.view_referral") -> Referral:
    """Referral ``pk`` if its patient is in the user's scope (else 404) and the user holds
    ``perm`` (else 403), with what its pages show already joined."""
    queryset = referrals_visible_to(user).select_related(
        "patient__care_team",
        "service__organization",
        "referred_by",
        "rerouted_from",
        "sharing_consent",
    )
    return access_record(
        user, queryset, pk, perm=perm, patient_id=lambda referral: referral.patient_id
    )


def access_sharing_consent(
    user: User, pk: int, *, perm: str = "referrals.change_sharingconsent"
) -> SharingConsent:
    queryset = SharingConsent.objects.filter(patient__in=patients_visible_to(user).values("pk"))
    return access_record(
        user, queryset, pk, perm=perm, patient_id=lambda consent: consent.patient_id
    )
