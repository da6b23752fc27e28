"""Kept dashboards (dashboards/freshness.py): drawn once, served until a write to the
user's teams, whatever path the write takes; never shared between users or sessions."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careplans.models import Task
from dashboards import freshness
from dashboards.models import TeamChange
from referrals.models import Organization
from tests.careplans.factories import CarePlanFactory, TaskFactory
from tests.factories import PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

MY_DAY = reverse("dashboards:my_day")


@pytest.fixture
def overdue_task(patient, coordinator):
    plan = CarePlanFactory(patient=patient, author=coordinator)
    return TaskFactory(
        patient=patient,
        care_plan=plan,
        assignee=coordinator,
        description="Call the pharmacy",
        due_at=timezone.now() - datetime.timedelta(days=2),
    )


def _draws(client, url=MY_DAY) -> tuple[str, int]:
    """The page, and how many queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def _warm(client, url=MY_DAY) -> str:
    client.get(url)  # the first visit sets the CSRF cookie, which the kept page's forms carry
    page, _count = _draws(client, url)
    return page


def test_a_kept_dashboard_is_served_without_reading_the_rows(coordinator_client, overdue_task):
    first = _warm(coordinator_client)
    page, count = _draws(coordinator_client)
    # The page's head carries a CSRF token masked afresh; the kept body is the same bytes.
    body = first[first.index("<main") :]
    assert "Call the pharmacy" in body and page[page.index("<main") :] == body
    # session, user, roles, generation, bell, audit row: none of the sections' queries
    assert count <= 7


def test_a_bulk_update_that_sends_no_signal_is_seen(coordinator_client, overdue_task):
    assert "Call the pharmacy" in _warm(coordinator_client)
    Task.objects.filter(pk=overdue_task.pk).update(description="Book the interpreter")
    page, _count = _draws(coordinator_client)
    assert "Book the interpreter" in page and "Call the pharmacy" not in page


def test_raw_sql_is_seen(coordinator_client, overdue_task):
    _warm(coordinator_client)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE careplans_task SET description = %s WHERE id = %s",
            ["Raw title", overdue_task.pk],
        )
    assert "Raw title" in _draws(coordinator_client)[0]


def test_another_teams_writes_keep_the_page(coordinator_client, overdue_task, patient_b):
    _warm(coordinator_client)
    TaskFactory(patient=patient_b, assignee=patient_b.primary_coordinator)
    _page, count = _draws(coordinator_client)
    assert count <= 7


def test_a_user_taken_off_a_team_no_longer_sees_its_patients(
    coordinator_client, coordinator, overdue_task, team_a, team_b
):
    from accounts.models import TeamMembership

    TeamMembership.objects.get_or_create(user=coordinator, team=team_b)
    PatientFactory(care_team=team_b)  # team B's change is now the newest of the two
    assert "Call the pharmacy" in _warm(coordinator_client)
    TeamMembership.objects.filter(user=coordinator, team=team_a).delete()
    assert "Call the pharmacy" not in _draws(coordinator_client)[0]


def test_a_directory_change_reaches_every_team(coordinator_client, overdue_task):
    _warm(coordinator_client)
    Organization.objects.create(name="Food bank")
    _page, count = _draws(coordinator_client)
    assert count > 7


def test_moving_a_patient_between_teams_changes_both(patient, team_a, team_b):
    before = {t: _newest(t) for t in (team_a.pk, team_b.pk)}
    type(patient).objects.filter(pk=patient.pk).update(care_team=team_b)
    assert all(_newest(t) > before[t] for t in before)


def _newest(team_id: int) -> int:
    return (
        TeamChange.objects.filter(team_id=team_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
        or 0
    )


def test_one_statement_writes_one_row_per_team(team_a, coordinator, case_manager):
    PatientFactory.create_batch(
        5, care_team=team_a, primary_coordinator=coordinator, case_manager=case_manager
    )
    newest = _newest(team_a.pk)
    from patients.models import Patient

    Patient.objects.filter(care_team=team_a).update(risk_level="high")
    assert TeamChange.objects.filter(id__gt=newest).count() == 1


def test_users_and_sessions_never_share_a_page(client, coordinator, team_a, overdue_task):
    from accounts.roles import Role
    from tests.factories import UserFactory

    colleague = UserFactory(username="coord-a2", role=Role.COORDINATOR, teams=[team_a])
    client.force_login(coordinator)
    assert "Call the pharmacy" in _warm(client)
    client.force_login(colleague)  # a new session, a new CSRF secret
    assert "Call the pharmacy" not in _warm(client)


def test_the_kept_forms_carry_a_valid_csrf_token(coordinator, overdue_task):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(coordinator)
    _warm(browser)
    page, count = _draws(browser)
    assert count <= 7
    token = page.split('name="csrfmiddlewaretoken" value="', 2)[2].split('"', 1)[0]
    response = browser.post(
        reverse("careplans:task_complete", args=[overdue_task.pk]),
        {
            "csrfmiddlewaretoken": token,
            "next": MY_DAY,
            f"task-{overdue_task.pk}-version": overdue_task.version,
        },
    )
    assert response.status_code in (200, 302)
    overdue_task.refresh_from_db()
    assert overdue_task.status == "completed"


def test_the_minute_turns_the_key(coordinator_client, overdue_task, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    _warm(coordinator_client)
    time_machine.shift(datetime.timedelta(minutes=1))
    assert _draws(coordinator_client)[1] > 7


def test_the_caseload_review_is_kept_for_five_minutes_of_clock(
    client, case_manager, overdue_task, time_machine
):
    from dashboards.views import CASELOAD_CLOCK_MINUTES

    caseload = reverse("dashboards:caseload")
    client.force_login(case_manager)
    # Half a second into one of this user's periods (they start at an offset per user).
    period = 60 * CASELOAD_CLOCK_MINUTES
    now = timezone.now().timestamp()
    into = (now + (case_manager.pk * 7919) % period) % period
    time_machine.move_to(datetime.datetime.fromtimestamp(now - into + period + 0.5, datetime.UTC))
    time_machine.move_to(timezone.now(), tick=False)
    _warm(client, caseload)
    kept = _draws(client, caseload)[1]
    time_machine.shift(datetime.timedelta(minutes=CASELOAD_CLOCK_MINUTES - 1))
    # Still kept: at most the session's idle clock is written (accounts.middleware).
    assert _draws(client, caseload)[1] <= kept + 3
    time_machine.shift(datetime.timedelta(minutes=1))
    # The period turned: drawn again, the sections' ten queries with it.
    assert _draws(client, caseload)[1] >= kept + 10


def test_users_periods_turn_at_different_seconds(time_machine):
    minute = (timezone.now().timestamp() // 60 + 1) * 60
    time_machine.move_to(datetime.datetime.fromtimestamp(minute + 30, datetime.UTC), tick=False)
    periods = {freshness.clock_period(user_pk, 1) for user_pk in range(1, 200)}
    assert len(periods) == 2  # half a minute in, some users' minute has turned, some not


def test_prune_keeps_each_teams_newest(team_a, team_b, time_machine):
    time_machine.move_to(timezone.now())
    for team in (team_a, team_b, team_a, team_b):
        TeamChange.objects.create(team_id=team.pk)
    newest = {t: _newest(t) for t in (team_a.pk, team_b.pk)}
    time_machine.shift(datetime.timedelta(hours=1))
    assert freshness.prune() >= 2
    assert {t: _newest(t) for t in newest} == newest


def test_off_by_setting(coordinator_client, overdue_task, settings):
    settings.CAREHUB_DASHBOARD_CACHE = False
    _warm(coordinator_client)
    assert _draws(coordinator_client)[1] > 7


def test_a_kept_dashboard_still_puts_its_patients_in_their_trail(
    coordinator_client, overdue_task, patient
):
    from audit.models import AuditEvent

    _warm(coordinator_client)
    since = AuditEvent.objects.order_by("-pk").first().pk
    page, count = _draws(coordinator_client)  # from the cache: no section's query ran
    assert "Call the pharmacy" in page and count <= 7
    row = AuditEvent.objects.get(pk__gt=since)
    assert row.route == "dashboards:my_day" and row.patient_id == patient.pk
