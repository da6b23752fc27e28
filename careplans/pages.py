"""What task rows show: finished data and flags, so templates only render. Used by My
tasks (careplans.views.tasks) and the coordinator's My day (dashboards)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone
from django.utils.timesince import timesince

from accounts.models import User
from careplans.forms import TaskCompleteForm, TaskRescheduleForm, TaskSnoozeForm
from careplans.models import Task


def task_forms(task: Task, data=None) -> dict:
    """The in-place forms of a task row, prefixed per task so ids stay unique on a list."""
    prefix = f"task-{task.pk}"
    return {
        "complete_form": TaskCompleteForm(data, prefix=prefix, initial={"version": task.version}),
        "reschedule_form": TaskRescheduleForm(
            data,
            prefix=prefix,
            initial={"version": task.version, "due_at": timezone.localtime(task.due_at)},
        ),
        # Its own prefix: the row's other forms already carry a "task-N-version" input.
        "snooze_form": TaskSnoozeForm(
            data, prefix=f"snooze-{task.pk}", initial={"version": task.version}
        ),
    }


def overdue_for(task: Task, now: datetime.datetime) -> str:
    """How late an open task is, in its largest unit ("3 days", "5 hours"); "" if it is not."""
    if not task.is_overdue_at(now):
        return ""
    return timesince(task.due_at, now, depth=1)


def prepare_task_rows(tasks: Iterable[Task], *, user: User, now: datetime.datetime) -> None:
    """Set what ``careplans/partials/_my_task_row.html`` reads on each task."""
    can_change = user.has_perm("careplans.change_task")
    for task in tasks:
        task.overdue = task.is_overdue_at(now)
        task.overdue_for = overdue_for(task, now)
        task.can_change = can_change and task.is_open
        task.forms = task_forms(task) if task.can_change else {}
