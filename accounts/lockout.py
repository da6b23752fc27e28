"""Sign-in lockout: three ceilings, so that guessing is slow and nobody can lock others out.

django-axes counts failed sign-ins in the database (so the count holds under parallel
attempts) within ``AXES_COOLOFF_TIME``. CareHub refuses a sign-in when any of these is
reached, counted over that window:

- ``AXES_FAILURE_LIMIT`` (5) failures for one username from one client address: the
  ordinary lockout. Keyed by both, so someone who knows a colleague's username cannot lock
  them out from elsewhere by failing on purpose.
- ``SIGN_IN_ADDRESS_FAILURE_LIMIT`` (20) failures from one address, whatever the
  usernames: one address cannot spray a password over every account.
- ``SIGN_IN_ACCOUNT_FAILURE_LIMIT`` (50) failures for one username, whatever the
  addresses: a botnet rotating addresses still gets at most that many guesses an account
  per window. Reaching it takes at least three addresses' full allowance, so one
  attacker cannot lock everyone out.

The client address is carehub/client_address.py's (``TRUSTED_PROXY_COUNT``), so a
forged X-Forwarded-For is neither a new address nor someone else's.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum

from carehub.client_address import client_address


def _failures(request, **match) -> int:
    attempts = AccessAttempt.objects.filter(**match)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class SignInLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if failures >= limit:
            return failures
        address = client_address(request)
        if address and _failures(request, ip_address=address) >= (
            settings.SIGN_IN_ADDRESS_FAILURE_LIMIT
        ):
            return limit
        username = get_client_username(request, credentials)
        if username and _failures(request, username=username) >= (
            settings.SIGN_IN_ACCOUNT_FAILURE_LIMIT
        ):
            return limit
        return failures
