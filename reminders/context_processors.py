from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from reminders.selectors import unread_count


def notifications(request: HttpRequest) -> dict:
    """The bell's unread count: one indexed COUNT, run only when a page shows the bell."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
