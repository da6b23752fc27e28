"""Accessibility of the main pages: axe-core finds no serious or critical violation, every
form field has a label, and the main actions are reachable with the keyboard.

axe-core comes from the axe-playwright-python package (axe.min.js, served from disk: no
network at test time). The strict CSP (script-src 'self') would refuse the injected
script, so only the contexts that run axe bypass it.
"""

from __future__ import annotations

import datetime
from importlib.resources import files

import pytest
from django.utils import timezone

from accounts.roles import Role
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - same browser settings
from tests.careplans.factories import CarePlanFactory, GoalFactory, TaskFactory
from tests.factories import TEST_PASSWORD, PatientFactory, UserFactory
from tests.referrals.factories import ReferralFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = files("axe_playwright_python") / "axe.min.js"
BLOCKING = {"serious", "critical"}


@pytest.fixture
def axe_page(browser, live_server, settings):
    """A page whose context bypasses the CSP, for the axe runs only."""
    settings.DEBUG = True
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]


def unlabelled_fields(page) -> list[str]:
    """Visible inputs, selects and textareas without an accessible name."""
    return page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                          && !el.getAttribute('aria-labelledby'))
            .map(el => el.outerHTML.slice(0, 120))"""
    )


def broken_references(page) -> list[str]:
    """Labels tied to no input, and aria-describedby ids that name no element."""
    return page.evaluate(
        """() => [
            ...[...document.querySelectorAll('label[for=""]')]
                .map(el => 'label for="": ' + el.textContent.trim().slice(0, 60)),
            ...[...document.querySelectorAll('[aria-describedby]')].flatMap(el =>
                el.getAttribute('aria-describedby').split(/\\s+/)
                    .filter(id => id && !document.getElementById(id))
                    .map(id => 'aria-describedby names nothing: ' + id)),
        ]"""
    )


def tab_to(page, locator, limit: int = 120) -> None:
    """Press Tab from the top of the page until ``locator`` has the focus."""
    page.locator("body").focus()
    handle = locator.element_handle()
    for _press in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("el => document.activeElement === el", handle):
            return
    raise AssertionError(f"{locator} cannot be reached with the Tab key")


@pytest.fixture
def records(team_a, coordinator, case_manager):
    patient = PatientFactory(care_team=team_a, primary_coordinator=coordinator)
    plan = CarePlanFactory(patient=patient, author=coordinator, active=True)
    GoalFactory(
        care_plan=plan, active=True, target_date=timezone.localdate() + datetime.timedelta(days=5)
    )
    TaskFactory(patient=patient, care_plan=plan, assignee=coordinator, overdue=True)
    TaskFactory(patient=patient, assignee=coordinator)
    referral = ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    UserFactory(username="coord-a2", role=Role.COORDINATOR, teams=[team_a])
    return {"patient": patient, "plan": plan, "referral": referral}


def test_main_pages_have_no_serious_violations(axe_page, records, coordinator, case_manager):
    page = axe_page
    patient, plan, referral = records["patient"], records["plan"], records["referral"]
    task = plan.tasks.get()
    found = {}

    page.goto("/accounts/login/")
    found["/accounts/login/"] = violations(page)

    pages = {
        coordinator: [
            "/my-day/",
            "/patients/",
            f"/patients/{patient.pk}/",
            f"/care-plans/{plan.pk}/",
            f"/care-plans/patient/{patient.pk}/new/",
            f"/care-plans/patient/{patient.pk}/tasks/new/",
            # Radio groups: the plan's open work when it ends; snoozing without JavaScript.
            f"/care-plans/{plan.pk}/move/completed/",
            f"/care-plans/tasks/{task.pk}/snooze/",
            "/care-plans/tasks/mine/",
            "/referrals/",
            f"/referrals/{referral.pk}/",
            f"/referrals/patient/{patient.pk}/new/",
        ],
        case_manager: [
            "/caseload/",
            "/caseload/?period=365&sort=-overdue_tasks",
            f"/caseload/reassign/?coordinator={coordinator.pk}",
            f"/caseload/reassign/?patient={patient.pk}",
        ],
    }
    for user, paths in pages.items():
        page.context.clear_cookies()
        sign_in(page, user)
        for path in paths:
            response = page.goto(path)
            assert response.status == 200, path
            found[path] = (
                violations(page)
                + [f"unlabelled: {field}" for field in unlabelled_fields(page)]
                + broken_references(page)
            )
    problems = {path: issues for path, issues in found.items() if issues}
    assert problems == {}


def test_dashboards_are_usable_with_the_keyboard(page, sign_in, records, coordinator, case_manager):
    """Tab reaches the main actions; Enter and Space use them."""
    task = records["plan"].tasks.get()
    sign_in(coordinator)
    # My day: the first overdue task's "Complete" button, pressed with the keyboard.
    row = page.locator(f"#task-{task.pk}")
    complete = row.get_by_role("button", name="Complete")
    tab_to(page, complete)
    page.keyboard.press("Enter")
    page.locator(f"#task-{task.pk}").get_by_text("Completed.").wait_for()

    page.context.clear_cookies()
    sign_in(case_manager)
    page.get_by_role("heading", name="Caseload review").wait_for()
    for name in ("Export CSV", "Reassign patients"):
        tab_to(page, page.get_by_role("link", name=name, exact=True))
    sort = page.get_by_role("columnheader", name="Overdue tasks").get_by_role("link")
    tab_to(page, sort)
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=-overdue_tasks**")
    period = page.get_by_label("Period")
    tab_to(page, period)
    period.select_option("30")
    tab_to(page, page.get_by_role("button", name="Show"))
    page.keyboard.press("Enter")
    page.wait_for_url("**period=30**")
