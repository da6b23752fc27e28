"""Two-factor sign-in with TOTP (django-otp): who must use it, enrolment, recovery codes."""

from __future__ import annotations

import base64
import io
import secrets

from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user, match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from accounts.models import User
from accounts.roles import Role

RECOVERY_CODE_COUNT = 10
REQUIRED_ROLES = (Role.ADMIN, Role.CASE_MANAGER)


def two_factor_required(user: User) -> bool:
    """Admins and case managers must use a second factor; coordinators may.

    The embedded demo (CAREHUB_DEMO, never with DEBUG off) lets users without a device
    skip enrolment, so the demo logins work at once; README says so plainly.
    """
    if settings.CAREHUB_DEMO:
        return False
    return user.is_superuser or user.is_staff or any(user.has_role(r) for r in REQUIRED_ROLES)


def is_enrolled(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being set up (created on first visit)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def qr_code_data_uri(device: TOTPDevice) -> str:
    buffer = io.BytesIO()
    write_qrcode_image(device.config_url, buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def secret_for_manual_entry(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


@transaction.atomic
def enrol_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the authenticator with a code from it; return fresh recovery codes."""
    if not device.verify_token(token.strip()):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_regenerate(user=user)


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """Replace the user's recovery codes; each works once."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name="Recovery codes")
    device.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def verify(*, user: User, token: str):
    """The device that accepts the code (TOTP or a recovery code, used up), or None."""
    return match_token(user, token.strip().replace(" ", ""))


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def has_totp(user: User) -> bool:
    return any(isinstance(d, TOTPDevice) for d in devices_for_user(user))
