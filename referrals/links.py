"""The signed response link the receiving service gets by email.

The token carries only the referral id and the referral's current ``link_key``, signed
with the project's SECRET_KEY and a salt of its own, with the time it was made. It is
refused when altered, older than REFERRAL_LINK_MAX_AGE, or when the referral's key has
changed since (link renewed, referral closed or cancelled: referrals/transitions.py).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from referrals.models import Referral

SALT = "referrals.response-link"


class LinkRefused(Exception):
    """Altered, unknown or replaced: nothing tells who the referral is."""


class LinkExpired(LinkRefused):
    """Authentic but too old. ``referral_id`` lets the refusal be recorded."""

    def __init__(self, referral_id: int):
        super().__init__("expired")
        self.referral_id = referral_id


def make_token(referral: Referral) -> str:
    if not referral.link_key:
        raise ValueError("a finished or unsent referral has no response link")
    return signing.dumps({"r": referral.pk, "k": referral.link_key}, salt=SALT, compress=True)


def response_url(referral: Referral) -> str:
    """Absolute URL for the email and the letter."""
    path = reverse("referrals:respond", kwargs={"token": make_token(referral)})
    return f"{settings.CAREHUB_SITE_URL}{path}"


def read_token(token: str) -> tuple[int, str]:
    """(referral id, link key) of an authentic, unexpired token."""
    max_age = settings.REFERRAL_LINK_MAX_AGE
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        # Authentic (the signature matched) but old: say which referral, to record it.
        payload = signing.loads(token, salt=SALT)
        raise LinkExpired(int(payload["r"])) from None
    except signing.BadSignature:
        raise LinkRefused("bad signature") from None
    try:
        return int(payload["r"]), str(payload["k"])
    except (KeyError, TypeError, ValueError):
        raise LinkRefused("malformed") from None


def referral_for_token(token: str) -> Referral:
    """The referral the link is for, if the link is still its current one."""
    referral_id, key = read_token(token)
    referral = (
        Referral.objects.select_related(
            "patient", "service__organization", "referred_by", "patient__care_team"
        )
        .filter(pk=referral_id)
        .first()
    )
    if (
        referral is None
        or not referral.link_key
        or not constant_time_compare(referral.link_key, key)
    ):
        raise LinkRefused("replaced")
    return referral
