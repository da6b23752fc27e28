from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services


def security(request: HttpRequest) -> HttpResponse:
    """The user's own security page: signed-in sessions and sign out everywhere."""
    sessions = request.user.signed_in_sessions.order_by("-created_at")
    return render(
        request,
        "accounts/security.html",
        {"sessions": sessions, "current_key": request.session.session_key},
    )


@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    ended = services.user_sign_out_everywhere(user=request.user)
    logout(request)
    messages.success(
        request, _("Signed out of %(count)d sessions on every device.") % {"count": ended}
    )
    return redirect("accounts:login")
