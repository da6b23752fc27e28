"""The patient's change history page: case managers and admins of the patient's team
read the field history the triggers wrote; the query count does not grow with it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import Patient
from tests.careplans.factories import TaskFactory
from tests.factories import RelatedPersonFactory

pytestmark = pytest.mark.django_db
MARKER = "ZQXPHIMARKER"

# session, user                                             2
# the user's roles and permissions (accounts.backends)      1
# patient + team, coordinator, case manager (access)        1
# history rows: the count and the page (one UNION ALL each) 2
# the people and care teams the rows name                   2
# the bell's unread count, the audit row                    2
HISTORY_PAGE_BUDGET = 10


def url(patient) -> str:
    return reverse("audit:patient_history", args=[patient.pk])


def test_case_managers_and_admins_read_it_coordinators_cannot(
    client, coordinator, coordinator_b, case_manager, admin_user, patient
):
    client.force_login(coordinator)
    assert client.get(url(patient)).status_code == 403
    client.force_login(coordinator_b)
    assert client.get(url(patient)).status_code == 404
    for reader in (case_manager, admin_user):
        client.force_login(reader)
        response = client.get(url(patient))
        assert response.status_code == 200
        assert response.context["recorded"] == (connection.vendor == "postgresql")


@pytest.mark.postgres
def test_changes_show_who_what_and_old_and_new_values_never_phi(
    client, coordinator, case_manager, patient
):
    # Outside CareHub first: a test runs in one transaction, where the request's
    # context (a transaction-local setting) would otherwise still be set.
    Patient.objects.filter(pk=patient.pk).update(risk_level="high", family_name=MARKER)
    client.force_login(coordinator)
    client.post(
        reverse("patients:related_person_add", args=[patient.pk]),
        {"name": MARKER, "relationship": "friend", "notes": MARKER},
        REMOTE_ADDR="10.1.2.3",
    )
    client.force_login(case_manager)
    response = client.get(url(patient))
    entries = response.context["entries"]
    assert [(entry.record.split(" #")[0], entry.action) for entry in entries] == [
        ("Related person", "Created"),
        ("Patient", "Changed"),
        ("Patient", "Created"),
    ]
    contact, changed, _registered = entries
    assert {(c.label, c.old, c.new, c.masked_note) for c in changed.changes} == {
        ("Risk level", "Low", "High", ""),
        ("Family name", "***", "***", "changed (not shown)"),
    }
    assert changed.who.startswith("outside CareHub")
    assert contact.who == str(coordinator) and contact.where.startswith("10.1.2.3 · /patients/")
    contact_changes = {(c.label, c.old, c.new, c.masked_note) for c in contact.changes}
    assert ("Relationship", "—", "Friend", "") in contact_changes
    assert ("Name", "—", "***", "given (not shown)") in contact_changes
    table = response.content.decode().split("<tbody>")[1]
    assert "Risk level: Low → High" in table
    assert MARKER not in table  # (the heading names the patient, as on every page)


def _page_queries(client, patient) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(patient)).status_code == 200
    return len(queries)


@pytest.mark.postgres
def test_the_page_runs_the_same_queries_however_long_the_history(
    client, case_manager, coordinator, patient, django_assert_max_num_queries
):
    client.force_login(case_manager)
    TaskFactory(patient=patient, assignee=coordinator)
    RelatedPersonFactory(patient=patient)
    with django_assert_max_num_queries(HISTORY_PAGE_BUDGET):
        few = _page_queries(client, patient)
    TaskFactory.create_batch(30, patient=patient, assignee=case_manager, moved_to="accepted")
    RelatedPersonFactory.create_batch(10, patient=patient)
    for risk in ("medium", "high", "low") * 10:
        Patient.objects.filter(pk=patient.pk).update(risk_level=risk)
    with django_assert_max_num_queries(HISTORY_PAGE_BUDGET):
        many = _page_queries(client, patient)
    # The care teams' names are looked up only when the page's rows name a team.
    assert many <= few
