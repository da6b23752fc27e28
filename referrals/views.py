from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from api.throttling import ReferralLinkThrottle
from audit import context as audit_context
from audit.models import AuditAction
from carehub import csv_safe
from carehub.client_address import client_address
from carehub.refusals import refusal_shown_on
from patients.permissions import access_patient
from referrals import links, services
from referrals.forms import (
    ContactLogForm,
    LinkAnswerForm,
    MoveForm,
    ReferralEditForm,
    ReferralFilter,
    ReferralForm,
    RerouteForm,
    SendForm,
    ServiceSearchForm,
    SharingConsentForm,
)
from referrals.models import ReferralEventKind, ReferralStatus
from referrals.pages import detail_context, export_rows, letter_context, link_moves
from referrals.permissions import access_referral, access_sharing_consent
from referrals.selectors import consent_in_force, referrals_visible_to, services_search

logger = logging.getLogger(__name__)
S = ReferralStatus


def _version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return 0


def _filtered(request: HttpRequest):
    now = timezone.now()
    referrals = referrals_visible_to(request.user).for_lists().with_overdue(now)
    data = request.GET.copy()
    data.setdefault("scope", "teams")
    return ReferralFilter(data, queryset=referrals, user=request.user, now=now)


@permission_required("referrals.view_referral", raise_exception=True)
def referral_list(request: HttpRequest) -> HttpResponse:
    filterset = _filtered(request)
    page = Paginator(filterset.qs, settings.CAREHUB_PAGE_SIZE).get_page(request.GET.get("page"))
    audit_context.note_page(page)
    page_query = request.GET.copy()
    page_query.pop("page", None)
    template = "referrals/partials/_list_results.html" if request.htmx else "referrals/list.html"
    return render(
        request,
        template,
        {
            "filter": filterset,
            "page": page,
            "page_query": page_query.urlencode(),
            "export_url": f"{reverse('referrals:export')}?{page_query.urlencode()}",
        },
    )


@permission_required("referrals.view_referral", raise_exception=True)
def referral_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered list as CSV, streamed; the same scope and filters as the page."""
    filterset = _filtered(request)
    audit_context.note_action(AuditAction.EXPORT)
    # Every patient the file holds, in the export's row (one query for their ids).
    audit_context.note_patients(
        filterset.qs.order_by().values_list("patient_id", flat=True).distinct()
    )

    class Echo:
        def write(self, value):
            return value

    writer = csv_safe.writer(Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in export_rows(filterset.qs)), content_type="text/csv"
    )
    response["Content-Disposition"] = 'attachment; filename="referrals.csv"'
    return response


@permission_required("referrals.view_service", raise_exception=True)
def directory(request: HttpRequest) -> HttpResponse:
    search = ServiceSearchForm(request.GET or None)
    services_found = services_search(**search.search_arguments())[:50]
    template = (
        "referrals/partials/_directory_results.html" if request.htmx else "referrals/directory.html"
    )
    return render(request, template, {"search": search, "services": services_found})


@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = access_patient(request.user, patient_pk, perm="referrals.add_referral")
    search = ServiceSearchForm(request.GET or None)
    found = services_search(**search.search_arguments())[:30]
    if request.htmx and request.method == "GET":
        return render(request, "referrals/partials/_picker_results.html", {"services": found})
    form = ReferralForm(
        request.POST or None, initial={"service": request.GET.get("service")}, patient=patient
    )
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.referral_create(
                patient=patient, by=request.user, data=form.cleaned_data
            )
        except services.DuplicateReferral as refused:
            duplicate = refused.existing
            form.add_error(None, str(refused))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Referral saved as a draft. Send it when ready."))
            return redirect("referrals:detail", pk=referral.pk)
    return render(
        request,
        "referrals/form.html",
        {
            "patient": patient,
            "form": form,
            "search": search,
            "services": found,
            "duplicate": duplicate,
        },
    )


def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = access_referral(request.user, pk)
    return render(request, "referrals/detail.html", detail_context(request, referral))


@require_http_methods(["GET", "POST"])
def referral_edit(request: HttpRequest, pk: int) -> HttpResponse:
    referral = access_referral(request.user, pk, perm="referrals.change_referral")
    if referral.status != ReferralStatus.DRAFT:
        messages.error(request, _("Only a draft referral can be changed."))
        return redirect("referrals:detail", pk=referral.pk)
    search = ServiceSearchForm(request.GET or None)
    found = services_search(**search.search_arguments())[:30]
    if request.htmx and request.method == "GET":
        return render(request, "referrals/partials/_picker_results.html", {"services": found})
    initial = {
        "version": referral.version,
        **{name: getattr(referral, name) for name in services.EDITABLE_FIELDS},
    }
    form = ReferralEditForm(request.POST or None, initial=initial, patient=referral.patient)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_update(
                referral=referral,
                by=request.user,
                data=form.cleaned_data,
                expected_version=form.cleaned_data["version"],
            )
        except services.DuplicateReferral as refused:
            duplicate = refused.existing
            form.add_error(None, str(refused))
        except services.StaleEdit as stale:
            form.add_error(None, str(stale))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Referral saved."))
            return redirect("referrals:detail", pk=referral.pk)
    return render(
        request,
        "referrals/form.html",
        {
            "patient": referral.patient,
            "referral": referral,
            "form": form,
            "search": search,
            "services": found,
            "duplicate": duplicate,
        },
    )


@require_http_methods(["GET", "POST"])
def referral_send(request: HttpRequest, pk: int) -> HttpResponse:
    referral = access_referral(request.user, pk, perm="referrals.change_referral")
    consent = consent_in_force(patient=referral.patient, referral=referral, now=timezone.now())
    form = SendForm(request.POST or None, initial={"version": referral.version})
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.referral_send(
                referral=referral,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                consent_override_reason=form.cleaned_data["consent_override_reason"],
            )
            messages.success(request, _("Referral sent."))
            return redirect("referrals:detail", pk=referral.pk)
    return render(
        request,
        "referrals/send.html",
        {
            "referral": referral,
            "consent": consent,
            "form": form,
            "can_record_consent": request.user.has_perm("referrals.add_sharingconsent"),
        },
    )


@require_http_methods(["GET", "POST"])
def referral_move(request: HttpRequest, pk: int, to: str) -> HttpResponse:
    referral = access_referral(request.user, pk, perm="referrals.change_referral")
    if to not in S.values or to == S.SENT:
        raise Http404
    form = MoveForm(request.POST or None, target=to, initial={"version": referral.version})
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.referral_move(
                referral=referral,
                to=to,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data.get("reason", ""),
                appointment_at=form.cleaned_data.get("appointment_at"),
                outcome_code=form.cleaned_data.get("outcome_code", ""),
                outcome_note=form.cleaned_data.get("outcome_note", ""),
            )
            messages.success(request, _("Referral is now “%(status)s”.") % {"status": S(to).label})
            return redirect("referrals:detail", pk=referral.pk)
    return render(
        request,
        "referrals/move.html",
        {"referral": referral, "form": form, "target": to, "target_label": S(to).label},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    referral = access_referral(request.user, pk, perm="referrals.add_contactlogentry")
    form = ContactLogForm(request.POST or None, initial={"version": referral.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.contact_log_record(
                referral=referral,
                by=request.user,
                channel=data["channel"],
                direction=data["direction"],
                contact_name=data["contact_name"],
                note=data["note"],
                occurred_at=data["occurred_at"],
                response=data["response"],
                reason=data["reason"],
                appointment_at=data["appointment_at"],
                expected_version=data["version"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except (services.StaleEdit, services.InvalidTransition, PermissionDenied) as refused:
            form.add_error(None, str(refused) or _("You may not change this referral."))
        else:
            messages.success(request, _("Contact recorded."))
            return redirect("referrals:detail", pk=referral.pk)
    return render(request, "referrals/contact_form.html", {"referral": referral, "form": form})


@require_http_methods(["GET", "POST"])
def referral_reroute(request: HttpRequest, pk: int) -> HttpResponse:
    referral = access_referral(request.user, pk, perm="referrals.change_referral")
    search = ServiceSearchForm(request.GET or None)
    found = services_search(**search.search_arguments())[:30]
    if request.htmx and request.method == "GET":
        return render(request, "referrals/partials/_picker_results.html", {"services": found})
    form = RerouteForm(
        request.POST or None,
        initial={
            "version": referral.version,
            "reason": referral.reason,
            "needs": referral.needs,
            "priority": referral.priority,
        },
    )
    duplicate = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new = services.referral_reroute(
                referral=referral,
                by=request.user,
                expected_version=data["version"],
                reason=data["reroute_reason"],
                data=data,
            )
        except services.DuplicateReferral as refused:
            duplicate = refused.existing
            form.add_error(None, str(refused))
        except ValidationError as error:
            form.add_error(None, error)
        except (services.StaleEdit, services.InvalidTransition) as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Referral re-routed: the new one is a draft."))
            return redirect("referrals:detail", pk=new.pk)
    return render(
        request,
        "referrals/form.html",
        {
            "patient": referral.patient,
            "rerouting": referral,
            "form": form,
            "search": search,
            "services": found,
            "duplicate": duplicate,
        },
    )


def referral_letter(request: HttpRequest, pk: int) -> HttpResponse:
    referral = access_referral(request.user, pk)
    return render(request, "referrals/letter.html", letter_context(referral, with_link=True))


@require_POST
def referral_renew_link(request: HttpRequest, pk: int) -> HttpResponse:
    referral = access_referral(request.user, pk, perm="referrals.change_referral")
    try:
        services.referral_renew_link(
            referral=referral, by=request.user, expected_version=_version(request)
        )
    except (ValidationError, services.StaleEdit) as refused:
        messages.error(request, " ".join(getattr(refused, "messages", [str(refused)])))
    else:
        messages.success(request, _("A new response link was issued; the old one no longer works."))
    return redirect("referrals:detail", pk=referral.pk)


@require_http_methods(["GET", "POST"])
def consent_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the patient's consent to share with this referral's recipient."""
    referral = access_referral(request.user, pk, perm="referrals.add_sharingconsent")
    form = SharingConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.sharing_consent_record(
                patient=referral.patient,
                by=request.user,
                organization=referral.service.organization if referral.service_id else None,
                recipient_name=referral.recipient_name,
                **form.cleaned_data,
            )
            messages.success(request, _("Consent to share recorded."))
            return redirect("referrals:send", pk=referral.pk)
    return render(request, "referrals/consent_form.html", {"referral": referral, "form": form})


@require_POST
def consent_revoke(request: HttpRequest, consent_pk: int) -> HttpResponse:
    consent = access_sharing_consent(request.user, consent_pk)
    try:
        services.sharing_consent_revoke(consent=consent, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Consent revoked."))
    return redirect("patients:detail", pk=consent.patient_id)


# --- The receiving service, without an account -----------------------------------------


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind the signed link: the letter and the answers the service may give."""
    allowed, wait = ReferralLinkThrottle.allowed(request)
    if not allowed:
        logger.warning("referral response link: too many requests from one address")
        response = render(request, "referrals/link_refused.html", {"wait": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
    try:
        referral = links.referral_for_token(token)
    except links.LinkExpired as expired:
        services.link_refuse_expired(
            referral_id=expired.referral_id, remote_addr=client_address(request)
        )
        return render(request, "referrals/link_refused.html", {"expired": True}, status=403)
    except links.LinkRefused:
        logger.warning("referral response link refused (altered or replaced)")
        return render(request, "referrals/link_refused.html", {"expired": False}, status=403)
    form = LinkAnswerForm(request.POST or None, initial={"version": referral.version})
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in link_moves(referral) and form.is_valid():
            data = form.cleaned_data
            with refusal_shown_on(form):
                services.link_answer(
                    referral=referral,
                    to=action,
                    remote_addr=client_address(request),
                    expected_version=data["version"],
                    reason=data["reason"],
                    appointment_at=data["appointment_at"],
                    outcome_code=data["outcome_code"],
                    outcome_note=data["outcome_note"],
                )
                messages.success(request, _("Thank you: your answer was recorded."))
                return redirect("referrals:respond", token=token)
        elif form.is_valid():
            form.add_error(None, _("This answer is not possible at this stage."))
    else:
        services.link_record_use(
            referral=referral,
            kind=ReferralEventKind.LINK_OPENED,
            remote_addr=client_address(request),
        )
    # The page shows the service who the referral is about: in the patient's trail.
    audit_context.note_patient(referral.patient_id)
    audit_context.note_object(referral)
    audit_context.note_detail(by="referral response link")
    context = letter_context(referral, with_link=False)
    context.update(form=form, moves=[(m, S(m).label) for m in link_moves(referral)])
    return render(request, "referrals/respond.html", context, status=400 if form.errors else 200)
