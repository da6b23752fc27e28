from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from reminders.selectors import unread_count

# The bell's count as the request began, read with the user (accounts.backends).
UNREAD_FACT = "unread_notifications_at_start"


def notifications(request: HttpRequest) -> dict:
    """The bell's unread count. A read request (GET, HEAD) shows the count read with the
    signed-in user when there is one (PostgreSQL); otherwise one indexed COUNT, run only
    when the page shows the bell, after the request's own writes."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    at_start = getattr(user, UNREAD_FACT, None)
    if at_start is not None and request.method in ("GET", "HEAD"):
        return {"unread_notifications": at_start}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
