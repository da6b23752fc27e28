"""Creating, using and revoking API tokens. Keys are never stored, only their SHA-256."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from api.models import ApiToken, RevokedBecause, TokenPolicy, TokenScope

# "chk_" tells a leaked CareHub key apart in logs and secret scanners.
KEY_PREFIX = "chk_"
PREFIX_LENGTH = 12
# last_used_at is written at most this often, so most API requests do not write.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
# The lifetimes offered, in days; those longer than the admin's TokenPolicy are not.
LIFETIMES = (30, 90, 365)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def password_fingerprint(user: User) -> str:
    """A digest of the user's password hash (itself salted): changes with the password."""
    return hashlib.sha256(user.password.encode()).hexdigest()


def lifetime_choices(policy: TokenPolicy | None = None) -> list[int]:
    longest = (policy or TokenPolicy.current()).max_lifetime_days
    return sorted({days for days in LIFETIMES if days <= longest} | {longest})


@transaction.atomic
def api_token_create(
    *,
    user: User,
    by: User,
    name: str,
    lifetime_days: int = 90,
    scope: str = TokenScope.READ,
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it and its key, which is not kept anywhere."""
    if by.pk != user.pk and not by.is_admin:
        raise PermissionDenied
    if not user.is_active:
        raise ValidationError(_("Tokens are only made for active users."))
    longest = TokenPolicy.current().max_lifetime_days
    if not lifetime_days or not 1 <= lifetime_days <= longest:
        raise ValidationError(
            {"lifetime": _("A token lasts 1 to %(days)d days.") % {"days": longest}}
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        created_by=by,
        name=name.strip(),
        scope=scope,
        prefix=key[:PREFIX_LENGTH],
        key_hash=hash_key(key),
        password_fingerprint=password_fingerprint(user),
        expires_at=timezone.now() + datetime.timedelta(days=lifetime_days),
    )
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def api_token_revoke(
    *, token: ApiToken, by: User | None, because: str = RevokedBecause.BY_HAND
) -> ApiToken:
    """Revoke ``token`` at once; revoking twice is harmless."""
    if by is not None and by.pk != token.user_id and not by.is_admin:
        raise PermissionDenied
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
        revoked_at=timezone.now(), revoked_by=by, revoked_because=because
    )
    token.refresh_from_db()
    return token


def api_tokens_revoke_all(*, user: User, by: User | None, because: str) -> int:
    """Revoke every token of ``user`` (a compromise: password changed, signed out
    everywhere, deactivated). Returns how many were still usable."""
    return ApiToken.objects.filter(user=user, revoked_at=None).update(
        revoked_at=timezone.now(), revoked_by=by, revoked_because=because
    )


@transaction.atomic
def token_policy_set(*, max_lifetime_days: int) -> tuple[TokenPolicy, int]:
    """The admin's longest lifetime; tokens that would outlive it now end at
    ``created + longest`` at the latest. Returns the policy and how many were shortened."""
    policy = TokenPolicy.objects.select_for_update().get_or_create(pk=1)[0]
    policy.max_lifetime_days = max_lifetime_days
    policy.full_clean()
    policy.save()
    limit = datetime.timedelta(days=max_lifetime_days)
    shortened = []
    for token in ApiToken.objects.filter(revoked_at=None).only("created_at", "expires_at"):
        latest = token.created_at + limit
        if token.expires_at is None or token.expires_at > latest:
            token.expires_at = latest
            shortened.append(token)
    ApiToken.objects.bulk_update(shortened, ["expires_at"], batch_size=500)
    return policy, len(shortened)


def api_token_authenticate(key: str) -> ApiToken | None:
    """The usable token with this key (its user joined), or None. Notes the use."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.usable(now).select_related("user").filter(key_hash=hash_key(key)).first()
    )
    if token is None:
        return None
    if token.password_fingerprint != password_fingerprint(token.user):
        # The password changed since (on the page, in admin, with `changepassword`).
        api_token_revoke(token=token, by=None, because=RevokedBecause.PASSWORD_CHANGED)
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def tokens_of(user: User):
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
