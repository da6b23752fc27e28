from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from accounts import services, two_factor
from accounts.forms import TokenForm
from api.forms import ApiTokenForm
from api.models import RevokedBecause
from api.tokens import api_tokens_revoke_all, tokens_of

SESSIONS_SHOWN = 50


def security(request: HttpRequest) -> HttpResponse:
    """The user's own security page: two-factor, signed-in sessions, sign out everywhere,
    API tokens."""
    # Live sessions only (a row outlives its session until the next prune), newest first;
    # "sign out everywhere" ends them all, however many.
    sessions = request.user.signed_in_sessions.filter(
        session_key__in=Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    ).order_by("-created_at")[:SESSIONS_SHOWN]
    return render(
        request,
        "accounts/security.html",
        {
            "sessions": sessions,
            "current_key": request.session.session_key,
            "two_factor_enrolled": two_factor.is_enrolled(request.user),
            "recovery_codes_left": two_factor.recovery_codes_left(request.user),
            "api_tokens": tokens_of(request.user)[:50],
            "api_token_form": ApiTokenForm(),
        },
    )


@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    user = request.user
    with transaction.atomic():
        ended = services.user_sign_out_everywhere(user=user)
        revoked = api_tokens_revoke_all(
            user=user, by=user, because=RevokedBecause.SIGNED_OUT_EVERYWHERE
        )
    logout(request)
    messages.success(
        request,
        _("Signed out of %(count)d sessions on every device; %(tokens)d API tokens revoked.")
        % {"count": ended, "tokens": revoked},
    )
    return redirect("accounts:login")


class PasswordChange(auth_views.PasswordChangeView):
    """Django's, and then: every API token of the user is revoked, and the page says so.
    (A token made before a password change stops working by any route that changes the
    password, admin and `changepassword` included: api.tokens.password_fingerprint.)"""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:security")

    def form_valid(self, form):
        response = super().form_valid(form)
        revoked = api_tokens_revoke_all(
            user=self.request.user, by=self.request.user, because=RevokedBecause.PASSWORD_CHANGED
        )
        message = _("Password changed. Your other sessions are signed out.")
        if revoked:
            message += " " + _("%(tokens)d API tokens were revoked: make new ones.") % {
                "tokens": revoked
            }
        messages.success(self.request, message)
        return response


def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the code, confirm with one code from it.

    Open before the second step of sign-in, for users who have no authenticator yet. A
    user who has one replaces it only after that step: else the password alone would let
    anyone who has it put their own authenticator in its place."""
    if two_factor.is_enrolled(request.user) and not request.user.is_verified():
        verify = reverse("accounts:two_factor_verify")
        return redirect(f"{verify}?{urlencode({'next': request.path})}")
    device = two_factor.pending_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.enrol_confirm(
            user=request.user, device=device, token=form.cleaned_data["token"]
        )
        if codes is None:
            form.add_error(
                "token", _("That code is not right. Check your phone's clock and try again.")
            )
        else:
            otp_login(request, device)
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_code": two_factor.qr_code_data_uri(device),
            "secret": two_factor.secret_for_manual_entry(device),
            "required": two_factor.two_factor_required(request.user),
        },
    )


def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in for users with an authenticator."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify(user=request.user, token=form.cleaned_data["token"])
        if device is None:
            form.add_error("token", _("That code is not right. Try again."))
        else:
            otp_login(request, device)
            next_url = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                next_url = settings.LOGIN_REDIRECT_URL
            return redirect(next_url)
    return render(request, "accounts/two_factor_verify.html", {"form": form})


@require_POST
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    if not two_factor.is_enrolled(request.user):
        return redirect("accounts:two_factor_setup")
    codes = two_factor.recovery_codes_regenerate(user=request.user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes})
