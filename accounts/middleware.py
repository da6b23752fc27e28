from __future__ import annotations

import time
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

SIGNED_IN_AT = "carehub_signed_in_at"
LAST_SEEN = "carehub_last_seen"
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
