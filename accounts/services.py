"""Writes for users and their sessions."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User, UserSession
from carehub.client_address import client_address


def user_session_started(*, user: User, request: HttpRequest) -> None:
    key = request.session.session_key
    if key:
        UserSession.objects.update_or_create(
            session_key=key,
            defaults={
                "user": user,
                "ip_address": client_address(request),
                "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
            },
        )


@transaction.atomic
def user_sign_out_everywhere(*, user: User) -> int:
    """End every session of the user, on every device. Returns how many ended."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def user_session_ended(*, session_key: str | None) -> None:
    """A sign-out: the session is gone, so is its row on the Security page."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def sessions_prune() -> dict[str, int]:
    """Every 15 minutes (beat, accounts migration 0005): expired sessions (Django's
    ``clearsessions``), then the signed-in rows whose session no longer exists."""
    expired, _detail = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    ended, _detail = UserSession.objects.exclude(
        session_key__in=Session.objects.values("session_key")
    ).delete()
    return {"expired_sessions": expired, "ended_rows": ended}
