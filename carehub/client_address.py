"""The client's address, one rule for every part of CareHub that needs it.

Behind ``TRUSTED_PROXY_COUNT`` proxies (settings; 0 by default: CareHub is reached
directly), each proxy appends the address it received the request from to
``X-Forwarded-For``; so the client is the entry that many places from the right, and
everything to the left of it is whatever the client chose to send. With no trusted proxy
the header is ignored and the client is the socket's peer (``REMOTE_ADDR``).

Used by the audit trail, the field history, the request-rate limits (DRF's throttles and
the signed-link page), the sign-in lockout (django-axes' ``AXES_CLIENT_IP_CALLABLE``)
and the consent and link events that record an address; gunicorn.conf.py reads the same
setting to decide whose forwarded headers it trusts.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address(request: HttpRequest | None, *_args) -> str | None:
    """The client's address, or None (no request, or nothing usable in it)."""
    if request is None:
        return None
    meta = request.META
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        hops = [hop for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            found = _valid(hops[-proxies])
            if found:
                return found
        # Fewer hops than trusted proxies: the request did not come through them all
        # (a health check inside the network); the peer is the best that is known.
    return _valid(meta.get("REMOTE_ADDR", "")) if meta.get("REMOTE_ADDR") else None
