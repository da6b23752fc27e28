"""Own notifications and notification preferences. Every signed-in user has these; they
show only the user's own rows (access_notification: anyone else's is 404)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from reminders import selectors, services
from reminders.describe import describe_notifications
from reminders.forms import PreferencesForm
from reminders.models import ReminderKind


def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = selectors.notifications_of(request.user).select_related("reminder")
    page = Paginator(notifications, settings.CAREHUB_PAGE_SIZE).get_page(request.GET.get("page"))
    describe_notifications(request.user, page.object_list)
    return render(request, "reminders/notifications.html", {"page": page})


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = services.notification_mark_read(
        notification=selectors.access_notification(request.user, pk)
    )
    describe_notifications(request.user, [notification])
    if request.htmx:
        return render(
            request,
            "reminders/partials/_notification.html",
            {"notification": notification, "unread_notifications": None},
        )
    return redirect(_safe_next(request, "reminders:notifications"))


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications marked as read."))
    return redirect("reminders:notifications")


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    saved = selectors.preferences_of(request.user)
    digest = saved.get(ReminderKind.DIGEST)
    initial = {
        f"delivery_{kind}": pref.delivery if pref else selectors.default_delivery()
        for kind, pref in saved.items()
    }
    initial["digest_time"] = (
        digest.digest_time if digest and digest.digest_time else services.default_digest_time()
    )
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.preferences_save(
            user=request.user,
            deliveries=form.deliveries(),
            digest_time=form.cleaned_data["digest_time"],
        )
        messages.success(request, _("Notification settings saved."))
        return redirect("reminders:preferences")
    return render(request, "reminders/preferences.html", {"form": form})
