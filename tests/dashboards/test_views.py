"""The dashboards' pages: who lands where, what they may open, the in-place actions, the
drill-downs, the export and reassigning."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditAction, AuditEvent
from careplans.models import TaskStatus
from patients.models import PatientEvent, PatientEventKind, RiskLevel
from tests.careplans.factories import CarePlanFactory, TaskFactory
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(team_a):
    return UserFactory(username="coord-a2", role=Role.COORDINATOR, teams=[team_a])


# --- Landing and navigation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "landing"),
    [
        ("coordinator", "dashboards:my_day"),
        ("case_manager", "dashboards:caseload"),
        ("admin_user", "admin:index"),
    ],
)
def test_each_user_lands_on_their_dashboard(client, request, persona, landing):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse(landing)


def test_navigation_shows_the_dashboards_each_may_open(client, coordinator, case_manager):
    client.force_login(coordinator)
    page = client.get(reverse("dashboards:my_day")).content.decode()
    assert reverse("dashboards:my_day") in page and reverse("dashboards:caseload") not in page
    client.force_login(case_manager)
    page = client.get(reverse("dashboards:my_day")).content.decode()
    assert reverse("dashboards:my_day") in page and reverse("dashboards:caseload") in page


def test_coordinator_cannot_open_the_caseload_review(client, coordinator):
    client.force_login(coordinator)
    for name in ("dashboards:caseload", "dashboards:caseload_export", "dashboards:reassign"):
        assert client.get(reverse(name)).status_code == 403


# --- My day --------------------------------------------------------------------------------


def test_my_day_shows_badges_and_links_rows(client, coordinator, patient):
    task = TaskFactory(
        patient=patient, assignee=coordinator,
        due_at=timezone.now() - datetime.timedelta(days=3, hours=1),
    )  # fmt: skip
    client.force_login(coordinator)
    page = client.get(reverse("dashboards:my_day")).content.decode()
    assert "overdue 3\xa0days" in page
    assert reverse("patients:detail", args=[patient.pk]) in page
    assert reverse("careplans:task_snooze", args=[task.pk]) in page
    assert f'hx-post="{reverse("careplans:task_complete", args=[task.pk])}"' in page


def test_complete_from_my_day_with_htmx_answers_the_row(client, coordinator, patient):
    task = TaskFactory(patient=patient, assignee=coordinator, overdue=True)
    client.force_login(coordinator)
    response = client.post(
        reverse("careplans:task_complete", args=[task.pk]),
        {f"task-{task.pk}-version": task.version, "next": reverse("dashboards:my_day")},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "<html" not in response.content.decode() and "Completed." in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED


def test_snooze_without_javascript_redirects_back(client, coordinator, patient):
    task = TaskFactory(patient=patient, assignee=coordinator, overdue=True)
    client.force_login(coordinator)
    response = client.post(
        reverse("careplans:task_snooze", args=[task.pk]),
        {
            f"snooze-{task.pk}-version": task.version,
            f"snooze-{task.pk}-days": "7",
            "next": reverse("dashboards:my_day"),
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("dashboards:my_day")
    task.refresh_from_db()
    assert task.due_at > timezone.now() + datetime.timedelta(days=6)
    # The page without JavaScript asks the same question with labelled radios.
    page = client.get(reverse("careplans:task_snooze", args=[task.pk])).content.decode()
    assert "Snooze for" in page and 'type="radio"' in page


def test_snooze_with_htmx_answers_the_row(client, coordinator, patient):
    task = TaskFactory(patient=patient, assignee=coordinator, overdue=True)
    client.force_login(coordinator)
    response = client.post(
        reverse("careplans:task_snooze", args=[task.pk]),
        {f"snooze-{task.pk}-version": task.version, f"snooze-{task.pk}-days": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert "Snoozed until" in response.content.decode()
    stale = client.post(
        reverse("careplans:task_snooze", args=[task.pk]),
        {f"snooze-{task.pk}-version": task.version, f"snooze-{task.pk}-days": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert "Someone else saved" in stale.content.decode()


# --- Caseload review ---------------------------------------------------------------------------


def test_caseload_review_renders_table_charts_and_links(client, case_manager, coordinator, patient):
    PatientFactory(
        care_team=patient.care_team, primary_coordinator=coordinator, risk_level=RiskLevel.HIGH
    )
    TaskFactory(patient=patient, assignee=coordinator, overdue=True)
    client.force_login(case_manager)
    response = client.get(
        reverse("dashboards:caseload"), {"period": "30", "sort": "-overdue_tasks"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f"?assignee={coordinator.pk}&amp;overdue=on" in page
    assert f"status=active&amp;care_plan=none&amp;primary_coordinator={coordinator.pk}" in page
    assert 'aria-sort="descending"' in page
    assert page.count("<svg") == 2  # workload and risk mix; no referral yet for the trend
    assert 'role="img"' in page and "Figures as a table" in page


def test_caseload_export(client, case_manager, coordinator, patient):
    TaskFactory(patient=patient, assignee=coordinator, overdue=True)
    client.force_login(case_manager)
    response = client.get(reverse("dashboards:caseload_export"), {"sort": "-overdue_tasks"})
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["coordinator", "coordinator_id", "active_patients"]
    assert rows[1][1] == str(coordinator.pk) and rows[1][6] == "1"
    assert AuditEvent.objects.filter(actor=case_manager, action=AuditAction.EXPORT).exists()


# --- Drill-downs --------------------------------------------------------------------------


def test_patient_list_drill_downs(client, case_manager, coordinator, team_a):
    with_plan = PatientFactory(care_team=team_a, primary_coordinator=coordinator)
    without = PatientFactory(care_team=team_a, primary_coordinator=coordinator)
    late = PatientFactory(care_team=team_a, primary_coordinator=coordinator)
    CarePlanFactory(patient=with_plan, active=True)
    CarePlanFactory(
        patient=late,
        active=True,
        next_review_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    TaskFactory(patient=without, assignee=coordinator, overdue=True)
    client.force_login(case_manager)

    def listed(**query):
        page = client.get(reverse("patients:list"), query).context["page"]
        return {p.pk for p in page}

    assert listed(primary_coordinator=coordinator.pk, care_plan="none") == {without.pk}
    assert listed(primary_coordinator=coordinator.pk, care_plan="review_overdue") == {late.pk}
    assert listed(primary_coordinator=coordinator.pk, overdue="on") == {without.pk}


def test_task_list_of_a_team_member_and_overdue_only(client, case_manager, coordinator, patient):
    late = TaskFactory(patient=patient, assignee=coordinator, overdue=True)
    TaskFactory(patient=patient, assignee=coordinator)
    TaskFactory(patient=patient, assignee=case_manager, overdue=True)
    client.force_login(case_manager)
    response = client.get(
        reverse("careplans:my_tasks"), {"assignee": coordinator.pk, "overdue": "on"}
    )
    shown = [t.pk for group in response.context["groups"] for t in group["tasks"]]
    assert shown == [late.pk]
    assert f"Tasks of {coordinator}" in response.content.decode()


def test_task_list_refuses_someone_outside_the_users_teams(
    client, coordinator, coordinator_b, patient
):
    mine = TaskFactory(patient=patient, assignee=coordinator)
    client.force_login(coordinator)
    response = client.get(reverse("careplans:my_tasks"), {"assignee": coordinator_b.pk})
    shown = [t.pk for group in response.context["groups"] for t in group["tasks"]]
    assert shown == [mine.pk]


# --- Reassign -------------------------------------------------------------------------------------


def test_reassign_one_patient_from_the_patient_page(
    client, case_manager, coordinator, colleague, patient
):
    task = TaskFactory(patient=patient, assignee=coordinator)
    client.force_login(case_manager)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert f"{reverse('dashboards:reassign')}?patient={patient.pk}" in page
    form = client.get(reverse("dashboards:reassign"), {"patient": patient.pk})
    assert form.status_code == 200
    assert f'id="reassign-{patient.pk}" checked' in form.content.decode()
    response = client.post(
        reverse("dashboards:reassign"),
        {
            "patient": patient.pk,
            "patients": [patient.pk],
            f"version-{patient.pk}": patient.version,
            "to": colleague.pk,
            "move_open_tasks": "on",
            "reason": "Holiday cover",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk])
    task.refresh_from_db()
    assert task.assignee == colleague
    assert PatientEvent.objects.get(kind=PatientEventKind.REASSIGNED).reason.startswith("Holiday")


def test_reassign_many_of_a_coordinator(client, case_manager, coordinator, colleague, team_a):
    patients = PatientFactory.create_batch(3, care_team=team_a, primary_coordinator=coordinator)
    client.force_login(case_manager)
    listed = client.get(reverse("dashboards:reassign"), {"coordinator": coordinator.pk})
    assert {p.pk for p in listed.context["candidates"].patients} == {p.pk for p in patients}
    data = {
        "coordinator": coordinator.pk,
        "patients": [p.pk for p in patients[:2]],
        "to": colleague.pk,
        **{f"version-{p.pk}": p.version for p in patients},
    }
    response = client.post(reverse("dashboards:reassign"), data)
    assert response.status_code == 302 and response["Location"] == reverse("dashboards:caseload")
    assert sorted(
        p.primary_coordinator_id
        for p in type(patients[0]).objects.filter(pk__in=[p.pk for p in patients])
    ) == sorted([colleague.pk, colleague.pk, coordinator.pk])


def test_reassign_refusals_show_on_the_form(
    client, case_manager, coordinator, coordinator_b, patient
):
    client.force_login(case_manager)
    response = client.post(
        reverse("dashboards:reassign"),
        {
            "patient": patient.pk,
            "patients": [patient.pk],
            f"version-{patient.pk}": 99,
            "to": coordinator.pk,
        },
    )
    assert response.status_code == 200
    assert "already coordinates" in response.content.decode()


def test_reassign_names_more_patients_than_the_page_shows(
    client, case_manager, coordinator, team_a, patient_b, monkeypatch
):
    monkeypatch.setattr("dashboards.selectors.reassign.SHOWN", 2)
    named = PatientFactory.create_batch(3, care_team=team_a, primary_coordinator=coordinator)
    client.force_login(case_manager)
    page = client.get(reverse("dashboards:reassign"), {"patient": [p.pk for p in named]})
    assert page.status_code == 200 and page.context["candidates"].truncated
    # One of another team among them: it does not exist for this user.
    outside = client.get(
        reverse("dashboards:reassign"), {"patient": [p.pk for p in named] + [patient_b.pk]}
    )
    assert outside.status_code == 404


def test_reassign_outside_scope_is_404(client, case_manager, patient_b):
    client.force_login(case_manager)
    assert client.get(reverse("dashboards:reassign"), {"patient": patient_b.pk}).status_code == 404


# --- Admin health panel ---------------------------------------------------------------------------


def test_admin_index_shows_system_health(client, admin_user):
    from carehub import health

    @health.register_status(order=90)
    def broken():
        raise RuntimeError("boom")

    try:
        client.force_login(admin_user)
        page = client.get(reverse("admin:index")).content.decode()
    finally:
        health._status_functions[:] = [
            item for item in health._status_functions if item[1] is not broken
        ]
    assert "System health" in page and "Database" in page and "Task broker" in page
    assert "broken" in page and "check failed" in page
