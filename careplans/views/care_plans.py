"""Care plan and goal pages. Thin: load through careplans.permissions (404 outside the
user's teams), call one service or transition, render. Task pages: careplans/views/tasks.py."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from carehub.refusals import refusal_shown_on
from careplans import services, transitions
from careplans.forms import (
    CarePlanForm,
    CarePlanTransitionForm,
    GoalForm,
    GoalProgressForm,
    ReasonForm,
)
from careplans.forms import ReviewForm as CarePlanReviewForm
from careplans.models import CarePlanStatus, GoalStatus
from careplans.permissions import access_care_plan, access_goal
from careplans.selectors import care_plan_contents, care_plan_for_print
from patients.permissions import access_patient

# What the button for each move says (the target state's label reads badly as a verb).
CARE_PLAN_ACTIONS = {
    CarePlanStatus.ACTIVE: gettext_lazy("Activate"),
    CarePlanStatus.ON_HOLD: gettext_lazy("Put on hold"),
    CarePlanStatus.COMPLETED: gettext_lazy("Complete"),
    CarePlanStatus.REVOKED: gettext_lazy("Revoke"),
    CarePlanStatus.ENTERED_IN_ERROR: gettext_lazy("Mark as entered in error"),
}
GOAL_ACTIONS = {
    GoalStatus.ACCEPTED: gettext_lazy("Accept"),
    GoalStatus.ACTIVE: gettext_lazy("Start working on it"),
    GoalStatus.ON_HOLD: gettext_lazy("Put on hold"),
    GoalStatus.COMPLETED: gettext_lazy("Mark completed"),
    GoalStatus.CANCELLED: gettext_lazy("Cancel"),
    GoalStatus.REJECTED: gettext_lazy("Reject"),
}


def moves(state_machine, status: str, actions: dict) -> list[tuple[str, str]]:
    """The buttons for a record: each allowed target with its verb."""
    return [(target, actions[target]) for target in state_machine.allowed_from(status)]


@require_http_methods(["GET", "POST"])
def careplan_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = access_patient(request.user, patient_pk, perm="careplans.add_careplan")
    form = CarePlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            care_plan = services.careplan_create(
                patient=patient, by=request.user, data=form.cleaned_data, needs=form.needs()
            )
            messages.success(request, _("Care plan started as a draft."))
            return redirect("careplans:detail", pk=care_plan.pk)
    return render(request, "careplans/careplan_form.html", {"form": form, "patient": patient})


def careplan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    care_plan = access_care_plan(request.user, pk)
    contents = care_plan_contents(care_plan)
    user = request.user
    is_open = care_plan.is_open
    # Goals kept open when their plan closed can still be moved and edited until closed.
    can_change_goal = user.has_perm("careplans.change_goal")
    can_record_progress = user.has_perm("careplans.add_goalprogress")
    for goal in contents["goals"]:
        goal.moves = moves(transitions.GOAL, goal.status, GOAL_ACTIONS) if can_change_goal else []
        goal.can_edit = can_change_goal and goal.is_open
        goal.can_record_progress = can_record_progress and services.takes_progress(goal)
    now = timezone.now()
    can_change_task = user.has_perm("careplans.change_task")
    for group in contents["task_groups"]:
        for task in group.tasks:
            task.overdue = task.is_overdue_at(now)
            task.can_change = can_change_task and task.is_open
    can_change = user.has_perm("careplans.change_careplan")
    return render(
        request,
        "careplans/careplan_detail.html",
        {
            "care_plan": care_plan,
            "patient": care_plan.patient,
            **contents,
            "review_overdue": care_plan.review_overdue_on(timezone.localdate()),
            "moves": moves(transitions.CARE_PLAN, care_plan.status, CARE_PLAN_ACTIONS)
            if can_change
            else [],
            "can_edit": can_change and is_open,
            "can_add_goal": user.has_perm("careplans.add_goal") and is_open,
            "can_add_task": user.has_perm("careplans.add_task") and is_open,
            "can_review": user.has_perm("careplans.review_careplan")
            and care_plan.status in (CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD),
        },
    )


@require_http_methods(["GET", "POST"])
def careplan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    care_plan = access_care_plan(request.user, pk, perm="careplans.change_careplan")
    form = CarePlanForm(request.POST or None, instance=care_plan)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.careplan_update(
                care_plan=care_plan,
                by=request.user,
                data=form.cleaned_data,
                needs=form.needs(),
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, _("Care plan saved."))
            return redirect("careplans:detail", pk=care_plan.pk)
    return render(
        request,
        "careplans/careplan_form.html",
        {"form": form, "patient": care_plan.patient, "care_plan": care_plan},
    )


@require_http_methods(["GET", "POST"])
def careplan_transition(request: HttpRequest, pk: int, target: str) -> HttpResponse:
    """Activate, put on hold, complete, revoke: confirm with a reason, then move."""
    care_plan = access_care_plan(request.user, pk, perm="careplans.change_careplan")
    if target not in CARE_PLAN_ACTIONS:
        raise Http404
    asks_open_work = target in transitions.CLOSING_CARE_PLAN and (
        transitions.careplan_has_open_work(care_plan)
    )
    form = CarePlanTransitionForm(
        request.POST or None,
        initial={"version": care_plan.version},
        reason_required=target in transitions.CARE_PLAN.reason_required,
        asks_open_work=asks_open_work,
    )
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            transitions.careplan_transition(
                care_plan=care_plan,
                by=request.user,
                target=target,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
                open_work=form.cleaned_data.get("open_work") or None,
            )
            messages.success(
                request,
                _("Care plan is now %(status)s.")
                % {"status": CarePlanStatus(target).label.lower()},
            )
            return redirect("careplans:detail", pk=care_plan.pk)
    return render(
        request,
        "careplans/transition.html",
        {
            "form": form,
            "patient": care_plan.patient,
            "subject": care_plan.title,
            "current": care_plan.get_status_display(),
            "action": CARE_PLAN_ACTIONS[target],
            "back_url": care_plan_url(care_plan.pk),
        },
    )


def care_plan_url(pk: int) -> str:
    return reverse("careplans:detail", kwargs={"pk": pk})


@require_http_methods(["GET", "POST"])
def careplan_review(request: HttpRequest, pk: int) -> HttpResponse:
    care_plan = access_care_plan(request.user, pk, perm="careplans.review_careplan")
    form = CarePlanReviewForm(request.POST or None, initial={"version": care_plan.version})
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.careplan_record_review(
                care_plan=care_plan,
                by=request.user,
                note=form.cleaned_data["note"],
                next_review_date=form.cleaned_data["next_review_date"],
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, _("Review recorded."))
            return redirect("careplans:detail", pk=care_plan.pk)
    return render(
        request,
        "careplans/review_form.html",
        {
            "form": form,
            "care_plan": care_plan,
            "patient": care_plan.patient,
            "review_overdue": care_plan.review_overdue_on(timezone.localdate()),
        },
    )


def careplan_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient's copy: plain language, no internal notes, reasons or review notes."""
    care_plan = access_care_plan(request.user, pk)
    return render(
        request,
        "careplans/careplan_print.html",
        {"care_plan": care_plan, "patient": care_plan.patient, **care_plan_for_print(care_plan)},
    )


@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest, pk: int) -> HttpResponse:
    care_plan = access_care_plan(request.user, pk, perm="careplans.add_goal")
    form = GoalForm(request.POST or None, patient=care_plan.patient)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.goal_create(care_plan=care_plan, by=request.user, data=form.cleaned_data)
            messages.success(request, _("Goal added."))
            return redirect("careplans:detail", pk=care_plan.pk)
    return render(
        request,
        "careplans/goal_form.html",
        {"form": form, "care_plan": care_plan, "patient": care_plan.patient},
    )


@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    goal = access_goal(request.user, pk, perm="careplans.change_goal")
    care_plan = goal.care_plan
    form = GoalForm(request.POST or None, instance=goal, patient=care_plan.patient)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.goal_update(
                goal=goal,
                by=request.user,
                data=form.cleaned_data,
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, _("Goal saved."))
            return redirect("careplans:detail", pk=care_plan.pk)
    return render(
        request,
        "careplans/goal_form.html",
        {"form": form, "care_plan": care_plan, "patient": care_plan.patient, "goal": goal},
    )


@require_http_methods(["GET", "POST"])
def goal_transition(request: HttpRequest, pk: int, target: str) -> HttpResponse:
    goal = access_goal(request.user, pk, perm="careplans.change_goal")
    if target not in GOAL_ACTIONS:
        raise Http404
    form = ReasonForm(
        request.POST or None,
        initial={"version": goal.version},
        reason_required=target in transitions.GOAL.reason_required,
    )
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            transitions.goal_transition(
                goal=goal,
                by=request.user,
                target=target,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
            messages.success(
                request, _("Goal is now %(status)s.") % {"status": GoalStatus(target).label.lower()}
            )
            return redirect("careplans:detail", pk=goal.care_plan_id)
    return render(
        request,
        "careplans/transition.html",
        {
            "form": form,
            "patient": goal.care_plan.patient,
            "subject": goal.description,
            "current": goal.get_status_display(),
            "action": GOAL_ACTIONS[target],
            "back_url": care_plan_url(goal.care_plan_id),
        },
    )


@require_http_methods(["GET", "POST"])
def goal_progress(request: HttpRequest, pk: int) -> HttpResponse:
    goal = access_goal(request.user, pk, perm="careplans.add_goalprogress")
    form = GoalProgressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.goal_record_progress(goal=goal, by=request.user, data=form.cleaned_data)
            messages.success(request, _("Progress recorded."))
            return redirect("careplans:detail", pk=goal.care_plan_id)
    return render(
        request,
        "careplans/progress_form.html",
        {"form": form, "goal": goal, "patient": goal.care_plan.patient},
    )
