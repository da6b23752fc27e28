"""Assessment and need pages. Thin: load through assessments.permissions or
patients.permissions (404 outside the user's teams), call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from assessments import services
from assessments.forms import AssessmentForm, NeedAddressForm, NeedResolveForm, TemplateChoiceForm
from assessments.models import Question, ScreeningTemplate
from assessments.permissions import access_assessment, access_need
from assessments.selectors import assessment_contents, suggested_services
from carehub.refusals import refusal_shown_on
from patients.permissions import access_patient


@require_http_methods(["GET", "POST"])
def assessment_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    """Pick a template and language (GET without ``template``), then answer its questions."""
    patient = access_patient(request.user, patient_pk, perm="assessments.add_assessment")
    chooser = TemplateChoiceForm(
        request.GET or None, initial={"language": patient.preferred_language}
    )
    if not chooser.is_bound or not chooser.is_valid():
        return render(request, "assessments/choose.html", {"patient": patient, "form": chooser})
    template: ScreeningTemplate = chooser.cleaned_data["template"]
    language = chooser.cleaned_data["language"] or "en"
    questions = list(
        Question.objects.filter(template=template)
        .prefetch_related("options")
        .order_by("position", "pk")
    )
    optional = set(template.domain_rules.filter(is_optional=True).values_list("domain", flat=True))
    form = AssessmentForm(
        request.POST or None,
        questions=questions,
        optional_domains=optional,
        initial={"language": language},
    )
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            assessment = services.assessment_record(
                patient=patient,
                template=template,
                by=request.user,
                answers=form.answers(),
                assessed_on=form.cleaned_data["assessed_on"],
                language=form.cleaned_data["language"],
                included_optional=form.cleaned_data["included_optional"],
                notes=form.cleaned_data["notes"],
            )
            messages.success(request, _("Assessment recorded."))
            return redirect("assessments:detail", pk=assessment.pk)
    return render(
        request,
        "assessments/assessment_form.html",
        {
            "patient": patient,
            "form": form,
            "template": template,
            "introduction": template.introduction_in(language),
            "language": language,
        },
    )


def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = access_assessment(request.user, pk)
    contents = assessment_contents(assessment)
    for answer in contents["answers"]:
        answer.question_text = answer.question.text_in(assessment.language)
        answer.option_text = answer.option.text_in(assessment.language)
    return render(
        request,
        "assessments/assessment_detail.html",
        {"assessment": assessment, "patient": assessment.patient, **contents},
    )


def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A need: what addresses it, suggested services from the directory, and the forms to
    link it to a care plan or mark it resolved."""
    need = access_need(request.user, pk)
    patient = need.patient
    can_change = request.user.has_perm("assessments.change_identifiedneed") and need.is_open
    return render(
        request,
        "assessments/need_detail.html",
        {
            "need": need,
            "patient": patient,
            "services": suggested_services(need),
            "can_change": can_change,
            "can_refer": request.user.has_perm("referrals.add_referral") and patient.is_open,
            "address_form": NeedAddressForm(
                patient=patient,
                initial={"care_plan_need": need.care_plan_need_id, "goal": need.goal_id},
            )
            if can_change
            else None,
            "resolve_form": NeedResolveForm(patient=patient) if can_change else None,
        },
    )


@require_http_methods(["POST"])
def need_address(request: HttpRequest, pk: int) -> HttpResponse:
    need = access_need(request.user, pk, perm="assessments.change_identifiedneed")
    form = NeedAddressForm(request.POST, patient=need.patient)
    if form.is_valid():
        try:
            services.need_address(need=need, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Saved what addresses this need."))
    else:
        messages.error(request, _("Choose a need of an open care plan or an open goal."))
    return redirect("assessments:need_detail", pk=need.pk)


@require_http_methods(["GET", "POST"])
def need_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    need = access_need(request.user, pk, perm="assessments.change_identifiedneed")
    form = NeedResolveForm(request.POST or None, patient=need.patient)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.need_resolve(need=need, by=request.user, **form.cleaned_data)
            messages.success(request, _("Need marked resolved."))
            return redirect("patients:detail", pk=need.patient_id)
    return render(
        request,
        "casework/form.html",
        {
            "patient": need.patient,
            "form": form,
            "title": _("Mark the need resolved: %(domain)s")
            % {"domain": need.get_domain_display()},
            "submit": _("Mark resolved"),
            "back_url": reverse("assessments:need_detail", kwargs={"pk": need.pk}),
        },
    )
