"""The unmatched notices of a team's facilities: matched to a patient (then processed)
or dismissed with a reason, by the team's coordinators and case managers or an admin."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit import context as audit_context
from carehub.refusals import refusal_shown_on
from interfaces import services
from interfaces.forms import DismissForm, MatchForm
from interfaces.selectors import summary, unmatched_visible_to


def unmatched_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("interfaces.match_message"):
        raise PermissionDenied
    queryset = (
        unmatched_visible_to(request.user).select_related("team").order_by("-received_at", "-pk")
    )
    page = Paginator(queryset, settings.CAREHUB_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "interfaces/unmatched_list.html",
        {"page": page, "notices": [summary(m) for m in page.object_list]},
    )


def _waiting(request: HttpRequest, pk: int):
    message = get_object_or_404(unmatched_visible_to(request.user), pk=pk)
    audit_context.note_object(message)
    return message


@require_http_methods(["GET", "POST"])
def unmatched_match(request: HttpRequest, pk: int) -> HttpResponse:
    message = _waiting(request, pk)
    form = MatchForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.message_match(message=message, patient=form.patient, by=request.user)
            audit_context.note_patient(form.patient.pk)
            messages.success(request, _("The notice was matched and processed."))
            return redirect("patients:detail", pk=form.patient.pk)
    return render(
        request,
        "interfaces/unmatched_form.html",
        {
            "notice": summary(message),
            "form": form,
            "title": _("Match a notice to a patient"),
            "submit": _("Match and process"),
        },
    )


@require_http_methods(["GET", "POST"])
def unmatched_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    message = _waiting(request, pk)
    form = DismissForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.message_dismiss(
                message=message, reason=form.cleaned_data["reason"], by=request.user
            )
            messages.success(request, _("The notice was dismissed."))
            return redirect(reverse("interfaces:unmatched"))
    return render(
        request,
        "interfaces/unmatched_form.html",
        {
            "notice": summary(message),
            "form": form,
            "title": _("Dismiss a notice"),
            "submit": _("Dismiss"),
        },
    )
