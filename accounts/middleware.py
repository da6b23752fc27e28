from __future__ import annotations

import time
import zoneinfo
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import DEFAULT_DB_ALIAS
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as BaseOTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

SIGNED_IN_AT = "carehub_signed_in_at"
LAST_SEEN = "carehub_last_seen"
# Whether the user had an authenticator when this session signed in (saves a query per
# request; a session that enrols later is verified by the enrolment itself).
TWO_FACTOR_ENROLLED = "carehub_two_factor_enrolled"
# The idle clock is written at most this often, so most requests do not write the session.
LAST_SEEN_RESOLUTION = 60


class SessionLimitsMiddleware:
    """Idle sign-out (SESSION_IDLE_TIMEOUT) and an absolute limit (SESSION_COOKIE_AGE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            signed_in_at = session.get(SIGNED_IN_AT, now)
            last_seen = session.get(LAST_SEEN, now)
            idle = now - last_seen > settings.SESSION_IDLE_TIMEOUT
            expired = now - signed_in_at > settings.SESSION_COOKIE_AGE
            if idle or expired:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after 15 minutes without activity.")
                    if idle
                    else _("Your session reached its time limit. Sign in again."),
                )
                response = redirect(settings.LOGIN_URL)
                if getattr(request, "htmx", False):
                    response["HX-Redirect"] = response["Location"]
                return response
            if SIGNED_IN_AT not in session:
                session[SIGNED_IN_AT] = now
            if now - last_seen >= LAST_SEEN_RESOLUTION or LAST_SEEN not in session:
                session[LAST_SEEN] = now
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Show dates and times in the signed-in user's zone (the clinic's zone otherwise)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.time_zone:
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        else:
            timezone.deactivate()
        return self.get_response(request)


class TwoFactorMiddleware:
    """After the password, users with an authenticator must enter a code; admins and
    case managers without one must enrol before anything else."""

    ALLOWED = frozenset(
        {
            "accounts:two_factor_setup",
            "accounts:two_factor_verify",
            "accounts:logout",
            "accounts:login",
            "healthz",
        }
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from accounts import two_factor

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.view_name in self.ALLOWED:
            return None
        enrolled = request.session.get(TWO_FACTOR_ENROLLED)
        if enrolled is None:
            enrolled = request.session[TWO_FACTOR_ENROLLED] = two_factor.is_enrolled(user)
        if enrolled:
            target = "accounts:two_factor_verify"
        elif two_factor.two_factor_required(user):
            target = "accounts:two_factor_setup"
        else:
            return None
        response = redirect(f"{reverse(target)}?{urlencode({'next': request.path})}")
        if getattr(request, "htmx", False):
            response["HX-Redirect"] = response["Location"]
        return response


class OTPMiddleware(BaseOTPMiddleware):
    """django-otp's, without its query per request when the session was verified with an
    authenticator app: ``RoleBackend.get_user`` read the user's confirmed apps with the
    user (``confirmed_totp_ids``). Such a device is the app's row with its id, user and
    confirmation loaded; any other field is read from the database if something asks
    for it. Recovery codes and users loaded another way take django-otp's path."""

    def _verify_user_sync(self, request, user):
        confirmed = getattr(user, "confirmed_totp_ids", None) if user.is_authenticated else None
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if confirmed is None or not persistent_id:
            return super()._verify_user_sync(request, user)
        label, _slash, device_id = self._normalize_persistent_id(persistent_id).partition("/")
        if label != TOTPDevice.model_label():
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        device = None
        if device_id.isdigit() and int(device_id) in confirmed:
            device = TOTPDevice.from_db(
                DEFAULT_DB_ALIAS, ["id", "user_id", "confirmed"], [int(device_id), user.pk, True]
            )
        user.otp_device = self._finalize_device(request, user, device)
        return user
