"""Task pages: add a task, complete, reschedule or move it, and "My tasks".

Every action works as a plain form post (redirect back); with htmx, complete and
reschedule on My tasks answer with the task's row only, swapped in place.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from carehub.refusals import refusal_shown_on
from careplans import services, transitions
from careplans.forms import ReasonForm, TaskFilter, TaskForm
from careplans.models import Task, TaskStatus
from careplans.pages import prepare_task_rows, task_forms
from careplans.permissions import access_task
from careplans.selectors import my_tasks as my_tasks_of
from careplans.selectors import tasks_visible_to
from patients.permissions import access_patient
from patients.selectors import team_staff

TASK_ACTIONS = {
    TaskStatus.ACCEPTED: gettext_lazy("Accept"),
    TaskStatus.IN_PROGRESS: gettext_lazy("Start"),
    TaskStatus.ON_HOLD: gettext_lazy("Put on hold"),
    TaskStatus.FAILED: gettext_lazy("Mark as failed"),
    TaskStatus.CANCELLED: gettext_lazy("Cancel task"),
    TaskStatus.REJECTED: gettext_lazy("Reject"),
}
REFUSED = (transitions.InvalidTransition, transitions.StaleEdit)


def _back_url(request: HttpRequest, task: Task) -> str:
    """Where to go after an action: the page it came from (``next``, a local path), else
    the task's care plan or patient."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    if task.care_plan_id:
        return reverse("careplans:detail", kwargs={"pk": task.care_plan_id})
    return reverse("patients:detail", kwargs={"pk": task.patient_id})


def _row(request: HttpRequest, task: Task, **extra) -> HttpResponse:
    """The task's row (My tasks, My day) after an htmx action; its forms come back to
    the page the row is on."""
    prepare_task_rows([task], user=request.user, now=timezone.now())
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("careplans:my_tasks")
    # A row with a form given in ``extra`` shows it (reschedule opened, an error);
    # otherwise the compact row.
    context = {"task": task, "next": next_url, **extra}
    return render(request, "careplans/partials/_my_task_row.html", context)


@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = access_patient(request.user, patient_pk, perm="careplans.add_task")
    staff = team_staff([patient.care_team_id])
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    initial = {
        "care_plan": request.GET.get("care_plan"),
        "goal": request.GET.get("goal"),
        "assignee": request.user.pk if staff.filter(pk=request.user.pk).exists() else None,
        "due_at": timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(9))),
    }
    form = TaskForm(request.POST or None, initial=initial, patient=patient)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            task = services.task_create(patient=patient, by=request.user, data=form.cleaned_data)
            messages.success(request, _("Task added."))
            return redirect(_back_url(request, task))
    return render(request, "careplans/task_form.html", {"form": form, "patient": patient})


@require_http_methods(["GET", "POST"])
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = access_task(request.user, pk, perm="careplans.change_task")
    form = task_forms(task, request.POST or None)["complete_form"]
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            task = transitions.task_complete(
                task=task,
                by=request.user,
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
        except REFUSED as refused:
            error = str(refused)
        else:
            if request.htmx:
                return _row(request, task, done=_("Completed."))
            messages.success(request, _("Task completed."))
            return redirect(_back_url(request, task))
        form.add_error(None, error)
    if request.htmx:
        return _row(request, task, complete_form=form, error=error)
    return render(
        request,
        "careplans/task_action.html",
        {"form": form, "task": task, "action": _("Complete"), "back_url": _back_url(request, task)},
    )


@require_http_methods(["GET", "POST"])
def task_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    task = access_task(request.user, pk, perm="careplans.change_task")
    form = task_forms(task, request.POST or None)["reschedule_form"]
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_reschedule(
                task=task,
                by=request.user,
                due_at=form.cleaned_data["due_at"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
        except services.StaleEdit as stale:
            error = str(stale)
        else:
            if request.htmx:
                return _row(request, task, done=_("Rescheduled."))
            messages.success(request, _("Task rescheduled."))
            return redirect(_back_url(request, task))
        form.add_error(None, error)
    if request.htmx:
        return _row(request, task, reschedule_form=form, error=error)
    return render(
        request,
        "careplans/task_action.html",
        {
            "form": form,
            "task": task,
            "action": _("Reschedule"),
            "back_url": _back_url(request, task),
        },
    )


@require_http_methods(["GET", "POST"])
def task_snooze(request: HttpRequest, pk: int) -> HttpResponse:
    """Push the task a day or a week later (buttons on My day and My tasks)."""
    task = access_task(request.user, pk, perm="careplans.change_task")
    form = task_forms(task, request.POST or None)["snooze_form"]
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_snooze(
                task=task,
                by=request.user,
                days=form.cleaned_data["days"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
        except services.StaleEdit as stale:
            error = str(stale)
        else:
            done = _("Snoozed until %(due)s.") % {
                "due": formats.date_format(timezone.localtime(task.due_at), "DATETIME_FORMAT")
            }
            if request.htmx:
                return _row(request, task, done=done)
            messages.success(request, done)
            return redirect(_back_url(request, task))
        form.add_error(None, error)
    if request.htmx:
        return _row(request, task, snooze_form=form, error=error)
    return render(
        request,
        "careplans/task_action.html",
        {"form": form, "task": task, "action": _("Snooze"), "back_url": _back_url(request, task)},
    )


@require_http_methods(["GET", "POST"])
def task_transition(request: HttpRequest, pk: int, target: str) -> HttpResponse:
    """Accept, start, hold, fail, cancel or reject a task (completing has its own page)."""
    task = access_task(request.user, pk, perm="careplans.change_task")
    if target not in TASK_ACTIONS:
        raise Http404
    form = ReasonForm(
        request.POST or None,
        initial={"version": task.version},
        reason_required=target in transitions.TASK.reason_required,
    )
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            transitions.task_transition(
                task=task,
                by=request.user,
                target=target,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
            messages.success(
                request, _("Task is now %(status)s.") % {"status": TaskStatus(target).label.lower()}
            )
            return redirect(_back_url(request, task))
    return render(
        request,
        "careplans/transition.html",
        {
            "form": form,
            "patient": task.patient,
            "subject": task.description,
            "current": task.get_status_display(),
            "action": TASK_ACTIONS[target],
            "back_url": _back_url(request, task),
            "next": request.GET.get("next", ""),
        },
    )


@require_GET
def my_tasks(request: HttpRequest) -> HttpResponse:
    """The signed-in user's open tasks: overdue, due today, upcoming."""
    now = timezone.now()
    data = request.GET.copy()
    data.setdefault("assignee", str(request.user.pk))
    filterset = TaskFilter(
        data, queryset=tasks_visible_to(request.user).open(), user=request.user, now=now
    )
    assignee_id = filterset.form.cleaned_data.get("assignee") if filterset.is_valid() else None
    assignee = filterset.staff.get(assignee_id)
    # An assignee outside the user's teams is refused by the filter: show their own then.
    queryset = filterset.qs if filterset.is_valid() else None
    tasks = my_tasks_of(request.user, now=now, queryset=queryset, page=request.GET.get("page"))
    groups = [
        ("overdue", _("Overdue"), tasks.overdue),
        ("today", _("Due today"), tasks.today),
        ("upcoming", _("Upcoming"), tasks.upcoming),
    ]
    rows = []
    for key, label, group in groups:
        prepare_task_rows(group, user=request.user, now=now)
        rows.append({"key": key, "label": label, "tasks": group, "total": tasks.totals[key]})
    page_query = request.GET.copy()
    page_query.pop("page", None)
    return render(
        request,
        "careplans/my_tasks.html",
        {
            "filter": filterset,
            "someone_else": assignee if assignee and assignee != request.user else None,
            "groups": rows,
            "count": tasks.count,
            "page": tasks.page,
            "page_query": page_query.urlencode(),
            # Actions come back to this list, filters included (ids only in the query).
            "next": request.get_full_path(),
        },
    )
