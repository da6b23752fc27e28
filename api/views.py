"""The user's API tokens, on their Security page (accounts:security): create one (its key
is shown once, on the answer to the POST) and revoke one. And the API's JSON 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from api import tokens
from api.forms import ApiTokenForm


@require_POST
def api_token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        problems = [
            f"{form[name].label}: {' '.join(errors)}" for name, errors in form.errors.items()
        ]
        messages.error(request, " ".join(problems))
        return redirect("accounts:security")
    token, key = tokens.api_token_create(
        user=request.user,
        by=request.user,
        name=form.cleaned_data["name"],
        lifetime_days=form.cleaned_data["lifetime"],
        scope=form.cleaned_data["scope"],
    )
    # The only time the key exists outside the caller's hands: this no-store answer.
    return render(request, "api/token_created.html", {"token": token, "key": key})


@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(tokens.tokens_of(request.user), pk=pk)
    tokens.api_token_revoke(token=token, by=request.user)
    messages.success(request, _("Token revoked: it no longer works."))
    return redirect("accounts:security")


@csrf_exempt  # it changes nothing; a CSRF refusal would be an HTML page
@login_not_required
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other path under /api/: a JSON 404 like the API's own, not an HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)
