"""The care plan, goal and task pages with the three personas: coordinator of team A,
case manager of team A, coordinator of team B (the outsider, who gets 404 everywhere)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from careplans.models import CarePlan, Goal, GoalProgress, StatusChange, Task
from careplans.transitions import OpenWork
from tests.careplans.factories import CarePlanFactory, GoalFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(patient, coordinator):
    return CarePlanFactory(patient=patient, author=coordinator, active=True)


@pytest.fixture
def goal(plan):
    return GoalFactory(care_plan=plan)


@pytest.fixture
def task(patient, plan, coordinator):
    return TaskFactory(patient=patient, care_plan=plan, assignee=coordinator)


def _urls(patient, plan, goal, task):
    return [
        reverse("careplans:create", args=[patient.pk]),
        reverse("careplans:detail", args=[plan.pk]),
        reverse("careplans:edit", args=[plan.pk]),
        reverse("careplans:transition", args=[plan.pk, "on-hold"]),
        reverse("careplans:review", args=[plan.pk]),
        reverse("careplans:print", args=[plan.pk]),
        reverse("careplans:goal_create", args=[plan.pk]),
        reverse("careplans:goal_edit", args=[goal.pk]),
        reverse("careplans:goal_transition", args=[goal.pk, "accepted"]),
        reverse("careplans:goal_progress", args=[goal.pk]),
        reverse("careplans:task_create", args=[patient.pk]),
        reverse("careplans:task_complete", args=[task.pk]),
        reverse("careplans:task_reschedule", args=[task.pk]),
        reverse("careplans:task_transition", args=[task.pk, "cancelled"]),
    ]


def test_outside_the_team_everything_is_404(client, coordinator_b, patient, plan, goal, task):
    client.force_login(coordinator_b)
    for url in _urls(patient, plan, goal, task):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"version": 1, "reason": "x"}).status_code == 404, url
    for record in (plan, goal, task):
        before = record.status
        record.refresh_from_db()
        assert record.status == before


def test_outsiders_do_not_see_my_tasks_of_other_teams(client, coordinator_b, task):
    client.force_login(coordinator_b)
    response = client.get(reverse("careplans:my_tasks"))
    assert task.description not in response.content.decode()


def test_a_missing_record_is_404_as_well(coordinator_client):
    assert coordinator_client.get(reverse("careplans:detail", args=[999999])).status_code == 404
    assert coordinator_client.get(reverse("careplans:goal_edit", args=[999999])).status_code == 404


def test_the_team_opens_every_page(client, coordinator, case_manager, patient, plan, goal, task):
    client.force_login(case_manager)
    for url in _urls(patient, plan, goal, task):
        assert client.get(url).status_code == 200, url
    client.force_login(coordinator)
    for url in _urls(patient, plan, goal, task):
        expected = 403 if url.endswith("/review/") else 200
        assert client.get(url).status_code == expected, url


def test_an_unknown_move_is_404(coordinator_client, plan):
    url = reverse("careplans:transition", args=[plan.pk, "sideways"])
    assert coordinator_client.get(url).status_code == 404


def test_start_activate_and_complete_a_plan(coordinator_client, patient, coordinator):
    response = coordinator_client.post(
        reverse("careplans:create", args=[patient.pk]),
        {
            "title": "Diabetes and housing",
            "description": "Keep blood sugar steady, find stable housing.",
            "period_start": timezone.localdate().isoformat(),
            "medical_needs": "Blood sugar control\nFoot care",
            "social_needs": "Housing",
            "internal_notes": "",
        },
    )
    plan = CarePlan.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "careplans:detail", args=[plan.pk]
    )
    assert plan.status == "draft" and plan.author == coordinator
    assert plan.needs.count() == 3

    url = reverse("careplans:transition", args=[plan.pk, "active"])
    assert coordinator_client.post(url, {"version": plan.version}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "active"

    goal = GoalFactory(care_plan=plan)
    url = reverse("careplans:transition", args=[plan.pk, "completed"])
    page = coordinator_client.get(url).content.decode()
    assert "open goals or tasks" in page and 'name="open_work"' in page
    response = coordinator_client.post(url, {"version": plan.version, "reason": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    response = coordinator_client.post(
        url, {"version": plan.version, "open_work": "cancel", "reason": "Goals met"}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    goal.refresh_from_db()
    assert (plan.status, goal.status) == ("completed", "cancelled")


def test_an_invalid_move_shows_the_current_state_and_changes_nothing(coordinator_client, plan):
    url = reverse("careplans:transition", args=[plan.pk, "entered-in-error"])
    response = coordinator_client.post(url, {"version": plan.version, "reason": "Oops"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Cannot move from “Active”" in page and "“On hold”" in page
    plan.refresh_from_db()
    assert plan.status == "active"


def test_a_revoke_without_reason_is_refused(coordinator_client, plan):
    url = reverse("careplans:transition", args=[plan.pk, "revoked"])
    response = coordinator_client.post(url, {"version": plan.version, "reason": ""})
    assert response.status_code == 200
    plan.refresh_from_db()
    assert plan.status == "active"


def test_a_second_active_plan_is_refused_on_the_page(coordinator_client, patient, plan):
    draft = CarePlanFactory(patient=patient)
    response = coordinator_client.post(
        reverse("careplans:transition", args=[draft.pk, "active"]), {"version": draft.version}
    )
    assert "already has an active care plan" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_stale_edit_is_refused_with_a_message(coordinator_client, plan):
    url = reverse("careplans:edit", args=[plan.pk])
    stale_version = plan.version
    data = {
        "title": "Theirs",
        "period_start": plan.period_start.isoformat(),
        "version": stale_version,
    }
    assert coordinator_client.post(url, data).status_code == 302
    response = coordinator_client.post(url, {**data, "title": "Mine"})
    assert response.status_code == 200
    assert "Someone else saved this care plan" in response.content.decode()
    plan.refresh_from_db()
    assert plan.title == "Theirs"


def test_edit_form_carries_the_version(coordinator_client, plan, goal):
    for url, version in [
        (reverse("careplans:edit", args=[plan.pk]), plan.version),
        (reverse("careplans:goal_edit", args=[goal.pk]), goal.version),
    ]:
        page = coordinator_client.get(url).content.decode()
        assert f'type="hidden" name="version" value="{version}"' in page


def test_add_edit_and_move_a_goal_and_record_progress(coordinator_client, plan, coordinator):
    response = coordinator_client.post(
        reverse("careplans:goal_create", args=[plan.pk]),
        {"description": "HbA1c under 7", "category": "medical", "priority": "high-priority",
         "target_measure": "HbA1c", "target_value": "7", "target_unit": "%", "owner": coordinator.pk},
    )  # fmt: skip
    assert response.status_code == 302
    goal = Goal.objects.get()
    response = coordinator_client.post(
        reverse("careplans:goal_edit", args=[goal.pk]),
        {"description": "HbA1c under 7.5", "category": "medical", "priority": "high-priority",
         "target_measure": "HbA1c", "target_value": "7.5", "target_unit": "%", "version": goal.version},
    )  # fmt: skip
    assert response.status_code == 302
    for target in ("accepted", "active"):
        goal.refresh_from_db()
        url = reverse("careplans:goal_transition", args=[goal.pk, target])
        assert coordinator_client.post(url, {"version": goal.version}).status_code == 302
    response = coordinator_client.post(
        reverse("careplans:goal_progress", args=[goal.pk]),
        {"recorded_on": timezone.localdate().isoformat(), "achievement_status": "improving",
         "measured_value": "7.9", "note": "Better"},
    )  # fmt: skip
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.status == "active" and goal.description == "HbA1c under 7.5"
    assert GoalProgress.objects.get().measured_value == Decimal("7.9")
    page = coordinator_client.get(reverse("careplans:detail", args=[plan.pk])).content.decode()
    assert "Improving" in page and "7.90" in page


def test_add_a_task_without_a_plan(coordinator_client, patient, coordinator):
    due = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = coordinator_client.post(
        reverse("careplans:task_create", args=[patient.pk]),
        {
            "description": "Call the patient on Friday",
            "assignee": coordinator.pk,
            "due_at": due,
            "priority": "routine",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("patients:detail", args=[patient.pk])
    task = Task.objects.get()
    assert task.care_plan is None and task.created_by == coordinator


def test_complete_and_reschedule_without_javascript(coordinator_client, task):
    prefix = f"task-{task.pk}"
    my_tasks = reverse("careplans:my_tasks")
    new_due = (timezone.localtime() + datetime.timedelta(days=5)).replace(second=0, microsecond=0)
    response = coordinator_client.post(
        reverse("careplans:task_reschedule", args=[task.pk]),
        {
            f"{prefix}-due_at": new_due.strftime("%Y-%m-%dT%H:%M"),
            f"{prefix}-version": task.version,
            "next": my_tasks,
        },
    )
    assert response.status_code == 302 and response.url == my_tasks
    task.refresh_from_db()
    assert task.due_at == new_due
    response = coordinator_client.post(
        reverse("careplans:task_complete", args=[task.pk]),
        {
            f"{prefix}-note": "Done",
            f"{prefix}-version": task.version,
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("careplans:detail", args=[task.care_plan_id])
    task.refresh_from_db()
    assert task.status == "completed" and task.completion_note == "Done"


def test_complete_in_place_with_htmx_returns_the_row(coordinator_client, task):
    prefix = f"task-{task.pk}"
    response = coordinator_client.post(
        reverse("careplans:task_complete", args=[task.pk]),
        {f"{prefix}-note": "", f"{prefix}-version": task.version},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith(f'<li class="task-row" id="task-{task.pk}"')
    assert "Completed." in page and "<html" not in page
    task.refresh_from_db()
    assert task.status == "completed"


def test_a_stale_htmx_reschedule_shows_the_error_in_the_row(coordinator_client, task):
    prefix = f"task-{task.pk}"
    due = (timezone.localtime() + datetime.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = coordinator_client.post(
        reverse("careplans:task_reschedule", args=[task.pk]),
        {f"{prefix}-due_at": due, f"{prefix}-version": task.version + 1},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert "Someone else saved this task" in page and "<html" not in page
    before = task.due_at
    task.refresh_from_db()
    assert task.due_at == before


def test_my_tasks_pages_by_due_time_with_totals_over_every_page(
    coordinator_client, patient, coordinator, monkeypatch
):
    from careplans import selectors

    monkeypatch.setattr(selectors, "MY_TASKS_PAGE", 4)
    now = timezone.now()
    for day in range(1, 4):  # 3 overdue
        TaskFactory(patient=patient, assignee=coordinator, description=f"Late {day}",
                    due_at=now - datetime.timedelta(days=day))  # fmt: skip
    for day in range(2, 5):  # 3 upcoming
        TaskFactory(patient=patient, assignee=coordinator, description=f"Later {day}",
                    due_at=now + datetime.timedelta(days=day))  # fmt: skip
    url = reverse("careplans:my_tasks")

    first = coordinator_client.get(url).content.decode()
    assert "(6)" in first and 'Overdue <span class="count">(3)</span>' in first
    assert 'Upcoming <span class="count">(3)</span>' in first
    assert first.count('class="task-row') == 4 and "Page 1 of 2" in first
    assert all(f"Late {day}" in first for day in (1, 2, 3)) and "Later 2" in first

    second = coordinator_client.get(url, {"page": 2}).content.decode()
    assert second.count('class="task-row') == 2 and "Page 2 of 2" in second
    assert "Later 3" in second and "Later 4" in second and "Late 1" not in second
    assert "On another page." in second  # the overdue ones are on page 1


def test_my_tasks_groups_overdue_today_and_upcoming(
    coordinator_client, patient, coordinator, case_manager
):
    now = timezone.localtime()
    end_of_day = now.replace(hour=23, minute=59, second=0, microsecond=0)
    overdue = TaskFactory(
        patient=patient, assignee=coordinator, description="Late one", overdue=True
    )
    today = None
    if end_of_day > now + datetime.timedelta(minutes=1):
        today = TaskFactory(
            patient=patient, assignee=coordinator, description="Today one", due_at=end_of_day
        )
    upcoming = TaskFactory(patient=patient, assignee=coordinator, description="Later one",
                           due_at=now + datetime.timedelta(days=3))  # fmt: skip
    TaskFactory(patient=patient, assignee=case_manager, description="Not mine")
    TaskFactory(patient=patient, assignee=coordinator, description="Finished", completed=True)
    page = coordinator_client.get(reverse("careplans:my_tasks")).content.decode()
    assert "Not mine" not in page and "Finished" not in page
    overdue_at = page.index("Overdue")
    today_at = page.index("Due today")
    upcoming_at = page.index("Upcoming")
    assert overdue_at < page.index(overdue.description) < today_at
    if today:
        assert today_at < page.index(today.description) < upcoming_at
    assert upcoming_at < page.index(upcoming.description)
    # Compact rows: Complete in place, Reschedule opens its form in place (htmx GET).
    assert 'hx-post="' in page and f'id="id_task-{overdue.pk}-due_at"' not in page
    reschedule = reverse("careplans:task_reschedule", args=[overdue.pk])
    assert f'hx-get="{reschedule}"' in page
    opened = coordinator_client.get(reschedule, HTTP_HX_REQUEST="true").content.decode()
    assert f'id="id_task-{overdue.pk}-due_at"' in opened and "<html" not in opened


def test_the_patient_page_shows_plan_goals_tasks_and_timeline(
    coordinator_client, patient, plan, goal, task
):
    transitions_page = coordinator_client.get(reverse("patients:detail", args=[patient.pk]))
    page = transitions_page.content.decode()
    assert plan.title in page and goal.description in page and task.description in page
    assert "Care plan, goal and task timeline" in page
    complete = reverse("careplans:task_complete", args=[task.pk])
    assert f'{complete}?next=/patients/{patient.pk}/"' in page
    # Newest first: the task was created after the plan was activated.
    changes = list(StatusChange.objects.filter(patient=patient).values_list("pk", flat=True))
    assert changes == sorted(changes, reverse=True)
    assert page.index(f"<q>{task.description}</q>") < page.index(f"<q>{plan.title}</q>")


def test_the_nav_links_to_my_tasks(coordinator_client):
    page = coordinator_client.get(reverse("patients:list")).content.decode()
    assert reverse("careplans:my_tasks") in page


def test_a_case_manager_records_a_review_and_overdue_shows(client, case_manager, patient):
    plan = CarePlanFactory(patient=patient, active=True,
                           next_review_date=timezone.localdate() - datetime.timedelta(days=1))  # fmt: skip
    client.force_login(case_manager)
    detail = reverse("careplans:detail", args=[plan.pk])
    assert "Review overdue" in client.get(detail).content.decode()
    response = client.post(
        reverse("careplans:review", args=[plan.pk]),
        {"note": "Reviewed with the patient", "version": plan.version,
         "next_review_date": (timezone.localdate() + datetime.timedelta(days=60)).isoformat()},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(detail).content.decode()
    assert "Review overdue" not in page and "Reviewed with the patient" in page


def test_admin_lists_and_opens_care_plans(client, admin_user, plan, goal, task):
    client.force_login(admin_user)
    for url in [
        reverse("admin:careplans_careplan_changelist") + "?status__exact=active&review=overdue",
        reverse("admin:careplans_careplan_change", args=[plan.pk]),
        reverse("admin:careplans_task_changelist"),
        reverse("admin:careplans_goal_change", args=[goal.pk]),
        reverse("admin:careplans_statuschange_changelist"),
    ]:
        assert client.get(url).status_code == 200, url


def test_goals_kept_open_on_a_completed_plan_can_still_be_closed(coordinator_client, plan):
    goal = GoalFactory(care_plan=plan, active=True)
    from careplans import transitions

    transitions.careplan_transition(
        care_plan=plan, by=plan.author, target="completed", open_work="keep"
    )
    page = coordinator_client.get(reverse("careplans:detail", args=[plan.pk])).content.decode()
    assert reverse("careplans:goal_transition", args=[goal.pk, "completed"]) in page
    assert reverse("careplans:goal_create", args=[plan.pk]) not in page


# --- Form markup (accessibility) -------------------------------------------------------------


def broken_references(page: str) -> list[str]:
    """Labels tied to no input, and aria-describedby ids no element on the page has."""
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    described = [
        ref for refs in re.findall(r'aria-describedby="([^"]*)"', page) for ref in refs.split()
    ]
    return ['label for=""'] * page.count('<label for="">') + [
        f"aria-describedby={ref}" for ref in described if ref not in ids
    ]


def test_the_open_work_question_is_a_fieldset_named_by_its_legend(coordinator_client, plan, goal):
    """Radios have no one id a <label for> could name: the question is the group's legend."""
    url = reverse("careplans:transition", args=[plan.pk, "completed"])
    page = coordinator_client.get(url).content.decode()
    group = re.search(r'<fieldset class="field">\s*<legend>([^<]*)<.*?</fieldset>', page, re.S)
    assert group and group[1].strip() == "Open goals and tasks of this plan"
    assert group[0].count('type="radio"') == len(OpenWork.choices)
    assert broken_references(page) == []

    page = coordinator_client.post(url, {"version": plan.version}).content.decode()
    assert '<fieldset class="field field-error" aria-describedby="id_open_work_error">' in page
    assert broken_references(page) == []


def test_the_snooze_page_asks_for_how_long_in_a_fieldset(coordinator_client, task):
    page = coordinator_client.get(reverse("careplans:task_snooze", args=[task.pk]))
    page = page.content.decode()
    assert re.search(r'<fieldset class="field">\s*<legend>Snooze for\b', page)
    assert broken_references(page) == []


def test_help_and_errors_carry_the_ids_their_inputs_name(coordinator_client, patient):
    url = reverse("careplans:task_create", args=[patient.pk])
    page = coordinator_client.get(url).content.decode()
    assert 'aria-describedby="id_repeat_every_helptext"' in page
    assert broken_references(page) == []
    page = coordinator_client.post(url, {"description": ""}).content.decode()
    assert 'aria-invalid="true"' in page
    assert broken_references(page) == []
