from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit import context as audit_context
from carehub.refusals import refusal_shown_on
from patients import searches, services
from patients.forms import (
    PatientCreateForm,
    PatientFilter,
    PatientForm,
    PatientIdentifierForm,
    PatientStatusForm,
    RelatedPersonForm,
)
from patients.paging import CappedPaginator
from patients.permissions import access_patient
from patients.sections import sections_for
from patients.selectors import patients_visible_to


def patient_list(request: HttpRequest) -> HttpResponse:
    """The registry, filtered. A search by name or MRN is posted, never put in a URL
    (browser history, a proxy's access log): the page's address names it by a key kept
    in the session (``?search=``), which its page links carry."""
    patients = patients_visible_to(request.user).for_list()
    data, key = searches.filters_of(request)
    filterset = PatientFilter(data or None, queryset=patients, user=request.user)
    page = CappedPaginator(
        filterset.qs,
        settings.CAREHUB_PAGE_SIZE,
        capped_ordering=filterset.broad_search_ordering,
        rows_by_id=(lambda ids: patients.filter(pk__in=ids)) if filterset.searching else None,
    ).get_page(request.GET.get("page"))
    audit_context.note_page(page)
    page_query = searches.page_query(data, key)
    if request.method == "POST" and not request.htmx:
        # Post, then redirect: reloading the page does not post again.
        return redirect(searches.url_of(page_query))
    template = "patients/partials/_list_results.html" if request.htmx else "patients/list.html"
    response = render(
        request,
        template,
        {
            "filter": filterset,
            "page": page,
            "page_query": page_query,
            "search_expired": key is not None and data is None,
            "can_register": request.user.has_perm("patients.add_patient"),
        },
    )
    if request.method == "POST":
        response["HX-Push-Url"] = searches.url_of(page_query)
    return response


@permission_required("patients.add_patient", raise_exception=True)
@require_http_methods(["GET", "POST"])
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientCreateForm(request.POST or None, user=request.user)
    duplicates = None
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_register(
                by=request.user,
                data=form.cleaned_data,
                confirmed_not_duplicate=form.cleaned_data["confirm_not_duplicate"],
            )
        except services.PossibleDuplicate as held_back:
            duplicates = held_back
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Patient registered."))
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/form.html", {"form": form, "duplicates": duplicates})


def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = access_patient(request.user, pk)
    return render(
        request,
        "patients/detail.html",
        {
            "patient": patient,
            "related_persons": patient.related_persons.all(),
            "events": patient.events.select_related("actor")[:20],
            "can_edit": request.user.has_perm("patients.change_patient"),
            "can_change_status": request.user.has_perm("patients.discharge_patient"),
            "can_view_audit": request.user.has_perm("audit.view_auditevent"),
            "can_reassign": request.user.has_perm("patients.reassign_patient"),
            "sections": sections_for(request, patient),
        },
    )


@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = access_patient(request.user, pk, perm="patients.change_patient")
    form = PatientForm(request.POST or None, instance=patient, user=request.user)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.patient_update(
                patient=patient,
                by=request.user,
                data=form.cleaned_data,
                expected_version=form.cleaned_data["version"] or 0,
            )
            messages.success(request, _("Patient details saved."))
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/form.html", {"form": form, "patient": patient})


@require_http_methods(["GET", "POST"])
def patient_change_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Discharge, readmit, mark inactive or deceased, with a reason."""
    patient = access_patient(request.user, pk, perm="patients.discharge_patient")
    form = PatientStatusForm(
        request.POST or None,
        initial={"version": patient.version, "status": request.GET.get("status", "discharged")},
    )
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.patient_set_status(
                patient=patient,
                by=request.user,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, _("Patient status changed."))
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/status.html", {"form": form, "patient": patient})


@require_http_methods(["GET", "POST"])
def related_person_edit(
    request: HttpRequest, pk: int, person_pk: int | None = None
) -> HttpResponse:
    patient = access_patient(request.user, pk, perm="patients.change_patient")
    person = get_object_or_404(patient.related_persons, pk=person_pk) if person_pk else None
    form = RelatedPersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        services.related_person_save(patient=patient, by=request.user, form_instance=form.instance)
        messages.success(request, _("Contact saved."))
        return redirect("patients:detail", pk=patient.pk)
    return render(
        request,
        "patients/related_person_form.html",
        {"form": form, "patient": patient, "person": person},
    )


@require_http_methods(["POST"])
def related_person_remove(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    patient = access_patient(request.user, pk, perm="patients.change_patient")
    person = get_object_or_404(patient.related_persons, pk=person_pk)
    services.related_person_remove(person=person, by=request.user)
    messages.success(request, _("Contact removed."))
    return redirect("patients:detail", pk=patient.pk)


@require_http_methods(["GET", "POST"])
def identifier_add(request: HttpRequest, pk: int) -> HttpResponse:
    patient = access_patient(request.user, pk, perm="patients.change_patient")
    form = PatientIdentifierForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.identifier_add(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Identifier added."))
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/identifier_form.html", {"form": form, "patient": patient})


@require_http_methods(["POST"])
def identifier_remove(request: HttpRequest, pk: int, identifier_pk: int) -> HttpResponse:
    patient = access_patient(request.user, pk, perm="patients.change_patient")
    identifier = get_object_or_404(patient.identifiers, pk=identifier_pk)
    services.identifier_remove(identifier=identifier, by=request.user)
    messages.success(request, _("Identifier removed."))
    return redirect("patients:detail", pk=patient.pk)
