"""Request rates per user and per anonymous client, read from settings.API_THROTTLE_RATES
on every request (DRF's own classes read them once at import, so tests could not set them).

Counters live in the ``throttle`` cache: process memory by default, Redis when REDIS_URL is
set, so all web workers share one count (carehub/settings.py, CACHES). If that Redis does
not answer, requests are let through (and a warning logged): a broker outage must not take
the API down with it (RELIABILITY.md: the web request does not depend on Redis). A Redis
that hangs rather than refuses would cost each request its socket timeout (0.25 s,
settings.CACHES): after one failure a circuit breaker (carehub.circuit) skips the cache
for THROTTLE_BREAKER_COOLDOWN seconds, so an outage costs one request that much, and the
rest nothing.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import caches
from rest_framework import exceptions, throttling

from carehub.circuit import CircuitBreaker
from carehub.client_address import client_address

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis comes with celery[redis]
    RedisError = OSError

logger = logging.getLogger(__name__)
CACHE_ERRORS = (RedisError, OSError)
BREAKER = CircuitBreaker(cooldown=settings.THROTTLE_BREAKER_COOLDOWN)


class _SettingsRates:
    cache = None

    def __init__(self):
        self.cache = caches["throttle"]
        super().__init__()

    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request) -> str:
        # One rule for the client address (TRUSTED_PROXY_COUNT): DRF's own would take
        # X-Forwarded-For from anyone, so a new header each request escaped the limit.
        return client_address(request) or ""

    def allow_request(self, request, view) -> bool:
        if not BREAKER.allow():
            return True  # the cache failed moments ago: not waited for again yet
        try:
            allowed = super().allow_request(request, view)
        except CACHE_ERRORS:
            BREAKER.failed()
            logger.warning(
                "API throttle cache unavailable: requests let through unthrottled for %ss",
                BREAKER.cooldown,
            )
            return True
        BREAKER.succeeded()
        return allowed


class UserRateThrottle(_SettingsRates, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_SettingsRates, throttling.AnonRateThrottle):
    pass


class AddressRateThrottle(_SettingsRates, throttling.SimpleRateThrottle):
    """Requests per client address to a page anyone may open (not the API), signed in or
    not: ``scope`` names its rate in settings.API_THROTTLE_RATES. Use ``allowed(request)``
    from the view."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    @classmethod
    def allowed(cls, request) -> tuple[bool, int]:
        """(whether this request may go on, seconds to wait when not)."""
        throttle = cls()
        if throttle.allow_request(request, None):
            return True, 0
        return False, max(1, round(throttle.wait() or 1))


class ReferralLinkThrottle(AddressRateThrottle):
    """The receiving service's signed link (referrals.views.respond): a link cannot be
    guessed, but the page, its writes and its audit rows must not be open to a flood."""

    scope = "referral_link"


class ThrottleFirst:
    """For API views: count a request before its permissions are checked, and count a
    failed authentication (an unknown or revoked token) against the anonymous rate.

    DRF checks throttles after permissions, so requests without valid credentials would
    get 401 unlimited: a token could be guessed at full speed.
    """

    def initial(self, request, *args, **kwargs):
        try:
            request.user  # noqa: B018 (authenticates)
        except exceptions.AuthenticationFailed:
            super().check_throttles(request)  # now anonymous: limited by address
            raise
        super().check_throttles(request)
        request._carehub_throttled = True
        super().initial(request, *args, **kwargs)

    def check_throttles(self, request):
        if not getattr(request, "_carehub_throttled", False):
            super().check_throttles(request)
