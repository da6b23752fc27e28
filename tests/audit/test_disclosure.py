"""Every patient whose data leaves in a response is in that patient's audit trail.

Every GET page, list, export and API endpoint of the project (the access matrix's table)
and every Django admin list is fetched by each persona that may open it, with three
patients on file (two of team A, one of team B). A patient is taken as disclosed when the
response names them (their family name or record number) or refers to them by id (an API
``"patient": id``, a FHIR ``Patient/id``); each such patient must be among the patients of
the audit row the request wrote, and a request writes one row, however many it lists."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from patients.models import Patient
from tests.careplans.factories import CarePlanFactory, TaskFactory
from tests.factories import PatientFactory
from tests.referrals.factories import ReferralFactory
from tests.test_access_matrix import ROUTES, records  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

MARKERS = ["Quorvellint", "Zephyrandol", "Xandrivesk"]
PATIENT_ID = re.compile(r'"patient(?:_id|_pk)?"\s*:\s*(\d+)|Patient/(\d+)')


@pytest.fixture
def on_file(records, team_a, team_b, coordinator, coordinator_b, case_manager):  # noqa: F811
    second = PatientFactory(
        care_team=team_a, primary_coordinator=coordinator, case_manager=case_manager
    )
    other_team = PatientFactory(care_team=team_b, primary_coordinator=coordinator_b)
    for patient, by in ((second, coordinator), (other_team, coordinator_b)):
        ReferralFactory(patient=patient, referred_by=by, sent=True)
        plan = CarePlanFactory(patient=patient, author=by, active=True)
        TaskFactory(patient=patient, care_plan=plan, assignee=by)
    patients = [records["patient"], second, other_team]
    for patient, marker in zip(patients, MARKERS, strict=True):
        Patient.objects.filter(pk=patient.pk).update(family_name=marker)
    return {p.pk: (MARKERS[i], p.mrn) for i, p in enumerate(patients)}


def disclosed(response, on_file) -> set[int]:
    body = b"".join(response) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    if "json" in response.get("Content-Type", ""):
        text = json.dumps(json.loads(text))  # one spacing for the id pattern
    named = {pk for pk, markers in on_file.items() if any(m in text for m in markers)}
    referred = {int(a or b) for a, b in PATIENT_ID.findall(text)}
    return named | (referred & set(on_file))


def audited(since: int) -> tuple[set[int], int]:
    rows = list(AuditEvent.objects.filter(pk__gt=since))
    ids = {row.patient_id for row in rows if row.patient_id}
    for row in rows:
        ids |= set(row.patient_ids)
    return ids, len(rows)


def get_routes(records):  # noqa: F811
    for name, route in sorted(ROUTES.items()):
        if route.method == "get" and route.data is None:
            yield name, reverse(name.split("#")[0], kwargs=route.kwargs(records))
    for model in admin_site._registry:
        meta = model._meta
        yield f"admin {meta.label}", reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")


@pytest.mark.parametrize("persona", ["coordinator", "case_manager", "admin_user"])
def test_every_patient_a_response_discloses_is_in_their_trail(persona, records, on_file, request):  # noqa: F811
    user = request.getfixturevalue(persona)
    client = Client()
    client.force_login(user)
    checked, missing = 0, {}
    for name, url in get_routes(records):
        since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = client.get(url)
        if response.status_code != 200:
            continue
        shown = disclosed(response, on_file)
        if not shown:
            continue
        checked += 1
        trail, rows = audited(since)
        if not shown <= trail or rows != 1:
            missing[name] = (sorted(shown - trail), rows)
    assert checked > 20
    if missing:
        lines = "\n".join(
            f"{name}: not audited {ids}, {rows} rows" for name, (ids, rows) in missing.items()
        )
        pytest.fail(f"patients disclosed without their audit row (or not one row):\n{lines}")


def test_who_saw_a_patient_is_one_query(records, on_file, coordinator, django_assert_num_queries):  # noqa: F811
    client = Client()
    client.force_login(coordinator)
    assert client.get(reverse("api:task-list")).status_code == 200
    patient = records["patient"]
    with django_assert_num_queries(1):
        rows = list(AuditEvent.objects.for_patient(patient.pk))
    assert any(row.route == "api:task-list" for row in rows)
    listed = next(row for row in rows if row.route == "api:task-list")
    assert listed.patient_id is None and patient.pk in listed.patient_ids


def test_the_receiving_services_link_is_in_the_patients_trail(records):  # noqa: F811
    """No user opens the signed link: its row names the link, and its patient."""
    since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = Client().get(reverse("referrals:respond", kwargs={"token": records["link_token"]}))
    assert response.status_code == 200
    row = AuditEvent.objects.get(pk__gt=since)
    assert row.actor_id is None and row.who == "referral response link"
    assert row.patient_id == records["patient"].pk
    assert row.object_type == "referrals.referral"
    assert row in AuditEvent.objects.for_patient(records["patient"].pk)
