"""The dashboards in a real browser, as a new user would click them (issue 6).

- A coordinator signs in, lands on My day, opens a patient, starts a care plan with a
  goal, adds a task, sends a referral, records the response and completes a follow-up
  from the dashboard.
- A case manager signs in, opens the caseload review, drills down into a coordinator's
  overdue list and reassigns a patient.
- The screenshots of both dashboards in README.md, taken on the demo data.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.roles import Role
from careplans.models import CarePlan, Goal, Task, TaskStatus
from patients.models import PatientEvent, PatientEventKind
from referrals.models import Referral, ReferralStatus
from tests.browser.conftest import SCREENSHOTS
from tests.careplans.factories import TaskFactory
from tests.factories import PatientFactory, UserFactory
from tests.referrals.factories import ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_works_through_the_day(page, sign_in, coordinator, team_a):
    patient = PatientFactory(
        care_team=team_a,
        primary_coordinator=coordinator,
        given_name="Lucia",
        family_name="Fernandez",
    )
    follow_up = TaskFactory(
        patient=patient, assignee=coordinator, description="Call Lucia to check in",
        due_at=timezone.now() - datetime.timedelta(days=3, hours=2),
    )  # fmt: skip
    ServiceFactory(name="Grocery delivery", organization__name="Valley Food Bank")

    sign_in(coordinator)
    page.get_by_role("heading", name="My day").wait_for()
    overdue = page.locator("#overdue")
    assert "Call Lucia to check in" in overdue.inner_text()
    assert "overdue 3\xa0days" in overdue.inner_text()

    # Opens the patient from the overdue row.
    overdue.get_by_role("link", name="Lucia Fernandez").click()
    page.get_by_role("heading", name="Lucia Fernandez").wait_for()

    # Starts a care plan with a goal.
    page.get_by_role("link", name="Start a care plan").click()
    page.get_by_label("Title").fill("Diabetes care")
    page.get_by_label("Medical needs").fill("Type 2 diabetes not well controlled")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Diabetes care").wait_for()
    page.get_by_role("link", name="Add goal").click()
    page.get_by_role("textbox", name="Goal", exact=True).fill("Bring HbA1c below 7.5")
    page.get_by_label("Category").select_option("medical")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Bring HbA1c below 7.5").first.wait_for()
    plan = CarePlan.objects.get(patient=patient)
    assert Goal.objects.filter(care_plan=plan, description="Bring HbA1c below 7.5").exists()

    # Adds a task to the plan.
    page.get_by_role("link", name="Add task").click()
    page.get_by_role("textbox", name="Task", exact=True).fill("Book the diabetes education class")
    page.get_by_role("button", name="Add task").click()
    page.get_by_text("Task added.").wait_for()
    assert Task.objects.filter(care_plan=plan, description__startswith="Book the").exists()

    # Sends a referral from the patient page, then records the service's answer.
    page.get_by_role("link", name="Lucia Fernandez").first.click()
    page.get_by_role("link", name="New referral").click()
    page.get_by_label("Grocery delivery").check()
    page.get_by_label("Reason for referral").fill("Not enough food at home since discharge.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("link", name="Send", exact=True).click()
    page.get_by_label("Reason to send without recorded consent").fill(
        "Urgent need; consent form to follow."
    )
    page.get_by_role("button", name="Send referral").click()
    page.get_by_role("button", name="Mark accepted").click()
    page.get_by_text("Accepted").first.wait_for()
    assert Referral.objects.get(patient=patient).status == ReferralStatus.ACCEPTED

    # Back on My day, completes the follow-up in place (htmx: the row answers).
    page.get_by_role("link", name="My day").click()
    row = page.locator(f"#task-{follow_up.pk}")
    row.get_by_role("button", name="Complete").click()
    page.locator(f"#task-{follow_up.pk}").get_by_text("Completed.").wait_for()
    assert "/my-day/" in page.url  # no page load: the row was swapped
    follow_up.refresh_from_db()
    assert follow_up.status == TaskStatus.COMPLETED


def test_coordinator_snoozes_a_follow_up_for_a_week(page, sign_in, coordinator, patient):
    task = TaskFactory(patient=patient, assignee=coordinator, overdue=True)
    sign_in(coordinator)
    page.locator(f"#task-{task.pk}").get_by_role("button", name="Snooze 1 week").click()
    page.locator(f"#task-{task.pk}").get_by_text("Snoozed until").wait_for()
    task.refresh_from_db()
    assert task.due_at > timezone.now() + datetime.timedelta(days=6)


def test_case_manager_reviews_drills_down_and_reassigns(
    page, sign_in, case_manager, coordinator, team_a
):
    colleague = UserFactory(
        username="coord-a2", first_name="Jordan", last_name="Reyes", role=Role.COORDINATOR,
        teams=[team_a],
    )  # fmt: skip
    patient = PatientFactory(
        care_team=team_a, primary_coordinator=coordinator, given_name="Noah", family_name="Jones"
    )
    late = TaskFactory(patient=patient, assignee=coordinator, overdue=True, description="Call Noah")

    sign_in(case_manager)
    page.get_by_role("heading", name="Caseload review").wait_for()
    row = page.get_by_role("row", name=str(coordinator))
    # The overdue tasks column: the third number of the coordinator's row.
    row.locator("td").nth(2).get_by_role("link").click()
    page.get_by_role("heading", name=f"Tasks of {coordinator}").wait_for()
    assert "Call Noah" in page.locator("#main").inner_text()

    page.get_by_role("link", name="Noah Jones").click()
    page.get_by_role("link", name="Reassign").click()
    page.get_by_label("New primary coordinator").select_option(str(colleague.pk))
    assert page.get_by_label("Move their open tasks to the new coordinator too").is_checked()
    page.get_by_label("Reason (shown in each patient's history)").fill("Balancing caseloads")
    page.get_by_role("button", name="Reassign").click()
    page.get_by_text("1 patient reassigned to Jordan Reyes.").wait_for()
    page.get_by_text("Coordinator changed").wait_for()

    patient.refresh_from_db()
    late.refresh_from_db()
    assert patient.primary_coordinator == colleague and late.assignee == colleague
    assert PatientEvent.objects.filter(patient=patient, kind=PatientEventKind.REASSIGNED).exists()


def _sign_in_demo(page, username):
    from patients.demo import DEMO_PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_screenshots_of_both_dashboards_on_the_demo_data(page, settings):
    """README.md shows these: the demo logins `coord` and `manager` after seed_demo."""
    call_command("seed_demo", patients=200, verbosity=0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    _sign_in_demo(page, "coord")
    page.get_by_role("heading", name="My day").wait_for()
    for key in ("overdue", "today", "awaiting", "goals", "no-plan"):
        assert page.locator(f"#{key} .badge").first.inner_text().strip() != "", key
    assert int(page.locator("#overdue h2 .badge").inner_text().split()[-1]) > 0
    page.screenshot(path=SCREENSHOTS / "my-day.png", full_page=True)

    page.context.clear_cookies()
    _sign_in_demo(page, "manager")
    page.get_by_role("heading", name="Caseload review").wait_for()
    assert page.locator(".caseload-table tbody tr").count() >= 2
    assert page.locator("svg.chart-svg").count() == 3
    page.screenshot(path=SCREENSHOTS / "caseload-review.png", full_page=True)
