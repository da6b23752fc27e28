"""Enrolment pages. Thin: load through programs.permissions or patients.permissions (404
outside the user's teams), call one service or transition, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from carehub.refusals import refusal_shown_on
from patients.permissions import access_patient
from programs import services, transitions
from programs.forms import EnrolmentForm, EnrolmentTransitionForm, SessionForm
from programs.models import EnrolmentStatus
from programs.permissions import access_enrolment
from programs.selectors import enrolment_contents

ENROLMENT_ACTIONS = {
    EnrolmentStatus.ENROLLED: gettext_lazy("Enrol"),
    EnrolmentStatus.PAUSED: gettext_lazy("Pause"),
    EnrolmentStatus.COMPLETED: gettext_lazy("Complete"),
    EnrolmentStatus.DISENROLLED: gettext_lazy("Disenrol"),
}


@require_http_methods(["GET", "POST"])
def enrolment_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = access_patient(request.user, patient_pk, perm="programs.add_enrolment")
    form = EnrolmentForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            enrolment = services.enrolment_create(
                patient=patient, by=request.user, **form.cleaned_data
            )
            messages.success(request, _("Patient referred to the program."))
            return redirect("programs:enrolment_detail", pk=enrolment.pk)
    return render(
        request,
        "casework/form.html",
        {
            "patient": patient,
            "form": form,
            "title": _("Refer to a program"),
            "submit": _("Refer"),
            "back_url": reverse("patients:detail", kwargs={"pk": patient.pk}),
        },
    )


def enrolment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = access_enrolment(request.user, pk)
    user = request.user
    can_change = user.has_perm("programs.change_enrolment")
    return render(
        request,
        "programs/enrolment_detail.html",
        {
            "enrolment": enrolment,
            "patient": enrolment.patient,
            **enrolment_contents(enrolment),
            "moves": [
                (target, ENROLMENT_ACTIONS[target])
                for target in transitions.ENROLMENT.allowed_from(enrolment.status)
            ]
            if can_change
            else [],
            "can_record_session": user.has_perm("programs.add_session")
            and enrolment.status in (EnrolmentStatus.ENROLLED, EnrolmentStatus.PAUSED),
        },
    )


@require_http_methods(["GET", "POST"])
def enrolment_transition(request: HttpRequest, pk: int, target: str) -> HttpResponse:
    enrolment = access_enrolment(request.user, pk, perm="programs.change_enrolment")
    if target not in ENROLMENT_ACTIONS:
        raise Http404
    form = EnrolmentTransitionForm(
        request.POST or None,
        initial={"version": enrolment.version},
        reason_required=target in transitions.ENROLMENT.reason_required,
    )
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            transitions.enrolment_transition(
                enrolment=enrolment,
                by=request.user,
                target=target,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
                on=form.cleaned_data["on"],
            )
            messages.success(
                request,
                _("Enrolment is now %(status)s.")
                % {"status": EnrolmentStatus(target).label.lower()},
            )
            return redirect("programs:enrolment_detail", pk=enrolment.pk)
    return render(
        request,
        "casework/form.html",
        {
            "patient": enrolment.patient,
            "form": form,
            "title": f"{ENROLMENT_ACTIONS[target]}: {enrolment.program}",
            "current": enrolment.get_status_display(),
            "submit": ENROLMENT_ACTIONS[target],
            "back_url": reverse("programs:enrolment_detail", kwargs={"pk": enrolment.pk}),
        },
    )


@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = access_enrolment(request.user, pk, perm="programs.add_session")
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.session_record(enrolment=enrolment, by=request.user, **form.cleaned_data)
            messages.success(request, _("Attendance recorded."))
            return redirect("programs:enrolment_detail", pk=enrolment.pk)
    return render(
        request,
        "casework/form.html",
        {
            "patient": enrolment.patient,
            "form": form,
            "title": _("Record attendance: %(program)s") % {"program": enrolment.program},
            "submit": _("Save"),
            "back_url": reverse("programs:enrolment_detail", kwargs={"pk": enrolment.pk}),
        },
    )
