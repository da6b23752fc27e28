"""Reads: a user's own notifications and preferences. Notifications belong to one user;
anyone else's is "not found" (access_notification)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from reminders.models import Notification, NotificationPreference, ReminderKind


def notifications_of(user: User) -> QuerySet[Notification]:
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user_id=user.pk)


def unread_count(user: User) -> int:
    return notifications_of(user).unread().count()


def access_notification(user: User, pk: int) -> Notification:
    """The user's own notification ``pk``; another user's is the same 404 as none."""
    return get_object_or_404(notifications_of(user), pk=pk)


def preferences_of(user: User) -> dict[str, NotificationPreference | None]:
    """Every staff kind with the user's saved preference, or None for the default."""
    saved = {pref.kind: pref for pref in NotificationPreference.objects.filter(user=user)}
    return {kind: saved.get(kind) for kind in ReminderKind.staff_kinds()}


def default_delivery() -> str:
    return settings.REMINDERS_DEFAULT_DELIVERY
