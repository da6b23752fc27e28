"""A coordinator signs in and works with patients in a real browser."""

import pytest

from patients.models import Patient
from tests.browser.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_registers_finds_and_edits_a_patient(page, sign_in, coordinator, team_a):
    sign_in(coordinator)
    page.get_by_role("link", name="Patients", exact=True).click()  # signing in lands on My day
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("MRN").fill("BR-0001")
    page.get_by_label("Given name").fill("Lucia")
    page.get_by_label("Family name").fill("Fernandez")
    page.get_by_label("Date of birth").fill("1958-07-14")
    page.get_by_label("Phone", exact=True).fill("413 555 0160")
    page.get_by_label("Primary coordinator").select_option(str(coordinator.pk))
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Lucia Fernandez").wait_for()
    assert Patient.objects.get(mrn="BR-0001").primary_coordinator == coordinator

    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Name or MRN").fill("fernan")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Fernandez, Lucia").click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("City").fill("Holyoke")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Patient details saved.").wait_for()
    assert Patient.objects.get(mrn="BR-0001").city == "Holyoke"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "patient-detail.png", full_page=True)


def test_search_as_you_type_updates_results_with_htmx(page, sign_in, coordinator, team_a):
    from tests.factories import PatientFactory

    PatientFactory(care_team=team_a, given_name="Ingrid", family_name="Solberg")
    PatientFactory(care_team=team_a, given_name="Tomas", family_name="Keller")
    sign_in(coordinator)
    page.goto("/patients/")
    page.get_by_label("Name or MRN").press_sequentially("solb", delay=30)
    page.wait_for_function("() => !document.querySelector('#results').innerText.includes('Keller')")
    assert "Solberg" in page.locator("#results").inner_text()
    # The address bar names the search, never the name typed.
    page.wait_for_url("**/patients/?search=*")
    assert "solb" not in page.url.lower()
    # Reloaded from that address (or back in history), the same search shows.
    page.reload()
    assert page.get_by_label("Name or MRN").input_value() == "solb"
    assert "Keller" not in page.locator("#results").inner_text()
