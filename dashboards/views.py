"""The dashboards: the coordinator's My day, the case manager's caseload review (with its
CSV export) and reassigning patients. Thin: parse, authorise, call a selector or service,
render."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from audit import context as audit_context
from audit.models import AuditAction
from carehub import csv_safe
from carehub.refusals import refusal_shown_on
from careplans.selectors import end_of_local_day
from dashboards import freshness, pages
from dashboards.forms import CaseloadForm, ReassignForm
from dashboards.sections import Day, sections_for
from dashboards.selectors.caseload import caseload_review
from dashboards.selectors.reassign import reassign_candidates, reassign_staff, user_team_ids
from patients import services as patient_services


@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    """The coordinator's day: one card per registered section (dashboards.sections),
    drawn again only when the user's teams' data changed (dashboards.freshness)."""

    def draw() -> SafeString:
        now = timezone.now()
        day = Day(
            user=request.user,
            now=now,
            today=timezone.localdate(now),
            end_of_today=end_of_local_day(now),
        )
        return render_to_string(
            "dashboards/partials/_my_day_body.html",
            {"day": day, "sections": sections_for(request, day)},
            request=request,
        )

    body = freshness.kept(request, "my-day", draw)
    return render(request, "dashboards/my_day.html", {"body": body})


# The caseload review is redrawn when its teams' data changes, and otherwise every 5
# minutes: counts that move with the clock alone (work falling overdue) may lag that
# much, where a draw reads every team's figures (~0.3 s at 100,000 patients).
CASELOAD_CLOCK_MINUTES = 5


def _review(request: HttpRequest, *, with_team_figures: bool):
    """The review for the GET choices (period, team, sort), and the form showing them."""
    choices = CaseloadForm.parse(request.GET)
    sort = request.GET.get("sort", "name")
    review = caseload_review(
        user=request.user,
        period_days=choices["period_days"],
        team_id=choices["team_id"],
        sort=sort,
        with_team_figures=with_team_figures,
    )
    form = CaseloadForm(request.GET or None, teams=review.all_teams)
    query = {"period": review.period_days}
    if len(review.teams) == 1 and len(review.all_teams) > 1:
        query["team"] = review.teams[0].pk
    return form, review, sort, query


@permission_required("accounts.view_caseload", raise_exception=True)
@require_GET
def caseload(request: HttpRequest) -> HttpResponse:
    """Per coordinator and per team, for the teams the case manager works in; drawn again
    only when those teams' data changed (dashboards.freshness)."""

    def draw() -> SafeString:
        form, review, sort, query = _review(request, with_team_figures=True)
        headers, rows = pages.table(review, sort=sort, query=query)
        return render_to_string(
            "dashboards/partials/_caseload_body.html",
            {
                "form": form,
                "review": review,
                "headers": headers,
                "rows": rows,
                "team_rows": pages.team_rows(review),
                "trend_rows": pages.trend_rows(review),
                "workload_chart": pages.workload_chart(review),
                "risk_chart": pages.risk_chart(review),
                "trend_chart": pages.trend_chart(review),
                "export_url": f"{reverse('dashboards:caseload_export')}?{urlencode(chosen)}",
                "can_reassign": request.user.has_perm("patients.reassign_patient"),
            },
            request=request,
        )

    chosen = {name: request.GET[name] for name in ("period", "team", "sort") if name in request.GET}
    body = freshness.kept(
        request, "caseload", draw, choices=urlencode(chosen), minutes=CASELOAD_CLOCK_MINUTES
    )
    return render(request, "dashboards/caseload.html", {"body": body})


@permission_required("accounts.view_caseload", raise_exception=True)
@require_GET
def caseload_export(request: HttpRequest) -> HttpResponse:
    """The caseload table as CSV, sorted as on the page."""
    _form, review, _sort, _query = _review(request, with_team_figures=False)
    audit_context.note_action(AuditAction.EXPORT)
    response = HttpResponse(content_type="text/csv")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="caseload-{stamp}.csv"'
    writer = csv_safe.writer(response)
    writer.writerows(pages.csv_rows(review))
    return response


def _ids(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit()]


def _back(request: HttpRequest, fallback: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


@permission_required("patients.reassign_patient", raise_exception=True)
@require_http_methods(["GET", "POST"])
def reassign(request: HttpRequest) -> HttpResponse:
    """Reassign patients to another coordinator of their team: those of one coordinator
    (``?coordinator=ID``, optionally ``&overdue=on``) or the ones named (``?patient=ID``)."""
    params = request.POST if request.method == "POST" else request.GET
    named = _ids(params.getlist("patient"))
    coordinator_id = next(iter(_ids([params.get("coordinator", "")])), None)
    candidates = reassign_candidates(
        user=request.user,
        patient_ids=named,
        coordinator_id=coordinator_id,
        overdue_only=bool(params.get("overdue")),
        now=timezone.now(),
    )
    if named and candidates.total < len(set(named)):
        raise Http404  # a named patient outside the user's scope does not exist for them
    form = ReassignForm(
        request.POST or None,
        patients=candidates.queryset,
        staff=reassign_staff(candidates.team_ids),
        initial={"patients": [p.pk for p in candidates.patients] if named else []},
    )
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            moved = patient_services.patient_reassign(
                versions=form.versions(),
                to=form.cleaned_data["to"],
                by=request.user,
                move_open_tasks=form.cleaned_data["move_open_tasks"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request,
                ngettext(
                    "%(count)d patient reassigned to %(name)s.",
                    "%(count)d patients reassigned to %(name)s.",
                    len(moved),
                )
                % {"count": len(moved), "name": form.cleaned_data["to"]},
            )
            fallback = (
                reverse("patients:detail", args=[moved[0].pk])
                if len(moved) == 1
                else reverse("dashboards:caseload")
            )
            return redirect(_back(request, fallback))
    return render(
        request,
        "dashboards/reassign.html",
        {
            "form": form,
            "candidates": candidates,
            "coordinators": reassign_staff(user_team_ids(request.user)),
            "coordinator_id": coordinator_id,
            "overdue_only": bool(params.get("overdue")),
            "named": named,
            "checked": set(_ids(request.POST.getlist("patients")))
            if request.method == "POST"
            else set(named),
            "next": _back(request, ""),
        },
    )
