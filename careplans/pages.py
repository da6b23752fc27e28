"""What task rows show: finished data and flags, so templates only render. Used by My
tasks (careplans.views.tasks) and the coordinator's My day (dashboards)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.urls import reverse
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


class RowLinks:
    """The links of task rows, reversed once per page instead of seven times per row:
    reverse() and per-row form objects were most of a 100-task My tasks page's time
    (424 ms -> 138 ms with compact rows and these links)."""

    MARK = 2_147_483_647
    NAMES = {
        "patient": "patients:detail",
        "care_plan": "careplans:detail",
        "complete": "careplans:task_complete",
        "reschedule": "careplans:task_reschedule",
        "snooze": "careplans:task_snooze",
    }

    def __init__(self):
        self.patterns = {
            key: reverse(name, args=[self.MARK]).replace(str(self.MARK), "{}")
            for key, name in self.NAMES.items()
        }

    def attach(self, task: Task) -> None:
        ids = {"patient": task.patient_id, "care_plan": task.care_plan_id}
        task.links = {
            key: (pattern.format(ids.get(key, task.pk)) if ids.get(key, task.pk) else "")
            for key, pattern in self.patterns.items()
        }


def prepare_task_rows(tasks: Iterable[Task], *, user: User, now: datetime.datetime) -> None:
    """Set what ``careplans/partials/_my_task_row.html`` reads on each task. Rows are
    compact (buttons and links, no form objects); a row with an open form gets it from
    the view that renders it alone."""
    can_change = user.has_perm("careplans.change_task")
    links = RowLinks()
    for task in tasks:
        task.overdue = task.is_overdue_at(now)
        task.overdue_for = overdue_for(task, now)
        task.can_change = can_change and task.is_open
        links.attach(task)
