"""Coverage, authorisation and benefit application pages, and the case manager's
benefits and programs view. Thin: load through benefits.permissions or
patients.permissions (404 outside the user's teams), call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from audit import context as audit_context
from benefits import services, transitions
from benefits.forms import (
    ApplicationCreateForm,
    ApplicationEditForm,
    ApplicationTransitionForm,
    AuthorisationForm,
    CoverageForm,
    DocumentAddForm,
    DocumentMarkForm,
)
from benefits.models import ApplicationStatus
from benefits.permissions import (
    access_application,
    access_authorisation,
    access_coverage,
    access_document,
)
from benefits.selectors import application_contents, casework_for
from carehub.refusals import refusal_shown_on
from patients.permissions import access_patient

A = ApplicationStatus
APPLICATION_ACTIONS = {
    A.GATHERING_DOCUMENTS: gettext_lazy("Gather documents"),
    A.SUBMITTED: gettext_lazy("Mark submitted"),
    A.PENDING_DECISION: gettext_lazy("Mark pending decision"),
    A.APPROVED: gettext_lazy("Record approval"),
    A.DENIED: gettext_lazy("Record denial"),
    A.APPEAL: gettext_lazy("Appeal"),
}


def _form_page(request, *, patient, form, title, submit, back_url, **extra) -> HttpResponse:
    return render(
        request,
        "casework/form.html",
        {
            "patient": patient,
            "form": form,
            "title": title,
            "submit": submit,
            "back_url": back_url,
            **extra,
        },
    )


def _patient_url(patient_id: int) -> str:
    return reverse("patients:detail", kwargs={"pk": patient_id})


# --- Coverage and authorisations ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def coverage_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = access_patient(request.user, patient_pk, perm="benefits.add_coverage")
    form = CoverageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.coverage_create(patient=patient, by=request.user, data=form.cleaned_data)
            messages.success(request, _("Coverage added."))
            return redirect("patients:detail", pk=patient.pk)
    return _form_page(
        request,
        patient=patient,
        form=form,
        title=_("Add coverage"),
        submit=_("Save"),
        back_url=_patient_url(patient.pk),
    )


@require_http_methods(["GET", "POST"])
def coverage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    coverage = access_coverage(request.user, pk, perm="benefits.change_coverage")
    form = CoverageForm(request.POST or None, instance=coverage)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.coverage_update(
                coverage=coverage,
                by=request.user,
                data=form.cleaned_data,
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, _("Coverage saved."))
            return redirect("patients:detail", pk=coverage.patient_id)
    return _form_page(
        request,
        patient=coverage.patient,
        form=form,
        title=_("Edit coverage"),
        submit=_("Save"),
        back_url=_patient_url(coverage.patient_id),
    )


@require_http_methods(["GET", "POST"])
def authorisation_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = access_patient(request.user, patient_pk, perm="benefits.add_priorauthorisation")
    form = AuthorisationForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.authorisation_create(patient=patient, by=request.user, data=form.cleaned_data)
            messages.success(request, _("Prior authorisation added."))
            return redirect("patients:detail", pk=patient.pk)
    return _form_page(
        request,
        patient=patient,
        form=form,
        title=_("Add a prior authorisation"),
        submit=_("Save"),
        back_url=_patient_url(patient.pk),
    )


@require_http_methods(["GET", "POST"])
def authorisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    authorisation = access_authorisation(
        request.user, pk, perm="benefits.change_priorauthorisation"
    )
    form = AuthorisationForm(
        request.POST or None, instance=authorisation, patient=authorisation.patient
    )
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.authorisation_update(
                authorisation=authorisation,
                by=request.user,
                data=form.cleaned_data,
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, _("Prior authorisation saved."))
            return redirect("patients:detail", pk=authorisation.patient_id)
    return _form_page(
        request,
        patient=authorisation.patient,
        form=form,
        title=_("Edit prior authorisation"),
        submit=_("Save"),
        back_url=_patient_url(authorisation.patient_id),
    )


# --- Benefit applications ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def application_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = access_patient(request.user, patient_pk, perm="benefits.add_benefitapplication")
    form = ApplicationCreateForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            application = services.application_create(
                patient=patient,
                by=request.user,
                program=form.cleaned_data["program"],
                case_manager=form.cleaned_data["case_manager"],
                data=form.cleaned_data,
                documents=form.document_names(),
            )
            messages.success(request, _("Application started."))
            return redirect("benefits:application_detail", pk=application.pk)
    return _form_page(
        request,
        patient=patient,
        form=form,
        title=_("Start a benefit application"),
        submit=_("Start"),
        back_url=_patient_url(patient.pk),
    )


def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = access_application(request.user, pk)
    contents = application_contents(application)
    user = request.user
    can_change = user.has_perm("benefits.change_benefitapplication")
    return render(
        request,
        "benefits/application_detail.html",
        {
            "application": application,
            "patient": application.patient,
            **contents,
            **services.checklist_summary(contents["documents"]),
            "deadline": application.next_deadline(),
            "moves": [
                (target, APPLICATION_ACTIONS[target])
                for target in transitions.APPLICATION.allowed_from(application.status)
            ]
            if can_change
            else [],
            "can_edit": can_change,
            "can_change_documents": user.has_perm("benefits.change_requireddocument"),
            "can_add_document": user.has_perm("benefits.add_requireddocument"),
            "add_document_form": DocumentAddForm(),
        },
    )


@require_http_methods(["GET", "POST"])
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = access_application(request.user, pk, perm="benefits.change_benefitapplication")
    form = ApplicationEditForm(request.POST or None, instance=application)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.application_update(
                application=application,
                by=request.user,
                data=form.cleaned_data,
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, _("Application saved."))
            return redirect("benefits:application_detail", pk=application.pk)
    return _form_page(
        request,
        patient=application.patient,
        form=form,
        title=_("Edit application"),
        submit=_("Save"),
        back_url=reverse("benefits:application_detail", kwargs={"pk": application.pk}),
    )


@require_http_methods(["GET", "POST"])
def application_transition(request: HttpRequest, pk: int, target: str) -> HttpResponse:
    application = access_application(request.user, pk, perm="benefits.change_benefitapplication")
    if target not in APPLICATION_ACTIONS:
        raise Http404
    form = ApplicationTransitionForm(
        request.POST or None,
        initial={"version": application.version},
        reason_required=target in transitions.APPLICATION.reason_required,
        asks_decision=target in (A.SUBMITTED, A.PENDING_DECISION, A.APPEAL),
        asks_renewal=target == A.APPROVED,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusal_shown_on(form):
            moved = transitions.application_transition(
                application=application,
                by=request.user,
                target=target,
                reason=data["reason"],
                expected_version=data["version"],
                on=data["on"],
                decision_due_on=data.get("decision_due_on"),
                renewal_due_on=data.get("renewal_due_on"),
            )
            messages.success(
                request, _("Application is now %(status)s.") % {"status": A(target).label.lower()}
            )
            if moved.status == A.DENIED and moved.appeal_deadline:
                messages.info(
                    request,
                    _("The patient may appeal until %(date)s.")
                    % {"date": moved.appeal_deadline.isoformat()},
                )
            return redirect("benefits:application_detail", pk=application.pk)
    return _form_page(
        request,
        patient=application.patient,
        form=form,
        title=f"{APPLICATION_ACTIONS[target]}: {application.get_program_display()}",
        current=application.get_status_display(),
        submit=APPLICATION_ACTIONS[target],
        back_url=reverse("benefits:application_detail", kwargs={"pk": application.pk}),
    )


@require_http_methods(["POST"])
def document_add(request: HttpRequest, pk: int) -> HttpResponse:
    application = access_application(request.user, pk, perm="benefits.add_requireddocument")
    form = DocumentAddForm(request.POST)
    if form.is_valid():
        try:
            services.document_add(
                application=application, by=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Document added to the checklist."))
    else:
        messages.error(request, _("Name the document."))
    return redirect("benefits:application_detail", pk=application.pk)


@require_http_methods(["POST"])
def document_mark(request: HttpRequest, pk: int) -> HttpResponse:
    document = access_document(request.user, pk)
    form = DocumentMarkForm(request.POST)
    if form.is_valid():
        try:
            services.document_mark(
                document=document,
                by=request.user,
                received=form.cleaned_data["received"],
                on=form.cleaned_data["received_on"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return redirect("benefits:application_detail", pk=document.application_id)


def casework(request: HttpRequest) -> HttpResponse:
    """The case manager's benefits and programs view across their teams."""
    if not request.user.has_perm("benefits.view_casework"):
        raise PermissionDenied
    work = casework_for(request.user)
    for rows in (
        work.open_applications,
        work.renewals_due,
        work.authorisations_expiring,
        work.low_attendance,
        work.high_needs,
    ):
        audit_context.note_listed(rows)
    return render(request, "benefits/casework.html", {"work": work})
