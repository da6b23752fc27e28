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
from api.models import ApiToken

# "chk_" tells a leaked CareHub key apart in logs and secret scanners.
KEY_PREFIX = "chk_"
PREFIX_LENGTH = 12
# last_used_at is written at most this often, so most API requests do not write.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
LIFETIMES = {"30": 30, "90": 90, "365": 365, "never": None}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, by: User, name: str, lifetime_days: int | None = 90
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it and its key, which is not kept anywhere."""
    if by.pk != user.pk and not by.is_admin:
        raise PermissionDenied
    if not user.is_active:
        raise ValidationError(_("Tokens are only made for active users."))
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        created_by=by,
        name=name.strip(),
        prefix=key[:PREFIX_LENGTH],
        key_hash=hash_key(key),
        expires_at=timezone.now() + datetime.timedelta(days=lifetime_days)
        if lifetime_days
        else None,
    )
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke ``token`` at once; revoking twice is harmless."""
    if by.pk != token.user_id and not by.is_admin:
        raise PermissionDenied
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
        revoked_at=timezone.now(), revoked_by=by
    )
    token.refresh_from_db()
    return token


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
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def tokens_of(user: User):
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
